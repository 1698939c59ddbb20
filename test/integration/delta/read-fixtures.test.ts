/**
 * Reading the fixture tables (test/fixtures/delta, expected values in its README) at every
 * version and at the README's timestamps; the two tables that need unimplemented features are
 * refused with an error naming the table, the version and the feature.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ExecutorError } from '../../../src/core/errors.js';
import { copyTable, DELTA_FIXTURES, openDuck, readColumn, readRows, setCommitTimes, type Duck } from '../../support/delta.js';

let duck: Duck;
before(async () => {
  duck = await openDuck();
});
after(() => duck.close());

const fixture = (name: string) => path.join(DELTA_FIXTURES, name);

function rejectsWith(code: string, ...patterns: RegExp[]) {
  return (e: unknown) => {
    assert.ok(e instanceof ExecutorError, `expected an ExecutorError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  };
}

describe('simple_table', () => {
  const expected: Record<number, number[]> = {
    0: [0, 1, 2, 3, 4],
    1: Array.from({ length: 20 }, (_, i) => i),
    2: [5, 6, 7, 8, 9],
    3: [5, 7, 9, 106, 108],
    4: [5, 7, 9],
  };

  test('every version by number, and the latest (the stray .tmp/ commit is not a version)', async () => {
    for (const [v, ids] of Object.entries(expected)) {
      assert.deepEqual(await readColumn(duck.conn, fixture('simple_table'), 'id', { version: Number(v) }), ids, `version ${v}`);
    }
    assert.deepEqual(await readColumn(duck.conn, fixture('simple_table'), 'id'), expected[4]);
  });

  test('reads exactly the snapshot\'s files, and only those are allowed to DuckDB', async () => {
    const allowed: string[] = [];
    await readRows(duck.conn, fixture('simple_table'), { allowed });
    const names = allowed.map((p) => path.basename(p)).sort();
    assert.deepEqual(names, [
      'part-00000-2befed33-c358-4768-a43c-3eda0d2a499d-c000.snappy.parquet',
      'part-00000-c1777d7d-89d9-4790-b38a-6ee7e24456b1-c000.snappy.parquet',
      'part-00001-7891c33d-cedc-47c3-88a6-abcfb049d3b4-c000.snappy.parquet',
      'part-00004-315835fe-fb44-4562-98f6-5e6cfa3ae45d-c000.snappy.parquet',
      'part-00007-3a0e4727-de0d-41b6-81ef-5223cf40f025-c000.snappy.parquet',
    ]);
  });

  test('a version after the latest is not available', async () => {
    await assert.rejects(readRows(duck.conn, fixture('simple_table'), { version: 5 }), rejectsWith('AQ_DELTA_VERSION_NOT_AVAILABLE', /simple_table/, /version 5 not available: the latest version is 4/));
  });

  test('timestamps: the latest commit whose file was modified at or before the timestamp', async () => {
    const table = await copyTable('simple_table');
    await setCommitTimes(table, [1587968586154, 1587968596254, 1587968604143, 1587968614187, 1587968626537]);
    const at = async (timestamp: string) => readColumn(duck.conn, table, 'id', { timestamp });
    assert.deepEqual(await at('2020-04-27T06:23:06.154Z'), expected[0]);
    assert.deepEqual(await at('2020-04-27T06:23:10Z'), expected[0]);
    assert.deepEqual(await at('2020-04-27T06:23:16.254Z'), expected[1]);
    assert.deepEqual(await at('2020-04-27T08:23:30+02:00'), expected[2]);
    assert.deepEqual(await at('2020-04-27T06:23:46.536Z'), expected[3]);
    assert.deepEqual(await at('2020-04-27T06:23:46.537Z'), expected[4]);
    assert.deepEqual(await at('2030-01-01T00:00:00Z'), expected[4]);
  });

  test('a timestamp before the first commit is an error naming the earliest commit and its time', async () => {
    const table = await copyTable('simple_table');
    await setCommitTimes(table, [1587968586154, 1587968596254, 1587968604143, 1587968614187, 1587968626537]);
    await assert.rejects(
      readRows(duck.conn, table, { timestamp: '2020-04-27T06:00:00Z' }),
      rejectsWith('AQ_DELTA_VERSION_NOT_AVAILABLE', /timestamp 2020-04-27T06:00:00Z is before the earliest available commit \(version 0, committed at 2020-04-27T06:23:06\.154Z\)/),
    );
  });
});

describe('simple_table_with_checkpoint', () => {
  test('every version: before the checkpoint from JSON only, at 10 from the checkpoint', async () => {
    for (let v = 0; v <= 9; v++) {
      assert.deepEqual(await readColumn(duck.conn, fixture('simple_table_with_checkpoint'), 'version', { version: v }), Array.from({ length: v + 1 }, (_, i) => i), `version ${v}`);
    }
    assert.deepEqual(await readColumn(duck.conn, fixture('simple_table_with_checkpoint'), 'version'), [0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('timestamps', async () => {
    const table = await copyTable('simple_table_with_checkpoint');
    const base = Date.parse('2021-03-14T19:54:59.523Z');
    // Each commit's file time set to its commitInfo timestamp, as the README's expectations assume.
    const times: number[] = [];
    for (let v = 0; v <= 10; v++) {
      const text = await readFile(path.join(table, '_delta_log', `${String(v).padStart(20, '0')}.json`), 'utf8');
      const line = text.split('\n').find((l) => l.startsWith('{"commitInfo"'))!;
      times.push((JSON.parse(line) as { commitInfo: { timestamp: number } }).commitInfo.timestamp);
    }
    assert.equal(times[0], base);
    await setCommitTimes(table, times);
    assert.equal((await readColumn(duck.conn, table, 'version', { timestamp: '2021-03-14T19:55:05Z' })).length, 7);
    assert.equal((await readColumn(duck.conn, table, 'version', { timestamp: '2021-03-14T19:55:10Z' })).length, 10);
    assert.equal((await readColumn(duck.conn, table, 'version', { timestamp: '2021-03-14T19:55:16.705Z' })).length, 11);
  });
});

describe('data-reader-partition-values', () => {
  test('12 partition types, nulls, the literal "null", percent-encoded paths, nested columns', async () => {
    const rows = await readRows(
      duck.conn, fixture('data-reader-partition-values'), {},
      `value, as_int, as_long, as_byte, as_short, as_boolean, as_float, as_double, as_string, as_string_lit_null,
       CAST(as_date AS VARCHAR) AS as_date, strftime(as_timestamp, '%Y-%m-%dT%H:%M:%SZ') AS as_timestamp,
       CAST(as_big_decimal AS VARCHAR) AS as_big_decimal, to_json(as_list_of_records) AS list, to_json(as_nested_struct) AS nested,
       typeof(as_timestamp) AS ts_type, typeof(as_big_decimal) AS dec_type, typeof(as_long) AS long_type`,
      'value',
    );
    assert.equal(rows.length, 3);
    const [r0, r1, r2] = rows as Array<Record<string, unknown>>;
    assert.deepEqual(
      { ...r0, as_long: Number(r0!.as_long) },
      {
        value: '0', as_int: 0, as_long: 0, as_byte: 0, as_short: 0, as_boolean: true, as_float: 0, as_double: 0, as_string: '0', as_string_lit_null: 'null',
        as_date: '2021-09-08', as_timestamp: '2021-09-08T11:11:11Z', as_big_decimal: '0',
        list: '[{"val":0},{"val":0},{"val":0}]', nested: '{"aa":"0","ab":"0","ac":{"aca":0,"acb":0}}',
        ts_type: 'TIMESTAMP WITH TIME ZONE', dec_type: 'DECIMAL(1,0)', long_type: 'BIGINT',
      },
    );
    assert.equal(r1!.as_boolean, false);
    assert.equal(r1!.as_string_lit_null, 'null');
    assert.equal(r1!.as_big_decimal, '1');
    for (const c of ['as_int', 'as_long', 'as_byte', 'as_short', 'as_boolean', 'as_float', 'as_double', 'as_string', 'as_string_lit_null', 'as_date', 'as_timestamp', 'as_big_decimal']) {
      assert.equal(r2![c], null, `${c} of the all-null partition`);
    }
    assert.equal(r2!.nested, '{"aa":"2","ab":"2","ac":{"aca":2,"acb":2}}');
  });
});

describe('python-0.25.5-checkpoint (written by delta-rs)', () => {
  test('v0 from its checkpoint, v1 from the JSON after it', async () => {
    assert.deepEqual(await readColumn(duck.conn, fixture('python-0.25.5-checkpoint'), 'x', { version: 0 }), [1, 2, 3]);
    assert.deepEqual(await readColumn(duck.conn, fixture('python-0.25.5-checkpoint'), 'x'), [1, 1, 2, 2, 3, 3]);
  });
});

describe('tables that need unimplemented features are refused', () => {
  test('table-with-dv-small: deletion vectors, at every version', async () => {
    for (const version of [0, 1, null]) {
      await assert.rejects(
        readRows(duck.conn, fixture('table-with-dv-small'), { version }),
        rejectsWith('AQ_DELTA_UNSUPPORTED', /table-with-dv-small at version [01]/, /unsupported reader features: deletionVectors/),
      );
    }
  });

  test('table_with_column_mapping: column mapping (mode=name)', async () => {
    await assert.rejects(
      readRows(duck.conn, fixture('table_with_column_mapping')),
      rejectsWith('AQ_DELTA_UNSUPPORTED', /table_with_column_mapping at version 0/, /column mapping \(mode=name\) is not supported/),
    );
  });
});
