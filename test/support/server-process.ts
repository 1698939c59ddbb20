/**
 * Starts one of the built server programs (dist/) as a child process: JSON log lines from stderr
 * are parsed as they come, and the URL is taken from its "<name> listening on <url>" line.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface ServerProcess {
  url: string;
  proc: ChildProcess;
  /** Every log line (parsed JSON) so far. */
  logs: Array<Record<string, unknown>>;
  stderr: () => string;
  exited: Promise<number | null>;
  /** SIGKILL (if still running); resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * `openFilesLimit` runs the program under that descriptor limit (`ulimit -n` in a shell that then
 * execs it, so the process is still the program's own).
 */
export async function spawnServer(name: string, bin: string, args: string[], env: Record<string, string | undefined>, cwd: string, opts: { openFilesLimit?: number } = {}): Promise<ServerProcess> {
  const proc = opts.openFilesLimit === undefined
    ? spawn(process.execPath, [bin, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn('bash', ['-c', `ulimit -n ${opts.openFilesLimit} && exec "$0" "$@"`, process.execPath, bin, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Array<Record<string, unknown>> = [];
  let err = '';
  let pending = '';
  proc.stderr!.on('data', (d: Buffer) => {
    err += d;
    pending += d;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const l of lines) {
      try { logs.push(JSON.parse(l) as Record<string, unknown>); } catch { /* not a log line */ }
    }
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d;
      const m = new RegExp(`${name} listening on (\\S+)`).exec(out);
      if (m) resolve(m[1]!);
    });
    exited.then((code) => reject(new Error(`${name} exited with ${code} before listening: ${err}`)));
    setTimeout(() => reject(new Error(`${name} did not start: ${err}`)), 15000).unref();
  });
  return {
    url,
    proc,
    logs,
    stderr: () => err,
    exited,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      return exited;
    },
  };
}
