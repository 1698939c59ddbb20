/**
 * What every format reader produces: the parsed (and substituted) value, a locator from paths to
 * positions in the definition's text, and syntax errors in one shape. ("Document" is the
 * definition as text; "source" always means a data source of the pipeline.)
 */
import { clientText } from '../core/client-value.js';
import { type Diagnostic, ExecutorError } from '../core/errors.js';
import type { Locator, Path } from './decode-context.js';

export type PipelineFormat = 'json' | 'yaml' | 'toml';

export interface Position {
  line: number;
  column: number;
}

export interface ParsedDocument {
  value: unknown;
  locate: Locator;
  warnings: Diagnostic[];
}

export function syntaxError(format: PipelineFormat, parserMessage: string, pos?: Position): ExecutorError {
  // Parsers may quote the document in their messages: show only the beginning of a long one.
  const message = clientText(parserMessage, 500);
  const name = format.toUpperCase();
  const where = pos ? ` at line ${pos.line}, column ${pos.column}` : '';
  const diagnostic: Diagnostic = { path: '', message: `${name} syntax error: ${message}`, ...pos };
  return new ExecutorError('AQ_INVALID_PIPELINE', `Invalid pipeline: ${name} syntax error${where}: ${message}`, { diagnostics: [diagnostic] });
}

/** Line/column (both 1-based) of offsets in a text. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') this.starts.push(i + 1);
  }

  at(offset: number): Position {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (this.starts[lo] ?? 0) + 1 };
  }
}

/**
 * Positions recorded per path while a tree is built. A path without an entry is placed at its
 * nearest recorded ancestor (a missing field is reported where its struct starts).
 */
export class PathIndex {
  private readonly entries = new Map<string, { key?: Position; value: Position }>();

  set(path: Path, value: Position, key?: Position): void {
    this.entries.set(JSON.stringify(path), key ? { key, value } : { value });
  }

  has(path: Path): boolean {
    return this.entries.has(JSON.stringify(path));
  }

  readonly locate: Locator = (path, target = 'value') => {
    for (let n = path.length; n >= 0; n--) {
      const e = this.entries.get(JSON.stringify(path.slice(0, n)));
      if (e) return target === 'key' && n === path.length ? (e.key ?? e.value) : e.value;
    }
    return undefined;
  };
}

/** Sets an own enumerable property (safe for keys such as `__proto__`). */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}
