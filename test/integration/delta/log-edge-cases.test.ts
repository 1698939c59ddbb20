/**
 * The log when it is not tidy: `_last_checkpoint` stale, missing or corrupt; multi-part
 * checkpoints (complete or not); commits missing in the middle or cleaned up at the start; a
 * checkpoint newer than the requested version; in-commit timestamps; a commit that is not JSON.
 * Each case runs on a temporary copy of a fixture table.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ExecutorError } from '../../../src/core/errors.js';
import { commitName, copyTable, openDuck, readColumn, readRows, setCommitTimes, tempDir, type Duck } from '../../support/delta.js';

let duck: Duck;
before(async () => {
  duck = await openDuck();
});
after(() => duck.close());

const log = (table: string, name: string) => path.join(table, '_delta_log', name);
const ALL = [0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const CHECKPOINT = '00000000000000000010.checkpoint.parquet';

function code(c: string, ...patterns: RegExp[]) {
  return (e: unknown) => {
    assert.ok(e instanceof ExecutorError, String(e));
    assert.equal(e.code, c, e.message);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  };
}

describe('_last_checkpoint is only a hint', () => {
  for (const [what, content] of [
    ['corrupt', '{"version": 10, "size'],
    ['stale (an older version)', '{"version":3,"size":4}'],
    ['pointing at a checkpoint that does not exist', '{"version":7,"size":8}'],
    ['pointing past the end of the log', '{"version":4000,"size":8}'],
  ] as const) {
    test(`${what}: the latest version is still read correctly`, async () => {
      const table = await copyTable('simple_table_with_checkpoint');
      await writeFile(log(table, '_last_checkpoint'), content);
      assert.deepEqual(await readColumn(duck.conn, table, 'version'), ALL);
    });
  }

  test('missing: the checkpoint is found by listing', async () => {
    const table = await copyTable('simple_table_with_checkpoint');
    await unlink(log(table, '_last_checkpoint'));
    // Without the JSON commits before it, only the checkpoint can give version 10.
    for (let v = 0; v <= 9; v++) await unlink(log(table, commitName(v)));
    assert.deepEqual(await readColumn(duck.conn, table, 'version'), ALL);
  });
});

describe('checkpoints', () => {
  test('the checkpoint is used: version 10 reads with commits 0..9 cleaned up', async () => {
    const table = await copyTable('simple_table_with_checkpoint');
    for (let v = 0; v <= 9; v++) await unlink(log(table, commitName(v)));
    assert.deepEqual(await readColumn(duck.conn, table, 'version'), ALL);
  });

  test('a checkpoint newer than the requested version is never used', async () => {
    const table = await copyTable('simple_table_with_checkpoint');
    // A checkpoint that claims the wrong state at 10 would not matter for version 5.
    assert.deepEqual(await readColumn(duck.conn, table, 'version', { version: 5 }), [0, 1, 2, 3, 4, 5]);
  });

  test('a multi-part checkpoint is read when all its parts are there, ignored otherwise', async () => {
    const table = await copyTable('simple_table_with_checkpoint');
    const classic = log(table, CHECKPOINT);
    const q = (p: string) => `'${p}'`;
    // Split the classic checkpoint into two parts with DuckDB, then remove it and the commits it covers.
    await duck.conn.run(`COPY (SELECT * FROM read_parquet(${q(classic)}) LIMIT 6) TO ${q(log(table, '00000000000000000010.checkpoint.0000000001.0000000002.parquet'))} (FORMAT parquet)`);
    await duck.conn.run(`COPY (SELECT * FROM read_parquet(${q(classic)}) OFFSET 6) TO ${q(log(table, '00000000000000000010.checkpoint.0000000002.0000000002.parquet'))} (FORMAT parquet)`);
    await unlink(classic);
    for (let v = 0; v <= 9; v++) await unlink(log(table, commitName(v)));
    assert.deepEqual(await readColumn(duck.conn, table, 'version'), ALL);
    // One part gone: the checkpoint is incomplete and there are no commits to replay instead.
    await unlink(log(table, '00000000000000000010.checkpoint.0000000002.0000000002.parquet'));
    await assert.rejects(readColumn(duck.conn, table, 'version'), code('AQ_DELTA_VERSION_NOT_AVAILABLE', /version 10 not available/));
  });

  test('an incomplete multi-part checkpoint next to the JSON commits: the commits are replayed', async () => {
    const table = await copyTable('simple_table_with_checkpoint');
    await duck.conn.run(`COPY (SELECT * FROM read_parquet('${log(table, CHECKPOINT)}') LIMIT 2) TO '${log(table, '00000000000000000010.checkpoint.0000000001.0000000003.parquet')}' (FORMAT parquet)`);
    await unlink(log(table, CHECKPOINT));
    assert.deepEqual(await readColumn(duck.conn, table, 'version'), ALL);
  });
});

describe('versions that are not all there', () => {
  test('a missing commit in the middle: versions are not contiguous, for the latest and any version after the gap', async () => {
    const table = await copyTable('simple_table');
    await unlink(log(table, commitName(2)));
    await assert.rejects(readColumn(duck.conn, table, 'id'), code('AQ_DELTA_VERSION_NOT_AVAILABLE', /simple_table at version 4/, /versions are not contiguous: commit 00000000000000000002\.json is missing/));
    await assert.rejects(readColumn(duck.conn, table, 'id', { version: 3 }), code('AQ_DELTA_VERSION_NOT_AVAILABLE', /versions are not contiguous/));
    // Before the gap the table is intact.
    assert.deepEqual(await readColumn(duck.conn, table, 'id', { version: 1 }), Array.from({ length: 20 }, (_, i) => i));
  });

  test('commits cleaned up before a checkpoint: older versions are not available, later ones are', async () => {
    const table = await copyTable('simple_table_with_checkpoint');
    for (let v = 0; v <= 4; v++) await unlink(log(table, commitName(v)));
    await assert.rejects(readColumn(duck.conn, table, 'version', { version: 3 }), code('AQ_DELTA_VERSION_NOT_AVAILABLE', /version 3 not available: the log starts at version 5/));
    await assert.rejects(readColumn(duck.conn, table, 'version', { version: 7 }), code('AQ_DELTA_VERSION_NOT_AVAILABLE', /version 7 not available/));
    assert.deepEqual(await readColumn(duck.conn, table, 'version'), ALL);
  });

  test('a commit that is not JSON is reported with its file and line', async () => {
    const table = await copyTable('simple_table');
    await writeFile(log(table, commitName(3)), '{"commitInfo":{}}\n{"add": {"path": broken');
    await assert.rejects(readColumn(duck.conn, table, 'id'), code('AQ_DELTA_INVALID_LOG', /simple_table at version 3/, /commit 00000000000000000003\.json line 2: not valid JSON/));
  });

  test('no table at the location', async () => {
    const table = await copyTable('simple_table');
    await rm(path.join(table, '_delta_log'), { recursive: true });
    await assert.rejects(readColumn(duck.conn, table, 'id'), code('AQ_DELTA_INVALID_LOG', /there is no Delta table here/));
  });
});

describe('data files as other writers leave them', () => {
  test('each version read with its own schema; files from before a column was added read it as NULL; naive timestamps are UTC instants', async () => {
    const table = path.join(await tempDir(), 'evolved');
    await mkdir(path.join(table, '_delta_log'), { recursive: true });
    // Like Spark's INT96 columns, a timestamp written without isAdjustedToUTC reads as a naive TIMESTAMP.
    await duck.conn.run(`COPY (SELECT 1::BIGINT AS a, TIMESTAMP '2021-09-08 11:11:11' AS ts, 'ignored' AS extra) TO '${path.join(table, 'f0.parquet')}' (FORMAT parquet)`);
    await duck.conn.run(`COPY (SELECT 2::INTEGER AS a, TIMESTAMPTZ '2021-09-09 00:00:00+00' AS ts, 'two' AS b) TO '${path.join(table, 'f1.parquet')}' (FORMAT parquet)`);
    const size = async (f: string) => (await stat(path.join(table, f))).size;
    const schema = (fields: Array<[string, string]>) => JSON.stringify({ type: 'struct', fields: fields.map(([name, type]) => ({ name, type, nullable: true, metadata: {} })) });
    const meta = (fields: Array<[string, string]>) => JSON.stringify({ metaData: { id: 'e', format: { provider: 'parquet', options: {} }, schemaString: schema(fields), partitionColumns: [], configuration: {}, createdTime: 1 } });
    const addLine = async (f: string) => JSON.stringify({ add: { path: f, partitionValues: {}, size: await size(f), modificationTime: 1, dataChange: true } });
    await writeFile(log(table, commitName(0)), ['{"commitInfo":{}}', '{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}', meta([['a', 'long'], ['ts', 'timestamp']]), await addLine('f0.parquet')].join('\n'));
    await writeFile(log(table, commitName(1)), ['{"commitInfo":{}}', meta([['a', 'long'], ['ts', 'timestamp'], ['b', 'string']]), await addLine('f1.parquet')].join('\n'));
    const v0 = await readRows(duck.conn, table, { version: 0 }, "*, typeof(ts) AS t", 'a');
    assert.deepEqual(v0.map((r) => ({ ...r, a: Number(r.a), ts: (r.ts as Date).toISOString() })), [{ a: 1, ts: '2021-09-08T11:11:11.000Z', t: 'TIMESTAMP WITH TIME ZONE' }]);
    const v1 = await readRows(duck.conn, table, {}, "a, strftime(ts, '%Y-%m-%dT%H:%M:%S') AS ts, b, typeof(a) AS t", 'a');
    assert.deepEqual(v1.map((r) => ({ ...r, a: Number(r.a) })), [
      { a: 1, ts: '2021-09-08T11:11:11', b: null, t: 'BIGINT' },
      { a: 2, ts: '2021-09-09T00:00:00', b: 'two', t: 'BIGINT' },
    ]);
  });
});

describe('in-commit timestamps', () => {
  test('when commits carry inCommitTimestamp, time travel uses it, not the file times', async () => {
    const table = await copyTable('simple_table');
    const ict = [1000, 2000, 3000, 4000, 5000].map((s) => Date.parse('2024-01-01T00:00:00Z') + s * 1000);
    for (let v = 0; v <= 4; v++) {
      const file = log(table, commitName(v));
      const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l !== '');
      const info = lines.findIndex((l) => l.startsWith('{"commitInfo"'));
      const parsed = JSON.parse(lines[info]!) as { commitInfo: Record<string, unknown> };
      parsed.commitInfo.inCommitTimestamp = ict[v];
      lines.splice(info, 1);
      await writeFile(file, [JSON.stringify(parsed), ...lines].join('\n'));
    }
    // File times all equal and far from the in-commit timestamps.
    await setCommitTimes(table, [0, 0, 0, 0, 0].map(() => Date.parse('2030-06-01T00:00:00Z')));
    assert.deepEqual(await readColumn(duck.conn, table, 'id', { timestamp: new Date(ict[2]! + 500).toISOString() }), [5, 6, 7, 8, 9]);
    assert.deepEqual(await readColumn(duck.conn, table, 'id', { timestamp: new Date(ict[3]!).toISOString() }), [5, 7, 9, 106, 108]);
    await assert.rejects(readColumn(duck.conn, table, 'id', { timestamp: '2024-01-01T00:00:00Z' }), code('AQ_DELTA_VERSION_NOT_AVAILABLE', /before the earliest available commit \(version 0, committed at 2024-01-01T00:16:40\.000Z\)/));
  });
});
