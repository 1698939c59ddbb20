/** applySqlCompat / applyConnectionCompat on a real DuckDB: settings, their scope, macros, UDFs. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { applyConnectionCompat, applySqlCompat } from '../../../src/engine/sql/compat.js';
import { DUCKDB_KEYWORDS } from '../../../src/engine/sql/keywords.js';
import { MACROS, SHADOWED_BUILTINS } from '../../../src/engine/sql/macros.js';
import { INSTANCE_SETTINGS, SESSION_SETTINGS } from '../../../src/engine/sql/settings.js';
import { HASH_UDFS } from '../../../src/engine/sql/udfs.js';
import { errorOf } from './helpers.js';

/**
 * What each session setting changes, observed in query results: `datafusion` is DataFusion's
 * result (docs/sql.md, "Session settings"), `duckdb` the value the setting has without the
 * compatibility layer (TimeZone: a machine zone other than UTC) and `other` the result then.
 */
interface Behaviour {
  duckdb: string;
  probe: (c: DuckDBConnection) => Promise<unknown>;
  datafusion: unknown;
  other: unknown;
}

const rowsOf = async (c: DuckDBConnection, sql: string) => (await c.runAndReadAll(sql)).getRowsJson();

const BEHAVIOURS: Record<string, Behaviour> = {
  // TIMESTAMPTZ → DATE and → TIMESTAMP use the session zone: 23:30 UTC stays on the 3rd only in UTC.
  TimeZone: {
    duckdb: "'Europe/Berlin'",
    probe: (c) => rowsOf(c, "SELECT CAST(CAST(TIMESTAMPTZ '2024-01-03 23:30:00+00' AS DATE) AS VARCHAR), CAST(CAST(TIMESTAMPTZ '2024-01-03 23:30:00+00' AS TIMESTAMP) AS VARCHAR)"),
    datafusion: [['2024-01-03', '2024-01-03 23:30:00']],
    other: [['2024-01-04', '2024-01-04 00:30:00']],
  },
  // Integer / integer truncates toward zero; a decimal operand still divides exactly.
  integer_division: {
    duckdb: 'false',
    probe: (c) => rowsOf(c, 'SELECT 7 / 2, -7 / 2, CAST(7.0 / 2 AS DOUBLE)'),
    datafusion: [[3, -3, 3.5]],
    other: [[3.5, -3.5, 3.5]],
  },
  // ASC → NULLS LAST, DESC → NULLS FIRST.
  default_null_order: {
    duckdb: "'nulls_last'",
    probe: async (c) => [
      (await rowsOf(c, 'SELECT x FROM (VALUES (1), (NULL), (2)) t(x) ORDER BY x ASC')).map((r) => r[0]),
      (await rowsOf(c, 'SELECT x FROM (VALUES (1), (NULL), (2)) t(x) ORDER BY x DESC')).map((r) => r[0]),
    ],
    datafusion: [[1, 2, null], [null, 2, 1]],
    other: [[1, 2, null], [2, 1, null]],
  },
  // Unquoted identifiers are lower-cased, in result columns and in the tables stages create;
  // quoted ones keep their case.
  preserve_identifier_case: {
    duckdb: 'true',
    probe: async (c) => {
      const table = `t_${Math.random().toString(36).slice(2)}`;
      await c.run(`CREATE TEMP TABLE ${table} AS SELECT 1 AS Amount, 2 AS "Quoted"`);
      const stored = (await c.runAndReadAll(`SELECT * FROM ${table}`)).columnNames();
      await c.run(`DROP TABLE ${table}`);
      return [(await c.runAndReadAll('SELECT 1 AS MyCol, 2 AS "Quoted", 3 AS lower_c')).columnNames(), stored];
    },
    datafusion: [['mycol', 'Quoted', 'lower_c'], ['amount', 'Quoted']],
    other: [['MyCol', 'Quoted', 'lower_c'], ['Amount', 'Quoted']],
  },
};

/** Every behaviour as observed on `c`, by setting name. */
async function behaviourOf(c: DuckDBConnection): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [name, b] of Object.entries(BEHAVIOURS)) out[name] = await b.probe(c);
  return out;
}

const DATAFUSION = Object.fromEntries(Object.entries(BEHAVIOURS).map(([name, b]) => [name, b.datafusion]));

async function withInstance(fn: (instance: DuckDBInstance) => Promise<void>, config?: Record<string, string>): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:', config);
  try {
    await fn(instance);
  } finally {
    instance.closeSync();
  }
}

describe('settings', () => {
  test('each has a behaviour test', () => {
    assert.deepEqual(Object.keys(BEHAVIOURS).sort(), SESSION_SETTINGS.map((s) => s.name).sort());
  });

  test('without them DuckDB answers otherwise; with them, as DataFusion, whatever the machine time zone', () => withInstance(async (instance) => {
    const c = await instance.connect();
    await c.run("SET TimeZone = 'Europe/Berlin'");
    const other = Object.fromEntries(Object.entries(BEHAVIOURS).map(([name, b]) => [name, b.other]));
    assert.deepEqual(await behaviourOf(c), other);
    await applySqlCompat(c);
    assert.deepEqual(await behaviourOf(c), DATAFUSION);
  }));

  test('each setting changes its own behaviour only, and applyConnectionCompat puts back what differs', () => withInstance(async (instance) => {
    const c = await instance.connect();
    await applySqlCompat(c);
    for (const [name, b] of Object.entries(BEHAVIOURS)) {
      await c.run(`SET ${name} = ${b.duckdb}`);
      assert.deepEqual(await behaviourOf(c), { ...DATAFUSION, [name]: b.other }, name);
      await applyConnectionCompat(c);
      assert.deepEqual(await behaviourOf(c), DATAFUSION, name);
    }
  }));

  test('identifiers match case-insensitively, and a quoted name is found unquoted (docs/sql.md, differences)', () => withInstance(async (instance) => {
    const c = await instance.connect();
    await applySqlCompat(c);
    await c.run('CREATE TABLE Sales AS SELECT 10 AS Amount, 20 AS "Region"');
    const r = await c.runAndReadAll('SELECT amount, AMOUNT, Region, region, "amount" FROM SALES');
    assert.deepEqual(r.columnNames(), ['amount', 'amount', 'Region', 'Region', 'amount']);
    assert.deepEqual(r.getRowsJson(), [[10, 10, 20, 20, 10]]);
    // A quoted identifier names the same column in any case: DuckDB's catalog is case-insensitive.
    assert.deepEqual((await rowsOf(c, 'SELECT "AMOUNT", "region" FROM "sales"')), [[10, 20]]);
  }));

  test('hold for connections opened later, also after lock_configuration', () => withInstance(async (instance) => {
    const first = await instance.connect();
    await first.run("SET GLOBAL TimeZone = 'Europe/Berlin'");
    await applySqlCompat(first);
    const second = await instance.connect();
    assert.deepEqual(await behaviourOf(second), DATAFUSION);
    await first.run('SET lock_configuration = true');
    const third = await instance.connect();
    await applyConnectionCompat(third); // must not SET anything: any SET fails now
    assert.deepEqual(await behaviourOf(third), DATAFUSION);
    await assert.rejects(third.run('SET integer_division = false'), /lock/i);
  }));

  test('INSTANCE_SETTINGS, given to DuckDBInstance.create, behave as DataFusion (all but TimeZone, set with SQL)', () => withInstance(async (instance) => {
    const c = await instance.connect();
    const { TimeZone: _zone, ...rest } = await behaviourOf(c);
    const { TimeZone: _expectedZone, ...expected } = DATAFUSION;
    assert.deepEqual(rest, expected);
    assert.deepEqual(Object.keys(INSTANCE_SETTINGS).sort(), SESSION_SETTINGS.map((s) => s.name).filter((n) => n !== 'TimeZone').sort());
  }, { ...INSTANCE_SETTINGS }));
});

describe('macros and UDFs', () => {
  test('are visible to every connection of the instance', () => withInstance(async (instance) => {
    await applySqlCompat(await instance.connect());
    const other = await instance.connect();
    const r = (await other.runAndReadAll("SELECT nvl(NULL, 2), encode(sha224('abc'), 'hex')")).getRowsJson()[0];
    assert.deepEqual(r, [2, '23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7']);
  }));

  test('applying twice is harmless', () => withInstance(async (instance) => {
    const c = await instance.connect();
    await applySqlCompat(c);
    await applySqlCompat(c);
    assert.equal((await c.runAndReadAll('SELECT nvl(NULL, 1)')).getRowsJson()[0]![0], 1);
  }));

  test('concurrent application on two connections of one instance succeeds', () => withInstance(async (instance) => {
    const [a, b] = await Promise.all([instance.connect(), instance.connect()]);
    await Promise.all([applySqlCompat(a), applySqlCompat(b)]);
    assert.equal((await b.runAndReadAll('SELECT nvl2(1, 2, 3)')).getRowsJson()[0]![0], 2);
  }));

  test('macros live in main; the shadowed built-ins stay reachable as system.main.f', () => withInstance(async (instance) => {
    const c = await instance.connect();
    await applySqlCompat(c);
    const names = [...new Set(MACROS.map((m) => m.name))];
    const listed = (await c.runAndReadAll(
      `SELECT DISTINCT function_name FROM duckdb_functions() WHERE database_name = 'system' AND function_name IN (${names.map((n) => `'${n}'`).join(', ')}) ORDER BY 1`,
    )).getRowsJson().map((r) => r[0]);
    assert.deepEqual(listed, [...SHADOWED_BUILTINS].sort());
    const mains = (await c.runAndReadAll(
      "SELECT count(DISTINCT function_name) FROM duckdb_functions() WHERE schema_name = 'main' AND function_type = 'macro' AND database_name = current_database()",
    )).getRowsJson()[0]![0];
    assert.equal(Number(mains), names.length + 1); // + the version marker
    const r = (await c.runAndReadAll("SELECT typeof(system.main.to_timestamp(0)), system.main.to_hex(255), typeof(system.main.sha256('a'))")).getRowsJson()[0];
    assert.deepEqual(r, ['TIMESTAMP WITH TIME ZONE', 'FF', 'VARCHAR']);
  }));

  test('UDFs reject types other than strings and binary', () => withInstance(async (instance) => {
    const c = await instance.connect();
    await applySqlCompat(c);
    assert.match(await errorOf(c.run('SELECT sha512(1)')), /sha512: expected a string or binary argument, got INTEGER/);
    assert.deepEqual([...HASH_UDFS], ['sha224', 'sha384', 'sha512']);
  }));
});

describe('embedded keyword list', () => {
  test('matches duckdb_keywords() of the running DuckDB', () => withInstance(async (instance) => {
    const c = await instance.connect();
    const rows = (await c.runAndReadAll('SELECT keyword_category, list(keyword_name ORDER BY keyword_name) FROM duckdb_keywords() GROUP BY 1 ORDER BY 1')).getRowsJson();
    const live = Object.fromEntries(rows.map(([cat, words]) => [cat as string, words as string[]]));
    const embedded = Object.fromEntries(Object.entries(DUCKDB_KEYWORDS).map(([cat, words]) => [cat, [...words]]));
    assert.deepEqual(embedded, live);
  }));
});
