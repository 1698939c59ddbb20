/**
 * The three ways bench/pipelines.ts runs a workload, each as a whole process: the aqueducts CLI on
 * the workload's pipeline file, the same SQL on @duckdb/node-api alone (duckdb-child.mjs), and
 * Polars' lazy engine (polars-child.mjs). Also: each process's wall time and peak memory, and a
 * checksum of what it wrote, to check the three computed the same answer.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { copyOptions } from '../../src/destinations/file-options.js';
import { loadPipelineFile } from '../../src/pipeline/load.js';
import { locationToPath } from '../../src/pipeline/location.js';
import type { Aqueduct as Pipeline, Destination } from '../../src/pipeline/types.js';

export type Engine = 'aqueducts' | 'duckdb' | 'polars';

export const HERE = path.dirname(new URL(import.meta.url).pathname);
export const ROOT = path.resolve(HERE, '..', '..');
export const CLI = path.join(ROOT, 'dist', 'src', 'cli', 'aqueducts.js');
export const POLARS_VERSION = '0.25.2';

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

export interface Measured {
  /** Seconds from spawning the process to its exit. */
  wall: number;
  /** Peak resident memory of the process, in bytes. */
  peak: number;
}

/** How peak memory is measured: GNU time's maximum RSS (the kernel's, at exit) when installed, else VmHWM sampled. */
export const MEMORY_METHOD = existsSync('/usr/bin/time') ? 'time' : 'sampled';

function vmHwm(pid: number): Promise<number> {
  return readFile(`/proc/${pid}/status`, 'utf8').then((s) => Number(/VmHWM:\s+(\d+) kB/.exec(s)?.[1] ?? 0) * 1024, () => 0);
}

/**
 * Runs one process to its end, its stdout discarded; fails with the end of its stderr when it
 * exits with an error.
 */
export async function measure(command: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; scratch: string }): Promise<Measured> {
  const timeFile = path.join(opts.scratch, `time-${process.pid}.txt`);
  const argv = MEMORY_METHOD === 'time' ? ['/usr/bin/time', '-f', '%M', '-o', timeFile, ...command] : command;
  const t0 = performance.now();
  let sampled = 0;
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const p = spawn(argv[0]!, argv.slice(1), { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-4000); });
    const timer = MEMORY_METHOD === 'sampled' ? setInterval(() => void vmHwm(p.pid!).then((b) => { sampled = Math.max(sampled, b); }), 10) : undefined;
    p.on('error', reject);
    p.on('close', (c) => { clearInterval(timer); resolve({ code: c, stderr: err }); });
  });
  const wall = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`${path.basename(command[1] ?? command[0]!)} exited with ${code}:\n${stderr.trim()}`);
  if (MEMORY_METHOD === 'sampled') return { wall, peak: sampled };
  const kib = Number((await readFile(timeFile, 'utf8')).trim().split('\n').pop());
  await rm(timeFile, { force: true });
  return { wall, peak: kib * 1024 };
}

export interface Workload {
  id: string;
  file: string;
  pipeline: Pipeline;
  /** What the destination writes, below the output directory: a file, or a directory with its partition columns; null without a destination. */
  output: { rel: string; directory: boolean; partitions: string[] } | null;
}

export async function loadWorkload(file: string, data: string, out: string): Promise<Workload> {
  const { pipeline } = await loadPipelineFile(path.join(HERE, file), { data, out }, { cwd: ROOT });
  const dest = pipeline.destination;
  if (dest === null) return { id: file[0]!, file, pipeline, output: null };
  if (dest.type !== 'file') throw new Error(`${file}: the benchmark's pipelines write a file destination`);
  const target = locationToPath(dest.location);
  if (target === null || !target.startsWith(out)) throw new Error(`${file}: the destination must be below \${out}`);
  const directory = !dest.single_file || dest.partition_columns.length > 0;
  return {
    id: file[0]!,
    file,
    pipeline,
    output: { rel: path.relative(out, target), directory, partitions: dest.partition_columns },
  };
}

/**
 * The pipeline as DuckDB alone would run it: each source a view over read_csv / read_parquet,
 * the stages as common table expressions of one COPY statement (a stage with `show` becomes a
 * temporary table, printed, so that it is computed once), and the COPY options the project's file
 * destination uses for the destination's format (src/destinations/file-options.ts). With
 * `tables`, every stage becomes a temporary table, as the executor materialises its stages.
 */
export function duckdbSteps(w: Workload, out: string, tables = false): Array<{ sql: string } | { print: string }> {
  const steps: Array<{ sql: string } | { print: string }> = [];
  for (const s of w.pipeline.sources) {
    if (s.type !== 'file') throw new Error(`${w.file}: the benchmark's pipelines read file sources`);
    const p = quote(locationToPath(s.location)!);
    const reader = s.format.type === 'csv' ? `read_csv(${p}, header = ${s.format.options.has_header}, delim = ${quote(s.format.options.delimiter)})` : `read_parquet(${p})`;
    steps.push({ sql: `CREATE VIEW ${ident(s.name)} AS SELECT * FROM ${reader}` });
  }
  const ctes: string[] = [];
  const withCtes = (query: string) => (ctes.length ? `WITH ${ctes.join(', ')} ${query}` : query);
  const stages = w.pipeline.stages.flat();
  for (const s of stages) {
    if (s.show !== null || tables) {
      steps.push({ sql: `CREATE TEMP TABLE ${ident(s.name)} AS ${withCtes(s.query)}` });
      if (s.show !== null) steps.push({ print: `SELECT * FROM ${ident(s.name)} LIMIT ${s.show === 0 ? 500 : s.show}` });
    } else if (s !== stages.at(-1)) {
      ctes.push(`${ident(s.name)} AS (${s.query})`);
    }
  }
  const last = stages.at(-1);
  if (!last || !w.output) return steps;
  const dest = w.pipeline.destination as Extract<Destination, { type: 'file' }>;
  const options = [...copyOptions('destination', dest.format).options];
  if (w.output.partitions.length) options.push(`PARTITION_BY (${w.output.partitions.map(ident).join(', ')})`);
  else if (w.output.directory) options.push('PER_THREAD_OUTPUT true');
  const select = last.show !== null || tables ? ident(last.name) : `(${withCtes(last.query)})`;
  steps.push({ sql: `COPY ${select} TO ${quote(path.join(out, w.output.rel))} (${options.join(', ')})` });
  return steps;
}

/** The command line of one engine for one workload (its job file written into `scratch`). */
export async function command(engine: Engine, w: Workload, ctx: { data: string; out: string; scratch: string; polars: string; duckdbTables: boolean }): Promise<string[]> {
  if (engine === 'aqueducts') return [process.execPath, CLI, 'run', '--file', path.join(HERE, w.file), '-p', `data=${ctx.data}`, '-p', `out=${ctx.out}`];
  const job = path.join(ctx.scratch, `${engine}-${w.id}.json`);
  const show = w.pipeline.stages.flat().find((s) => s.show !== null)?.show ?? 0;
  const content = engine === 'duckdb'
    ? { steps: duckdbSteps(w, ctx.out, ctx.duckdbTables) }
    : { polars: ctx.polars, workload: w.id, data: ctx.data, out: ctx.out, show };
  await writeFile(job, JSON.stringify(content));
  return [process.execPath, path.join(HERE, `${engine}-child.mjs`), job];
}

export interface Checksum {
  rows: number;
  hash: string;
  columns: string;
}

/**
 * Row count and an order-independent checksum of an output (every parquet file below it, hive
 * partitions as columns), over the columns sorted by name: integers of any width compare equal,
 * as do dates and other values by their text.
 */
export async function checksum(conn: DuckDBConnection, target: string, directory: boolean): Promise<Checksum> {
  const reader = `read_parquet(${quote(directory ? path.join(target, '**', '*.parquet') : target)}, hive_partitioning = ${directory}, union_by_name = true)`;
  const cols = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${reader}`)).getRowsJS().map((r) => ({ name: String(r[0]), type: String(r[1]) }));
  cols.sort((a, b) => (a.name < b.name ? -1 : 1));
  const text = cols.map((c) => {
    const v = /INT/.test(c.type) ? `CAST(CAST(${ident(c.name)} AS HUGEINT) AS VARCHAR)` : `CAST(${ident(c.name)} AS VARCHAR)`;
    return `coalesce(${v}, '<null>')`;
  });
  const r = await conn.runAndReadAll(`SELECT count(*), CAST(coalesce(sum(hash(concat_ws('|', ${text.join(', ')}))), 0) AS VARCHAR) FROM ${reader}`);
  const [rows, hash] = r.getRowsJS()[0]!;
  return { rows: Number(rows), hash: String(hash), columns: cols.map((c) => `${c.name} ${c.type}`).join(', ') };
}

/** nodejs-polars, installed for the benchmark only into `dir` (never a dependency of the project); returns its path. */
export async function ensurePolars(dir: string, log: (line: string) => void): Promise<string> {
  const main = path.join(dir, 'node_modules', 'nodejs-polars');
  const binary = `nodejs-polars-${process.platform}-${process.arch}${process.platform === 'linux' ? (isMusl() ? '-musl' : '-gnu') : process.platform === 'win32' ? '-msvc' : ''}`;
  const installed = async (pkg: string) => JSON.parse(await readFile(path.join(dir, 'node_modules', pkg, 'package.json'), 'utf8').catch(() => '{}')).version === POLARS_VERSION;
  if ((await installed('nodejs-polars')) && (await installed(binary))) return main;
  log(`Installing nodejs-polars ${POLARS_VERSION} into ${dir} (for the benchmark only) ...`);
  // The native binary is an optional dependency, which npm skips with --no-package-lock: name it.
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  await new Promise<void>((resolve, reject) => {
    const p = spawn(npm, ['install', '--no-save', '--no-audit', '--no-fund', '--no-package-lock', '--prefix', dir, `nodejs-polars@${POLARS_VERSION}`, `${binary}@${POLARS_VERSION}`], { stdio: ['ignore', 'ignore', 'inherit'] });
    p.on('error', reject);
    p.on('close', (c) => (c === 0 ? resolve() : reject(new Error(`npm install of nodejs-polars ${POLARS_VERSION} into ${dir} failed (exit ${c})`))));
  });
  return main;
}

function isMusl(): boolean {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return !report?.header?.glibcVersionRuntime;
}
