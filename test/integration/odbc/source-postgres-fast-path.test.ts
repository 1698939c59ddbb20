/**
 * The fast read path of ODBC sources against a real PostgreSQL: psqlODBC reports `text` as
 * VARCHAR(255) (TextAsLongVarchar=0), the wrapped query reads text-staged columns only in their
 * converted form, and the next block is fetched while one is appended. Checked against the slow
 * path (text as long data, set in the connection string) and against PostgreSQL itself: the same
 * rows, the same types, for every type, NULLs, unicode and edge values, across many blocks, with
 * long values appearing only after several blocks (which makes the load start again).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EngineSession } from '../../../src/engine/session.js';
import { registerSource } from '../../../src/sources/index.js';
import { silentLogger } from '../../../src/core/log.js';
import { FETCH_ROWS } from '../../../src/sources/odbc.js';
import { startPostgres, type PgServer } from '../../support/postgres.js';

let pg: PgServer;
const ROWS = FETCH_ROWS * 4 + 17;
/** A row far into the result, after several blocks. */
const LATE = FETCH_ROWS * 3 + 5;

before(async () => {
  pg = await startPostgres();
  await pg.psql(`
    CREATE TABLE many (
      id integer PRIMARY KEY, i2 smallint, i8 bigint, n numeric(38,10), nf numeric, r real, d double precision,
      c char(3), vc varchar(20), vcfree varchar, t text, b boolean, dt date, tm time, ts timestamp, tz timestamptz, bin bytea, u uuid
    );
    INSERT INTO many
      SELECT g, (g % 65535) - 32768, g * 1000003 - 9223372036854775000, g * 1.0000000001 - 5000, g / 8.0, g / 8.0, g / 3.0,
             chr(97 + g % 26), 'vc ✓ ' || g, repeat('ü', g % 300), 'tëxt ' || g || ' ' || repeat('x', g % 250), g % 2 = 0,
             date '2024-01-01' + g, time '00:00:01' + g * interval '1 second', timestamp '2024-01-01 00:00:00.5' + g * interval '1 minute',
             timestamptz '2024-01-01 00:00:00+05:30' + g * interval '1 hour', decode(lpad(to_hex(g), 8, '0'), 'hex'),
             md5(g::text)::uuid
      FROM generate_series(1, ${ROWS}) g;
    -- NULLs in every column, edge values, and unicode beyond the BMP.
    UPDATE many SET i2 = NULL, i8 = NULL, n = NULL, nf = NULL, r = NULL, d = NULL, c = NULL, vc = NULL, vcfree = NULL, t = NULL, b = NULL,
                    dt = NULL, tm = NULL, ts = NULL, tz = NULL, bin = NULL, u = NULL WHERE id % 97 = 0;
    UPDATE many SET i2 = -32768, i8 = 9223372036854775807, n = -1234567890123456789012345678.0123456789, nf = 123456789012345678901234567890.5,
                    r = 3.4028235e38, d = 1.7976931348623157e308, t = '', vcfree = '', vc = 'é😀 "q" '' \\ ;', bin = '\\x'
      WHERE id = 2;
    -- Longer than the 255 characters psqlODBC reports for text: only after several blocks.
    UPDATE many SET t = repeat('long ✓ ', 3000), vcfree = repeat('😀', 2000) WHERE id = ${LATE};
  `);
});

after(async () => { await pg?.stop(); });

interface Loaded { session: EngineSession; types: string[] }

async function load(connectionString: string): Promise<Loaded> {
  const session = await EngineSession.open({ log: silentLogger() });
  await registerSource(session, { type: 'odbc', name: 'src', connection_string: connectionString, load_query: 'SELECT * FROM many' }, new AbortController().signal);
  const r = await session.main.runAndReadAll("SELECT data_type FROM duckdb_columns() WHERE table_name = 'src' ORDER BY column_index");
  return { session, types: r.getRows().map((row) => String(row[0])) };
}

/** Rows as text, ordered by id, for comparison across sessions. */
async function textRows(session: EngineSession, sql: string): Promise<string[]> {
  const r = await session.main.runAndReadAll(sql);
  return r.getRows().map((row) => JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
}

const ALL_AS_TEXT = `SELECT id, i2::VARCHAR, i8::VARCHAR, n::VARCHAR, nf::VARCHAR, r::VARCHAR, d::VARCHAR, c, vc, vcfree, t, b::VARCHAR,
  dt::VARCHAR, tm::VARCHAR, ts::VARCHAR, tz::VARCHAR, hex(bin), u::VARCHAR FROM src ORDER BY id`;

test('the fast path loads the same rows and types as text read as long data, and text whole', async () => {
  const fast = await load(pg.connectionString());
  const slow = await load(pg.connectionString({ extra: 'TextAsLongVarchar=1;' }));
  try {
    assert.deepEqual(fast.types, slow.types);
    // nf: an unconstrained NUMERIC, widened to its values.
    assert.deepEqual(fast.types, ['INTEGER', 'SMALLINT', 'BIGINT', 'DECIMAL(38,10)', 'DECIMAL(36,6)', 'FLOAT', 'DOUBLE', 'VARCHAR', 'VARCHAR', 'VARCHAR',
      'VARCHAR', 'BOOLEAN', 'DATE', 'TIME', 'TIMESTAMP', 'TIMESTAMP WITH TIME ZONE', 'BLOB', 'UUID']);
    const [a, b] = [await textRows(fast.session, ALL_AS_TEXT), await textRows(slow.session, ALL_AS_TEXT)];
    assert.equal(a.length, ROWS);
    assert.deepEqual(a, b);
  } finally {
    await fast.session.close();
    await slow.session.close();
  }
});

test('text, unicode, NULLs and edge values arrive as PostgreSQL holds them', async () => {
  const fast = await load(pg.connectionString());
  try {
    // Text columns: length and digest of every value, computed on both sides.
    const ours = await textRows(fast.session, "SELECT id, length(t), md5(t), length(vcfree), md5(vcfree), md5(vc), c FROM src WHERE id IN (1, 2, 97, 300, " + LATE + ') ORDER BY id');
    const theirs = (await pg.rows(`SELECT id, length(t), md5(t), length(vcfree), md5(vcfree), md5(vc), c FROM many WHERE id IN (1, 2, 97, 300, ${LATE}) ORDER BY id`))
      .map((row) => JSON.stringify(row.map((v, i) => (v === null ? null : i === 0 || i === 1 || i === 3 ? Number(v) : v))));
    assert.deepEqual(ours.map((r) => JSON.stringify(JSON.parse(r).map((v: unknown) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v)))), theirs);
    // Exact numbers and instants at the edges.
    assert.deepEqual(await textRows(fast.session, "SELECT i2, i8::VARCHAR, n::VARCHAR, nf::VARCHAR, r, d, hex(bin), vc FROM src WHERE id = 2"), [
      JSON.stringify([-32768, '9223372036854775807', '-1234567890123456789012345678.0123456789', '123456789012345678901234567890.500000', 3.4028234663852886e38, 1.7976931348623157e308, '', 'é😀 "q" \' \\ ;']),
    ]);
    const tz = (await pg.rows("SELECT to_char(tz AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') FROM many WHERE id = 10"))[0]![0];
    assert.deepEqual(await textRows(fast.session, "SELECT strftime(tz AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S') FROM src WHERE id = 10"), [JSON.stringify([tz])]);
    const nulls = await textRows(fast.session, 'SELECT count(*) FROM src WHERE id % 97 = 0 AND COLUMNS(* EXCLUDE (id)) IS NULL');
    assert.deepEqual(nulls, [JSON.stringify([String(Math.floor(ROWS / 97))])]);
  } finally {
    await fast.session.close();
  }
});
