/**
 * Shared state of one decode: the findings collected so far and how to place a path in the document.
 */
import type { Diagnostic } from '../core/errors.js';
import type { RelativeLocations } from './location.js';

export type PathSegment = string | number;
export type Path = readonly PathSegment[];

/** Finds the position of a path in the document: the value (default) or, for `'key'`, the mapping key. */
export type Locator = (path: Path, target?: 'key' | 'value') => { line: number; column: number } | undefined;

export type PlainObject = Record<string, unknown>;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `sources[1].format.options.delimiter`; keys that are not identifiers are quoted: `storage_config["a.b"]`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENTIFIER.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

export function isPlainObject(v: unknown): v is PlainObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** serde's `Unexpected` text for a value: ``integer `5` ``, ``string "x"``, `map`, `sequence`, ... */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return `boolean \`${v}\``;
  if (typeof v === 'bigint') return `integer \`${v}\``;
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return `integer \`${v}\``;
    const text = Number.isNaN(v) ? 'NaN' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : String(v);
    return `floating point \`${text}\``;
  }
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
  if (Array.isArray(v)) return 'sequence';
  return 'map';
}

export function invalidType(v: unknown, expected: string): string {
  return `invalid type: ${describeValue(v)}, expected ${expected}`;
}

export class DecodeContext {
  readonly errors: Diagnostic[] = [];
  readonly warnings: Diagnostic[] = [];

  constructor(
    readonly cwd: string,
    private readonly locate?: Locator,
    readonly relativeLocations: RelativeLocations = 'resolve',
  ) {}

  error(path: Path, message: string, target: 'key' | 'value' = 'value'): void {
    this.errors.push(this.diagnostic(path, message, target));
  }

  warn(path: Path, message: string): void {
    this.warnings.push(this.diagnostic(path, message, 'key'));
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
