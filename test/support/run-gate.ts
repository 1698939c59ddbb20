/**
 * Runs that are still running when a test acts, on any machine. Two kinds:
 *
 * - `ENDLESS_STAGE`: a stage that runs until it is cancelled (for tests that cancel, kill or
 *   time the run out);
 * - `closedGate(pg)`: an ODBC source whose load query waits for a PostgreSQL advisory lock the
 *   test holds; the run stays in that source, observably (`waitUntilBlocked`: PostgreSQL shows
 *   the query waiting), until the test calls `open()`, and then completes normally. For tests
 *   whose run must finish after they acted (drains, link cuts, queues).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { PG_DATABASE, PG_USER, type PgServer } from './postgres.js';

/** A stage of about 10^11 md5 computations: it ends by being cancelled. */
export const ENDLESS_STAGE = { name: 'endless', query: "SELECT count(*) AS c FROM range(100000000000) t(x) WHERE md5(x::VARCHAR) LIKE 'fffff%'" };

export interface RunGate {
  /** A source named `gate` yielding one row (`opened` = 1) once the gate is open. */
  readonly source: { type: 'odbc'; name: string; connection_string: string; load_query: string };
  /** Waits until a run's query is waiting at the gate inside PostgreSQL. */
  waitUntilBlocked(timeoutMs?: number): Promise<void>;
  /** Releases the lock: every run waiting at the gate goes on. */
  open(): Promise<void>;
  readonly isOpen: boolean;
}

let nextKey = 7100;

/** A gate, closed: a psql session holds the advisory lock until `open()`. */
export async function closedGate(pg: PgServer): Promise<RunGate> {
  const key = nextKey++;
  const holder: ChildProcessWithoutNullStreams = spawn('psql', ['-h', pg.host, '-p', String(pg.port), '-U', PG_USER, '-d', PG_DATABASE, '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1'], { stdio: 'pipe' });
  holder.stdout.resume();
  // A failed test leaves the gate closed: the holder goes with the test process.
  const kill = () => holder.kill();
  process.once('exit', kill);
  holder.once('exit', () => process.removeListener('exit', kill));
  holder.stdin.write(`SELECT pg_advisory_lock(${key});\n`);
  const deadline = Date.now() + 20_000;
  while ((await pg.psql(`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = ${key} AND granted`)).trim() !== '1') {
    if (holder.exitCode !== null || Date.now() > deadline) throw new Error(`the gate's lock ${key} could not be taken`);
    await new Promise((r) => setTimeout(r, 50));
  }
  let isOpen = false;
  const waiting = new RegExp(`pg_advisory_lock_shared\\(${key}\\)`);
  return {
    source: { type: 'odbc', name: 'gate', connection_string: pg.connectionString(), load_query: `SELECT count(*) AS opened FROM (SELECT pg_advisory_lock_shared(${key})) AS g` },
    waitUntilBlocked: (timeoutMs = 30_000) => pg.waitForQuery(waiting, timeoutMs),
    open: async () => {
      if (isOpen) return;
      isOpen = true;
      const exited = once(holder, 'exit');
      holder.stdin.end(`SELECT pg_advisory_unlock(${key});\n\\q\n`);
      await exited;
    },
    get isOpen() { return isOpen; },
  };
}
