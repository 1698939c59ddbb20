/**
 * One DuckDB instance per run: the run's memory limit, a per-run spill directory, UTC, the
 * DataFusion compatibility layer, and a lockdown that leaves stage SQL no way to the file system
 * or the network except through the declared sources and the destination's temporary target.
 */
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { DuckDBInstance } from './duckdb.js';
import { cancelled, ExecutorError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { RunLogLevel, RunLogListener } from '../core/run-events.js';
import { applySqlCompat, applyConnectionCompat } from './sql/compat.js';
import { stringList } from './sql-text.js';

export interface SessionOptions {
  /** Memory limit in GiB; 0 or undefined = DuckDB's default (80% of RAM). */
  memoryLimitGb?: number;
  /** Parent of the per-run spill directory (default: DEFAULT_SPILL_ROOT). */
  spillRoot?: string;
  /** Worker threads (default: DuckDB's, the number of cores). */
  threads?: number;
  /** Disk the engine may spill to, in bytes; beyond it the run fails as out of memory (default: DuckDB's, 90 % of the free space). */
  maxSpillBytes?: number;
  log: Logger;
  /** The run's own log lines meant for its user (CLI output, protocol v2 `log`); never secrets. */
  onLog?: RunLogListener;
}


/** Progress tracking (for stage_progress) without printing a bar; a per-connection setting. */
const PROGRESS_SETTINGS = 'SET enable_progress_bar = true; SET enable_progress_bar_print = false; SET progress_bar_time = 0';

/**
 * A run's spill directory is `<spill root>/run-<pid>-<random>`: the process that owns it is in its
 * name, so a later process can tell the directories of dead ones (src/run/leftovers.ts).
 */
export const SPILL_PREFIX = 'run-';

/** Where runs spill unless told otherwise (the executor's --spill-dir default too). */
export const DEFAULT_SPILL_ROOT = path.join(os.tmpdir(), 'aqueducts-spill');

/** The pid in a spill directory's name; null for a name that is not one. */
export function spillDirOwner(name: string): number | null {
  const m = /^run-(\d+)-[A-Za-z0-9]{6}$/.exec(name);
  return m ? Number(m[1]) : null;
}

export class EngineSession {
  private readonly connections = new Set<DuckDBConnection>();
  /** Configured connections waiting to be used (settings cannot change after lockdown). */
  private readonly idle: DuckDBConnection[] = [];
  private readonly allowedFiles = new Set<string>();
  private readonly allowedDirs = new Set<string>();
  private locked: Promise<void> | null = null;
  private closed = false;

  private constructor(
    readonly instance: DuckDBInstance,
    /** The connection sources and destinations use. */
    readonly main: DuckDBConnection,
    readonly spillDir: string,
    readonly log: Logger,
    private readonly onLog: RunLogListener | undefined,
  ) {}

  /** A line for the run's user: logged, and passed to the run's listener. */
  report(level: RunLogLevel, message: string): void {
    this.log[level]({ run_log: true }, message);
    this.onLog?.(level, message);
  }

  static async open(opts: SessionOptions): Promise<EngineSession> {
    const root = opts.spillRoot ?? DEFAULT_SPILL_ROOT;
    await mkdir(root, { recursive: true });
    const spillDir = await mkdtemp(path.join(root, `${SPILL_PREFIX}${process.pid}-`));
    const config: Record<string, string> = {
      temp_directory: spillDir,
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    };
    if (opts.memoryLimitGb && opts.memoryLimitGb > 0) config.memory_limit = `${Math.max(1, Math.floor(opts.memoryLimitGb * 1024))}MiB`;
    if (opts.threads && opts.threads > 0) config.threads = String(opts.threads);
    if (opts.maxSpillBytes !== undefined) config.max_temp_directory_size = `${Math.max(1, Math.floor(opts.maxSpillBytes / 1024 / 1024))}MiB`;
    let instance: DuckDBInstance | undefined;
    try {
      instance = await DuckDBInstance.create(':memory:', config);
      const main = await instance.connect();
      await applySqlCompat(main);
      await main.run(PROGRESS_SETTINGS);
      const session = new EngineSession(instance, main, spillDir, opts.log, opts.onLog);
      session.connections.add(main);
      return session;
    } catch (e) {
      instance?.closeSync();
      await rm(spillDir, { recursive: true, force: true });
      throw new ExecutorError('AQ_INTERNAL', `could not start the engine: ${(e as Error).message}`, { cause: e });
    }
  }

  /**
   * Opens and configures `n` connections ahead of lockdown, for the stages of the widest group
   * (the stages of a group run on their own connections, in parallel).
   */
  async prepareConnections(n: number): Promise<void> {
    while (this.idle.length < n) this.idle.push(await this.open());
  }

  /** A configured connection for one stage; give it back with `release`. */
  async connect(): Promise<DuckDBConnection> {
    if (this.closed) throw new ExecutorError('AQ_INTERNAL', 'the engine session is closed');
    return this.idle.pop() ?? (await this.open());
  }

  release(c: DuckDBConnection): void {
    if (c === this.main || this.closed) return;
    this.idle.push(c);
  }

  private async open(): Promise<DuckDBConnection> {
    const c = await this.instance.connect();
    this.connections.add(c);
    await applyConnectionCompat(c);
    if (!this.locked) await c.run(PROGRESS_SETTINGS);
    return c;
  }

  /** Lets the engine (never stage SQL) read this file after lockdown. */
  allowFile(p: string): void {
    this.assertUnlocked();
    this.allowedFiles.add(p);
  }

  /** Lets the engine read and write below this directory after lockdown. */
  allowDirectory(d: string): void {
    this.assertUnlocked();
    this.allowedDirs.add(d.endsWith('/') ? d : `${d}/`);
  }

  /**
   * Turns off external access (files outside the allowed list, network, extensions) and locks
   * the configuration. Idempotent; runs before the first stage.
   */
  lockdown(): Promise<void> {
    this.locked ??= (async () => {
      const c = this.main;
      if (this.allowedFiles.size) await c.run(`SET allowed_paths = ${stringList([...this.allowedFiles])}`);
      if (this.allowedDirs.size) await c.run(`SET allowed_directories = ${stringList([...this.allowedDirs])}`);
      await c.run('SET enable_external_access = false');
      await c.run('SET lock_configuration = true');
    })();
    return this.locked;
  }

  get isLocked(): boolean {
    return this.locked !== null;
  }

  /**
   * Watches the disk the run uses in its spill directory (the engine's spilled data and the
   * objects downloaded for sources) and calls `exceeded` once when it passes `maxBytes`. DuckDB's
   * own max_temp_directory_size bounds only some of what it spills, so the directory is measured.
   */
  watchDisk(maxBytes: number, exceeded: (usedBytes: number) => void, everyMs = 250): () => void {
    let done = false;
    let busy = false;
    const timer = setInterval(() => {
      if (done || busy) return;
      busy = true;
      directorySize(this.spillDir).then((used) => {
        busy = false;
        if (!done && used > maxBytes) {
          done = true;
          clearInterval(timer);
          exceeded(used);
        }
      }, () => { busy = false; });
    }, everyMs);
    timer.unref();
    return () => { done = true; clearInterval(timer); };
  }

  /** Closes every connection and the instance, and removes the spill directory. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.connections) {
      try { c.closeSync(); } catch { /* already closed */ }
    }
    this.connections.clear();
    try { this.instance.closeSync(); } catch { /* already closed */ }
    await rm(this.spillDir, { recursive: true, force: true });
  }

  private assertUnlocked(): void {
    if (this.locked) throw new ExecutorError('AQ_INTERNAL', 'the engine is locked down; paths can no longer be allowed');
  }
}

/**
 * Runs `work` on `conn`, interrupting the connection's query when `signal` aborts. The work's
 * rejection after an interrupt is turned into a cancellation error.
 */
export async function interruptible<T>(conn: DuckDBConnection, signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
  if (signal?.aborted) throw cancelled();
  // DuckDB clears a connection's interrupt flag when a query starts, so an interrupt that lands
  // between two queries (or just before one begins) would be lost: keep interrupting until the
  // work has stopped.
  let repeat: NodeJS.Timeout | undefined;
  const onAbort = () => {
    conn.interrupt();
    repeat = setInterval(() => conn.interrupt(), INTERRUPT_REPEAT_MS);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const result = await work();
    if (signal?.aborted) throw cancelled();
    return result;
  } catch (e) {
    if (signal?.aborted) throw cancelled(e);
    throw e;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    clearInterval(repeat);
  }
}

const INTERRUPT_REPEAT_MS = 25;

/** Maps a DuckDB error to the registry: out-of-memory gets its own code. */
export function classifyEngineError(e: unknown, fallback: 'AQ_SOURCE_FAILED' | 'AQ_STAGE_FAILED' | 'AQ_DESTINATION_FAILED', subject: string): ExecutorError {
  if (e instanceof ExecutorError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (/Out of Memory Error|could not allocate|failed to allocate/i.test(msg)) {
    return new ExecutorError('AQ_OUT_OF_MEMORY', `${subject}: out of memory: ${msg.split('\n')[0]}`, { cause: e });
  }
  return new ExecutorError(fallback, `${subject}: ${msg}`, { cause: e });
}

/** Bytes of the files below `dir` (files that vanish while it is measured count as nothing). */
async function directorySize(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    try {
      total += (await stat(path.join(e.parentPath, e.name))).size;
    } catch {
      /* removed meanwhile */
    }
  }
  return total;
}
