/**
 * Shared state of one decode: the findings collected so far and how to place a path in the document.
 */
import { clientString, clientText } from '../core/client-value.js';
import type { Diagnostic } from '../core/errors.js';
import type { RelativeLocations } from './location.js';

export type PathSegment = string | number;
export type Path = readonly PathSegment[];

/** Finds the position of a path in the document: the value (default) or, for `'key'`, the mapping key. */
export type Locator = (path: Path, target?: 'key' | 'value') => { line: number; column: number } | undefined;

export type PlainObject = Record<string, unknown>;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Characters of a document's key shown in a path or message. */
const SHOWN_KEY_CHARS = 64;
/** Characters of a document's string value shown in a message. */
const SHOWN_VALUE_CHARS = 100;

/**
 * `sources[1].format.options.delimiter`; keys that are not identifiers are quoted:
 * `storage_config["a.b"]`. A long key shows only its beginning and its length.
 */
export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENTIFIER.test(seg) && seg.length <= SHOWN_KEY_CHARS) out += out === '' ? seg : `.${seg}`;
    else out += `[${clientString(seg, 'json', SHOWN_KEY_CHARS)}]`;
  }
  return out;
}

/** A key or name from the document inside backticks, cut when long: `` `name` ``. */
export function showName(s: string): string {
  return clientString(s, 'backtick', SHOWN_KEY_CHARS);
}

export function isPlainObject(v: unknown): v is PlainObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** serde's `Unexpected` text for a value: ``integer `5` ``, ``string "x"``, `map`, `sequence`, ... */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return `boolean \`${v}\``;
  if (typeof v === 'bigint') return `integer \`${clientText(String(v), SHOWN_VALUE_CHARS)}\``;
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return `integer \`${v}\``;
    const text = Number.isNaN(v) ? 'NaN' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : String(v);
    return `floating point \`${text}\``;
  }
  if (typeof v === 'string') return `string ${clientString(v, 'json', SHOWN_VALUE_CHARS)}`;
  if (Array.isArray(v)) return 'sequence';
  return 'map';
}

export function invalidType(v: unknown, expected: string): string {
  return `invalid type: ${describeValue(v)}, expected ${expected}`;
}

/**
 * Errors and warnings kept per decode, each; the others are only counted, so a document with a
 * million unknown keys costs a count, not a million messages.
 */
export const KEPT_FINDINGS = 100;

export class DecodeContext {
  readonly errors: Diagnostic[] = [];
  readonly warnings: Diagnostic[] = [];
  /** Every error found, kept or not. */
  errorCount = 0;
  /** Every warning found, kept or not. */
  warningCount = 0;

  constructor(
    readonly cwd: string,
    private readonly locate?: Locator,
    readonly relativeLocations: RelativeLocations = 'resolve',
  ) {}

  error(path: Path, message: string, target: 'key' | 'value' = 'value'): void {
    if (++this.errorCount <= KEPT_FINDINGS) this.errors.push(this.diagnostic(path, message, target));
  }

  /** `path` and `message` may be functions, called only for a warning that is kept. */
  warn(path: Path | (() => Path), message: string | (() => string)): void {
    if (++this.warningCount > KEPT_FINDINGS) return;
    this.warnings.push(this.diagnostic(typeof path === 'function' ? path() : path, typeof message === 'string' ? message : message(), 'key'));
  }

  private diagnostic(path: Path, message: string, target: 'key' | 'value'): Diagnostic {
    const d: Diagnostic = { path: formatPath(path), message };
    const pos = this.locate?.(path, target);
    if (pos) {
      d.line = pos.line;
      d.column = pos.column;
    }
    return d;
  }
}
