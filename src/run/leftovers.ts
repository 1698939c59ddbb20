/**
 * What runs of dead processes left behind: their spill directories (`run-<pid>-…` under the spill
 * root) and, for a process killed while writing a local destination, the temporary output beside
 * the target (found through the journal in its spill directory; a previous dataset it had moved
 * aside goes back in place). Only directories named as this project names them, of processes that
 * no longer exist, are touched; nothing else in the spill root is.
 */
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../core/log.js';
import { spillDirOwner } from '../engine/session.js';
import { recoverLocalDestination } from '../destinations/file.js';

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface Leftovers {
  /** Spill directories removed. */
  spillDirs: string[];
  /** Destination targets whose temporary output was removed (and previous dataset restored if needed). */
  destinations: string[];
}

export async function removeLeftovers(spillRoot: string, log?: Logger): Promise<Leftovers> {
  const found: Leftovers = { spillDirs: [], destinations: [] };
  let names: string[];
  try {
    names = await readdir(spillRoot);
  } catch {
    return found;
  }
  for (const name of names) {
    const pid = spillDirOwner(name);
    if (pid === null || alive(pid)) continue;
    const dir = path.join(spillRoot, name);
    try {
      const target = await recoverLocalDestination(dir);
      if (target !== null) found.destinations.push(target);
      await rm(dir, { recursive: true, force: true });
      found.spillDirs.push(dir);
    } catch (err) {
      log?.warn({ err: { message: (err as Error).message }, dir }, 'could not remove what an earlier run left behind');
    }
  }
  if (found.spillDirs.length) log?.info({ spill_dirs: found.spillDirs.length, destinations: found.destinations }, 'removed what runs of earlier processes left behind');
  return found;
}
