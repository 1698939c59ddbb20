/**
 * Which packages a program under test loaded: the program runs with test/support/load-recorder.mjs
 * imported (through NODE_OPTIONS, so the built programs run unchanged), which writes every module
 * the process loads into a file; `loadedPackages` reads that file back as package names.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO } from './paths.js';

const RECORDER = path.join(REPO, 'test/support/load-recorder.mjs');

export interface LoadRecording {
  /** Environment for the child process: NODE_OPTIONS imports the recorder, AQ_LOAD_LOG names its file. */
  env: Record<string, string>;
  /** The packages loaded so far (complete once the process has exited), e.g. `@aws-sdk/client-s3`, `fastify`. */
  packages(): Promise<Set<string>>;
  /** The files of the modules loaded so far, as paths, each once. */
  files(): Promise<string[]>;
  /** The files of the modules loaded through `import` (the load hook), as paths, each once. */
  imported(): Promise<string[]>;
}

export async function recordLoads(): Promise<LoadRecording> {
  const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'aq-loads-')), 'modules.txt');
  return {
    env: { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${RECORDER}`.trim(), AQ_LOAD_LOG: file },
    packages: async () => packagesOf(await readFile(file, 'utf8')),
    files: async () => [...new Set((await readFile(file, 'utf8')).split('\n').filter(Boolean).map((l) => (l.startsWith('file:') ? fileURLToPath(l) : l)))],
    imported: async () => [...new Set((await readFile(file, 'utf8')).split('\n').filter((l) => l.startsWith('file:')).map((l) => fileURLToPath(l)))],
  };
}

/** The package of each recorded module (the innermost `node_modules/<name>` or `node_modules/@scope/<name>`). */
export function packagesOf(recorded: string): Set<string> {
  const out = new Set<string>();
  for (const line of recorded.split('\n')) {
    const m = /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(decodeURIComponent(line));
    if (m) out.add(m[1]!);
  }
  return out;
}

/** The recorded packages that match one of the patterns (a name, or a scope such as `@aws-sdk/`). */
export function matching(packages: Set<string>, patterns: readonly string[]): string[] {
  return [...packages].filter((p) => patterns.some((q) => (q.endsWith('/') ? p.startsWith(q) : p === q))).sort();
}
