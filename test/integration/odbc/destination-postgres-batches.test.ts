/**
 * Batched ODBC writes against a real PostgreSQL: a `custom` single-row `INSERT ... VALUES (?, ...)`
 * is sent as multi-row statements, and must write exactly the rows the same statement writes one
 * row at a time (any other shape runs per row) and the rows `append` writes: every type, NULLs,
 * unicode, edge values, a last batch that is not full. A failing batch rolls everything back
 * (pre_insert included) and the error still names the failing row.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeOdbc } from '../../support/odbc-write.js';
import { startPostgres, type PgServer } from '../../support/postgres.js';

let pg: PgServer;

before(async () => {
  pg = await startPostgres();
  // A server zone other than UTC: instants must survive it.
  await pg.psql("ALTER DATABASE aq SET timezone TO 'America/New_York'");
});

after(async () => { await pg?.stop(); });

const write = (stageSql: string, destination: string) => writeOdbc(pg.connectionString(), stageSql, destination);

const COLUMNS = 'id, i2, i8, n, r, d, s, b, dt, tm, ts, tz, bin, u, h';
const ROWS = 1203;

/** Edge rows, a row of NULLs, then generated rows: ROWS in all. */
const STAGE = `
SELECT * FROM (VALUES
  (1, CAST(-32768 AS SMALLINT), CAST(-9223372036854775808 AS BIGINT), CAST('-1234567890123456789012345678.0123456789' AS DECIMAL(38,10)),
   CAST(3.4028235e38 AS FLOAT), CAST(1.7976931348623157e308 AS DOUBLE), 'hé''llo ✓ 😀 "q" \\ ;', true, DATE '2024-02-29', TIME '23:59:59.999999',
   TIMESTAMP '2024-01-01 10:00:00.123456', TIMESTAMPTZ '2024-03-10 07:04:56.789123+05:30', from_hex('DEADBEEF00FF'),
   UUID 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', CAST('18446744073709551615' AS UBIGINT)),
  (2, CAST(32767 AS SMALLINT), CAST(9223372036854775807 AS BIGINT), CAST('0.0000000001' AS DECIMAL(38,10)),
   CAST(-1.5e-10 AS FLOAT), CAST('NaN' AS DOUBLE), '', false, DATE '0001-01-01', TIME '00:00:00',
   TIMESTAMP '1970-01-01 00:00:00', TIMESTAMPTZ '1970-01-01 00:00:00+00', from_hex(''),
   UUID '00000000-0000-0000-0000-000000000000', CAST(0 AS UBIGINT)),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
) t(${COLUMNS})
UNION ALL
SELECT CAST(i AS INTEGER), CAST(i % 30000 AS SMALLINT), i * 1000003, CAST(i / 7 AS DECIMAL(38,10)), CAST(i AS FLOAT) / 3, i / 3.0,
       'ü✓ ' || i || repeat('x', CAST(i % 300 AS INTEGER)), i % 2 = 0, DATE '2024-01-01' + CAST(i AS INTEGER), TIME '00:00:01' + to_seconds(i),
       TIMESTAMP '2024-01-01 00:00:00.5' + to_minutes(i), TIMESTAMPTZ '2024-01-01 00:00:00+05:30' + to_hours(i), from_hex(printf('%08x', i)),
       CAST(md5(CAST(i AS VARCHAR)) AS UUID), CAST(i * 12345678901 AS UBIGINT)
FROM range(4, ${ROWS + 1}) r(i)`;

function sink(name: string): string {
  return `DROP TABLE IF EXISTS ${name}; CREATE TABLE ${name} (id integer PRIMARY KEY, i2 smallint, i8 bigint, n numeric(38,10), r real,
    d double precision, s text, b boolean, dt date, tm time, ts timestamp, tz timestamptz, bin bytea, u uuid, h numeric(20,0));`;
}

/** Rows of `a` missing from `b` or `b` missing from `a`, and the row counts. */
async function difference(a: string, b: string): Promise<{ onlyA: number; onlyB: number; countA: number; countB: number }> {
  const [[onlyA, onlyB, countA, countB]] = (await pg.rows(`SELECT (SELECT count(*) FROM (SELECT * FROM ${a} EXCEPT ALL SELECT * FROM ${b}) x),
    (SELECT count(*) FROM (SELECT * FROM ${b} EXCEPT ALL SELECT * FROM ${a}) y), (SELECT count(*) FROM ${a}), (SELECT count(*) FROM ${b})`)) as string[][] as [string[]];
  return { onlyA: Number(onlyA), onlyB: Number(onlyB), countA: Number(countA), countB: Number(countB) };
}

test('custom: a single-row INSERT sent in batches writes the rows the per-row statement and append write', async () => {
  await pg.psql(sink('by_batch') + sink('by_row') + sink('by_append'));
  const batched = await write(STAGE, `name: by_batch
write_mode: { operation: custom, transaction: { insert: "insert into by_batch (${COLUMNS})\\n VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);" } }
batch_size: 100`);
  assert.equal(batched.status, 'succeeded', batched.message);
  // 15 columns: 100 rows (1,500 parameters) per statement; the last one has 3 rows.
  assert.ok(batched.logs.includes(`debug: destination "by_batch": wrote ${ROWS} rows over ODBC in 13 statements`), batched.logs.join('\n'));

  // ON CONFLICT makes it another shape: one statement per row.
  const perRow = await write(STAGE, `name: by_row
write_mode: { operation: custom, transaction: { insert: "INSERT INTO by_row (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING" } }
batch_size: 100`);
  assert.equal(perRow.status, 'succeeded', perRow.message);
  assert.ok(perRow.logs.includes(`debug: destination "by_row": wrote ${ROWS} rows over ODBC in ${ROWS} statements`), perRow.logs.join('\n'));

  const append = await write(STAGE, 'name: by_append\nwrite_mode: { operation: append }\nbatch_size: 100');
  assert.equal(append.status, 'succeeded', append.message);

  assert.deepEqual(await difference('by_batch', 'by_row'), { onlyA: 0, onlyB: 0, countA: ROWS, countB: ROWS });
  assert.deepEqual(await difference('by_batch', 'by_append'), { onlyA: 0, onlyB: 0, countA: ROWS, countB: ROWS });
  // And the values themselves, for the edge rows.
  assert.deepEqual(await pg.rows(`SELECT id, i2, i8, n, r, d, s, b, dt, tm, ts, to_char(tz AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), encode(bin, 'hex'), u, h
    FROM by_batch WHERE id <= 3 ORDER BY id`), [
    ['1', '-32768', '-9223372036854775808', '-1234567890123456789012345678.0123456789', '3.4028235e+38', '1.7976931348623157e+308', 'hé\'llo ✓ 😀 "q" \\ ;', 't',
      '2024-02-29', '23:59:59.999999', '2024-01-01 10:00:00.123456', '2024-03-10 01:34:56.789123', 'deadbeef00ff', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      '18446744073709551615'],
    ['2', '32767', '9223372036854775807', '0.0000000001', '-1.5e-10', 'NaN', '', 'f',
      '0001-01-01', '00:00:00', '1970-01-01 00:00:00', '1970-01-01 00:00:00.000000', '', '00000000-0000-0000-0000-000000000000', '0'],
    ['3', ...new Array<null>(14).fill(null)],
  ]);
});

test('custom, batched: a failure in the middle of a batch rolls back everything, pre_insert included, and names the row', async () => {
  await pg.psql(`DROP TABLE IF EXISTS keyed; CREATE TABLE keyed (id integer PRIMARY KEY, v text);
    INSERT INTO keyed VALUES (457, 'existing'), (5000, 'kept'), (9000, 'deleted by pre_insert, then restored')`);
  const r = await write('SELECT CAST(range AS INTEGER) AS id, \'new\' AS v FROM range(1, 1001)', `name: keyed
write_mode:
  operation: custom
  transaction:
    pre_insert: "DELETE FROM keyed WHERE id >= 9000"
    insert: "INSERT INTO keyed (id, v) VALUES (?, ?)"
batch_size: 100`);
  assert.equal(r.status, 'failed');
  assert.match(r.message!, /^destination "keyed": insert failed at row 457 \(nothing was written: the transaction is rolled back\): SQLSTATE 23505: ERROR: duplicate key value violates unique constraint "keyed_pkey".*\(id\)=\(457\) already exists/);
  assert.deepEqual(await pg.rows('SELECT id, v FROM keyed ORDER BY id'), [['457', 'existing'], ['5000', 'kept'], ['9000', 'deleted by pre_insert, then restored']]);
  // Nothing of the replay is left either: no session holds a transaction open.
  await pg.waitForNoSessions(10_000);
});

test('PostgreSQL takes 6,000 parameters a statement: 1,000 rows of 6 columns, 857 of 7, every row written', async () => {
  const six = 'SELECT CAST(i AS INTEGER) AS id, i * 3 AS a, \'r\' || i AS b, i / 7.0 AS c, i % 2 = 0 AS d, DATE \'2024-01-01\' + CAST(i % 300 AS INTEGER) AS e FROM range(1, 2501) r(i)';
  await pg.psql('DROP TABLE IF EXISTS wide6; CREATE TABLE wide6 (id integer, a bigint, b text, c double precision, d boolean, e date)');
  const r6 = await write(six, 'name: wide6\nwrite_mode: { operation: append }\nbatch_size: 1000');
  assert.equal(r6.status, 'succeeded', r6.message);
  // 1,000 + 1,000 + 500 (with SQL Server's 2,000 parameters it would be 333 a statement: 8).
  assert.ok(r6.logs.includes('debug: destination "wide6": wrote 2500 rows over ODBC in 3 statements'), r6.logs.join('\n'));
  assert.deepEqual(await pg.rows('SELECT count(*), count(DISTINCT id), sum(a), min(b), max(e) FROM wide6'), [['2500', '2500', String(3 * 2500 * 2501 / 2), 'r1', '2024-10-26']]);

  const seven = `SELECT *, id * 2 AS f FROM (${six})`;
  await pg.psql('DROP TABLE IF EXISTS wide7; CREATE TABLE wide7 (id integer, a bigint, b text, c double precision, d boolean, e date, f bigint)');
  const r7 = await write(seven, 'name: wide7\nwrite_mode: { operation: append }\nbatch_size: 1000');
  assert.equal(r7.status, 'succeeded', r7.message);
  // 857 + 857 + 786.
  assert.ok(r7.logs.includes('debug: destination "wide7": wrote 2500 rows over ODBC in 3 statements'), r7.logs.join('\n'));
  assert.deepEqual(await pg.rows('SELECT count(*), sum(f) FROM wide7'), [['2500', String(2500 * 2501)]]);
});
