/** The package version, read once from the package.json above this file (src/ or dist/src/). */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageJson(from: string): string {
  let dir = from;
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (existsSync(candidate)) return candidate;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('package.json not found');
    dir = up;
  }
}

const pkg = JSON.parse(readFileSync(findPackageJson(path.dirname(fileURLToPath(import.meta.url))), 'utf8')) as { version: string };
export const VERSION: string = pkg.version;
