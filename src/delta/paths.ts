/**
 * Names in a Delta table: `add.path` encoding (a relative RFC 2396/3986 URI, decoded exactly once),
 * partition directory names (`col=<escaped value>`, Hive/Spark escaping), and the files of
 * `_delta_log/` (commits, classic and multi-part checkpoints; everything else is ignored).
 */

/** Characters Spark's `escapePathName` escapes in partition directory values. */
const HIVE_ESCAPED = new Set(['"', '#', '%', "'", '*', '/', ':', '=', '?', '\\', '\x7f', '{', '[', ']', '^']);

/** Hive-escapes a partition value for its directory name (`a:b` → `a%3Ab`). */
export function escapePartitionValue(value: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (code < 0x20 || HIVE_ESCAPED.has(ch)) out += `%${code.toString(16).toUpperCase().padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

export const NULL_PARTITION_DIR = '__HIVE_DEFAULT_PARTITION__';

/** `col=value` for one partition column (the value null means the Hive default partition). */
export function partitionSegment(column: string, value: string | null): string {
  return `${escapePartitionValue(column)}=${value === null ? NULL_PARTITION_DIR : escapePartitionValue(value)}`;
}

/** Characters kept as they are in an `add.path`: RFC 3986 unreserved, sub-delims, `:`, `@` and `/`. */
const URI_KEPT = /[A-Za-z0-9\-._~!$&'()*+,;=:@/]/;

/** Percent-encodes a relative path for `add.path` (a directory `a%3Ab` is logged as `a%253Ab`). */
export function encodeAddPath(relative: string): string {
  let out = '';
  for (const ch of relative) {
    if (URI_KEPT.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * Decodes an `add.path` (or `remove.path`) exactly once. Returns null for a malformed escape.
 * Absolute URIs (`scheme://...`) are returned decoded as well; see `isAbsolutePath`.
 */
export function decodeAddPath(p: string): string | null {
  try {
    return decodeURIComponent(p);
  } catch {
    return null;
  }
}

export function isAbsolutePath(p: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:/.test(p);
}

// ---------------------------------------------------------------- _delta_log/ names

export const LOG_DIR = '_delta_log/';

export function versionName(v: number): string {
  return String(v).padStart(20, '0');
}

export function commitFileName(v: number): string {
  return `${versionName(v)}.json`;
}

export type LogFileName =
  | { type: 'commit'; version: number }
  | { type: 'checkpoint'; version: number; part: number; parts: number }
  /** A UUID-named (V2) checkpoint: only with the v2Checkpoint feature, which is refused. */
  | { type: 'v2checkpoint'; version: number };

const COMMIT = /^(\d{20})\.json$/;
const CLASSIC = /^(\d{20})\.checkpoint\.parquet$/;
const MULTIPART = /^(\d{20})\.checkpoint\.(\d{10})\.(\d{10})\.parquet$/;
const UUID_CHECKPOINT = /^(\d{20})\.checkpoint\.[0-9a-fA-F-]{36}\.(json|parquet)$/;

/** What a file directly in `_delta_log/` is; null for anything to ignore (`.crc`, `_last_checkpoint`, ...). */
export function parseLogFileName(name: string): LogFileName | null {
  let m = COMMIT.exec(name);
  if (m) return { type: 'commit', version: Number(m[1]) };
  m = CLASSIC.exec(name);
  if (m) return { type: 'checkpoint', version: Number(m[1]), part: 1, parts: 1 };
  m = MULTIPART.exec(name);
  if (m) {
    const part = Number(m[2]);
    const parts = Number(m[3]);
    if (parts < 1 || part < 1 || part > parts) return null;
    return { type: 'checkpoint', version: Number(m[1]), part, parts };
  }
  m = UUID_CHECKPOINT.exec(name);
  if (m) return { type: 'v2checkpoint', version: Number(m[1]) };
  return null;
}
