/**
 * File permissions do not bind root, and the tests run as root in CI: a check that a file cannot
 * be read runs in a child process without the capabilities that let root ignore them
 * (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, dropped from its bounding set with util-linux's
 * `setpriv`), and in a plain child process otherwise. The child stays root in every other way,
 * so it reaches the repository, its dependencies and Node wherever they are installed (a
 * checkout or a Node under /root, which an unprivileged user such as `nobody` cannot enter).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from './paths.js';

const PERMISSION_BYPASS = '-dac_override,-dac_read_search';

/** A new directory for the files a check reads. */
export function reachableTempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

/**
 * Runs `source` (an ES module, TypeScript allowed) with node and tsx, bound by file permissions,
 * with `args` as process.argv[1...], and returns its standard output.
 */
export function runUnprivileged(source: string, args: string[] = []): string {
  const node = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', source, ...args];
  const [command, ...rest] = process.getuid?.() === 0 ? ['setpriv', `--bounding-set=${PERMISSION_BYPASS}`, ...node] : node;
  return execFileSync(command!, rest, { cwd: REPO, encoding: 'utf8', env: { PATH: process.env.PATH, TMPDIR: os.tmpdir() } });
}
