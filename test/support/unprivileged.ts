/**
 * File permissions do not apply to root, and the tests run as root in CI: a check that a file
 * cannot be read runs in a child process as an unprivileged user (`nobody`, no supplementary
 * groups) when this process is root, and in this process otherwise.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from './paths.js';

/** The uid and gid the checks run as: ours, or nobody's when we are root. */
export function unprivilegedIdentity(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'nobody'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** A new directory the unprivileged user can enter (a plain temporary directory is root's only). */
export function reachableTempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

/**
 * Runs `source` (an ES module, TypeScript allowed) with node and tsx as the unprivileged user,
 * with `args` as process.argv[1...], and returns its standard output. As a non-root user it runs
 * as that user: the same checks hold.
 */
export function runUnprivileged(source: string, args: string[] = []): string {
  const who = unprivilegedIdentity();
  return execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source, ...args], {
    cwd: REPO,
    encoding: 'utf8',
    // tsx keeps its cache under the temporary directory, per user.
    env: { PATH: process.env.PATH, TMPDIR: os.tmpdir() },
    ...(who ?? {}),
  });
}
