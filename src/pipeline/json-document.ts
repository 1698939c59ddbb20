/**
 * JSON reader: a small strict JSON parser (RFC 8259, like serde_json) that records the position of
 * every value and key, and substitutes parameters inside strings and keys.
 */
import type { Diagnostic } from '../core/errors.js';
import type { Path } from './decode-context.js';
import { formatPath, showName } from './decode-context.js';
import { LineIndex, type ParsedDocument, PathIndex, setOwn, syntaxError } from './document.js';
import type { Substitute } from './template.js';

const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
/** Arrays and objects nested deeper than this are a syntax error (the reader recurses per level). */
export const MAX_JSON_NESTING = 128;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

class JsonParser {
  private i = 0;
  private depth = 0;
  readonly index = new PathIndex();
  readonly warnings: Diagnostic[] = [];
  private readonly lines: LineIndex;

  constructor(
    private readonly text: string,
    private readonly substitute: Substitute,
  ) {
    this.lines = new LineIndex(text);
  }

  parseDocument(): unknown {
    this.ws();
    this.index.set([], this.lines.at(this.i));
    const value = this.value([]);
    this.ws();
    if (this.i < this.text.length) this.fail('trailing characters');
    return value;
  }

  private fail(message: string, offset = this.i): never {
    throw syntaxError('json', message, this.lines.at(Math.min(offset, this.text.length)));
  }

  private ws(): void {
    while (this.i < this.text.length && ' \t\n\r'.includes(this.text[this.i] ?? '')) this.i++;
  }

  private value(path: Path): unknown {
    const c = this.text[this.i];
    if (c === undefined) this.fail('EOF while parsing a value');
    if (c === '{') return this.object(path);
    if (c === '[') return this.array(path);
    if (c === '"') return this.substitute(this.string());
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    return this.number();
  }

  private number(): number | bigint {
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.text);
    if (!m) this.fail('expected value');
    this.i += m[0].length;
    const n = Number(m[0]);
    const integral = m[1] === undefined && m[2] === undefined;
    return integral && !Number.isSafeInteger(n) ? BigInt(m[0]) : n;
  }

  private string(): string {
    const start = this.i;
    this.i++;
    let out = '';
    for (;;) {
      const c = this.text[this.i];
      if (c === undefined) this.fail('EOF while parsing a string', start);
      if (c === '"') break;
      if (c.charCodeAt(0) < 0x20) this.fail('control character (\\u0000-\\u001F) found while parsing a string');
      if (c === '\\') {
        const e = this.text[this.i + 1] ?? '';
        if (e === 'u') {
          const hex = this.text.slice(this.i + 2, this.i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('invalid escape');
          out += String.fromCharCode(parseInt(hex, 16));
          this.i += 6;
          continue;
        }
        const decoded = ESCAPES[e];
        if (decoded === undefined) this.fail('invalid escape');
        out += decoded;
        this.i += 2;
        continue;
      }
      out += c;
      this.i++;
    }
    this.i++;
    return out;
  }

  /** Enters an array or object; fails past MAX_JSON_NESTING levels. */
  private enter(): void {
    if (++this.depth > MAX_JSON_NESTING) this.fail(`arrays and objects nested deeper than ${MAX_JSON_NESTING} levels`);
  }

  private object(path: Path): Record<string, unknown> {
    const obj: Record<string, unknown> = {};
    this.enter();
    this.i++;
    this.ws();
    if (this.text[this.i] === '}') {
      this.i++;
      this.depth--;
      return obj;
    }
    for (;;) {
      this.ws();
      if (this.text[this.i] !== '"') this.fail(this.text[this.i] === '}' ? 'trailing comma' : 'key must be a string');
      const keyPos = this.lines.at(this.i);
      const key = this.substitute(this.string());
      this.ws();
      if (this.text[this.i] !== ':') this.fail('expected `:`');
      this.i++;
      this.ws();
      const childPath = [...path, key];
      if (Object.hasOwn(obj, key)) {
        this.warnings.push({ path: formatPath(childPath), message: `duplicate key ${showName(key)}, the last value is used`, ...keyPos });
      }
      this.index.set(childPath, this.lines.at(this.i), keyPos);
      setOwn(obj, key, this.value(childPath));
      this.ws();
      const c = this.text[this.i++];
      if (c === '}') {
        this.depth--;
        return obj;
      }
      if (c !== ',') this.fail(c === undefined ? 'EOF while parsing an object' : 'expected `,` or `}`', this.i - 1);
    }
  }

  private array(path: Path): unknown[] {
    const items: unknown[] = [];
    this.enter();
    this.i++;
    this.ws();
    if (this.text[this.i] === ']') {
      this.i++;
      this.depth--;
      return items;
    }
    for (;;) {
      this.ws();
      if (this.text[this.i] === ']') this.fail('trailing comma');
      const childPath = [...path, items.length];
      this.index.set(childPath, this.lines.at(this.i));
      items.push(this.value(childPath));
      this.ws();
      const c = this.text[this.i++];
      if (c === ']') {
        this.depth--;
        return items;
      }
      if (c !== ',') this.fail(c === undefined ? 'EOF while parsing a list' : 'expected `,` or `]`', this.i - 1);
    }
  }
}

export function readJson(text: string, substitute: Substitute): ParsedDocument {
  const parser = new JsonParser(text, substitute);
  const value = parser.parseDocument();
  return { value, locate: parser.index.locate, warnings: parser.warnings };
}
