/**
 * Writing Delta tables on local disk: creation (explicit schema or the result's), append, replace
 * and upsert, the original's Delta test pipelines' semantics, types and partition values, schema
 * checks, the protocol gate for writers, checkpoints. Every table written is validated by the
 * independent log checker and read back at every version.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ExecutorError } from '../../../src/core/errors.js';
import { checkDeltaLog } from '../../support/delta-log-check.js';
import { commitName, copyTable, deltaDestination, field, filesBelow, openDuck, readColumn, readRows, tempDir, writeTable, type Duck } from '../../support/delta.js';
import { UPSTREAM } from '../../support/paths.js';
import type { DeltaWriteMode } from '../../../src/pipeline/types.js';

let duck: Duck;
before(async () => {
  duck = await openDuck();
  const csv = (f: string) => `read_csv('${path.join(UPSTREAM, 'delta-tests', f)}', header = true)`;
  await duck.conn.run(`CREATE TABLE some_table AS SELECT * FROM ${csv('example_1.csv')}`);
  await duck.conn.run(`CREATE TABLE another_table AS SELECT * FROM ${csv('example_2.csv')}`);
});
after(() => duck.close());

function code(c: string, ...patterns: RegExp[]) {
  return (e: unknown) => {
    assert.ok(e instanceof ExecutorError, String(e));
    assert.equal(e.code, c, e.message);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  };
}

async function validate(table: string): Promise<void> {
  assert.deepEqual(await checkDeltaLog(duck.conn, table), [], `log of ${table}`);
}

async function versions(table: string): Promise<number[]> {
  return (await readdir(path.join(table, '_delta_log'))).filter((n) => /^\d{20}\.json$/.test(n)).map((n) => Number(n.slice(0, 20))).sort((a, b) => a - b);
}

async function actionsOf(table: string, v: number): Promise<Array<Record<string, Record<string, unknown>>>> {
  const text = await readFile(path.join(table, '_delta_log', commitName(v)), 'utf8');
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, Record<string, unknown>>);
}

/** The original's stage: the join of the two aggregates for one date. */
async function stage(date: string, into = 'result'): Promise<void> {
  await duck.conn.run(`CREATE OR REPLACE TABLE ${into} AS
    WITH aggregate AS (SELECT date, country, SUM(a) AS sum_1, SUM(b) AS sum_2 FROM some_table GROUP BY 1, 2),
         average AS (SELECT date, country, AVG(x) AS avg_1, AVG(y) AS avg_2 FROM another_table GROUP BY 1, 2)
    SELECT COALESCE(agg.date, avg.date) AS date, COALESCE(agg.country, avg.country) AS country, sum_1, sum_2, avg_1, avg_2
    FROM aggregate agg JOIN average avg ON agg.date = avg.date AND agg.country = avg.country
    WHERE COALESCE(agg.date, avg.date) = '${date}'`);
}

const UPSTREAM_SCHEMA = [field('date', 'date32'), field('country', 'utf8'), field('sum_1', 'int64'), field('sum_2', 'float64'), field('avg_1', 'float64'), field('avg_2', 'float64')];

function upstream(table: string, writeMode: DeltaWriteMode) {
  return deltaDestination(table, { name: 'example_output', write_mode: writeMode, partition_columns: ['date'], schema: UPSTREAM_SCHEMA });
}

async function rowsOf(table: string, version?: number) {
  return readRows(duck.conn, table, version === undefined ? {} : { version }, "CAST(date AS VARCHAR) AS date, country, sum_1, sum_2, avg_1, avg_2", 'date, country');
}

describe("the original's Delta test pipelines", () => {
  test('append twice: 26 rows, then 52', async () => {
    const table = path.join(await tempDir(), 'test_delta_append');
    await stage('2023-05-01');
    await writeTable(duck.conn, upstream(table, { operation: 'append' }), 'result');
    assert.equal((await rowsOf(table)).length, 26);
    await writeTable(duck.conn, upstream(table, { operation: 'append' }), 'result');
    assert.equal((await rowsOf(table)).length, 52);
    assert.equal((await rowsOf(table, 0)).length, 26);
    await validate(table);
    const [info] = await actionsOf(table, 1);
    assert.deepEqual(info!.commitInfo!.operationParameters, { mode: 'Append', partitionBy: '["date"]' });
    assert.equal(info!.commitInfo!.readVersion, 0);
  });

  test('upsert twice leaves the same rows', async () => {
    const table = path.join(await tempDir(), 'test_delta_upsert');
    await stage('2023-05-01');
    const dest = upstream(table, { operation: 'upsert', params: ['date', 'country'] });
    await writeTable(duck.conn, dest, 'result');
    const first = await rowsOf(table);
    assert.equal(first.length, 26);
    const second = await writeTable(duck.conn, dest, 'result');
    assert.equal(second.version, 1);
    assert.equal(second.removedFiles, 1);
    assert.deepEqual(await rowsOf(table), first);
    const [info] = await actionsOf(table, 1);
    assert.equal(info!.commitInfo!.operation, 'MERGE');
    assert.deepEqual((info!.commitInfo!.operationMetrics as Record<string, number>).num_target_rows_updated, 26);
    await validate(table);
  });

  test('replace of one partition leaves the others', async () => {
    const table = path.join(await tempDir(), 'test_delta_replace');
    const replace = (date: string) => upstream(table, { operation: 'replace', params: [{ column: 'date', value: date }] });
    await stage('2023-05-01');
    await writeTable(duck.conn, replace('2023-05-01'), 'result');
    await stage('2023-05-02');
    await writeTable(duck.conn, replace('2023-05-02'), 'result');
    const before = await rowsOf(table);
    assert.equal(before.length, 26 + 19);
    // Replace 2023-05-01 with a changed result: its rows change, 2023-05-02's stay.
    await stage('2023-05-01');
    await duck.conn.run('UPDATE result SET sum_1 = sum_1 + 1000');
    const r = await writeTable(duck.conn, replace('2023-05-01'), 'result');
    assert.equal(r.removedFiles, 1);
    const after = await rowsOf(table);
    assert.equal(after.length, 45);
    assert.deepEqual(after.filter((x) => x.date === '2023-05-02'), before.filter((x) => x.date === '2023-05-02'));
    assert.deepEqual(
      after.filter((x) => x.date === '2023-05-01').map((x) => Number(x.sum_1)),
      before.filter((x) => x.date === '2023-05-01').map((x) => Number(x.sum_1) + 1000),
    );
    const [info] = await actionsOf(table, 2);
    assert.deepEqual(info!.commitInfo!.operationParameters, { mode: 'Overwrite', partitionBy: '["date"]', predicate: "date = '2023-05-01'" });
    await validate(table);
    for (const v of await versions(table)) await rowsOf(table, v);
  });

  test("the example's upsert on date into a new table writes every row of each date", async () => {
    const table = path.join(await tempDir(), 'example');
    await stage('2023-05-03');
    await writeTable(duck.conn, deltaDestination(table, { write_mode: { operation: 'upsert', params: ['date'] }, partition_columns: ['date'], schema: UPSTREAM_SCHEMA }), 'result');
    assert.equal((await rowsOf(table)).length, 20);
    // A second run matches each existing row with the 20 incoming rows of its date: an error, not a silent pick.
    await assert.rejects(
      writeTable(duck.conn, deltaDestination(table, { write_mode: { operation: 'upsert', params: ['date'] }, partition_columns: ['date'] }), 'result'),
      code('AQ_DESTINATION_FAILED', /20 incoming rows match the same existing row \(date=2023-05-03\)/),
    );
    assert.deepEqual(await versions(table), [0]);
    await validate(table);
  });
});

describe('creating a table', () => {
  test('from the explicit schema: protocol (1,2), metadata, partition columns, properties, and the first data in version 0', async () => {
    const table = path.join(await tempDir(), 't');
    await stage('2023-05-01');
    await writeTable(duck.conn, deltaDestination(table, { partition_columns: ['date'], schema: UPSTREAM_SCHEMA, table_properties: { 'delta.checkpointInterval': '50', 'custom.key': 'x', 'dropped.key': null } }), 'result');
    const actions = await actionsOf(table, 0);
    assert.deepEqual(actions.map((a) => Object.keys(a)[0]), ['commitInfo', 'protocol', 'metaData', 'add']);
    assert.deepEqual(actions[1]!.protocol, { minReaderVersion: 1, minWriterVersion: 2 });
    const meta = actions[2]!.metaData!;
    assert.deepEqual(meta.partitionColumns, ['date']);
    assert.deepEqual(meta.configuration, { 'delta.checkpointInterval': '50', 'custom.key': 'x' });
    assert.deepEqual(JSON.parse(meta.schemaString as string), {
      type: 'struct',
      fields: [
        { name: 'date', type: 'date', nullable: true, metadata: {} },
        { name: 'country', type: 'string', nullable: true, metadata: {} },
        { name: 'sum_1', type: 'long', nullable: true, metadata: {} },
        { name: 'sum_2', type: 'double', nullable: true, metadata: {} },
        { name: 'avg_1', type: 'double', nullable: true, metadata: {} },
        { name: 'avg_2', type: 'double', nullable: true, metadata: {} },
      ],
    });
    const add = actions[3]!.add!;
    assert.match(add.path as string, /^date=2023-05-01\/part-00000-[0-9a-f-]{36}-c000\.snappy\.parquet$/);
    assert.deepEqual(add.partitionValues, { date: '2023-05-01' });
    await validate(table);
  });

  test('from the result: every type, nested ones too, read back equal; a naive timestamp needs timestamp_ntz (3,7)', async () => {
    const table = path.join(await tempDir(), 'types');
    await duck.conn.run(`CREATE OR REPLACE TABLE typed AS SELECT
      1::TINYINT AS b, 2::SMALLINT AS s, 3::INTEGER AS i, 4::BIGINT AS l, 1.5::FLOAT AS f, 2.25::DOUBLE AS d,
      'text'::VARCHAR AS str, true AS bool, '\\x01\\x02'::BLOB AS bin, DATE '2024-02-29' AS dt,
      TIMESTAMPTZ '2024-03-01 10:11:12.123456+00' AS ts, TIMESTAMP '2024-03-01 10:11:12.654321' AS ntz,
      123.45::DECIMAL(10,2) AS dec, 12345678901234567890123456789012345678::HUGEINT AS huge, 200::UTINYINT AS ut,
      [1, 2, NULL]::INTEGER[] AS arr, {'a': 1, 'b': 'x'} AS st, MAP {'k': 1.5} AS m, 'e3b0c442-98fc-1c14-9afb-f4c8996fb924'::UUID AS u`);
    const written = await writeTable(duck.conn, deltaDestination(table), 'typed');
    assert.equal(written.version, 0);
    const [, protocol, meta] = await actionsOf(table, 0);
    assert.deepEqual(protocol!.protocol, { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['timestampNtz'], writerFeatures: ['timestampNtz'] });
    const types = Object.fromEntries((JSON.parse(meta!.metaData!.schemaString as string) as { fields: Array<{ name: string; type: unknown }> }).fields.map((f) => [f.name, f.type]));
    assert.deepEqual(types, {
      b: 'byte', s: 'short', i: 'integer', l: 'long', f: 'float', d: 'double', str: 'string', bool: 'boolean', bin: 'binary', dt: 'date',
      ts: 'timestamp', ntz: 'timestamp_ntz', dec: 'decimal(10,2)', huge: 'decimal(38,0)', ut: 'short',
      arr: { type: 'array', elementType: 'integer', containsNull: true },
      st: { type: 'struct', fields: [{ name: 'a', type: 'integer', nullable: true, metadata: {} }, { name: 'b', type: 'string', nullable: true, metadata: {} }] },
      m: { type: 'map', keyType: 'string', valueType: 'decimal(2,1)', valueContainsNull: true },
      u: 'string',
    });
    const [row] = await readRows(duck.conn, table, {}, `b, s, i, l, f, d, str, bool, hex(bin) AS bin, CAST(dt AS VARCHAR) AS dt, CAST(ts AS VARCHAR) AS ts, CAST(ntz AS VARCHAR) AS ntz,
      CAST(dec AS VARCHAR) AS dec, CAST(huge AS VARCHAR) AS huge, ut, to_json(arr) AS arr, to_json(st) AS st, to_json(m) AS m, u, typeof(ts) AS tst, typeof(ntz) AS ntzt`);
    assert.deepEqual({ ...row, l: Number(row!.l) }, {
      b: 1, s: 2, i: 3, l: 4, f: 1.5, d: 2.25, str: 'text', bool: true, bin: '0102', dt: '2024-02-29', ts: '2024-03-01 10:11:12.123456+00', ntz: '2024-03-01 10:11:12.654321',
      dec: '123.45', huge: '12345678901234567890123456789012345678', ut: 200, arr: '[1,2,null]', st: '{"a":1,"b":"x"}', m: '{"k":1.5}', u: 'e3b0c442-98fc-1c14-9afb-f4c8996fb924',
      tst: 'TIMESTAMP WITH TIME ZONE', ntzt: 'TIMESTAMP',
    });
    await validate(table);
    const stats = JSON.parse((await actionsOf(table, 0))[3]!.add!.stats as string) as Record<string, Record<string, unknown>>;
    assert.deepEqual(stats.minValues!.ts, '2024-03-01T10:11:12.123Z');
    assert.deepEqual(stats.maxValues!.ts, '2024-03-01T10:11:12.124Z');
    assert.deepEqual(stats.maxValues!.ntz, '2024-03-01T10:11:12.655');
    assert.equal(stats.minValues!.arr, undefined);
  });

  test('partition values of every partitionable type, with nulls, the string "null" and characters that need escaping', async () => {
    const table = path.join(await tempDir(), 'parts');
    await duck.conn.run(`CREATE OR REPLACE TABLE parted AS SELECT * FROM (VALUES
      (1, 'a:b/c%d e', 1::TINYINT, 10::BIGINT, true, 1.5::DOUBLE, DATE '2024-01-01', TIMESTAMPTZ '2024-01-01 01:02:03.5+00', 1.25::DECIMAL(5,2)),
      (2, 'null', 2::TINYINT, NULL, false, 'NaN'::DOUBLE, NULL, NULL, NULL),
      (3, NULL, NULL, 30::BIGINT, NULL, NULL, DATE '1999-12-31', TIMESTAMPTZ '1999-12-31 23:59:59+00', -3.50::DECIMAL(5,2)),
      (4, 'ü€ [x]*?', 4::TINYINT, -4::BIGINT, true, '-Infinity'::DOUBLE, DATE '2024-01-01', NULL, 0::DECIMAL(5,2))
    ) v(id, s, t, l, b, d, dt, ts, dec)`);
    const parts = ['s', 't', 'l', 'b', 'd', 'dt', 'ts', 'dec'];
    await writeTable(duck.conn, deltaDestination(table, { partition_columns: parts }), 'parted');
    await validate(table);
    const adds = (await actionsOf(table, 0)).filter((a) => a.add).map((a) => a.add!);
    const byId = new Map<string, Record<string, unknown>>();
    for (const a of adds) byId.set(String((a.partitionValues as Record<string, string | null>).s), a.partitionValues as Record<string, unknown>);
    assert.deepEqual(byId.get('a:b/c%d e'), { s: 'a:b/c%d e', t: '1', l: '10', b: 'true', d: '1.5', dt: '2024-01-01', ts: '2024-01-01T01:02:03.500000Z', dec: '1.25' });
    assert.deepEqual(byId.get('null'), { s: 'null', t: '2', l: null, b: 'false', d: 'NaN', dt: null, ts: null, dec: null });
    assert.deepEqual(byId.get('null')!.s, 'null');
    const withEscapes = adds.find((a) => (a.partitionValues as Record<string, string>).s === 'a:b/c%d e')!;
    assert.match(withEscapes.path as string, /^s=a%253Ab%252Fc%2525d%20e\/t=1\//);
    const files = await filesBelow(table);
    assert.ok(files.some((f) => f.startsWith('s=a%3Ab%2Fc%25d e/t=1/')), files.join('\n'));
    assert.ok(files.some((f) => f.startsWith('s=__HIVE_DEFAULT_PARTITION__/t=__HIVE_DEFAULT_PARTITION__/')), files.join('\n'));
    const back = await readRows(duck.conn, table, {}, 'id, s, t, l, b, CAST(d AS VARCHAR) AS d, CAST(dt AS VARCHAR) AS dt, CAST(ts AS VARCHAR) AS ts, CAST(dec AS VARCHAR) AS dec', 'id');
    assert.deepEqual(back.map((r) => ({ ...r, l: r.l === null ? null : Number(r.l) })), [
      { id: 1, s: 'a:b/c%d e', t: 1, l: 10, b: true, d: '1.5', dt: '2024-01-01', ts: '2024-01-01 01:02:03.5+00', dec: '1.25' },
      { id: 2, s: 'null', t: 2, l: null, b: false, d: 'nan', dt: null, ts: null, dec: null },
      { id: 3, s: null, t: null, l: 30, b: null, d: null, dt: '1999-12-31', ts: '1999-12-31 23:59:59+00', dec: '-3.50' },
      { id: 4, s: 'ü€ [x]*?', t: 4, l: -4, b: true, d: '-inf', dt: '2024-01-01', ts: null, dec: '0.00' },
    ]);
  });

  test('refused definitions: unimplemented table properties, a missing or nested partition column', async () => {
    await stage('2023-05-01');
    const table = path.join(await tempDir(), 'refused');
    await assert.rejects(writeTable(duck.conn, deltaDestination(table, { table_properties: { 'delta.enableDeletionVectors': 'true' } }), 'result'), code('AQ_DELTA_UNSUPPORTED', /delta\.enableDeletionVectors.*deletion vectors/));
    await assert.rejects(writeTable(duck.conn, deltaDestination(table, { table_properties: { 'delta.columnMapping.mode': 'name' } }), 'result'), code('AQ_DELTA_UNSUPPORTED', /column mapping \(mode=name\)/));
    await assert.rejects(writeTable(duck.conn, deltaDestination(table, { table_properties: { 'delta.enableChangeDataFeed': 'true' } }), 'result'), code('AQ_DELTA_UNSUPPORTED', /change data feed/));
    await assert.rejects(writeTable(duck.conn, deltaDestination(table, { partition_columns: ['nope'] }), 'result'), code('AQ_DESTINATION_FAILED', /partition column "nope" is not a column of the table/));
    await duck.conn.run("CREATE OR REPLACE TABLE nested AS SELECT {'a': 1} AS st, 1 AS x");
    await assert.rejects(writeTable(duck.conn, deltaDestination(table, { partition_columns: ['st'] }), 'nested'), code('AQ_DESTINATION_FAILED', /partition column "st": a struct column cannot be a partition column/));
    await assert.rejects(readdir(path.join(table, '_delta_log')), /ENOENT/);
  });
});

describe('the rows must fit the table', () => {
  async function table(): Promise<string> {
    const t = path.join(await tempDir(), 'fit');
    await duck.conn.run("CREATE OR REPLACE TABLE seed AS SELECT 1::BIGINT AS id, 'a' AS name, 1.5::DOUBLE AS score");
    await writeTable(duck.conn, deltaDestination(t, { schema: [field('id', 'int64', false), field('name', 'utf8'), field('score', 'float64')] }), 'seed');
    return t;
  }

  test('missing nullable columns are filled with nulls; narrower integers are widened; HUGEINT sums fit a long', async () => {
    const t = await table();
    await duck.conn.run("CREATE OR REPLACE TABLE inc AS SELECT 2::INTEGER AS id, SUM(3::BIGINT) AS score");
    await writeTable(duck.conn, deltaDestination(t), 'inc');
    assert.deepEqual(await readRows(duck.conn, t, {}, 'CAST(id AS INTEGER) AS id, name, score', 'id'), [{ id: 1, name: 'a', score: 1.5 }, { id: 2, name: null, score: 3 }]);
    await validate(t);
  });

  test('an extra column, a missing non-nullable one, another type, nulls where the table forbids them: errors naming the column', async () => {
    const t = await table();
    const attempt = async (sql: string) => {
      await duck.conn.run(`CREATE OR REPLACE TABLE inc AS ${sql}`);
      return writeTable(duck.conn, deltaDestination(t), 'inc');
    };
    await assert.rejects(attempt("SELECT 2::BIGINT AS id, 'x' AS extra"), code('AQ_DELTA_SCHEMA_MISMATCH', /column "extra" that the table does not have/));
    await assert.rejects(attempt("SELECT 'b' AS name"), code('AQ_DELTA_SCHEMA_MISMATCH', /column "id" is missing from the rows to write, and the table does not allow nulls in it/));
    await assert.rejects(attempt("SELECT 'two' AS id"), code('AQ_DELTA_SCHEMA_MISMATCH', /column "id" is VARCHAR \(string\) in the rows to write, but long in the table/));
    await assert.rejects(attempt('SELECT 2.5::DOUBLE AS id'), code('AQ_DELTA_SCHEMA_MISMATCH', /column "id" is DOUBLE/));
    await assert.rejects(attempt('SELECT NULL::BIGINT AS id'), code('AQ_DELTA_SCHEMA_MISMATCH', /column "id" has null values in the rows to write/));
    await assert.rejects(attempt('SELECT 99999999999999999999999::HUGEINT AS id'), code('AQ_DELTA_SCHEMA_MISMATCH', /does not fit/));
    assert.deepEqual(await versions(t), [0]);
    assert.equal((await filesBelow(t)).filter((f) => f.endsWith('.parquet')).length, 1, 'failed writes leave no data files');
  });
});

describe('replace', () => {
  test('on a column that is not a partition column: matching files are rewritten without the matching rows, in one commit', async () => {
    const t = path.join(await tempDir(), 'rw');
    await duck.conn.run("CREATE OR REPLACE TABLE base AS SELECT i AS id, CASE WHEN i % 2 = 0 THEN 'even' ELSE 'odd' END AS kind FROM range(10) r(i)");
    await writeTable(duck.conn, deltaDestination(t), 'base');
    await duck.conn.run("CREATE OR REPLACE TABLE more AS SELECT 100 + i AS id, 'odd' AS kind FROM range(3) r(i)");
    await writeTable(duck.conn, deltaDestination(t), 'more');
    await duck.conn.run("CREATE OR REPLACE TABLE odd AS SELECT 1000::BIGINT AS id, 'odd' AS kind");
    const r = await writeTable(duck.conn, deltaDestination(t, { write_mode: { operation: 'replace', params: [{ column: 'kind', value: 'odd' }] } }), 'odd');
    assert.equal(r.removedFiles, 2);
    assert.deepEqual(await readColumn(duck.conn, t, 'id'), [0, 2, 4, 6, 8, 1000]);
    const metrics = (await actionsOf(t, 2))[0]!.commitInfo!.operationMetrics as Record<string, number>;
    assert.equal(metrics.num_copied_rows, 5);
    await validate(t);
  });

  test('rows outside the condition are refused, and nothing is committed', async () => {
    const t = path.join(await tempDir(), 'rv');
    await stage('2023-05-01');
    await writeTable(duck.conn, upstream(t, { operation: 'append' }), 'result');
    await assert.rejects(
      writeTable(duck.conn, upstream(t, { operation: 'replace', params: [{ column: 'date', value: '2023-05-02' }] }), 'result'),
      code('AQ_DESTINATION_FAILED', /26 of the rows to write do not satisfy the replace condition date = '2023-05-02'/),
    );
    await assert.rejects(writeTable(duck.conn, upstream(t, { operation: 'replace', params: [{ column: 'nope', value: 'x' }] }), 'result'), code('AQ_DESTINATION_FAILED', /replace condition on column "nope"/));
    await assert.rejects(writeTable(duck.conn, upstream(t, { operation: 'replace', params: [{ column: 'date', value: 'May 1st' }] }), 'result'), code('AQ_DESTINATION_FAILED', /"May 1st" is not a valid date/));
    assert.deepEqual(await versions(t), [0]);
  });

  test('without conditions it replaces the whole table', async () => {
    const t = path.join(await tempDir(), 'all');
    await stage('2023-05-01');
    await writeTable(duck.conn, upstream(t, { operation: 'append' }), 'result');
    await stage('2023-05-02');
    await writeTable(duck.conn, upstream(t, { operation: 'replace', params: [] }), 'result');
    assert.equal((await rowsOf(t)).length, 19);
    assert.equal((await rowsOf(t, 0)).length, 26);
    await validate(t);
  });
});

describe('upsert', () => {
  test('keys that are not partition columns; null keys match null keys; new keys are inserted; untouched files stay', async () => {
    const t = path.join(await tempDir(), 'up');
    await duck.conn.run("CREATE OR REPLACE TABLE a AS SELECT * FROM (VALUES (1, 'one'), (2, 'two'), (NULL, 'nothing')) v(k, v)");
    await writeTable(duck.conn, deltaDestination(t, { write_mode: { operation: 'upsert', params: ['k'] } }), 'a');
    await duck.conn.run("CREATE OR REPLACE TABLE b AS SELECT * FROM (VALUES (10, 'ten')) v(k, v)");
    await writeTable(duck.conn, deltaDestination(t), 'b');
    await duck.conn.run("CREATE OR REPLACE TABLE c AS SELECT * FROM (VALUES (2, 'TWO'), (NULL, 'NOTHING'), (3, 'three'), (3, 'three again')) v(k, v)");
    const r = await writeTable(duck.conn, deltaDestination(t, { write_mode: { operation: 'upsert', params: ['k'] } }), 'c');
    assert.equal(r.removedFiles, 1, 'only the file holding keys 2 and NULL is rewritten');
    assert.deepEqual(await readRows(duck.conn, t, {}, 'k, v', 'k NULLS FIRST, v'), [
      { k: null, v: 'NOTHING' }, { k: 1, v: 'one' }, { k: 2, v: 'TWO' }, { k: 3, v: 'three' }, { k: 3, v: 'three again' }, { k: 10, v: 'ten' },
    ]);
    const info = (await actionsOf(t, 2))[0]!.commitInfo!;
    assert.equal(info.operation, 'MERGE');
    assert.deepEqual(info.operationMetrics, {
      ...(info.operationMetrics as object),
      num_source_rows: 4, num_target_rows_inserted: 2, num_target_rows_updated: 2, num_target_rows_copied: 1, num_target_files_removed: 1,
    });
    await validate(t);
  });

  test('an empty upsert commits nothing', async () => {
    const t = path.join(await tempDir(), 'empty');
    await duck.conn.run("CREATE OR REPLACE TABLE a AS SELECT 1 AS k, 'x' AS v");
    await writeTable(duck.conn, deltaDestination(t, { write_mode: { operation: 'upsert', params: ['k'] } }), 'a');
    await duck.conn.run('CREATE OR REPLACE TABLE none AS SELECT * FROM a WHERE false');
    const r = await writeTable(duck.conn, deltaDestination(t, { write_mode: { operation: 'upsert', params: ['k'] } }), 'none');
    assert.equal(r.version, null);
    assert.deepEqual(await versions(t), [0]);
  });
});

describe('tables this executor must not write', () => {
  test('deletion vectors and column mapping are refused for writing, naming the feature', async () => {
    await stage('2023-05-01');
    await duck.conn.run('CREATE OR REPLACE TABLE one AS SELECT 1::BIGINT AS value');
    const dv = await copyTable('table-with-dv-small');
    await assert.rejects(writeTable(duck.conn, deltaDestination(dv), 'one'), code('AQ_DELTA_UNSUPPORTED', /table-with-dv-small at version 1: unsupported reader features: deletionVectors/));
    const cm = await copyTable('table_with_column_mapping');
    await assert.rejects(writeTable(duck.conn, deltaDestination(cm), 'one'), code('AQ_DELTA_UNSUPPORTED', /column mapping \(mode=name\)/));
    assert.deepEqual(await versions(dv), [0, 1]);
  });

  test('append-only tables take appends but refuse replaces', async () => {
    const t = path.join(await tempDir(), 'ao');
    await stage('2023-05-01');
    await writeTable(duck.conn, { ...upstream(t, { operation: 'append' }), table_properties: { 'delta.appendOnly': 'true' } }, 'result');
    await writeTable(duck.conn, upstream(t, { operation: 'append' }), 'result');
    await assert.rejects(writeTable(duck.conn, upstream(t, { operation: 'replace', params: [{ column: 'date', value: '2023-05-01' }] }), 'result'), code('AQ_DELTA_UNSUPPORTED', /append-only/));
    assert.deepEqual(await versions(t), [0, 1]);
  });

  test('partition columns that differ from the table\'s are refused', async () => {
    const t = path.join(await tempDir(), 'pc');
    await stage('2023-05-01');
    await writeTable(duck.conn, upstream(t, { operation: 'append' }), 'result');
    await assert.rejects(writeTable(duck.conn, { ...upstream(t, { operation: 'append' }), partition_columns: ['country'] }, 'result'), code('AQ_DESTINATION_FAILED', /partition_columns \[country\] do not match the table's partition columns \[date\]/));
  });
});

describe('checkpoints', () => {
  test('every delta.checkpointInterval versions, with _last_checkpoint; readers use it', async () => {
    const t = path.join(await tempDir(), 'cp');
    await duck.conn.run('CREATE OR REPLACE TABLE n AS SELECT 1 AS x');
    const dest = deltaDestination(t, { table_properties: { 'delta.checkpointInterval': '3' } });
    for (let i = 0; i < 7; i++) await writeTable(duck.conn, dest, 'n');
    const log = await readdir(path.join(t, '_delta_log'));
    assert.ok(log.includes('00000000000000000003.checkpoint.parquet'));
    assert.ok(log.includes('00000000000000000006.checkpoint.parquet'));
    assert.deepEqual(JSON.parse(await readFile(path.join(t, '_delta_log', '_last_checkpoint'), 'utf8')), { version: 6, size: 9, sizeInBytes: JSON.parse(await readFile(path.join(t, '_delta_log', '_last_checkpoint'), 'utf8')).sizeInBytes, numOfAddFiles: 7 });
    await validate(t);
    // With the commits before it gone, the checkpoint alone gives the state.
    for (let v = 0; v <= 6; v++) await unlink(path.join(t, '_delta_log', commitName(v)));
    assert.deepEqual(await readColumn(duck.conn, t, 'x'), [1, 1, 1, 1, 1, 1, 1]);
    await writeTable(duck.conn, dest, 'n');
    assert.equal((await readColumn(duck.conn, t, 'x')).length, 8);
  });
});
