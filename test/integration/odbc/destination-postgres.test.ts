/**
 * ODBC destinations against a real PostgreSQL through psqlODBC, checked in the database: every
 * type arrives as it left, custom writes (pre_insert + prepared insert), one transaction (a
 * failure in the middle of a large batch, or a cancellation, leaves the table as it was).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runYaml } from '../../support/engine.js';
import { writeOdbc } from '../../support/odbc-write.js';
import { freePort, PG_SECURE_USER, startPostgres, type PgServer } from '../../support/postgres.js';

let pg: PgServer;

before(async () => {
  pg = await startPostgres();
  // A server zone other than UTC: instants must survive it.
  await pg.psql("ALTER DATABASE aq SET timezone TO 'America/New_York'");
});

after(async () => { await pg?.stop(); });

const write = (stageSql: string, destination: string, opts: { signal?: AbortSignal } = {}) => writeOdbc(pg.connectionString(), stageSql, destination, opts);

test('append: every type arrives with its value, NULLs as NULL, batch_size rows per statement', async () => {
  await pg.psql(`CREATE TABLE sink (id integer PRIMARY KEY, i2 smallint, i8 bigint, n numeric(38,10), r real, d double precision, s text,
    b boolean, dt date, tm time, ts timestamp, tz timestamptz, "By" bytea, u uuid, h numeric(20,0))`);
  const r = await write(`
SELECT * FROM (VALUES
  (1, CAST(-32768 AS SMALLINT), CAST(-9223372036854775808 AS BIGINT), CAST('-1234567890123456789012345678.0123456789' AS DECIMAL(38,10)),
   CAST(3.4028235e38 AS FLOAT), CAST(1.7976931348623157e308 AS DOUBLE), 'hé''llo ✓ "q" \\ ;', true, DATE '2024-02-29', TIME '23:59:59.999999',
   TIMESTAMP '2024-01-01 10:00:00.123456', TIMESTAMPTZ '2024-03-10 07:04:56.789123+05:30', from_hex('DEADBEEF00FF'),
   UUID 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', CAST('18446744073709551615' AS UBIGINT)),
  (2, CAST(32767 AS SMALLINT), CAST(9223372036854775807 AS BIGINT), CAST('0.0000000001' AS DECIMAL(38,10)),
   CAST(-1.5e-10 AS FLOAT), CAST('NaN' AS DOUBLE), '', false, DATE '0001-01-01', TIME '00:00:00',
   TIMESTAMP '1970-01-01 00:00:00', TIMESTAMPTZ '1970-01-01 00:00:00+00', from_hex(''),
   UUID '00000000-0000-0000-0000-000000000000', CAST(0 AS UBIGINT)),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
) t(id, i2, i8, n, r, d, s, b, dt, tm, ts, tz, "By", u, h)`, `name: sink
write_mode: { operation: append }
batch_size: 2`);
  assert.equal(r.status, 'succeeded', r.message);
  assert.ok(r.logs.includes('debug: destination "sink": wrote 3 rows over ODBC in 2 statements'), r.logs.join('\n'));
  assert.deepEqual(await pg.rows(`SELECT id, i2, i8, n, r, d, s, b, dt, tm, ts, (tz AT TIME ZONE 'UTC')::text, encode("By", 'hex'), u, h FROM sink ORDER BY id`), [
    ['1', '-32768', '-9223372036854775808', '-1234567890123456789012345678.0123456789', '3.4028235e+38', '1.7976931348623157e+308', 'hé\'llo ✓ "q" \\ ;', 't',
      '2024-02-29', '23:59:59.999999', '2024-01-01 10:00:00.123456', '2024-03-10 01:34:56.789123', 'deadbeef00ff', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      '18446744073709551615'],
    ['2', '32767', '9223372036854775807', '0.0000000001', '-1.5e-10', 'NaN', '', 'f',
      '0001-01-01', '00:00:00', '1970-01-01 00:00:00', '1970-01-01 00:00:00', '', '00000000-0000-0000-0000-000000000000', '0'],
    ['3', ...new Array<null>(14).fill(null)],
  ]);
});

test('custom: pre_insert deletes a date range, then the prepared insert runs for every row, in one transaction', async () => {
  await pg.psql(`CREATE TABLE daily (day date PRIMARY KEY, city text NOT NULL, amount numeric(10,2), at timestamptz);
    INSERT INTO daily SELECT d::date, 'old', 1.00, d FROM generate_series('2024-01-01'::date, '2024-01-10'::date, interval '1 day') d;`);
  const r = await write(`
SELECT DATE '2024-01-03' + CAST(range AS INTEGER) AS day, 'Berlin' AS city, CAST(range AS DECIMAL(10,2)) + 0.25 AS amount,
       TIMESTAMPTZ '2024-01-03 12:00:00+01' + to_days(CAST(range AS INTEGER)) AS at
FROM range(3)`, `name: daily
write_mode:
  operation: custom
  transaction:
    pre_insert: "DELETE FROM daily WHERE day BETWEEN '2024-01-03' AND '2024-01-05'"
    insert: "INSERT INTO daily (day, city, amount, at) VALUES (?, ?, ?, ?)"`);
  assert.equal(r.status, 'succeeded', r.message);
  assert.deepEqual(await pg.rows(`SELECT day, city, amount, (at AT TIME ZONE 'UTC')::text FROM daily ORDER BY day`), [
    ['2024-01-01', 'old', '1.00', '2024-01-01 05:00:00'],
    ['2024-01-02', 'old', '1.00', '2024-01-02 05:00:00'],
    ['2024-01-03', 'Berlin', '0.25', '2024-01-03 11:00:00'],
    ['2024-01-04', 'Berlin', '1.25', '2024-01-04 11:00:00'],
    ['2024-01-05', 'Berlin', '2.25', '2024-01-05 11:00:00'],
    ...['06', '07', '08', '09', '10'].map((d) => [`2024-01-${d}`, 'old', '1.00', `2024-01-${d} 05:00:00`]),
  ]);
});

const TEN_THOUSAND = `SELECT CAST(range AS INTEGER) + 1 AS id, 'new ' || range AS v FROM range(10000)`;

for (const [mode, destination, failedAt] of [
  // At most 1000 rows go in one statement: the fifth fails, after four went in.
  ['append, batch_size 10000', 'write_mode: { operation: append }\nbatch_size: 10000', /inserting rows 4001-5000 failed/],
  // Row 5000 in the middle of the 17th statement.
  ['append, batch_size 300', 'write_mode: { operation: append }\nbatch_size: 300', /inserting rows 4801-5100 failed/],
  ['custom, row by row', 'write_mode: { operation: custom, transaction: { insert: "INSERT INTO t10k (id, v) VALUES (?, ?)" } }', /insert failed at row 5000/],
] as const) {
  test(`a constraint violation on row 5000 of 10000 leaves the table as it was (${mode})`, async () => {
    await pg.psql('DROP TABLE IF EXISTS t10k; CREATE TABLE t10k (id integer PRIMARY KEY, v text); INSERT INTO t10k VALUES (5000, \'existing\'), (20000, \'other\')');
    const r = await write(TEN_THOUSAND, `name: t10k\n${destination}`);
    assert.equal(r.status, 'failed');
    assert.equal(r.code, 'AQ_DESTINATION_FAILED');
    assert.match(r.message!, /^destination "t10k": /);
    assert.match(r.message!, failedAt);
    assert.match(r.message!, /nothing was written: the transaction is rolled back\): SQLSTATE 23505: ERROR: duplicate key value violates unique constraint "t10k_pkey".*\(id\)=\(5000\) already exists/);
    assert.deepEqual(await pg.rows('SELECT id, v FROM t10k ORDER BY id'), [['5000', 'existing'], ['20000', 'other']]);
    await pg.waitForNoSessions();
  });
}

/**
 * Waits until a session has started a second statement `INSERT INTO <table>` (another
 * query_start): at least one batch has landed inside the open transaction.
 */
async function waitForSecondInsert(table: string, timeoutMs = 60_000): Promise<void> {
  const starts = new Set<string>();
  const deadline = Date.now() + timeoutMs;
  while (starts.size < 2) {
    if (Date.now() > deadline) throw new Error(`no second INSERT INTO ${table} within ${timeoutMs} ms`);
    const rows = await pg.rows(`SELECT query_start FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND query LIKE 'INSERT INTO ${table} %'`);
    for (const [start] of rows) if (start) starts.add(start);
  }
}

test('cancelling during a large write rolls it back: the table is as it was, the session closed', async () => {
  await pg.psql('CREATE TABLE big (id bigint, v text); INSERT INTO big VALUES (-1, \'kept\')');
  const ac = new AbortController();
  const run = write('SELECT range AS id, md5(CAST(range AS VARCHAR)) AS v FROM range(1000000)', 'name: big\nwrite_mode: { operation: append }\nbatch_size: 1000', { signal: ac.signal });
  await waitForSecondInsert('big');
  ac.abort();
  const r = await run;
  assert.equal(r.status, 'cancelled');
  assert.deepEqual(await pg.rows('SELECT id, v FROM big'), [['-1', 'kept']]);
  await pg.waitForNoSessions();
  // The writer stopped where it was: rows were inserted (then rolled back), but far from all of
  // them. The server counts inserted rows, rolled back or not, once the session has ended.
  const [[inserted]] = await pg.rows("SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = 'big'") as [[string]];
  assert.ok(Number(inserted) > 1 && Number(inserted) < 1_000_001, `rows inserted before the cancellation: ${inserted}`);
});

test('an insert whose ? placeholders do not match the columns is explained', async () => {
  await pg.psql('CREATE TABLE pairs (a integer, b integer)');
  const r = await write('SELECT 1 AS a, 2 AS b, 3 AS c', 'name: pairs\nwrite_mode: { operation: custom, transaction: { insert: "INSERT INTO pairs (a, b) VALUES (?, ?)" } }');
  assert.equal(r.code, 'AQ_DESTINATION_FAILED');
  assert.equal(r.message, 'destination "pairs": the insert statement\'s ? placeholders do not match the 3 columns of stage "result" (a, b, c): give one ? per column, in column order');
});

test('a missing table and a wrong password are reported with the driver\'s diagnostic, no secret; the password before any work', async () => {
  const missing = await write('SELECT 1 AS a', 'name: no_such_table\nwrite_mode: { operation: append }');
  assert.equal(missing.code, 'AQ_DESTINATION_FAILED');
  assert.match(missing.message!, /^destination "no_such_table": inserting rows 1-1 failed .*SQLSTATE 42P01: ERROR: relation "no_such_table" does not exist/);

  const logs: string[] = [];
  const r = await runYaml(`
sources: [{ type: in_memory, name: src }]
stages: [[{ name: result, query: "SELECT 1 AS a" }]]
destination:
  type: odbc
  name: sink
  connection_string: "${pg.connectionString({ user: PG_SECURE_USER, password: 'Not-The-Pass-42' })}"
  write_mode: { operation: append }
`, { cwd: '/tmp', onLog: (l, m) => logs.push(m) });
  assert.equal(r.outcome.status, 'failed');
  const e = (r.outcome as { error: { code: string; message: string } }).error;
  assert.equal(e.code, 'AQ_DESTINATION_FAILED');
  assert.match(e.message, /^destination "sink": could not connect: SQLSTATE 08001: .*password authentication failed for user "aq_secure"/);
  assert.doesNotMatch(e.message + logs.join('\n'), /Not-The-Pass-42/);
  // checked before the sources load and the stages run
  assert.deepEqual(r.progress.map((p) => p.event.type), ['started']);
});

test('a destination database that is down fails the run before any stage runs', async () => {
  const port = await freePort(); // nothing listens there
  const r = await runYaml(`
sources: []
stages: [[{ name: result, query: "SELECT 1 AS a" }]]
destination:
  type: odbc
  name: sink
  connection_string: "Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=${port};Database=aq;Uid=aq;Pwd=Secret-Pass-7"
  write_mode: { operation: append }
`, { cwd: '/tmp' });
  assert.equal(r.outcome.status, 'failed');
  const e = (r.outcome as { error: { code: string; message: string } }).error;
  assert.equal(e.code, 'AQ_DESTINATION_FAILED');
  assert.match(e.message, new RegExp(`^destination "sink": could not connect: SQLSTATE 08001: .*port ${port} failed: Connection refused`));
  assert.doesNotMatch(e.message, /Secret-Pass-7/);
  assert.deepEqual(r.progress.map((p) => p.event.type), ['started']);
});
