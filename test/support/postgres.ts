/**
 * A throw-away PostgreSQL for tests: `initdb` into a temporary directory, listening on a free
 * loopback port (127.0.0.1 only, no Unix socket), trust authentication for the test role and
 * password (scram) authentication for a second role, so wrong passwords can be tested.
 *
 * PostgreSQL refuses to run as root; when the tests run as root (CI, containers) the server and
 * `initdb` run as the `postgres` system user (the data directory is handed to it). Nothing is
 * registered globally: clients use DSN-less connection strings with the driver registered by the
 * Debian package (`Driver={PostgreSQL Unicode}`). Call `stop()` in an `after()` hook; an exit
 * hook kills the server too if the test process ends without it, and a watchdog if the test
 * process is killed.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm, writeFile, appendFile, readFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The test role (trust authentication on loopback). */
export const PG_USER = 'aq_test';
/** A role that must log in with its password. */
export const PG_SECURE_USER = 'aq_secure';
export const PG_SECURE_PASSWORD = 'Sup3r-Secret-pw!';
export const PG_DATABASE = 'aq';

export interface PgServer {
  host: '127.0.0.1';
  port: number;
  database: string;
  /** A DSN-less psqlODBC connection string for the trust role (or the given credentials). */
  connectionString(opts?: { user?: string; password?: string; database?: string; extra?: string }): string;
  /** Runs SQL through `psql` (as the test role) and returns its unaligned, tuples-only output. */
  psql(sql: string, opts?: { database?: string }): Promise<string>;
  /** Rows of a query as arrays of text (NULL as null), through psql. */
  rows(sql: string): Promise<Array<Array<string | null>>>;
  /** The queries of the other client sessions (text of each session's current/last statement). */
  sessions(): Promise<Array<{ state: string; query: string }>>;
  /** Waits until another session runs a statement matching `pattern`. */
  waitForQuery(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Waits until no other client session is connected. */
  waitForNoSessions(timeoutMs?: number): Promise<void>;
  /** The server's log (its stderr) so far. */
  serverLog(): Promise<string>;
  stop(): Promise<void>;
}

/** Where the PostgreSQL server binaries are (the newest version installed). */
export function pgBin(name: string): string {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) {
      const p = path.join(root, v, 'bin', name);
      if (existsSync(p)) return p;
    }
  }
  return name;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** uid/gid to run the server as: the `postgres` user when we are root, else ourselves. */
function serverIdentity(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

async function waitReady(port: number, proc: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`postgres exited (${proc.exitCode}): ${await readFile(log, 'utf8').catch(() => '')}`);
    try {
      await run(pgBin('pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-q']);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`postgres did not become ready: ${await readFile(log, 'utf8').catch(() => '')}`);
}

export async function startPostgres(opts: { port?: number } = {}): Promise<PgServer> {
  const who = serverIdentity();
  // The server user must reach the directory: under root, a private TMPDIR would not do.
  const dir = await mkdtemp(path.join(who ? '/tmp' : os.tmpdir(), 'aq-pg-'));
  const data = path.join(dir, 'data');
  const log = path.join(dir, 'server.log');
  if (who) await chown(dir, who.uid, who.gid);
  const asServer = who ? { uid: who.uid, gid: who.gid } : {};
  const env = { ...process.env, LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8', TZ: 'UTC', HOME: dir };
  let proc: ChildProcess | undefined;
  const killOnExit = () => { try { proc?.kill('SIGKILL'); } catch { /* gone */ } };
  try {
    await new Promise<void>((resolve, reject) => {
      const p = spawn(pgBin('initdb'), ['-D', data, '-U', PG_USER, '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C.UTF-8'], { env, cwd: dir, ...asServer, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      p.stderr!.on('data', (d: Buffer) => { err += d; });
      p.on('error', reject);
      p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`initdb failed (${code}): ${err}`))));
    });
    // Loopback only: trust for the test role, passwords for everyone else.
    await writeFile(path.join(data, 'pg_hba.conf'), [
      `host all ${PG_USER} 127.0.0.1/32 trust`,
      'host all all 127.0.0.1/32 scram-sha-256',
      '',
    ].join('\n'));
    await appendFile(path.join(data, 'postgresql.conf'), "\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\ntimezone = 'UTC'\n");
    const port = opts.port ?? (await freePort());
    proc = spawn(pgBin('postgres'), ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='], {
      env, cwd: dir, ...asServer, stdio: ['ignore', 'ignore', 'pipe'],
    });
    proc.stderr!.on('data', (d: Buffer) => { void appendFile(log, d).catch(() => {}); });
    process.once('exit', killOnExit);
    // A test process killed by a signal runs no hooks: a detached watchdog then stops the server
    // and removes its directory.
    const watchdog = spawn('sh', ['-c', [
      `while [ -d /proc/${process.pid} ] && kill -0 ${proc.pid} 2>/dev/null; do sleep 1; done`,
      `kill -QUIT ${proc.pid} 2>/dev/null`,
      `while kill -0 ${proc.pid} 2>/dev/null; do sleep 0.2; done`,
      `rm -rf '${dir}'`,
    ].join('; ')], { stdio: 'ignore', detached: true });
    watchdog.unref();
    await waitReady(port, proc, log);

    const psqlArgs = (db: string, user = PG_USER) => ['-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', db, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-At'];
    const psql = async (sql: string, o: { database?: string } = {}) => {
      const { stdout } = await run('psql', [...psqlArgs(o.database ?? PG_DATABASE), '-c', sql], { env: { ...process.env, PGCONNECT_TIMEOUT: '10' }, maxBuffer: 256 * 1024 * 1024 });
      return stdout;
    };
    await run('psql', [...psqlArgs('postgres'), '-c', `CREATE DATABASE ${PG_DATABASE}`]);
    await psql(`CREATE ROLE ${PG_SECURE_USER} LOGIN PASSWORD '${PG_SECURE_PASSWORD}'; GRANT ALL ON SCHEMA public TO ${PG_SECURE_USER};`);

    const server: PgServer = {
      host: '127.0.0.1',
      port,
      database: PG_DATABASE,
      connectionString: (o = {}) =>
        `Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=${port};Database=${o.database ?? PG_DATABASE};Uid=${o.user ?? PG_USER};Pwd=${o.password ?? ''};${o.extra ?? ''}`,
      psql,
      rows: async (sql) => {
        // Unit separator between fields, record separator between rows; NULL spelled \N.
        const { stdout } = await run('psql', [...psqlArgs(PG_DATABASE), '-F', '\x1f', '-R', '\x1e', '-P', 'null=\\N', '-c', sql], { maxBuffer: 256 * 1024 * 1024 });
        const body = stdout.replace(/\n$/, '');
        if (body === '') return [];
        return body.split('\x1e').map((r) => r.split('\x1f').map((v) => (v === '\\N' ? null : v)));
      },
      sessions: async () => {
        const rows = await server.rows("SELECT state, query FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()");
        return rows.map(([state, query]) => ({ state: state ?? '', query: query ?? '' }));
      },
      waitForQuery: async (pattern, timeoutMs = 20_000) => {
        const deadline = Date.now() + timeoutMs;
        while (Date.now() < deadline) {
          if ((await server.sessions()).some((s) => s.state === 'active' && pattern.test(s.query))) return;
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error(`no session ran a statement matching ${pattern} within ${timeoutMs} ms`);
      },
      waitForNoSessions: async (timeoutMs = 10_000) => {
        const deadline = Date.now() + timeoutMs;
        let last: Array<{ state: string; query: string }> = [];
        while (Date.now() < deadline) {
          last = await server.sessions();
          if (last.length === 0) return;
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error(`sessions still connected after ${timeoutMs} ms: ${JSON.stringify(last)}`);
      },
      serverLog: () => readFile(log, 'utf8').catch(() => ''),
      stop: async () => {
        process.removeListener('exit', killOnExit);
        const p = proc!;
        if (p.exitCode === null && p.signalCode === null) {
          const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
          p.kill('SIGQUIT'); // immediate shutdown: nothing to keep
          const timer = setTimeout(() => p.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(timer);
        }
        await rm(dir, { recursive: true, force: true });
      },
    };
    return server;
  } catch (e) {
    process.removeListener('exit', killOnExit);
    killOnExit();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}
