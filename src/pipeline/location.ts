/**
 * Locations (docs/pipeline-format.md, "Locations"): a string with a scheme stays a URL, anything else is a
 * filesystem path made absolute against `cwd` and turned into a file:// URL the way Rust's
 * `Url::from_file_path` does it.
 *
 * A client that sends the pipeline to a remote executor keeps relative paths as written
 * (`relative: 'keep'`): only the executor knows the directory they are relative to.
 */
import { fileURLToPath } from 'node:url';

/**
 * Bytes percent-encoded in a path segment by `Url::from_file_path` (the url crate's
 * SPECIAL_PATH_SEGMENT set): C0 controls, DEL, space, `"` `<` `>` `` ` `` `#` `?` `{` `}` `/` `%` `\`
 * and every non-ASCII byte.
 */
const ENCODED_ASCII = new Set([...' "<>`#?{}/%\\'].map((c) => c.charCodeAt(0)));

function encodeSegment(segment: string): string {
  let out = '';
  for (const byte of Buffer.from(segment, 'utf8')) {
    if (byte < 0x20 || byte >= 0x7f || ENCODED_ASCII.has(byte)) {
      out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    } else {
      out += String.fromCharCode(byte);
    }
  }
  return out;
}

/** Parses `s` as an absolute URL (WHATWG, like Rust's `Url::parse`); null when it has no scheme. */
function parseUrl(s: string): string | null {
  try {
    return new URL(s).href;
  } catch {
    return null;
  }
}

/** What happens to a relative filesystem path: joined to `cwd` (default) or kept as written. */
export type RelativeLocations = 'resolve' | 'keep';

/**
 * The URL string for a location as the original serialises it. Relative paths are joined to `cwd`;
 * `.` components and empty components vanish, `..` is kept, a trailing `/` is dropped. With
 * `relative: 'keep'` a relative path is returned unchanged, for the executor to resolve.
 */
export function parseLocation(s: string, cwd: string, relative: RelativeLocations = 'resolve'): string {
  const url = parseUrl(s);
  if (url !== null) return url;
  if (relative === 'keep' && !s.startsWith('/')) return s;
  const full = s.startsWith('/') ? s : `${cwd}/${s}`;
  const segments = full.split('/').filter((c) => c !== '' && c !== '.');
  if (segments.length === 0) return 'file:///';
  return `file://${segments.map((c) => `/${encodeSegment(c)}`).join('')}`;
}

/** The local filesystem path of a file:// URL (percent-decoded); null for any other URL. */
export function locationToPath(url: string): string | null {
  if (!url.startsWith('file:')) return null;
  try {
    return fileURLToPath(url);
  } catch {
    return null;
  }
}
