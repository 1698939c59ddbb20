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
import { applySqlCompat, applyConnectionCompat, createMacros } from './sql/compat.js';
import { macrosCalledBy } from './sql/macros.js';
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

/** What an instance is created with; the rest of SessionOptions is the run's (`configureRun`). */
export interface InstanceOptions {
  spillRoot?: string;
  threads?: number;
  /** The memory limit to create the instance with (a run asking for another one gets it set). */
  memoryLimitGb?: number;
  /** DuckDB's own spill limit, in bytes, to create the instance with (see `configureRun`). */
  maxSpillBytes?: number;
}

/**
 * Hands out sessions prepared ahead of time (warm-sessions.ts). `take` resolves with a session
 * already configured for the run, or null when it has none that fits (the run then opens its own).
 */
export interface SessionSupplier {
  take(opts: SessionOptions): Promise<EngineSession | null> | null;
}

export class EngineSession {
  private readonly connections = new Set<DuckDBConnection>();
  /** Configured connections waiting to be used (settings cannot change after lockdown). */
  private readonly idle: DuckDBConnection[] = [];
  private readonly allowedFiles = new Set<string>();
  private readonly allowedDirs = new Set<string>();
  private locked: Promise<void> | null = null;
  private closed = false;
  private configured = false;
  private disposer: ((dispose: () => Promise<void>) => void) | null = null;
  private runLog: Logger;
  private onLog: RunLogListener | undefined;
  /** The compatibility macros created so far (none at first: see `useMacros`). */
  private readonly macros = new Set<string>();
  /** Where EngineSession.open takes sessions from first (the executor's warm sessions); none by default. */
  private static supplier: SessionSupplier | null = null;

  private constructor(
    readonly instance: DuckDBInstance,
    /** The connection sources and destinations use. */
    readonly main: DuckDBConnection,
    readonly spillDir: string,
    log: Logger,
    /** The limits the instance was created with. */
    private readonly created: { memoryLimitMiB: number | null; spillLimited: boolean },
  ) {
    this.runLog = log;
  }

  /** The run's logger (before `configureRun`, the logger the session was created with). */
  get log(): Logger {
    return this.runLog;
  }

  /** A line for the run's user: logged, and passed to the run's listener. */
  report(level: RunLogLevel, message: string): void {
    this.log[level]({ run_log: true }, message);
    this.onLog?.(level, message);
  }

  /** Makes `open` take sessions from `supplier` first. */
  static useSupplier(supplier: SessionSupplier): void {
    EngineSession.supplier = supplier;
  }

  /** `open` no longer asks `supplier` (if it is the one in use). */
  static dropSupplier(supplier: SessionSupplier): void {
    if (EngineSession.supplier === supplier) EngineSession.supplier = null;
  }

  /** A session for one run: a supplied one when there is one that fits, else a new one. */
  static async open(opts: SessionOptions): Promise<EngineSession> {
    const supplied = await EngineSession.supplier?.take(opts);
    if (supplied) return supplied;
    const session = await EngineSession.create({ spillRoot: opts.spillRoot, threads: opts.threads, memoryLimitGb: opts.memoryLimitGb, maxSpillBytes: opts.maxSpillBytes }, opts.log);
    try {
      await session.configureRun(opts);
    } catch (e) {
      await session.close();
      throw e;
    }
    return session;
  }

  /**
   * A new instance with its own spill directory, the compatibility layer and nothing else, not yet
   * given to a run: `configureRun` gives it the run's memory and spill limits and loggers.
   */
  static async create(inst: InstanceOptions, log: Logger): Promise<EngineSession> {
    const root = inst.spillRoot ?? DEFAULT_SPILL_ROOT;
    await mkdir(root, { recursive: true });
    const spillDir = await mkdtemp(path.join(root, `${SPILL_PREFIX}${process.pid}-`));
    const config: Record<string, string> = {
      temp_directory: spillDir,
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    };
    const memory = memoryLimitMiB(inst.memoryLimitGb);
    if (memory !== null) config.memory_limit = `${memory}MiB`;
    if (inst.threads && inst.threads > 0) config.threads = String(inst.threads);
    if (inst.maxSpillBytes !== undefined) config.max_temp_directory_size = `${spillLimitMiB(inst.maxSpillBytes)}MiB`;
    let instance: DuckDBInstance | undefined;
    try {
      instance = await DuckDBInstance.create(':memory:', config);
      const main = await instance.connect();
      await applySqlCompat(main, { macros: 'none' });
      await main.run(PROGRESS_SETTINGS);
      const session = new EngineSession(instance, main, spillDir, log, { memoryLimitMiB: memory, spillLimited: inst.maxSpillBytes !== undefined });
      session.connections.add(main);
      return session;
    } catch (e) {
      instance?.closeSync();
      await rm(spillDir, { recursive: true, force: true });
      throw new ExecutorError('AQ_INTERNAL', `could not start the engine: ${(e as Error).message}`, { cause: e });
    }
  }

  /**
   * Gives the session to one run: its logger and log listener, and its memory limit when the
   * instance was created with another (an instance-wide setting, set before anything else runs).
   * DuckDB's own spill limit is set only on an instance created without one. Given at creation,
   * DuckDB 1.5.6 does not hold a table's spilled blocks to it (measured), and the spill
   * directory's watcher (`watchDisk`) stops a run past its budget with a message naming
   * --max-spill; set with `SET`, DuckDB enforces it and fails the run with its own error first. So
   * an instance prepared ahead keeps the limit it was created with (the budget when it was
   * prepared), and the run's own budget is enforced by the watcher, as for any run. Once per
   * session.
   */
  async configureRun(opts: SessionOptions): Promise<void> {
    if (this.configured || this.closed || this.locked) throw new ExecutorError('AQ_INTERNAL', 'an engine session serves one run only');
    this.configured = true;
    this.runLog = opts.log;
    this.onLog = opts.onLog;
    const settings: string[] = [];
    const memory = memoryLimitMiB(opts.memoryLimitGb);
    if (memory !== this.created.memoryLimitMiB) settings.push(memory === null ? 'RESET GLOBAL memory_limit;' : `SET GLOBAL memory_limit = '${memory}MiB';`);
    if (opts.maxSpillBytes !== undefined && !this.created.spillLimited) settings.push(`SET GLOBAL max_temp_directory_size = '${spillLimitMiB(opts.maxSpillBytes)}MiB';`);
    if (settings.length === 0) return;
    try {
      await this.main.run(settings.join('\n'));
    } catch (e) {
      throw new ExecutorError('AQ_INTERNAL', `could not apply the run's memory and spill limits: ${(e as Error).message}`, { cause: e });
    }
  }

  /**
   * Creates the compatibility macros these SQL texts may call (sql/macros.ts, macrosCalledBy)
   * that the session does not have yet. A session starts with none: creating all of them costs
   * about 45 ms, a run usually calls none or a few. Macros live in the database, so every
   * connection of the session sees them.
   */
  async useMacros(texts: readonly string[]): Promise<void> {
    const missing = macrosCalledBy(texts).filter((name) => !this.macros.has(name));
    if (missing.length === 0) return;
    await createMacros(this.main, missing);
    for (const name of missing) this.macros.add(name);
    this.log.debug({ macros: missing }, 'created SQL compatibility macros');
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
      // One multi-statement text: statements run in order, and the first to fail stops the rest.
      const statements: string[] = [];
      if (this.allowedFiles.size) statements.push(`SET allowed_paths = ${stringList([...this.allowedFiles])};`);
      if (this.allowedDirs.size) statements.push(`SET allowed_directories = ${stringList([...this.allowedDirs])};`);
      statements.push('SET enable_external_access = false;', 'SET lock_configuration = true;');
      await this.main.run(statements.join('\n'));
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

  /**
   * Closes every connection (interrupting what still runs) and the instance, and removes the spill
   * directory. With a disposer (`disposeWith`), the connections are closed here and the rest is
   * handed to it.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.connections) {
      try { c.closeSync(); } catch { /* already closed */ }
    }
    this.connections.clear();
    const dispose = async () => {
      try { this.instance.closeSync(); } catch { /* already closed */ }
      await rm(this.spillDir, { recursive: true, force: true });
    };
    if (this.disposer) this.disposer(dispose);
    else await dispose();
  }

  /**
   * Has `close` hand the closing of the instance and the removal of the spill directory to
   * `disposer`, which must run them (for a process that can close the instance after it has
   * answered, and waits for every disposal before it stops).
   */
  disposeWith(disposer: (dispose: () => Promise<void>) => void): void {
    this.disposer = disposer;
  }

  private assertUnlocked(): void {
    if (this.locked) throw new ExecutorError('AQ_INTERNAL', 'the engine is locked down; paths can no longer be allowed');
  }
}

/** A memory limit in GiB as whole MiB (at least 1); null for none (0 or undefined: DuckDB's default). */
function memoryLimitMiB(gb: number | undefined): number | null {
  return gb && gb > 0 ? Math.max(1, Math.floor(gb * 1024)) : null;
}

function spillLimitMiB(bytes: number): number {
  return Math.max(1, Math.floor(bytes / 1024 / 1024));
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
