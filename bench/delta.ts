/**
 * Delta Lake benchmark: the project's Delta reader and writer (src/delta) against DuckDB reading
 * and writing the same rows as plain parquet, in the same run, on local disk:
 *
 * - append: `writeDeltaDestination` appending the rows (a table of the session, as a stage's
 *   result is) to an existing Delta table, against `COPY rows TO 'x.parquet'` (snappy, as the
 *   writer's files), and against `COPY` to a directory of files of at most 100 MB (what the
 *   writer's own `COPY` makes); the writer's statistics pass over its files is also timed alone;
 * - read:   `registerDeltaSource` (a view of the latest snapshot) and an aggregate over every row
 *   and column, against the same aggregate over `read_parquet([...])` of the same data files;
 * - a table of many small commits (a created table and `--commits` appends, a checkpoint every
 *   100 versions): the time of each append, and of loading its snapshot (at the latest version;
 *   at the version before it, from the previous checkpoint and the commits after it; with the
 *   checkpoints removed, from the commits alone).
 *
 * Figures are medians of `--repeat` rounds (`--read-repeat` for the reads, which are short); within a round the project's and DuckDB's
 * measurements alternate (their order reversed every other round), so they share the machine's
 * noise. The targets of the Delta issue are printed as met or not: reading ≤ 1.2× reading the
 * files, appending ≤ 1.2× writing a parquet file.
 *
 *   node --import tsx bench/delta.ts [--rows=10000000] [--repeat=5] [--read-repeat=15] [--commits=200] [--cache=<dir>]
 *
 * The dataset (`--rows` rows of 8 columns, deterministic) is generated once into the cache folder
 * (default `$XDG_CACHE_HOME/aqueducts-executor/bench-delta`, else `~/.cache/...`) and reused by
 * later runs; the tables are written in a temporary directory removed at the end.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { registerDeltaSource, planDeltaDestination, writeDeltaDestination, type DeltaDestination, type DeltaSource } from '../src/delta/index.js';
import { openDeltaLocation } from '../src/delta/location.js';
import { LocalFiles } from '../src/delta/io.js';
import { loadSnapshot } from '../src/delta/snapshot.js';
import { statsColumns, statsQuery } from '../src/delta/write/stats.js';

const args = process.argv.slice(2);
const flag = (name: string) => /^--[^=]+=(.*)$/.exec(args.find((a) => a.startsWith(`--${name}=`)) ?? '')?.[1];
const ROWS = Number(flag('rows') ?? process.env.BENCH_ROWS ?? 10_000_000);
const REPEAT = Number(flag('repeat') ?? 5);
/** Reads take about a second, so they get more rounds: their medians are steadier on a shared machine. */
const READ_REPEAT = Number(flag('read-repeat') ?? 15);
const COMMITS = Number(flag('commits') ?? 200);
const SMALL_ROWS = 1000;
const CACHE = flag('cache') ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'aqueducts-executor', 'bench-delta');
/** Bump when the generated rows change, so an old cache is not reused. */
const DATASET_VERSION = 2;
const TARGET = 1.2;

const never = new AbortController().signal;
const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
const secs = (t: number) => (t < 1 ? `${(t * 1000).toFixed(0)} ms` : `${t.toFixed(2)} s`);
const ms = (t: number) => `${(t * 1000).toFixed(1)} ms`;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Runs the steps `repeat` times, in rounds (the order reversed every other round, so neither side
 * always goes first), each step after its untimed `before`; returns every step's times.
 */
async function rounds<K extends string>(steps: Array<{ name: K; run: () => Promise<unknown>; before?: () => Promise<unknown> }>, repeat = REPEAT, quiet = false): Promise<Record<K, number[]>> {
  const times = Object.fromEntries(steps.map((s) => [s.name, [] as number[]])) as Record<K, number[]>;
  for (let round = 0; round < repeat; round++) {
    const order = round % 2 ? [...steps].reverse() : steps;
    for (const s of order) {
      await s.before?.();
      times[s.name].push(await timed(s.run));
    }
    if (!quiet) console.log(`  round ${round + 1}: ${steps.map((s) => `${s.name} ${secs(times[s.name][round]!)}`).join(', ')}`);
  }
  return times;
}

/** The rows: 8 columns of common types, a pure function of the row number. */
function datasetSelect(from: number, to: number): string {
  return `SELECT
    range AS id,
    md5(CAST(range AS VARCHAR)) AS key,
    'category-' || CAST(range * 7919 % 50 AS VARCHAR) AS category,
    CAST(CAST((range * 2654435761) % 10000000 AS DOUBLE) / 100 AS DECIMAL(12, 2)) AS amount,
    CAST(range * 31 % 1000 AS INTEGER) AS qty,
    CAST((range * 48271) % 2147483647 AS DOUBLE) / 2147483647 AS ratio,
    TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(range * 37 % 31536000) AS ts,
    DATE '2024-01-01' + CAST(range % 366 AS INTEGER) AS day
  FROM range(${from}, ${to})`;
}

/** The cached dataset (one parquet file), generated when missing. */
async function dataset(conn: DuckDBConnection): Promise<string> {
  const dir = path.join(CACHE, `v${DATASET_VERSION}-rows-${ROWS}`);
  const file = path.join(dir, 'rows.parquet');
  if (existsSync(file)) {
    console.log(`Dataset: ${file} (cached)`);
    return file;
  }
  await mkdir(dir, { recursive: true });
  const partial = path.join(dir, `rows.parquet.${process.pid}.tmp`);
  console.log(`Generating ${ROWS.toLocaleString('en-US')} rows into ${file} ...`);
  const t = await timed(() => conn.run(`COPY (${datasetSelect(0, ROWS)}) TO ${quote(partial)} (FORMAT parquet, COMPRESSION snappy)`));
  await rename(partial, file);
  console.log(`  generated in ${secs(t)}`);
  return file;
}

async function filesBelow(dir: string, filter: (rel: string) => boolean): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const full = path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
    if (filter(path.relative(dir, full))) out.push(full);
  }
  return out.sort();
}

async function sizeOf(files: string[]): Promise<number> {
  let n = 0;
  for (const f of files) n += (await stat(f)).size;
  return n;
}

const dataFilesOf = (table: string) => filesBelow(table, (rel) => !rel.startsWith('_delta_log') && rel.endsWith('.parquet'));

/** Writes `relation` to the Delta table at `table` (created when absent) with the project's writer. */
async function deltaWrite(conn: DuckDBConnection, work: string, table: string, relation: string, props: Record<string, string> = {}) {
  const destination: DeltaDestination = {
    type: 'delta', name: 'bench', location: `file://${table}`, write_mode: { operation: 'append' },
    storage_config: {}, partition_columns: [], table_properties: props, metadata: {}, schema: [],
  };
  const plan = planDeltaDestination({ spillDir: work, allowFile: () => {}, allowDirectory: () => {} }, destination, 'bench');
  return writeDeltaDestination({ conn, signal: never }, plan, relation);
}

let views = 0;

/** Registers the latest snapshot of `table` as a view with the project's reader; returns the view's name. */
async function deltaView(conn: DuckDBConnection, table: string): Promise<string> {
  const name = `delta_${++views}`;
  const source: DeltaSource = { type: 'delta', name, location: `file://${table}`, storage_config: {}, version: null, timestamp: null };
  await registerDeltaSource({ conn, allowFile: () => {}, allowDirectory: () => {} }, source);
  return name;
}

const AGGREGATE = (from: string) =>
  `SELECT count(*), sum(id), max(key), count(DISTINCT category), sum(amount), sum(qty), round(avg(ratio), 6), min(ts), max(ts), max(day) FROM ${from}`;

async function snapshotLoad(conn: DuckDBConnection, table: string, version: number | null): Promise<number> {
  const { location } = openDeltaLocation(`file://${table}`, {});
  const s = await loadSnapshot(location, { conn, signal: never, files: new LocalFiles(location, null) }, { version });
  return s.files.size;
}

function verdict(ratio: number): string {
  return ratio <= TARGET ? `met (≤ ${TARGET}×)` : `NOT met (> ${TARGET}×)`;
}

async function main(): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  await conn.run("SET TimeZone = 'UTC'");
  const threads = (await conn.runAndReadAll("SELECT current_setting('threads')")).getRowsJS()[0]![0];
  const work = await mkdtemp(path.join(os.tmpdir(), 'aq-bench-delta-'));
  try {
    console.log(`Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    console.log(`Node ${process.version}, DuckDB ${(await conn.runAndReadAll('SELECT version()')).getRowsJS()[0]![0]} with ${threads} threads; tables in ${work}\n`);
    const source = await dataset(conn);
    await conn.run(`CREATE TABLE rows AS SELECT * FROM read_parquet(${quote(source)})`);
    const sourceSize = (await stat(source)).size;
    console.log(`Rows: ${ROWS.toLocaleString('en-US')} (${mb(sourceSize)} of parquet), loaded into a table of the session as a stage's result is\n`);

    // ------------------------------------------------------------------ append
    const appendTable = (i: number) => path.join(work, `append-${i}`);
    const plainFile = (i: number) => path.join(work, `plain-${i}.parquet`);
    const plainDir = path.join(work, 'plain-files');
    let deltaRound = 0;
    let plainRound = 0;
    // Warm-up (untimed): the first COPY and the first Delta write pay one-off costs.
    await conn.run(`COPY (SELECT * FROM rows LIMIT 100000) TO ${quote(path.join(work, 'warm.parquet'))} (FORMAT parquet, COMPRESSION snappy)`);
    await conn.run('CREATE VIEW warm_rows AS SELECT * FROM rows LIMIT 100000');
    await deltaWrite(conn, work, path.join(work, 'warm'), 'warm_rows');
    await rm(path.join(work, 'warm'), { recursive: true, force: true });
    await rm(path.join(work, 'warm.parquet'), { force: true });
    await conn.run('CREATE VIEW no_rows AS SELECT * FROM rows LIMIT 0');

    console.log(`Append: ${REPEAT} rounds ...`);
    const append = await rounds([
      {
        name: 'delta',
        // An existing table (version 0 created without rows), so that the timed write is an append.
        before: async () => {
          if (deltaRound > 0) await rm(appendTable(deltaRound - 1), { recursive: true, force: true });
          await deltaWrite(conn, work, appendTable(deltaRound), 'no_rows');
        },
        run: async () => {
          const r = await deltaWrite(conn, work, appendTable(deltaRound++), 'rows');
          if (r.version !== 1 || r.rows !== ROWS) throw new Error(`unexpected append: ${JSON.stringify(r)}`);
        },
      },
      {
        name: 'parquet',
        before: () => rm(plainFile(plainRound - 1), { force: true }),
        run: () => conn.run(`COPY rows TO ${quote(plainFile(plainRound++))} (FORMAT parquet, COMPRESSION snappy)`),
      },
      {
        // The files the writer's own COPY makes (one per thread, at most 100 MB each), without the log.
        name: 'files',
        before: () => rm(plainDir, { recursive: true, force: true }),
        run: () => conn.run(`COPY rows TO ${quote(plainDir)} (FORMAT parquet, COMPRESSION snappy, FILE_SIZE_BYTES 104857600)`),
      },
    ]);
    const plainDirFiles = (await filesBelow(plainDir, (rel) => rel.endsWith('.parquet'))).length;
    await rm(plainDir, { recursive: true, force: true });
    const readTable = appendTable(deltaRound - 1);
    const deltaFiles = await dataFilesOf(readTable);
    const plainSize = (await stat(plainFile(plainRound - 1))).size;
    await rm(plainFile(plainRound - 1), { force: true });

    // ------------------------------------------------------------------ read
    const fileList = `[${deltaFiles.map(quote).join(', ')}]`;
    const expected = (await conn.runAndReadAll(AGGREGATE(`read_parquet(${fileList})`))).getRowsJS()[0]!.map(String);
    const registration: number[] = [];
    console.log(`Read: ${READ_REPEAT} rounds ...`);
    const read = await rounds([
      {
        name: 'delta',
        run: async () => {
          const t0 = performance.now();
          const view = await deltaView(conn, readTable);
          registration.push((performance.now() - t0) / 1000);
          const got = (await conn.runAndReadAll(AGGREGATE(`"${view}"`))).getRowsJS()[0]!.map(String);
          if (JSON.stringify(got) !== JSON.stringify(expected)) throw new Error(`the Delta read differs: ${got.join(', ')} vs ${expected.join(', ')}`);
          await conn.run(`DROP VIEW "${view}"`);
        },
      },
      { name: 'parquet', run: () => conn.runAndReadAll(AGGREGATE(`read_parquet(${fileList})`)) },
    ], READ_REPEAT);

    // The writer's second pass over the files it wrote (statistics for the log), timed alone.
    const { location } = openDeltaLocation(`file://${readTable}`, {});
    const snap = await loadSnapshot(location, { conn, signal: never, files: new LocalFiles(location, null) }, {});
    const statsSql = statsQuery(deltaFiles, statsColumns(snap.schema, snap.metadata.partitionColumns, snap.metadata.configuration), []);
    const statsPass = await rounds([{ name: 'stats', run: () => conn.runAndReadAll(statsSql) }], REPEAT, true);

    // ------------------------------------------------------------------ many small commits
    console.log(`Small commits: a table created, then ${COMMITS} appends of ${SMALL_ROWS.toLocaleString('en-US')} rows ...`);
    const small = path.join(work, 'small-commits');
    await conn.run(`CREATE TABLE small_batch AS SELECT * FROM rows LIMIT ${SMALL_ROWS}`);
    await deltaWrite(conn, work, small, 'no_rows');
    const appendTimes: number[] = [];
    const checkpointAppends: number[] = [];
    for (let i = 1; i <= COMMITS; i++) {
      const t = await timed(() => deltaWrite(conn, work, small, 'small_batch'));
      (i % 100 === 0 ? checkpointAppends : appendTimes).push(t);
    }
    const log = await readdir(path.join(small, '_delta_log'));
    const checkpoints = log.filter((n) => n.endsWith('.checkpoint.parquet')).map((n) => Number(n.slice(0, 20)));
    const noCheckpoints = path.join(work, 'small-commits-no-checkpoints');
    await mkdir(path.join(noCheckpoints, '_delta_log'), { recursive: true });
    for (const n of log) if (/^\d{20}\.json$/.test(n)) await cp(path.join(small, '_delta_log', n), path.join(noCheckpoints, '_delta_log', n));
    /** How a version is rebuilt: from the newest checkpoint at or before it, then the commits after it. */
    const replay = (v: number) => {
      const c = Math.max(-1, ...checkpoints.filter((x) => x <= v));
      return c < 0 ? `${v + 1} commits` : v > c ? `checkpoint ${c} + ${v - c} commits` : `checkpoint ${c}`;
    };
    const pastCheckpoint = Math.max(0, COMMITS - 1);
    const loads = await rounds([
      { name: 'latest', run: () => snapshotLoad(conn, small, null) },
      { name: 'past', run: () => snapshotLoad(conn, small, pastCheckpoint) },
      { name: 'none', run: () => snapshotLoad(conn, noCheckpoints, null) },
      {
        name: 'register',
        run: async () => {
          const v = await deltaView(conn, small);
          const n = Number((await conn.runAndReadAll(`SELECT count(*) FROM "${v}"`)).getRowsJS()[0]![0]);
          if (n !== COMMITS * SMALL_ROWS) throw new Error(`the small-commit table has ${n} rows`);
          await conn.run(`DROP VIEW "${v}"`);
        },
      },
    ]);

    // ------------------------------------------------------------------ report
    const a = { delta: median(append.delta), parquet: median(append.parquet), files: median(append.files) };
    const rf = a.delta / a.files;
    /** The median of each round's own ratio (the two sides of a round share its noise). */
    const paired = (xs: number[], ys: number[]) => `${median(xs.map((x, i) => x / ys[i]!)).toFixed(2)}×`;
    const r = { delta: median(read.delta), parquet: median(read.parquet) };
    const ra = a.delta / a.parquet;
    const rr = r.delta / r.parquet;
    const deltaSize = await sizeOf(deltaFiles);
    console.log(`\nMedians of ${REPEAT} rounds (appends, snapshot loads) and ${READ_REPEAT} rounds (reads); "ratio" is the ratio of the medians, "per round" the median of each round's own ratio.\n`);
    console.log(`| operation | DuckDB, plain parquet | this project, Delta | ratio | per round | target |`);
    console.log(`|---|---:|---:|---:|---:|---|`);
    console.log(`| append ${ROWS.toLocaleString('en-US')} rows | ${secs(a.parquet)} (\`COPY\` to one file, ${mb(plainSize)}) | ${secs(a.delta)} (${deltaFiles.length} data file${deltaFiles.length === 1 ? '' : 's'}, ${mb(deltaSize)}) | ${ra.toFixed(2)}× | ${paired(append.delta, append.parquet)} | ${verdict(ra)} |`);
    console.log(`| append, against the same kind of files (\`COPY\` to a directory, at most 100 MB a file, as the writer's own \`COPY\`) | ${secs(a.files)} (${plainDirFiles} file${plainDirFiles === 1 ? '' : 's'}) | ${secs(a.delta)} (of which the statistics pass over the written files, timed alone: ${secs(median(statsPass.stats))}) | ${rf.toFixed(2)}× | ${paired(append.delta, append.files)} | (no target) |`);
    console.log(`| read: aggregate over every row | ${secs(r.parquet)} (\`read_parquet\` of the same files) | ${secs(r.delta)} (of which registering the source: ${secs(median(registration))}) | ${rr.toFixed(2)}× | ${paired(read.delta, read.parquet)} | ${verdict(rr)} |`);
    console.log(`\n| table of ${COMMITS + 1} commits (${COMMITS} appends of ${SMALL_ROWS.toLocaleString('en-US')} rows; checkpoints at ${checkpoints.join(', ') || 'none'}) | time |`);
    console.log(`|---|---:|`);
    console.log(`| one append (median; ${appendTimes.length} appends) | ${ms(median(appendTimes))} |`);
    if (checkpointAppends.length) console.log(`| one append that also writes a checkpoint (median of ${checkpointAppends.length}) | ${ms(median(checkpointAppends))} |`);
    console.log(`| load the snapshot at the latest version, ${COMMITS} (${replay(COMMITS)}) | ${ms(median(loads.latest))} |`);
    console.log(`| load the snapshot at version ${pastCheckpoint} (${replay(pastCheckpoint)}) | ${ms(median(loads.past))} |`);
    console.log(`| load the snapshot at the latest version with the checkpoints removed (${COMMITS + 1} commits) | ${ms(median(loads.none))} |`);
    console.log(`| register the source and count its rows (latest version) | ${ms(median(loads.register))} |`);
    const hwm = /VmHWM:\s+(\d+) kB/.exec(await readFile('/proc/self/status', 'utf8').catch(() => ''))?.[1];
    if (hwm) console.log(`\nPeak memory of this process (VmHWM): ${(Number(hwm) / 1024).toFixed(0)} MiB.`);
    console.log(`\nAppend: ${verdict(ra).startsWith('met') ? 'target met' : 'target NOT met'} (${ra.toFixed(2)}× writing a parquet file). Read: ${verdict(rr).startsWith('met') ? 'target met' : 'target NOT met'} (${rr.toFixed(2)}× reading the files directly).`);
  } finally {
    conn.closeSync();
    instance.closeSync();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
