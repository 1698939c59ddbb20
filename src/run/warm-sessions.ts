/**
 * Engine sessions prepared ahead of the runs that use them. Starting a DuckDB instance and
 * installing the compatibility layer takes most of a short run's time, so a long-lived process
 * (the executor) keeps one session prepared: a run takes it, gets its own limits and loggers
 * (EngineSession.configureRun), and the next one is prepared while the run works.
 *
 * Each session is still a fresh instance with its own spill directory, used by one run and closed
 * after it: nothing a run creates, changes or leaves behind reaches another run.
 *
 * DuckDB aborts the process when it cannot open a file it needs, so no session is prepared while
 * the process is short of file descriptors (a flood of connections): a run arriving then starts
 * its own session, or is refused if the shortage lasts (run-execution.actor.ts).
 */
import { descriptorShortage } from '../core/descriptors.js';
import type { Logger } from '../core/log.js';
import { DEFAULT_SPILL_ROOT, EngineSession, type SessionOptions, type SessionSupplier } from '../engine/session.js';

export interface WarmSessionsOptions {
  /** Parent of the spill directories, as the runs give it (default: DEFAULT_SPILL_ROOT). */
  spillRoot?: string;
  /** Worker threads of each instance, as the runs give it (default: DuckDB's). */
  threads?: number;
  /** The memory limit runs will ask for, in GiB (a run asking for another gets it set when it takes the session). */
  memoryLimitGb?: number;
  /** The spill budget a run would get now, in bytes: DuckDB's own spill limit of each prepared instance. */
  spillBudget?: () => Promise<number | undefined>;
  log: Logger;
}

export class WarmSessions implements SessionSupplier {
  private readonly spillRoot: string;
  /** The session being prepared or ready for the next run; null when none is (stopped, or failed). */
  private next: Promise<EngineSession | null> | null = null;
  private stopped = false;
  /** Instances of finished runs still being closed. */
  private readonly disposals = new Set<Promise<void>>();

  private constructor(private readonly opts: WarmSessionsOptions) {
    this.spillRoot = opts.spillRoot ?? DEFAULT_SPILL_ROOT;
    this.next = this.prepare();
  }

  /** Starts preparing, and makes EngineSession.open take its sessions from here until `close`. */
  static start(opts: WarmSessionsOptions): WarmSessions {
    const warm = new WarmSessions(opts);
    EngineSession.useSupplier(warm);
    return warm;
  }

  /**
   * The prepared session (waiting for it if it is still being prepared), configured for this run,
   * and starts preparing the next. Null when the run's instance options differ from these.
   */
  take(opts: SessionOptions): Promise<EngineSession | null> | null {
    if (this.stopped || (opts.spillRoot ?? DEFAULT_SPILL_ROOT) !== this.spillRoot || opts.threads !== this.opts.threads) return null;
    const taken = (this.next ?? this.prepare()).then(async (session) => {
      if (session === null) return null;
      try {
        session.disposeWith((dispose) => this.dispose(dispose));
        await session.configureRun(opts);
        return session;
      } catch (e) {
        await session.close();
        throw e;
      }
    });
    this.next = taken.then(() => this.prepare(), () => this.prepare());
    return taken;
  }

  /** Resolves once the session for the next run is prepared (or could not be). */
  async ready(): Promise<void> {
    await this.next?.catch(() => null);
  }

  /** Stops preparing sessions and closes the one prepared (waiting for it if needed). */
  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    EngineSession.dropSupplier(this);
    const pending = this.next;
    this.next = null;
    const session = await pending?.catch(() => null);
    await session?.close();
    while (this.disposals.size) await Promise.all([...this.disposals]);
    this.opts.log.debug('closed the prepared engine session');
  }

  /**
   * Closes a finished run's instance once the current turn of the event loop is over: closing
   * blocks the thread for a few milliseconds, and by then the run's outcome has been sent. It runs
   * before any I/O of the next run completes, so the next run's engine never works beside it.
   */
  private dispose(dispose: () => Promise<void>): void {
    const done: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
      .then(dispose)
      .catch((err: unknown) => this.opts.log.warn({ err }, 'could not close a finished run\'s engine session'))
      .finally(() => this.disposals.delete(done));
    this.disposals.add(done);
  }

  /** A new session for the next run; null (logged) if it could not be started, or once stopped. */
  private async prepare(): Promise<EngineSession | null> {
    if (this.stopped) return null;
    const fds = descriptorShortage();
    if (fds !== null) {
      this.opts.log.warn({ code: 'AQ_TOO_MANY_OPEN_FILES', free_descriptors: fds.free, descriptor_limit: fds.limit },
        'too few free file descriptors to prepare an engine session ahead of the next run; the run will start its own');
      return null;
    }
    try {
      const maxSpillBytes = await this.opts.spillBudget?.();
      const session = await EngineSession.create({ spillRoot: this.spillRoot, threads: this.opts.threads, memoryLimitGb: this.opts.memoryLimitGb, maxSpillBytes }, this.opts.log);
      // The connection of a run's first stage (the stages of a group each open their own).
      await session.prepareConnections(1);
      if (!this.stopped) {
        this.opts.log.debug('prepared an engine session for the next run');
        return session;
      }
      await session.close();
      return null;
    } catch (err) {
      this.opts.log.warn({ err }, 'could not prepare an engine session ahead of the next run; the run will start its own');
      return null;
    }
  }
}
