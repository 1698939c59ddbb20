/**
 * Whole pipeline runs: each workload's pipeline (bench/pipelines/*.yml) run by the `aqueducts`
 * CLI, against the same SQL on DuckDB alone and the same computation in Polars' lazy engine, each
 * as a whole process (start-up, reading, computing, writing and exit), in the same run:
 *
 *   a  CSV → filter, group by day and category → parquet
 *   b  parquet → group by customer with count(DISTINCT ...) → parquet
 *   c  parquet ⋈ customer dimension → a second stage that groups → parquet partitioned by region
 *   d  a stage read by two stages of the next group (run in parallel), combined by a last stage
 *   e  a stage with `show: 20` (stdout discarded), then written to parquet
 *
 * Within a round the three engines take turns (the order rotated every round), so they share the
 * machine's noise; figures are medians of `--rounds` rounds. Peak memory is each process's maximum
 * resident set (GNU time's %M when /usr/bin/time is installed, else VmHWM sampled every 10 ms).
 * The outputs of the three engines are checked once per run (row count and a checksum); a
 * difference is reported as an error. Then, when present, the executor's latency and start-up
 * benchmarks run as child processes.
 *
 *   node --import tsx bench/pipelines.ts [--rows=20000000] [--rounds=5] [--workloads=a,b,c,d,e]
 *                                        [--skip-polars] [--skip-executor] [--duckdb-tables] [--cache=<dir>]
 *
 * DuckDB alone runs a pipeline's stages as CTEs of one COPY; with --duckdb-tables, each stage as
 * a temporary table, as the executor materialises them (to tell that design's cost from the rest).
 * Needs `npm run build` (the CLI runs from dist/). The dataset is generated once into the cache
 * folder (default `$XDG_CACHE_HOME/aqueducts-executor/bench-pipelines`, else `~/.cache/...`);
 * nodejs-polars is installed into `<cache root>/aqueducts-executor/bench-polars-<version>`.
 */
import { spawn } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { dataset } from './pipelines/dataset.js';
import { checksum, CLI, command, ensurePolars, loadWorkload, measure, MEMORY_METHOD, POLARS_VERSION, ROOT, type Checksum, type Engine, type Measured, type Workload } from './pipelines/engines.js';

const args = process.argv.slice(2);
const flag = (name: string) => /^--[^=]+=(.*)$/.exec(args.find((a) => a.startsWith(`--${name}=`)) ?? '')?.[1];
const ROWS = Number(flag('rows') ?? 20_000_000);
const ROUNDS = Number(flag('rounds') ?? 5);
const SKIP_POLARS = args.includes('--skip-polars');
const SKIP_EXECUTOR = args.includes('--skip-executor');
/** DuckDB alone materialises every stage as a temporary table, as the executor does (default: CTEs of one statement). */
const DUCKDB_TABLES = args.includes('--duckdb-tables');
const CACHE_ROOT = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'aqueducts-executor');
const CACHE = flag('cache') ?? path.join(CACHE_ROOT, 'bench-pipelines');
const FILES: Record<string, string> = {
  a: 'a-csv-daily.yml',
  b: 'b-distinct-customers.yml',
  c: 'c-join-partitioned.yml',
  d: 'd-shared-stage.yml',
  e: 'e-show.yml',
};
/** Not a workload: an empty pipeline, for what starting each process costs. */
const STARTUP = '0-startup.yml';
const SELECTED = (flag('workloads') ?? Object.keys(FILES).join(',')).split(',').map((s) => s.trim()).filter(Boolean);

/** The targets: aqueducts at most this many times DuckDB's wall time and peak memory, Polars at least this many times slower. */
const TARGET = { wall: 1.15, memory: 1.3, polars: 1.5 };
const LATENCY_TARGET_MS = 25;

const secs = (t: number) => `${t.toFixed(2)} s`;
const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
const x = (r: number) => `${r.toFixed(2)}×`;
const met = (ok: boolean) => (ok ? 'met' : 'not met');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function usage(message: string): never {
  console.error(`error: ${message}`);
  process.exit(2);
}

interface Result {
  w: Workload;
  runs: Record<Engine, Measured[]>;
  sums: Partial<Record<Engine, Checksum>>;
}

async function runWorkload(w: Workload, engines: Engine[], ctx: { data: string; work: string; polars: string; duckdbTables: boolean }, verify: (target: string, directory: boolean) => Promise<Checksum>): Promise<Result> {
  const runs = { aqueducts: [], duckdb: [], polars: [] } as Record<Engine, Measured[]>;
  const sums: Partial<Record<Engine, Checksum>> = {};
  for (let round = 0; round < ROUNDS; round++) {
    const order = engines.map((_, i) => engines[(i + round) % engines.length]!);
    for (const engine of order) {
      const out = path.join(ctx.work, engine);
      await rm(out, { recursive: true, force: true });
      await mkdir(out, { recursive: true });
      const cmd = await command(engine, w, { ...ctx, out, scratch: ctx.work });
      runs[engine].push(await measure(cmd, { cwd: ROOT, scratch: ctx.work, env: { POLARS_MAX_THREADS: String(os.availableParallelism()) } }));
      if (round === 0 && w.output) sums[engine] = await verify(path.join(out, w.output.rel), w.output.directory);
    }
    console.log(`  ${w.id} round ${round + 1}: ${engines.map((e) => `${e} ${secs(runs[e][round]!.wall)} ${mib(runs[e][round]!.peak)}`).join(', ')}`);
  }
  return { w, runs, sums };
}

/** Why the engines' outputs differ (one line per engine), or null when they agree. */
function disagreement(r: Result): string | null {
  const entries = Object.entries(r.sums) as Array<[Engine, Checksum]>;
  const ref = entries[0]?.[1];
  if (!ref || entries.every(([, c]) => c.rows === ref.rows && c.hash === ref.hash)) return null;
  return entries.map(([e, c]) => `  ${e}: ${c.rows} rows, checksum ${c.hash}, columns ${c.columns}`).join('\n');
}

/** Runs a benchmark of the executor written as a separate script, when it exists, and returns the JSON of its last line. */
async function childBenchmark(file: string, extra: string[]): Promise<Record<string, unknown> | string> {
  const script = path.join(ROOT, 'bench', file);
  if (!existsSync(script)) return `bench/${file} not present`;
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', script, '--json', ...extra], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    p.stdout.on('data', (d: Buffer) => { text += d.toString(); });
    p.on('error', reject);
    p.on('close', (c) => (c === 0 ? resolve(text) : reject(new Error(`bench/${file} exited with ${c}`))));
  });
  const last = out.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as Record<string, unknown>;
  } catch {
    return `bench/${file} printed no JSON on its last line: ${last.slice(0, 200)}`;
  }
}

function report(startup: Result, results: Result[], engines: Engine[]): boolean {
  const hasPolars = engines.includes('polars');
  console.log(`\nMedians of ${ROUNDS} rounds. Wall: the whole process, from spawn to exit. Memory: peak resident set of the process (${MEMORY_METHOD === 'time' ? 'GNU time, maximum RSS' : 'VmHWM sampled every 10 ms'}).\n`);
  const head = ['workload', 'aqueducts', 'DuckDB alone', ...(hasPolars ? ['Polars lazy'] : []), 'wall ÷ DuckDB', 'memory ÷ DuckDB', ...(hasPolars ? ['Polars wall ÷ aqueducts wall'] : []), 'output rows', 'results agree'];
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
  let allMet = true;
  const verdicts: string[] = [];
  const m = (r: Result, e: Engine) => ({ wall: median(r.runs[e].map((v) => v.wall)), peak: median(r.runs[e].map((v) => v.peak)) });
  const cell = (v: { wall: number; peak: number }) => `${secs(v.wall)}, ${mib(v.peak)}`;
  console.log(`| start-up: ${startup.w.file} (nothing to do; no target) | ${engines.map((e) => cell(m(startup, e))).join(' | ')} |${' |'.repeat(head.length - 1 - engines.length)}`);
  for (const r of results) {
    const a = m(r, 'aqueducts');
    const d = m(r, 'duckdb');
    const wall = a.wall / d.wall;
    const mem = a.peak / d.peak;
    const row = [`${r.w.id}: ${r.w.file}`, cell(a), cell(d)];
    let speed = Number.NaN;
    if (hasPolars) {
      const p = m(r, 'polars');
      speed = p.wall / a.wall;
      row.push(cell(p));
    }
    const differs = disagreement(r);
    const ok = differs === null;
    if (!ok) console.error(`\nERROR: workload ${r.w.id} (${r.w.file}): the engines' outputs differ, so their timings compare different answers:\n${differs}\n`);
    row.push(x(wall), x(mem), ...(hasPolars ? [x(speed)] : []), String(r.sums.aqueducts?.rows ?? '?'), ok ? 'yes' : '**NO**');
    console.log(`| ${row.join(' | ')} |`);
    const checks = [`wall ${x(wall)} ≤ ${TARGET.wall}×: ${met(wall <= TARGET.wall)}`, `memory ${x(mem)} ≤ ${TARGET.memory}×: ${met(mem <= TARGET.memory)}`];
    if (hasPolars) checks.push(`Polars ${x(speed)} ≥ ${TARGET.polars}×: ${met(speed >= TARGET.polars)}`);
    allMet &&= wall <= TARGET.wall && mem <= TARGET.memory && (!hasPolars || speed >= TARGET.polars) && ok;
    verdicts.push(`  ${r.w.id}: ${checks.join('; ')}`);
  }
  console.log(`\nTargets (aqueducts wall ≤ ${TARGET.wall}× and peak memory ≤ ${TARGET.memory}× DuckDB alone${hasPolars ? `; at least ${TARGET.polars}× as fast as Polars` : ''}):`);
  for (const v of verdicts) console.log(v);
  return allMet;
}

async function executorFigures(): Promise<void> {
  console.log('');
  const latency = await childBenchmark('executor-latency.ts', ['--runs=200']).catch((e: Error) => e.message);
  if (typeof latency === 'string') console.log(`executor latency: ${latency}`);
  else {
    const p50 = Number(latency.p50Ms);
    console.log(`executor latency (bench/executor-latency.ts, 200 runs): p50 ${p50.toFixed(1)} ms, p99 ${Number(latency.p99Ms).toFixed(1)} ms, ${Number(latency.runsPerSecond).toFixed(1)} runs/s; target p50 < ${LATENCY_TARGET_MS} ms: ${met(p50 < LATENCY_TARGET_MS)}`);
  }
  // Start-up figures, when bench/startup.ts exists: printed as it reports them (it states its own targets).
  const startup = await childBenchmark('startup.ts', []).catch((e: Error) => e.message);
  console.log(`start-up: ${typeof startup === 'string' ? startup : Object.entries(startup).map(([k, v]) => `${k} ${typeof v === 'number' ? v.toFixed(1) : JSON.stringify(v)}`).join(', ')}`);
}

async function main(): Promise<void> {
  if (!Number.isInteger(ROWS) || ROWS < 1000) usage(`--rows must be an integer of at least 1000, got ${flag('rows')}`);
  if (!Number.isInteger(ROUNDS) || ROUNDS < 1) usage(`--rounds must be a positive integer, got ${flag('rounds')}`);
  for (const id of SELECTED) if (!FILES[id]) usage(`unknown workload "${id}" (use ${Object.keys(FILES).join(', ')})`);
  if (!existsSync(CLI)) usage(`${path.relative(ROOT, CLI)} is missing: run \`npm run build\` first`);
  const engines: Engine[] = SKIP_POLARS ? ['aqueducts', 'duckdb'] : ['aqueducts', 'duckdb', 'polars'];

  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const work = await mkdtemp(path.join(os.tmpdir(), 'aq-bench-pipelines-'));
  try {
    const [[version, threads]] = (await conn.runAndReadAll("SELECT version(), current_setting('threads')")).getRowsJS() as [[string, number]];
    console.log(`Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    console.log(`Node ${process.version}; DuckDB ${version} with its default ${threads} threads in both the CLI and DuckDB alone${SKIP_POLARS ? '' : `; nodejs-polars ${POLARS_VERSION} with POLARS_MAX_THREADS=${os.availableParallelism()}`}`);
    const data = await dataset(CACHE, ROWS, console.log);
    const files = await readdir(data.dir);
    console.log(`Dataset: ${data.dir}${data.generated ? '' : ' (cached)'}: ${ROWS.toLocaleString('en-US')} orders, ${data.customers.toLocaleString('en-US')} customers (${files.filter((f) => f !== 'complete.json').join(', ')})`);
    const polars = SKIP_POLARS ? '' : await ensurePolars(path.join(CACHE_ROOT, `bench-polars-${POLARS_VERSION}`), console.log);
    // Read every input once (untimed), so that no engine pays for a cold page cache.
    for (const f of files) await pipeline(createReadStream(path.join(data.dir, f)), new Writable({ write: (_c, _e, done) => done() }));
    console.log(`DuckDB alone runs the stages ${DUCKDB_TABLES ? 'each as a temporary table (--duckdb-tables), as the executor does' : 'as CTEs of one COPY statement'}.`);
    console.log(`Outputs in ${work}; ${ROUNDS} rounds per workload.\n`);

    const verify = (target: string, directory: boolean) => checksum(conn, target, directory);
    const ctx = { data: data.dir, work, polars, duckdbTables: DUCKDB_TABLES };
    const startup = await runWorkload(await loadWorkload(STARTUP, data.dir, path.join(work, 'OUT')), engines, ctx, verify);
    const results: Result[] = [];
    for (const id of SELECTED) {
      const w = await loadWorkload(FILES[id]!, data.dir, path.join(work, 'OUT'));
      // Each engine writes below its own directory: the pipeline's ${out} is set per engine.
      results.push(await runWorkload(w, engines, ctx, verify));
    }
    const allMet = report(startup, results, engines);
    const differ = results.filter((r) => disagreement(r) !== null).map((r) => r.w.id);
    console.log(`\nAll targets ${allMet ? 'met' : 'NOT met'}.${differ.length ? ` ERROR: the outputs differ for workload ${differ.join(', ')} (see above).` : ` The ${engines.length} engines wrote the same results (row counts and checksums) for every workload.`}`);
    if (differ.length) process.exitCode = 1;
    if (!SKIP_EXECUTOR) await executorFigures();
  } finally {
    conn.closeSync();
    instance.closeSync();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
