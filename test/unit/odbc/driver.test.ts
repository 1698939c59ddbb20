import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { loadOdbc, setOdbcLoader, type OdbcModule } from '../../../src/odbc/driver.js';
import { ExecutorError } from '../../../src/core/errors.js';

afterEach(() => setOdbcLoader(null));

test('a machine without the odbc module gets one clear error naming the subject and what to install', async () => {
  setOdbcLoader(async () => { throw new Error("Cannot find module 'odbc'\nRequire stack: ..."); });
  await assert.rejects(loadOdbc('source "db"', 'AQ_SOURCE_FAILED'), (e: unknown) => {
    assert.ok(e instanceof ExecutorError);
    assert.equal(e.code, 'AQ_SOURCE_FAILED');
    assert.equal(
      e.message,
      'source "db": ODBC is not available on this machine: the optional "odbc" module could not be loaded (Cannot find module \'odbc\'); ' +
        'install unixODBC and rebuild the module: `apt-get install unixodbc unixodbc-dev` (plus the database\'s ODBC driver, e.g. odbc-postgresql), then `npm rebuild odbc`',
    );
    return true;
  });
  await assert.rejects(loadOdbc('destination "t"', 'AQ_DESTINATION_FAILED'), { code: 'AQ_DESTINATION_FAILED', message: /^destination "t": ODBC is not available/ });
});

test('the module is loaded once; a failure is not remembered', async () => {
  let calls = 0;
  const fake = { connect: async () => { throw new Error('unused'); } } as unknown as OdbcModule;
  setOdbcLoader(async () => {
    calls++;
    if (calls === 1) throw new Error('libodbc.so.2: cannot open shared object file');
    return fake;
  });
  await assert.rejects(loadOdbc('source "a"', 'AQ_SOURCE_FAILED'), /libodbc\.so\.2/);
  assert.equal(await loadOdbc('source "a"', 'AQ_SOURCE_FAILED'), fake);
  assert.equal(await loadOdbc('source "b"', 'AQ_SOURCE_FAILED'), fake);
  assert.equal(calls, 2);
});

test('the real module loads on this machine (unixODBC is installed here)', async () => {
  const odbc = await loadOdbc('source "x"', 'AQ_SOURCE_FAILED');
  assert.equal(typeof odbc.connect, 'function');
});
