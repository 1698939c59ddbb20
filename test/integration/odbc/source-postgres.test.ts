/**
 * ODBC sources against a real PostgreSQL through psqlODBC: every type value by value, values
 * longer than the driver admits, numerics it reports wrongly, queries that cannot be wrapped,
 * clear errors without secrets, and prompt cancellation.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EngineSession } from '../../../src/engine/session.js';
import { registerSource } from '../../../src/sources/index.js';
import { silentLogger } from '../../../src/core/log.js';
import { runYaml } from '../../support/engine.js';
import { PG_SECURE_PASSWORD, PG_SECURE_USER, startPostgres, type PgServer } from '../../support/postgres.js';

let pg: PgServer;

before(async () => {
  pg = await startPostgres();
  await pg.psql(`
    CREATE TABLE alltypes (
      id integer PRIMARY KEY,
      i2 smallint, i4 integer, i8 bigint,
      n_10_2 numeric(10,2), n_38_10 numeric(38,10), n_free numeric, n_50 numeric(50,5),
      r real, d double precision,
      c char(5), vc varchar(20), vcfree varchar, t text,
      b boolean, dt date, tm time, tmp timestamp, tmp3 timestamp(3), tz timestamptz,
      by bytea, u uuid
    );
    INSERT INTO alltypes VALUES
      (1, -32768, -2147483648, -9223372036854775808, -12345678.91, 1234567890123456789012345678.0123456789, 12.5, 123456789012345678901234567890123456789012345.12345,
       3.4028235e38, 1.7976931348623157e308, 'ab', 'héllo wörld ✓', 'short', 'text', true, '2024-02-29', '23:59:59.999999',
       '2024-01-01 10:00:00.123456', '1999-12-31 23:59:59.999', '2024-03-10 07:04:56.789+05:30', '\\xdeadbeef00ff', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),
      (2, 32767, 2147483647, 9223372036854775807, 0.01, -0.0000000001, -0.000001, 0,
       -1.5e-10, -0.1, 'abcde', '', '', '', false, '0001-01-01', '00:00:00',
       '1970-01-01 00:00:00', '1970-01-01 00:00:00', '1970-01-01 00:00:00+00', '\\x', '00000000-0000-0000-0000-000000000000'),
      (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    CREATE TABLE longs (id integer, v varchar, t text, b bytea);
    INSERT INTO longs VALUES
      (1, repeat('é', 5000), repeat('long text ', 10000), decode(repeat('00ff', 500000), 'hex')),
      (2, 'short', 'short', '\\x01');
    CREATE PROCEDURE money_out(OUT amount numeric(10,2)) LANGUAGE plpgsql AS $$ BEGIN amount := 1.5; END $$;
    CREATE PROCEDURE count_out(OUT n integer, OUT at timestamptz) LANGUAGE plpgsql AS $$ BEGIN n := 7; at := '2024-01-01 12:00:00+02'; END $$;
  `);
});

after(async () => { await pg?.stop(); });

interface Loaded {
  session: EngineSession;
  logs: string[];
  types: Record<string, string>;
  text: (sql: string) => Promise<Array<Array<string | null>>>;
}

/** Registers an ODBC source named `src` in a fresh engine session, as a run does. */
async function load(loadQuery: string, connectionString = pg.connectionString()): Promise<Loaded> {
  const logs: string[] = [];
  const session = await EngineSession.open({ log: silentLogger(), onLog: (level, m) => logs.push(`${level}: ${m}`) });
  try {
    await registerSource(session, { type: 'odbc', name: 'src', connection_string: connectionString, load_query: loadQuery }, new AbortController().signal);
  } catch (e) {
    await session.close();
    throw e;
  }
  const described = (await session.main.runAndReadAll('DESCRIBE src')).getRowObjectsJS();
  return {
    session,
    logs,
    types: Object.fromEntries(described.map((r) => [String(r.column_name), String(r.column_type)])),
    text: async (sql) => (await session.main.runAndReadAll(sql)).getRowsJS().map((r) => r.map((v) => (v === null ? null : String(v)))),
  };
}

test('every type arrives with its exact DuckDB type and value, NULLs everywhere', async () => {
  const l = await load('SELECT * FROM alltypes ORDER BY id;');
  try {
    assert.deepEqual(l.types, {
      id: 'INTEGER', i2: 'SMALLINT', i4: 'INTEGER', i8: 'BIGINT',
      n_10_2: 'DECIMAL(10,2)', n_38_10: 'DECIMAL(38,10)', n_free: 'DECIMAL(28,6)', n_50: 'DOUBLE',
      r: 'FLOAT', d: 'DOUBLE',
      c: 'VARCHAR', vc: 'VARCHAR', vcfree: 'VARCHAR', t: 'VARCHAR',
      b: 'BOOLEAN', dt: 'DATE', tm: 'TIME', tmp: 'TIMESTAMP', tmp3: 'TIMESTAMP', tz: 'TIMESTAMP WITH TIME ZONE',
      by: 'BLOB', u: 'UUID',
    });
    const cols = Object.keys(l.types).filter((c) => c !== 'by');
    const rows = await l.text(`SELECT ${cols.map((c) => `CAST("${c}" AS VARCHAR)`).join(', ')}, hex("by") FROM src ORDER BY id`);
    assert.deepEqual(rows, [
      ['1', '-32768', '-2147483648', '-9223372036854775808', '-12345678.91', '1234567890123456789012345678.0123456789', '12.500000', '1.2345678901234567e+44',
        '3.4028235e+38', '1.7976931348623157e+308', 'ab   ', 'héllo wörld ✓', 'short', 'text', 'true', '2024-02-29', '23:59:59.999999',
        '2024-01-01 10:00:00.123456', '1999-12-31 23:59:59.999', '2024-03-10 01:34:56.789+00', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'DEADBEEF00FF'],
      ['2', '32767', '2147483647', '9223372036854775807', '0.01', '-0.0000000001', '-0.000001', '0.0',
        '-1.5e-10', '-0.1', 'abcde', '', '', '', 'false', '0001-01-01', '00:00:00',
        '1970-01-01 00:00:00', '1970-01-01 00:00:00', '1970-01-01 00:00:00+00', '00000000-0000-0000-0000-000000000000', ''],
      ['3', ...new Array<null>(21).fill(null)],
    ]);
    // The only note is the one fallback: a precision DuckDB cannot hold.
    assert.deepEqual(l.logs.filter((m) => !m.startsWith('debug')), ['warn: source "src": column "n_50" declared with precision 50, beyond DuckDB\'s 38 digits: loaded as DOUBLE (about 15-17 significant digits)']);
  } finally {
    await l.session.close();
  }
});

test('values longer than the driver reports (unbounded varchar, text, a 1 MB bytea) arrive whole', async () => {
  const l = await load('SELECT * FROM longs ORDER BY id');
  try {
    const expected = await pg.rows("SELECT id, length(v), md5(v), length(t), md5(t), length(b), md5(b) FROM longs ORDER BY id");
    const got = await l.text('SELECT id, length(v), md5(v), length(t), md5(t), octet_length(b), md5(b) FROM src ORDER BY id');
    assert.deepEqual(got, expected);
    assert.equal(got[0]![1], '5000');
    assert.equal(got[0]![5], '1000000');
  } finally {
    await l.session.close();
  }
});

test('an unconstrained NUMERIC (reported as 28,6) keeps every digit PostgreSQL computed', async () => {
  const q = 'SELECT g AS id, avg(x) AS mean, sum(x) AS total FROM (VALUES (1, 1::numeric), (1, 2), (1, 2), (2, 12345678901234567890.5)) v(g, x) GROUP BY g ORDER BY g';
  const l = await load(q);
  try {
    const expected = await pg.rows(q);
    const got = await l.text('SELECT CAST(id AS VARCHAR), CAST(mean AS VARCHAR), CAST(total AS VARCHAR) FROM src ORDER BY id');
    // DuckDB prints decimals at the column's scale: compare as numbers with all their digits.
    const norm = (s: string | null) => (s === null ? null : s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
    assert.deepEqual(got.map((r) => r.map(norm)), expected.map((r) => r.map(norm)));
    assert.equal(l.types.mean, 'DECIMAL(38,16)');
    assert.equal(l.types.total, 'DECIMAL(28,6)');
    assert.ok(l.logs.some((m) => /column "mean" reported as DECIMAL\(28,6\) but holds values with/.test(m)));
  } finally {
    await l.session.close();
  }
});

test('a query that cannot be wrapped runs as written; a column it cannot read exactly is refused clearly', async () => {
  const ok = await load('CALL count_out(NULL, NULL)');
  try {
    assert.deepEqual(ok.types, { n: 'INTEGER', at: 'TIMESTAMP' });
    assert.deepEqual(await ok.text('SELECT CAST(n AS VARCHAR), CAST("at" AS VARCHAR) FROM src'), [['7', '2024-01-01 10:00:00']]);
    assert.ok(ok.logs.some((m) => /^warn: source "src": the query could not be wrapped .* "at" .* loaded as TIMESTAMP/.test(m)));
  } finally {
    await ok.session.close();
  }
  await assert.rejects(load('CALL money_out(NULL)'), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'AQ_SOURCE_FAILED');
    assert.match(e.message, /^source "src": column "amount" is NUMERIC\(\d+,\d+\), which the ODBC layer cannot read exactly unless the query can be wrapped .* \(SQLSTATE 42601: .*\); cast the column to a character type in load_query/);
    return true;
  });
});

test('two columns with the same name are refused, naming the column', async () => {
  await assert.rejects(load('SELECT 1 AS a, 2 AS "A"'), { code: 'AQ_SOURCE_FAILED', message: /^source "src": load_query returns more than one column named "A"/ });
});

function failure(r: Awaited<ReturnType<typeof runYaml>>): { code: string; message: string } {
  assert.equal(r.outcome.status, 'failed');
  const e = (r.outcome as { error: { code: string; message: string } }).error;
  return { code: e.code, message: e.message };
}

const pipeline = (connectionString: string, query: string) => `
sources:
  - type: odbc
    name: src
    connection_string: "${connectionString.replace(/"/g, '\\"')}"
    load_query: "${query}"
stages:
  - - name: s
      query: SELECT count(*) AS n FROM src
`;

test('a wrong password fails the source with the server\'s diagnostic and no password', async () => {
  const wrong = 'Wr0ng pass;word';
  const r = await runYaml(pipeline(pg.connectionString({ user: PG_SECURE_USER, password: `{${wrong}}` }), 'SELECT 1'), { cwd: '/tmp' });
  const e = failure(r);
  assert.equal(e.code, 'AQ_SOURCE_FAILED');
  assert.match(e.message, /^source "src": could not connect: SQLSTATE 08001: .*password authentication failed for user "aq_secure"/);
  assert.doesNotMatch(e.message, /Wr0ng|pass;word/);
  // The right password works (scram over loopback).
  const ok = await runYaml(pipeline(pg.connectionString({ user: PG_SECURE_USER, password: PG_SECURE_PASSWORD }), 'SELECT 1'), { cwd: '/tmp' });
  assert.equal(ok.outcome.status, 'succeeded');
});

test('an unknown driver names the driver manager\'s complaint and how to check registrations', async () => {
  const r = await runYaml(pipeline('Driver={No Such Driver};Server=127.0.0.1;Uid=u;Pwd=Secret123', 'SELECT 1'), { cwd: '/tmp' });
  const e = failure(r);
  assert.equal(e.code, 'AQ_SOURCE_FAILED');
  assert.match(e.message, /^source "src": could not connect: SQLSTATE 01000: \[unixODBC\]\[Driver Manager\]Can't open lib 'No Such Driver' : file not found; the driver is not installed or not registered with unixODBC/);
  assert.doesNotMatch(e.message, /Secret123/);
});

test('a syntax error in load_query shows PostgreSQL\'s diagnostic', async () => {
  const r = await runYaml(pipeline(pg.connectionString({ user: PG_SECURE_USER, password: PG_SECURE_PASSWORD }), 'SELECT id FORM alltypes'), { cwd: '/tmp' });
  const e = failure(r);
  assert.equal(e.code, 'AQ_SOURCE_FAILED');
  assert.match(e.message, /^source "src": load_query failed: SQLSTATE 42601: ERROR: syntax error at or near "alltypes"/);
  assert.doesNotMatch(e.message, new RegExp(PG_SECURE_PASSWORD.replace(/[!-]/g, '.')));
});

for (const [what, query, running] of [
  ['a long-running statement', 'SELECT pg_sleep(30) AS s', /pg_sleep/],
  ['a huge result being streamed', 'SELECT g, md5(g::text) AS h FROM generate_series(1, 100000000) g', /generate_series/],
] as const) {
  test(`cancelling during ${what} ends the run as cancelled, cancels the statement on the server and closes the session`, async () => {
    const cancelledBefore = await serverCancels();
    const ac = new AbortController();
    const run = runYaml(pipeline(pg.connectionString(), query), { cwd: '/tmp', signal: ac.signal });
    await pg.waitForQuery(running);
    ac.abort();
    const r = await run;
    assert.equal(r.outcome.status, 'cancelled');
    // the cancel reached the server: it stopped the statement (rather than the run waiting for it)
    await waitFor(async () => (await serverCancels()) > cancelledBefore, 'the server to log the statement cancelled');
    await pg.waitForNoSessions(30_000);
  });
}

/** How many statements the server has cancelled at a client's request so far (its log says). */
async function serverCancels(): Promise<number> {
  return (await pg.serverLog()).split('canceling statement due to user request').length - 1;
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
