/**
 * Listing `_delta_log/` (one level, never recursive: `.tmp/`, `_staged_commits/` and other
 * sub-directories are not part of the log) into commits and checkpoints. `_last_checkpoint` is
 * only a hint of where to start listing: it may be stale, missing or corrupt, so what is used is
 * always confirmed by the listing itself.
 */
import type { ObjectMeta } from '../storage/types.js';
import { readSmallObject } from './io.js';
import type { DeltaLocation } from './location.js';
import { parseLogFileName, versionName } from './paths.js';

export interface CheckpointFiles {
  version: number;
  /** The part objects in part order (one for a classic checkpoint). */
  parts: ObjectMeta[];
}

export interface LogListing {
  /** Commit files by version. */
  commits: Map<number, ObjectMeta>;
  /** Complete checkpoints by version (a multi-part checkpoint only when every part is there). */
  checkpoints: Map<number, CheckpointFiles>;
  /** Versions that have a UUID-named (V2) checkpoint. */
  v2Checkpoints: Set<number>;
  /** The smallest version the listing covers (0 for a full listing). */
  from: number;
}

export interface LastCheckpointHint {
  version: number;
  parts?: number;
}

/** Reads `_last_checkpoint`; null when it is missing or not usable (it is only a hint). */
export async function readLastCheckpoint(loc: DeltaLocation, signal: AbortSignal): Promise<LastCheckpointHint | null> {
  let text: string | null;
  try {
    text = await readSmallObject(loc.store, `${loc.log}_last_checkpoint`, signal);
  } catch (e) {
    if (signal.aborted) throw e;
    return null;
  }
  if (text === null) return null;
  try {
    const v = JSON.parse(text) as { version?: unknown; parts?: unknown };
    if (typeof v.version !== 'number' || !Number.isInteger(v.version) || v.version < 0) return null;
    return { version: v.version, ...(typeof v.parts === 'number' ? { parts: v.parts } : {}) };
  } catch {
    return null;
  }
}

/** How many versions one narrowed listing request covers (the versions sharing 17 leading digits). */
const BLOCK = 1000;

/**
 * Lists the log. With `from`, only versions from the block containing `from` onwards are listed
 * (object stores list by prefix, so the 20-digit names are narrowed to the block's first 17
 * digits, block after block); without it, the whole log.
 */
export async function listLog(loc: DeltaLocation, signal: AbortSignal, from?: number): Promise<LogListing> {
  const listing: LogListing = { commits: new Map(), checkpoints: new Map(), v2Checkpoints: new Set(), from: 0 };
  const partial = new Map<string, Array<ObjectMeta | undefined>>();
  const take = async (prefix: string): Promise<number> => {
    let greatest = -1;
    for await (const e of loc.store.list(prefix, { signal, recursive: false })) {
      if (e.kind !== 'object') continue;
      const name = e.key.slice(loc.log.length);
      if (name.includes('/')) continue;
      const parsed = parseLogFileName(name);
      if (!parsed) continue;
      const meta: ObjectMeta = { key: e.key, size: e.size, ...(e.lastModified ? { lastModified: e.lastModified } : {}) };
      if (parsed.type === 'commit') {
        listing.commits.set(parsed.version, meta);
        greatest = Math.max(greatest, parsed.version);
      } else if (parsed.type === 'v2checkpoint') {
        listing.v2Checkpoints.add(parsed.version);
      } else {
        const id = `${parsed.version}/${parsed.parts}`;
        const parts = partial.get(id) ?? new Array<ObjectMeta | undefined>(parsed.parts).fill(undefined);
        parts[parsed.part - 1] = meta;
        partial.set(id, parts);
      }
    }
    return greatest;
  };
  if (from === undefined || from < BLOCK) {
    await take(loc.log);
  } else {
    let block = Math.floor(from / BLOCK) * BLOCK;
    listing.from = block;
    for (;;) {
      const greatest = await take(`${loc.log}${versionName(block).slice(0, 17)}`);
      // The block is full up to its last version: the log may go on in the next one.
      if (greatest !== block + BLOCK - 1) break;
      block += BLOCK;
    }
  }
  for (const [id, parts] of partial) {
    if (parts.some((p) => p === undefined)) continue;
    const version = Number(id.split('/')[0]);
    const current = listing.checkpoints.get(version);
    // Prefer the classic (single-file) checkpoint when a version has several complete ones.
    if (!current || parts.length < current.parts.length) listing.checkpoints.set(version, { version, parts: parts as ObjectMeta[] });
  }
  return listing;
}

/** The greatest version in the listing (commit or checkpoint), or -1 for an empty log. */
export function latestVersion(l: LogListing): number {
  let v = -1;
  for (const k of l.commits.keys()) v = Math.max(v, k);
  for (const k of l.checkpoints.keys()) v = Math.max(v, k);
  return v;
}
