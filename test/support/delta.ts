/**
 * Helpers for the Delta Lake tests: a DuckDB connection (UTC) per test file, writable copies of
 * the fixture tables, commit mtimes set from the commit timestamps, and reading and writing
 * tables through the library's entry points (src/delta).
 */
import { cp, mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { registerDeltaSource, type DeltaSource } from '../../src/delta/source.js';
import { checkDeltaDestination, planDeltaDestination, writeDeltaDestination, type DeltaDestination, type WriteResult } from '../../src/delta/destination.js';
import { parseDataType } from '../../src/pipeline/data-type.js';
import type { Field } from '../../src/pipeline/types.js';
import { FIXTURES } from './paths.js';

export const DELTA_FIXTURES = path.join(FIXTURES, 'delta');

export interface Duck {
  conn: DuckDBConnection;
  close(): void;
}

export async function openDuck(): Promise<Duck> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  await conn.run("SET TimeZone = 'UTC'");
  return {
    conn,
    close: () => {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

export async function tempDir(prefix = 'aq-delta-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

/** A writable copy of a fixture table (in a new temporary directory); returns its path. */
export async function copyTable(name: string): Promise<string> {
  const dir = await tempDir();
  const to = path.join(dir, name);
  await cp(path.join(DELTA_FIXTURES, name), to, { recursive: true });
  return to;
}

/**
 * Sets the mtime of each commit file `_delta_log/<v>.json` to `times[v]` (ms). `utimes` takes
 * seconds as a double, which can land a hair below the intended millisecond: half a microsecond
 * is added so the stored time is never below it.
 */
export async function setCommitTimes(table: string, times: number[]): Promise<void> {
  for (const [v, ms] of times.entries()) {
    const t = (ms + 0.0005) / 1000;
    await utimes(path.join(table, '_delta_log', `${String(v).padStart(20, '0')}.json`), t, t);
  }
}

let views = 0;

export interface ReadOptions {
  version?: number | null;
  timestamp?: string | null;
  storageConfig?: Record<string, string>;
  spillDir?: string;
  allowed?: string[];
  report?: (level: string, message: string) => void;
  env?: NodeJS.ProcessEnv;
}

/** The rows of the table (at a version or timestamp), as plain JS values in `order`. */
export async function readRows(conn: DuckDBConnection, location: string, opts: ReadOptions = {}, select = '*', order = 'ALL'): Promise<Record<string, unknown>[]> {
  const name = `delta_view_${++views}`;
  const source: DeltaSource = {
    type: 'delta', name, location: location.includes('://') ? location : `file://${location}`,
    storage_config: opts.storageConfig ?? {}, version: opts.version ?? null, timestamp: opts.timestamp ?? null,
  };
  await registerDeltaSource(
    {
      conn, allowFile: (p) => opts.allowed?.push(p), allowDirectory: () => {},
      ...(opts.spillDir ? { spillDir: opts.spillDir } : {}), ...(opts.report ? { report: opts.report } : {}), ...(opts.env ? { env: opts.env } : {}),
    },
    source,
  );
  try {
    const r = await conn.runAndReadAll(`SELECT ${select} FROM "${name}" ORDER BY ${order}`);
    return r.getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    await conn.run(`DROP VIEW IF EXISTS "${name}"`);
  }
}

/** `id` values of a table with one column, sorted, as numbers. */
export async function readColumn(conn: DuckDBConnection, location: string, column: string, opts: ReadOptions = {}): Promise<number[]> {
  const rows = await readRows(conn, location, opts, `"${column}"`, `"${column}"`);
  return rows.map((r) => Number(r[column]));
}

export function field(name: string, dataType: string, nullable = true): Field {
  return { name, data_type: dataType, type: parseDataType(dataType), nullable, description: null };
}

export function deltaDestination(location: string, overrides: Partial<DeltaDestination> = {}): DeltaDestination {
  return {
    type: 'delta', name: 'out', location: location.includes('://') ? location : `file://${location}`,
    write_mode: { operation: 'append' }, storage_config: {}, partition_columns: [], table_properties: {}, metadata: {}, schema: [],
    ...overrides,
  };
}

export interface WriteOptions {
  signal?: AbortSignal;
  spillDir?: string;
  report?: (level: 'info' | 'warn' | 'error', message: string) => void;
  check?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** Plans, checks and writes `relation` to the destination, as a run does. */
export async function writeTable(conn: DuckDBConnection, dest: DeltaDestination, relation: string, opts: WriteOptions = {}): Promise<WriteResult> {
  const spillDir = opts.spillDir ?? (await tempDir('aq-delta-spill-'));
  const report = opts.report ?? (() => {});
  const plan = planDeltaDestination({ spillDir, allowFile: () => {}, allowDirectory: () => {}, report, ...(opts.env ? { env: opts.env } : {}) }, dest, 'test-run');
  const signal = opts.signal ?? new AbortController().signal;
  try {
    if (opts.check !== false) await checkDeltaDestination({ conn, signal, report }, plan);
    return await writeDeltaDestination({ conn, signal, report }, plan, relation);
  } finally {
    if (!opts.spillDir) await rm(spillDir, { recursive: true, force: true });
  }
}

/** Files below a directory (relative paths, sorted), hidden ones included. */
export async function filesBelow(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(path.join(d, e.name), `${rel}${e.name}/`);
      else out.push(`${rel}${e.name}`);
    }
  };
  await walk(dir, '');
  return out.sort();
}

export function commitName(v: number): string {
  return `${String(v).padStart(20, '0')}.json`;
}
