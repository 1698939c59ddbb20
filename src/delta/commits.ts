/** Reading commit files. */
import { forEachLimit } from '../storage/abort.js';
import type { ObjectMeta } from '../storage/types.js';
import { parseCommit, type Action } from './actions.js';
import { deltaError } from './errors.js';
import { readSmallObject } from './io.js';
import type { DeltaLocation } from './location.js';
import { commitFileName } from './paths.js';

const COMMIT_READ_CONCURRENCY = 8;

/** Reads and parses commit files (in parallel), returned in version order. */
export async function readCommits(loc: DeltaLocation, versions: number[], signal: AbortSignal, metas?: Map<number, ObjectMeta>): Promise<Action[][]> {
  const out: Action[][] = new Array(versions.length);
  await forEachLimit(versions, COMMIT_READ_CONCURRENCY, signal, async (v, i) => {
    const key = metas?.get(v)?.key ?? `${loc.log}${commitFileName(v)}`;
    const text = await readSmallObject(loc.store, key, signal);
    if (text === null) throw deltaError('AQ_DELTA_VERSION_NOT_AVAILABLE', loc.url, v, `commit ${commitFileName(v)} disappeared while the log was read (cleaned up concurrently?)`);
    out[i] = parseCommit(text, loc.url, v, `commit ${commitFileName(v)}`);
  });
  return out;
}

