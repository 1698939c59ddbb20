/**
 * On a machine where the optional `odbc` module cannot load (no unixODBC), an ODBC pipeline
 * fails with one clear error naming the source or destination and what to install; nothing else
 * is affected.
 */
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { setOdbcLoader } from '../../../src/odbc/driver.js';
import { runYaml } from '../../support/engine.js';

afterEach(() => setOdbcLoader(null));

const unavailable = async (): Promise<never> => {
  throw new Error('libodbc.so.2: cannot open shared object file: No such file or directory');
};

test('an ODBC source without the module: one error naming the source and the fix', async () => {
  setOdbcLoader(unavailable);
  const r = await runYaml(`
sources:
  - { type: odbc, name: orders, connection_string: "DSN=pg;PWD=TopSecret1", load_query: "SELECT 1" }
stages: [[{ name: s, query: "SELECT * FROM orders" }]]
`, { cwd: '/tmp' });
  assert.equal(r.outcome.status, 'failed');
  const e = (r.outcome as { error: { code: string; message: string } }).error;
  assert.equal(e.code, 'AQ_SOURCE_FAILED');
  assert.equal(
    e.message,
    'source "orders": ODBC is not available on this machine: the optional "odbc" module could not be loaded (libodbc.so.2: cannot open shared object file: No such file or directory); ' +
      'install unixODBC and rebuild the module: `apt-get install unixodbc unixodbc-dev` (plus the database\'s ODBC driver, e.g. odbc-postgresql), then `npm rebuild odbc`',
  );
});

test('an ODBC destination without the module: the same, naming the destination; other runs are unaffected', async () => {
  setOdbcLoader(unavailable);
  const r = await runYaml(`
sources: []
stages: [[{ name: s, query: "SELECT 1 AS a" }]]
destination: { type: odbc, name: sink, connection_string: "DSN=pg", write_mode: { operation: append } }
`, { cwd: '/tmp' });
  assert.equal(r.outcome.status, 'failed');
  const e = (r.outcome as { error: { code: string; message: string } }).error;
  assert.equal(e.code, 'AQ_DESTINATION_FAILED');
  assert.match(e.message, /^destination "sink": ODBC is not available on this machine: .*npm rebuild odbc`$/);
  // reported before the stages run
  assert.deepEqual(r.progress.map((p) => p.event.type), ['started']);

  const plain = await runYaml('sources: []\nstages: [[{ name: s, query: "SELECT 1 AS a" }]]\n', { cwd: '/tmp' });
  assert.equal(plain.outcome.status, 'succeeded');
});
