/**
 * Concurrent writers and cancelled writes on local disk:
 *
 * - two OS processes appending to one table at the same time, repeatedly: every append lands,
 *   each at its own version, and the log stays valid (the table's creation is raced too);
 * - a commit that loses to a conflicting one (another writer appended into the partition a replace
 *   replaces) is planned again on the new version, or, when that keeps happening, fails cleanly:
 *   no commit, none of its files left;
 * - a losing append that does not conflict is simply committed at the next version;
 * - a write cancelled before its commit leaves the previous version as the latest and none of
 *   its files; a DuckDB statement running when the run is cancelled is interrupted.
 *
 * The deterministic cases use the writer's `run` hook (every DuckDB statement of a write passes
 * through it) to make the other writer commit, or the run be cancelled, at a chosen moment.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { readdir, readFile } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { ExecutorError } from '../../../src/core/errors.js';
import { planDeltaDestination, type DeltaDestination } from '../../../src/delta/destination.js';
import { LocalFiles } from '../../../src/delta/io.js';
import type { WriteEnv } from '../../../src/delta/write/plan.js';
import { MAX_PLAN_ATTEMPTS, writeDelta } from '../../../src/delta/write/writer.js';
import { interruptible } from '../../../src/engine/session.js';
import { checkDeltaLog } from '../../support/delta-log-check.js';
import { deltaDestination, filesBelow, openDuck, readRows, tempDir, writeTable, type Duck } from '../../support/delta.js';
import { REPO } from '../../support/paths.js';

let duck: Duck;
let other: Duck;
before(async () => {
  duck = await openDuck();
  other = await openDuck();
});
after(() => {
  duck.close();
  other.close();
});

interface WorkerResult {
  worker: string;
  versions: number[];
  retries: string[];
  error?: string;
}

function runWorker(location: string, worker: string, appends: number, startAt: number): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'test/support/delta-append-worker.ts'), location, worker, String(appends), String(startAt)], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.once('error', reject);
    child.once('exit', () => {
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!) as WorkerResult);
      } catch {
        reject(new Error(`worker ${worker} printed no result: ${out}${err}`));
      }
    });
  });
}

const parquetFiles = async (table: string) => (await filesBelow(table)).filter((f) => f.endsWith('.parquet') && !f.startsWith('_delta_log/'));
const commits = async (table: string) => (await readdir(path.join(table, '_delta_log'))).filter((n) => /^\d{20}\.json$/.test(n)).length;

describe('two processes appending at the same time', () => {
  test('every append of both lands, at distinct versions; the log is valid', { timeout: 240_000 }, async (t) => {
    let lost = 0;
    for (let round = 0; round < 3; round++) {
      const table = path.join(await tempDir(), 'race');
      const appends = 6;
      const startAt = Date.now() + 2500;
      const [a, b] = await Promise.all([runWorker(`file://${table}`, 'a', appends, startAt), runWorker(`file://${table}`, 'b', appends, startAt)]);
      assert.equal(a.error, undefined, a.error);
      assert.equal(b.error, undefined, b.error);
      const all = [...a.versions, ...b.versions].sort((x, y) => x - y);
      assert.deepEqual(all, Array.from({ length: 2 * appends }, (_, i) => i), `round ${round}: versions of a ${a.versions}, of b ${b.versions}`);
      const rows = await readRows(duck.conn, table, {}, 'worker, n, i', 'worker, n, i');
      const expected = ['a', 'b'].flatMap((w) => Array.from({ length: appends }, (_, n) => Array.from({ length: 5 }, (_, i) => ({ worker: w, n, i: Number(i) }))).flat());
      assert.deepEqual(rows.map((r) => ({ worker: r.worker, n: r.n, i: Number(r.i) })), expected);
      assert.deepEqual(await checkDeltaLog(duck.conn, table), []);
      lost += a.retries.length + b.retries.length;
    }
    t.diagnostic(`races lost and retried over the rounds: ${lost}`);
  });
});

/**
 * A WriteEnv like the destination's, whose `run` hook calls `before(n)` ahead of the n-th DuckDB
 * statement of the write (1: reading the rows' columns; then the operation's statements, after
 * the snapshot was read) and `after(n)` once it finished.
 */
function hookedEnv(
  conn: DuckDBConnection, dest: DeltaDestination, spillDir: string, signal: AbortSignal,
  before: (n: number) => Promise<void> | void, reports: string[], after: (n: number) => void = () => {},
): WriteEnv {
  const plan = planDeltaDestination({ spillDir, allowFile: () => {}, allowDirectory: () => {} }, dest, 'hooked');
  let n = 0;
  const report = (level: string, m: string) => reports.push(`${level}: ${m}`);
  return {
    conn,
    loc: plan.location,
    stagingRoot: plan.location.localDir!,
    signal,
    run: async (work) => {
      const i = ++n;
      await before(i);
      const result = await interruptible(conn, signal, work);
      after(i);
      return result;
    },
    report,
    subject: 'destination "out"',
    files: new LocalFiles(plan.location, plan.workDir, report),
  };
}

async function partitionedTable(): Promise<string> {
  const table = path.join(await tempDir(), 'conflicts');
  await duck.conn.run("CREATE OR REPLACE TABLE seed AS SELECT * FROM (VALUES ('x', 1), ('y', 2)) v(p, v)");
  await writeTable(duck.conn, deltaDestination(table, { partition_columns: ['p'] }), 'seed');
  await other.conn.run("CREATE OR REPLACE TABLE intruder AS SELECT 'x' AS p, 99 AS v");
  return table;
}

describe('losing the race for a version', () => {
  test('a replace that lost to a conflicting append is planned again on the new version', async () => {
    const table = await partitionedTable();
    await duck.conn.run("CREATE OR REPLACE TABLE repl AS SELECT 'x' AS p, 10 AS v");
    const dest = deltaDestination(table, { partition_columns: ['p'], write_mode: { operation: 'replace', params: [{ column: 'p', value: 'x' }] } });
    const reports: string[] = [];
    const env = hookedEnv(duck.conn, dest, await tempDir(), new AbortController().signal, async (n) => {
      // Another writer appends into partition x after this write read version 0 (statement 2 is its first of the replace).
      if (n === 2) await writeTable(other.conn, deltaDestination(table, { partition_columns: ['p'] }), 'intruder');
    }, reports);
    const r = await writeDelta(env, dest, 'repl', 'atomic');
    assert.equal(r.version, 2);
    assert.ok(reports.some((m) => /concurrent commit conflicts with this write \(version 1 added file .*which may hold rows this write replaces\); planning again/.test(m)), reports.join('\n'));
    // The replace saw the intruder's row the second time, and replaced it too.
    assert.deepEqual(await readRows(duck.conn, table, {}, 'p, v', 'p, v'), [{ p: 'x', v: 10 }, { p: 'y', v: 2 }]);
    assert.deepEqual(await checkDeltaLog(duck.conn, table), []);
  });

  test('a replace that keeps losing fails cleanly: no commit, none of its files', async () => {
    const table = await partitionedTable();
    await duck.conn.run("CREATE OR REPLACE TABLE repl AS SELECT 'x' AS p, 10 AS v");
    const dest = deltaDestination(table, { partition_columns: ['p'], write_mode: { operation: 'replace', params: [{ column: 'p', value: 'x' }] } });
    const reports: string[] = [];
    let injections = 0;
    const env = hookedEnv(duck.conn, dest, await tempDir(), new AbortController().signal, async (n) => {
      // In every planning (the attempts are counted by their "planning again" warnings), after the snapshot was read: another append lands.
      const attempt = 1 + reports.filter((m) => m.includes('planning again')).length;
      if (n > 1 && injections < attempt) {
        injections++;
        await writeTable(other.conn, deltaDestination(table, { partition_columns: ['p'] }), 'intruder');
      }
    }, reports);
    await assert.rejects(writeDelta(env, dest, 'repl', 'atomic'), (e: unknown) => {
      assert.ok(e instanceof ExecutorError);
      assert.equal(e.code, 'AQ_DELTA_COMMIT_CONFLICT');
      assert.match(e.message, new RegExp(`gave up after ${MAX_PLAN_ATTEMPTS} attempts, nothing was committed`));
      return true;
    });
    const rows = await readRows(duck.conn, table, {}, 'p, v', 'p, v');
    assert.ok(rows.every((r) => r.v !== 10), 'no row of the replace is in the table');
    const logged = new Set<string>();
    for (const name of (await readdir(path.join(table, '_delta_log'))).filter((x) => x.endsWith('.json'))) {
      for (const line of (await readFile(path.join(table, '_delta_log', name), 'utf8')).split('\n')) {
        if (line.startsWith('{"add"')) logged.add(decodeURIComponent((JSON.parse(line) as { add: { path: string } }).add.path));
      }
    }
    assert.deepEqual(await parquetFiles(table), [...logged].sort(), 'every data file on disk is in the log');
    assert.deepEqual(await checkDeltaLog(duck.conn, table), []);
  });

  test('an append that lost to another append is committed at the next version, without planning again', async () => {
    const table = await partitionedTable();
    await duck.conn.run("CREATE OR REPLACE TABLE app AS SELECT 'x' AS p, 5 AS v");
    const dest = deltaDestination(table, { partition_columns: ['p'] });
    const reports: string[] = [];
    const env = hookedEnv(duck.conn, dest, await tempDir(), new AbortController().signal, async (n) => {
      if (n === 2) await writeTable(other.conn, deltaDestination(table, { partition_columns: ['p'] }), 'intruder');
    }, reports);
    const r = await writeDelta(env, dest, 'app', 'atomic');
    assert.equal(r.version, 2);
    assert.deepEqual(reports.filter((m) => m.includes('planning again')), []);
    assert.deepEqual(await readRows(duck.conn, table, {}, 'p, v', 'p, v'), [{ p: 'x', v: 1 }, { p: 'x', v: 5 }, { p: 'x', v: 99 }, { p: 'y', v: 2 }]);
  });
});

describe('cancelled writes', () => {
  async function seeded(): Promise<{ table: string; before: string[] }> {
    const table = path.join(await tempDir(), 'cancel');
    await duck.conn.run("CREATE OR REPLACE TABLE small AS SELECT 1::BIGINT AS id, 'first' AS s");
    await writeTable(duck.conn, deltaDestination(table), 'small');
    await duck.conn.run("CREATE OR REPLACE TABLE more AS SELECT i AS id, 'more' AS s FROM range(1000) r(i)");
    return { table, before: await filesBelow(table) };
  }

  const cases: Array<[string, 'before' | 'after', number]> = [
    ['before reading the rows', 'before', 1],
    ['before the COPY of the data files', 'before', 2],
    ['after the COPY, before the statistics', 'before', 3],
    ['after the statistics: the data files are moved into the table, then the commit is not made', 'after', 3],
  ];
  for (const [what, when, at] of cases) {
    test(`cancelled ${what}: version 0 stays the latest, no file of the write is left`, async () => {
      const { table, before: files } = await seeded();
      const controller = new AbortController();
      const hit = (n: number) => {
        if (n === at) controller.abort();
      };
      const env = hookedEnv(duck.conn, deltaDestination(table), await tempDir(), controller.signal, when === 'before' ? hit : () => {}, [], when === 'after' ? hit : () => {});
      await assert.rejects(writeDelta(env, deltaDestination(table), 'more', 'atomic'), (e: unknown) => e instanceof ExecutorError && e.code === 'AQ_CANCELLED');
      assert.equal(await commits(table), 1);
      assert.deepEqual(await filesBelow(table), files);
      assert.deepEqual(await readRows(duck.conn, table, {}, 'CAST(id AS INTEGER) AS id, s'), [{ id: 1, s: 'first' }]);
    });
  }

  test('a partitioned write cancelled after its files were moved into the table leaves no file and no new partition directory', async () => {
    const table = path.join(await tempDir(), 'cancel-parted');
    await duck.conn.run("CREATE OR REPLACE TABLE seed AS SELECT 'a' AS p, 1 AS v");
    await writeTable(duck.conn, deltaDestination(table, { partition_columns: ['p'] }), 'seed');
    const before = (await readdir(table)).sort();
    await duck.conn.run("CREATE OR REPLACE TABLE more AS SELECT * FROM (VALUES ('b', 2), ('c', 3), ('a', 4)) v(p, v)");
    const controller = new AbortController();
    // Statements: 1 the rows' columns, 2-3 the partition table, 4 the COPY, 5 the statistics.
    const env = hookedEnv(duck.conn, deltaDestination(table, { partition_columns: ['p'] }), await tempDir(), controller.signal, () => {}, [], (n) => {
      if (n === 5) controller.abort();
    });
    await assert.rejects(writeDelta(env, deltaDestination(table, { partition_columns: ['p'] }), 'more', 'atomic'), (e: unknown) => e instanceof ExecutorError && e.code === 'AQ_CANCELLED');
    assert.deepEqual((await readdir(table)).sort(), before);
    assert.equal((await readdir(path.join(table, 'p=a'))).length, 1);
    assert.equal(await commits(table), 1);
  });

  test('a DuckDB statement running when the run is cancelled is interrupted, and nothing is committed', { timeout: 120_000 }, async () => {
    const { table, before: files } = await seeded();
    await duck.conn.run("CREATE OR REPLACE TABLE big AS SELECT i AS id, md5(i::VARCHAR) || md5((i * 7)::VARCHAR) AS s FROM range(6000000) r(i)");
    const controller = new AbortController();
    const env = hookedEnv(duck.conn, deltaDestination(table), await tempDir(), controller.signal, (n) => {
      // Statement 2 of an unpartitioned append is the COPY of the rows: cancel while it runs.
      if (n === 2) setTimeout(() => controller.abort(), 100);
    }, []);
    await assert.rejects(writeDelta(env, deltaDestination(table), 'big', 'atomic'), (e: unknown) => e instanceof ExecutorError && e.code === 'AQ_CANCELLED');
    assert.equal(await commits(table), 1);
    assert.deepEqual(await filesBelow(table), files);
  });

  test('through the entry point: an already cancelled run writes nothing', async () => {
    const { table, before: files } = await seeded();
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(writeTable(duck.conn, deltaDestination(table), 'more', { signal: controller.signal, check: false }), (e: unknown) => e instanceof ExecutorError && e.code === 'AQ_CANCELLED');
    assert.deepEqual(await filesBelow(table), files);
  });
});
