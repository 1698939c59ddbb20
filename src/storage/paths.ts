/** Local paths as the file system resolves them: symbolic links followed, containment tested. */
import { realpath } from 'node:fs/promises';
import path from 'node:path';

/** The real path of `p`: symbolic links followed, for a path that does not exist yet up to its nearest existing ancestor. */
export async function resolveReal(p: string): Promise<string> {
  const abs = path.resolve(p);
  const rest: string[] = [];
  let at = abs;
  for (;;) {
    try {
      return path.join(await realpath(at), ...rest.reverse());
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
      const up = path.dirname(at);
      if (up === at) return abs;
      rest.push(path.basename(at));
      at = up;
    }
  }
}

/** Whether `p` is `dir` or lies below it (both absolute and resolved). */
export function isWithin(p: string, dir: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
