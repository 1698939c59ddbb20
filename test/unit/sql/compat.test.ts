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

const SETTINGS_SQL = `SELECT ${SESSION_SETTINGS.map((s) => `CAST(current_setting('${s.name}') AS VARCHAR)`).join(', ')}`;
const EXPECTED = SESSION_SETTINGS.map((s) => s.expected);

async function settingsOf(c: DuckDBConnection): Promise<unknown[]> {
  return (await c.runAndReadAll(SETTINGS_SQL)).getRowsJson()[0]!;
}

async function withInstance(fn: (instance: DuckDBInstance) => Promise<void>, config?: Record<string, string>): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:', config);
  try {
    await fn(instance);
  } finally {
    instance.closeSync();
  }
}

describe('settings', () => {
  test('are applied to the connection, whatever the machine time zone', () => withInstance(async (instance) => {
    const c = await instance.connect();
    await c.run("SET TimeZone = 'Europe/Berlin'");
    await applySqlCompat(c);
    assert.deepEqual(await settingsOf(c), EXPECTED);
    assert.equal((await c.runAndReadAll('SELECT 7 / 2, -7 / 2')).getRowsJson()[0]!.join(), '3,-3');
    // TIMESTAMPTZ → DATE uses the session zone: 23:30 UTC stays on the 3rd only in UTC
    assert.equal((await c.runAndReadAll("SELECT CAST(CAST(TIMESTAMPTZ '2024-01-03 23:30:00+00' AS DATE) AS VARCHAR)")).getRowsJson()[0]![0], '2024-01-03');
    // ASC → NULLS LAST, DESC → NULLS FIRST
    const order = (dir: string) => c.runAndReadAll(`SELECT x FROM (VALUES (1), (NULL), (2)) t(x) ORDER BY x ${dir}`).then((r) => r.getRowsJson().map((row) => row[0]));
    assert.deepEqual(await order('ASC'), [1, 2, null]);
    assert.deepEqual(await order('DESC'), [null, 2, 1]);
  }));

  test('hold for connections opened later, also after lock_configuration', () => withInstance(async (instance) => {
    const first = await instance.connect();
    await applySqlCompat(first);
    const second = await instance.connect();
    assert.deepEqual(await settingsOf(second), EXPECTED);
    await first.run('SET lock_configuration = true');
    const third = await instance.connect();
    await applyConnectionCompat(third); // must not SET anything: any SET fails now
    assert.deepEqual(await settingsOf(third), EXPECTED);
  }));

  test('applyConnectionCompat sets what differs on a connection', () => withInstance(async (instance) => {
    const c = await instance.connect();
    await applySqlCompat(c);
    await c.run('SET integer_division = false');
    await applyConnectionCompat(c);
    assert.deepEqual(await settingsOf(c), EXPECTED);
  }));

  test('INSTANCE_SETTINGS are accepted by DuckDBInstance.create', () => withInstance(async (instance) => {
    const c = await instance.connect();
    const r = (await c.runAndReadAll("SELECT current_setting('integer_division'), current_setting('default_null_order')")).getRowsJson()[0];
    assert.deepEqual(r, [true, 'NULLS_LAST_ON_ASC_FIRST_ON_DESC']);
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
