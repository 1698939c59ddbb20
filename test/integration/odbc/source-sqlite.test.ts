/**
 * An ODBC source through SQLite's ODBC driver (no server): its types, a value longer than the
 * declared size (SQLite does not enforce sizes, the driver reports them), NULLs.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { EngineSession } from '../../../src/engine/session.js';
import { registerSource } from '../../../src/sources/index.js';
import { loadOdbc } from '../../../src/odbc/driver.js';
import { silentLogger } from '../../../src/core/log.js';
import { runYaml, tempDir } from '../../support/engine.js';

let dir: string;
let connectionString: string;

before(async () => {
  dir = await tempDir('aq-sqlite-');
  connectionString = `Driver={SQLite3};Database=${path.join(dir, 'data.db')};`;
  const odbc = await loadOdbc('test', 'AQ_INTERNAL');
  const c = await odbc.connect({ connectionString });
  await c.query(`CREATE TABLE readings (id INTEGER PRIMARY KEY, big BIGINT, amount DOUBLE, label VARCHAR(10), note TEXT,
    ok BOOLEAN, day DATE, at TIMESTAMP, raw BLOB)`);
  await c.query(`INSERT INTO readings VALUES (1, 9223372036854775807, 0.1, 'short', 'héllo ✓', 1, '2024-02-29', '2024-01-01 10:00:00.123', x'DEADBEEF')`);
  // Longer than the declared VARCHAR(10): node-odbc's buffer would cut it.
  await c.query(`INSERT INTO readings VALUES (2, -1, -2.5, ?, '', 0, '1970-01-01', '1970-01-01 00:00:00', x'')`, ['x'.repeat(100)]);
  await c.query('INSERT INTO readings (id) VALUES (3)');
  await c.query('CREATE TABLE blobs (id INTEGER, raw BLOB)');
  await c.query('INSERT INTO blobs VALUES (1, ?)', [Buffer.alloc(1000, 7)]);
  await c.close();
});

after(async () => { await rm(dir, { recursive: true, force: true }); });

test('SQLite through its ODBC driver: types, a value longer than its declared size, NULLs', async () => {
  const session = await EngineSession.open({ log: silentLogger() });
  try {
    await registerSource(session, { type: 'odbc', name: 'src', connection_string: connectionString, load_query: 'SELECT * FROM readings ORDER BY id' }, new AbortController().signal);
    const types = (await session.main.runAndReadAll('DESCRIBE src')).getRowObjectsJS().map((r) => `${r.column_name}:${r.column_type}`);
    assert.deepEqual(types, ['id:INTEGER', 'big:BIGINT', 'amount:DOUBLE', 'label:VARCHAR', 'note:VARCHAR', 'ok:BOOLEAN', 'day:DATE', 'at:TIMESTAMP', 'raw:BLOB']);
    const rows = (await session.main.runAndReadAll(
      'SELECT id, big, amount, label, note, ok, CAST(day AS VARCHAR), CAST("at" AS VARCHAR), hex(raw) FROM src ORDER BY id',
    )).getRowsJS();
    assert.deepEqual(rows, [
      [1, 9223372036854775807n, 0.1, 'short', 'héllo ✓', true, '2024-02-29', '2024-01-01 10:00:00.123', 'DEADBEEF'],
      [2, -1n, -2.5, 'x'.repeat(100), '', false, '1970-01-01', '1970-01-01 00:00:00', ''],
      [3, null, null, null, null, null, null, null, null],
    ]);
  } finally {
    await session.close();
  }
});

test('a SQLite source feeds a pipeline', async () => {
  const r = await runYaml(`
sources:
  - type: odbc
    name: readings
    connection_string: "${connectionString}"
    query: SELECT id, amount FROM readings
stages:
  - - name: total
      query: SELECT sum(amount) AS total, count(*) AS n FROM readings
      show: 0
`, { cwd: dir });
  assert.equal(r.outcome.status, 'succeeded');
  assert.match(r.outputs[0]!.body, /\| -2\.4 +\| 3 +\|/);
});

test('a SQLite blob longer than the 255 bytes its driver reports is refused, not loaded with foreign bytes', async () => {
  // node-odbc copies a bound binary value by its real length from a buffer of the reported size.
  const r = await runYaml(`
sources: [{ type: odbc, name: blobs, connection_string: "${connectionString}", load_query: "SELECT id, raw FROM blobs" }]
stages: [[{ name: s, query: "SELECT octet_length(raw) AS n FROM blobs" }]]
`, { cwd: dir });
  assert.equal(r.outcome.status, 'failed');
  const e = (r.outcome as { error: { code: string; message: string } }).error;
  assert.equal(e.code, 'AQ_SOURCE_FAILED');
  assert.match(e.message, /^source "blobs": column "raw" holds values longer than the size its driver reports, even when the database converts it to long binary, so they cannot be read whole over ODBC/);
});
