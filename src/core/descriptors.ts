/**
 * File descriptors: the process's limit (`ulimit -n`), how many are open, and the connection caps
 * the servers derive from the limit so that connections can never take the descriptors a run
 * needs. Linux only (`/proc/self`); elsewhere the limit and the count are unknown (null) and the
 * servers fall back to fixed caps and skip the headroom check.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Descriptors the process uses for itself: stdio, the event loop, DuckDB's libraries, logs. */
export const BASE_DESCRIPTORS = 32;
/** Descriptors kept free for runs: a quarter of the limit, at least this many. */
export const MIN_RUN_RESERVE = 64;
/** A run does not start with fewer free descriptors than this (it opens files, spill files, sockets). */
export const RUN_MIN_FREE_DESCRIPTORS = 32;
/** Caps derived from the limit never exceed these. */
export const MAX_DERIVED_CONNECTIONS = 10_000;
export const MAX_DERIVED_PENDING = 256;
/** The caps when the limit is unknown (not Linux) or unlimited. */
export const FALLBACK_CAPS = Object.freeze({ maxConnections: 1000, maxPending: 256 });

/**
 * The soft limit, read when this module loads: later, with every descriptor taken, the file could
 * not be opened, and that is exactly when the limit is needed. (Node cannot change its own limit;
 * `prlimit` from outside could, which this would not see.)
 */
let cachedLimit: number | null | undefined = readLimit();

function readLimit(): number | null | undefined {
  try {
    return parseDescriptorLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return undefined; // not known yet: an EMFILE now must not hide the limit for ever
  }
}

/** The soft limit on open files from `/proc/self/limits`, or null when unknown or unlimited. */
export function descriptorLimit(): number | null {
  cachedLimit ??= readLimit();
  return cachedLimit ?? null;
}

/** The soft `Max open files` limit in the text of a `/proc/<pid>/limits` file. */
export function parseDescriptorLimit(text: string): number | null {
  const m = /^Max open files\s+(\S+)/m.exec(text);
  if (!m || !/^\d+$/.test(m[1]!)) return null;
  return Number(m[1]);
}

/**
 * How many descriptors are open, counted in `/proc/self/fd`; Infinity when even that directory
 * cannot be opened for lack of descriptors; null when there is no such directory.
 */
export function openDescriptors(): number | null {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'EMFILE' || code === 'ENFILE' ? Infinity : null;
  }
}

/** Free descriptors under the limit (0 when exhausted), or null when the limit or the count is unknown. */
export function freeDescriptors(): { free: number; limit: number } | null {
  const limit = descriptorLimit();
  if (limit === null) return null;
  const open = openDescriptors();
  if (open === null) return null;
  return { free: Math.max(0, limit - open), limit };
}

/**
 * The free descriptors when fewer are free than a run needs (RUN_MIN_FREE_DESCRIPTORS), else null
 * (also when unknown). DuckDB aborts the whole process when it cannot open a file it needs, so
 * nothing starts DuckDB work while this is non-null.
 */
export function descriptorShortage(): { free: number; limit: number } | null {
  const fds = freeDescriptors();
  return fds !== null && fds.free < RUN_MIN_FREE_DESCRIPTORS ? fds : null;
}

/**
 * Default connection caps for a descriptor limit: what is left after the process's own
 * descriptors and a reserve for runs (a quarter of the limit, at least 64), at most 10,000; half
 * of that (at most 256) may still be waiting for authentication. Never below 1.
 */
export function connectionCaps(limit: number | null): { maxConnections: number; maxPending: number } {
  if (limit === null) return { ...FALLBACK_CAPS };
  const reserve = Math.max(MIN_RUN_RESERVE, Math.floor(limit / 4));
  const maxConnections = Math.max(1, Math.min(MAX_DERIVED_CONNECTIONS, limit - reserve - BASE_DESCRIPTORS));
  const maxPending = Math.max(1, Math.min(MAX_DERIVED_PENDING, Math.floor(maxConnections / 2)));
  return { maxConnections, maxPending };
}
