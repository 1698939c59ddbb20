/**
 * Time travel by timestamp: the greatest version committed at or before T.
 *
 * A version's commit time is the last-modified time of its commit file (what delta-rs and Spark
 * use; S3 and Azure report whole seconds, GCS milliseconds, local disks finer), or, for commits
 * written with in-commit timestamps enabled, the `commitInfo.inCommitTimestamp` recorded in the
 * commit itself (monotonic by construction, so those are found by binary search).
 *
 * A timestamp after the latest commit reads the latest version. A timestamp before the earliest
 * available commit is an error naming that commit and its time (as Spark does; delta-rs silently
 * reads the earliest version instead): a table that did not exist yet at T has no state at T,
 * and reading a later state would be a wrong answer given without a word.
 */
import type { ObjectMeta } from '../storage/types.js';
import { deltaError } from './errors.js';
import type { DeltaLocation } from './location.js';
import type { LogListing } from './listing.js';
import { readCommits } from './commits.js';

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:?\d{2})$/;

/** Milliseconds since the epoch of an RFC 3339 timestamp (sub-millisecond digits dropped), or null. */
export function parseTimestampMs(s: string): number | null {
  const m = RFC3339.exec(s.trim());
  if (!m) return null;
  const fraction = (m[3] ?? '').slice(0, 3).padEnd(3, '0');
  let zone = m[4]!.toUpperCase();
  if (zone !== 'Z' && !zone.includes(':')) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${m[1]}T${m[2]}.${fraction}${zone}`);
  return Number.isNaN(ms) ? null : ms;
}

async function modifiedMs(loc: DeltaLocation, meta: ObjectMeta, signal: AbortSignal): Promise<number> {
  if (meta.lastModified) return meta.lastModified.getTime();
  const head = await loc.store.head(meta.key, { signal });
  return head?.lastModified?.getTime() ?? 0;
}

/** The in-commit timestamp of a commit, or null when it was written without one. */
async function inCommitTimestamp(loc: DeltaLocation, version: number, listing: LogListing, signal: AbortSignal): Promise<number | null> {
  const [actions] = await readCommits(loc, [version], signal, listing.commits);
  const info = actions!.find((a) => a.kind === 'commitInfo');
  const ict = info?.kind === 'commitInfo' ? info.commitInfo.inCommitTimestamp : undefined;
  return typeof ict === 'number' ? ict : null;
}

export async function resolveTimestamp(loc: DeltaLocation, listing: LogListing, timestamp: string, ctx: { signal: AbortSignal }): Promise<number> {
  const t = parseTimestampMs(timestamp);
  if (t === null) throw deltaError('AQ_DELTA_VERSION_NOT_AVAILABLE', loc.url, null, `timestamp "${timestamp}" is not an RFC 3339 date-time (e.g. 2024-01-15T10:30:00Z)`);
  const versions = [...listing.commits.keys()].sort((a, b) => a - b);
  if (versions.length === 0) throw deltaError('AQ_DELTA_VERSION_NOT_AVAILABLE', loc.url, null, 'the log has no commit files, so no version can be found by timestamp');
  const latest = versions[versions.length - 1]!;

  // Versions from the first one written with an in-commit timestamp onwards use those (binary search).
  let ictFrom = versions.length;
  if ((await inCommitTimestamp(loc, latest, listing, ctx.signal)) !== null) {
    let lo = 0;
    let hi = versions.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((await inCommitTimestamp(loc, versions[mid]!, listing, ctx.signal)) !== null) hi = mid;
      else lo = mid + 1;
    }
    ictFrom = lo;
  }
  if (ictFrom < versions.length) {
    const firstIct = (await inCommitTimestamp(loc, versions[ictFrom]!, listing, ctx.signal))!;
    if (t >= firstIct) {
      let lo = ictFrom;
      let hi = versions.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((await inCommitTimestamp(loc, versions[mid]!, listing, ctx.signal))! <= t) lo = mid;
        else hi = mid - 1;
      }
      return versions[lo]!;
    }
  }

  let found = -1;
  for (let i = 0; i < ictFrom; i++) {
    const v = versions[i]!;
    if ((await modifiedMs(loc, listing.commits.get(v)!, ctx.signal)) <= t) found = v;
  }
  if (found >= 0) return found;
  const first = versions[0]!;
  const firstTime = ictFrom === 0 ? (await inCommitTimestamp(loc, first, listing, ctx.signal))! : await modifiedMs(loc, listing.commits.get(first)!, ctx.signal);
  throw deltaError(
    'AQ_DELTA_VERSION_NOT_AVAILABLE', loc.url, null,
    `timestamp ${timestamp} is before the earliest available commit (version ${first}, committed at ${new Date(firstTime).toISOString()})`,
  );
}
