/**
 * YAML reader: parses with positions, substitutes parameters inside string scalars and keys, and
 * builds the plain value plus a path index. Plain scalars resolve the way the original's YAML
 * library does (so `01` is a string), and a scalar that contained a placeholder is re-resolved as a
 * plain scalar (`show: ${n}` with n=10 is the integer 10), as the original's
 * re-serialise-then-replace does.
 */
import { type Document, LineCounter, type Node, type Scalar, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Path } from './decode-context.js';
import { type ParsedDocument, PathIndex, type Position, setOwn, syntaxError } from './document.js';
import type { Substitute } from './template.js';

const MAX_ALIAS_DEPTH = 50;

const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
const BOOLS: Record<string, boolean> = { true: true, True: true, TRUE: true, false: false, False: false, FALSE: false };
const INT = /^[-+]?(?:0x[0-9a-fA-F]+|0o[0-7]+|0b[01]+|[0-9]+)$/;
const FLOAT = /^[-+]?(?:[0-9]+\.?[0-9]*(?:[eE][-+]?[0-9]+)?|\.[0-9]+(?:[eE][-+]?[0-9]+)?)$/;
const SPECIAL_FLOATS: Record<string, number> = { '.inf': Infinity, '.Inf': Infinity, '.INF': Infinity, '.nan': NaN, '.NaN': NaN, '.NAN': NaN };

/**
 * The value a substituted string takes when written as a plain YAML scalar, resolved the way the
 * original's YAML library (serde_yml) does: null, booleans, integers (decimal without leading
 * zeros, 0x, 0o, 0b), floats; anything else stays the string. Text that would change the
 * document's structure when pasted (`[a]`, `a: b`, newlines) stays a string here.
 */
export function resolvePlain(text: string): unknown {
  if (/[\r\n]/.test(text)) return text;
  const s = text.replace(/^[ \t]+|[ \t]+$/g, '');
  if (NULLS.has(s)) return null;
  if (Object.hasOwn(BOOLS, s)) return BOOLS[s];
  const unsigned = s.replace(/^[-+]/, '');
  const leadingZero = /^0[0-9]+$/.test(unsigned);
  if (INT.test(s) && !leadingZero) return parseInteger(s);
  const special = SPECIAL_FLOATS[unsigned];
  if (special !== undefined) return s.startsWith('-') ? -special : special;
  if (FLOAT.test(s) && !leadingZero) return Number(s);
  return text;
}

function parseInteger(s: string): number | bigint {
  const negative = s.startsWith('-');
  const body = s.replace(/^[-+]/, '');
  const big = BigInt(body.startsWith('0o') ? `0o${body.slice(2)}` : body);
  const value = negative ? -big : big;
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** A key as text: plain keys as written (`01` stays `01`), others by value. */
function scalarText(node: Scalar): string {
  return node.type === 'PLAIN' && typeof node.source === 'string' ? node.source : String(node.value);
}

export function readYaml(text: string, substitute: Substitute): ParsedDocument {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): Position => {
    const p = lc.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const [err] = doc.errors;
  if (err) throw syntaxError('yaml', err.message, at(err.pos[0]));

  const index = new PathIndex();
  const posOf = (node: unknown): Position | undefined => {
    const range = (node as Node | null)?.range;
    return range ? at(range[0]) : undefined;
  };
  const convert = (node: unknown, path: Path, depth: number): unknown => {
    if (isAlias(node)) {
      if (depth > MAX_ALIAS_DEPTH) throw syntaxError('yaml', 'alias nesting too deep', posOf(node));
      return convert(node.resolve(doc as Document), path, depth + 1);
    }
    if (isScalar(node)) {
      const implicit = node.type === 'PLAIN' && node.tag === undefined && typeof node.source === 'string';
      const value = implicit ? resolvePlain(node.source as string) : node.value;
      if (typeof value !== 'string') return value;
      const replaced = substitute(value);
      return replaced === value ? value : resolvePlain(replaced);
    }
    if (isMap(node)) {
      const obj: Record<string, unknown> = {};
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? substitute(scalarText(pair.key)) : String(pair.key);
        const childPath = [...path, key];
        const keyPos = posOf(pair.key);
        const valuePos = posOf(pair.value) ?? keyPos;
        if (valuePos) index.set(childPath, valuePos, keyPos);
        setOwn(obj, key, convert(pair.value, childPath, depth));
      }
      return obj;
    }
    if (isSeq(node)) {
      return node.items.map((item, i) => {
        const p = posOf(item);
        if (p) index.set([...path, i], p);
        return convert(item, [...path, i], depth);
      });
    }
    return null;
  };

  const rootPos = posOf(doc.contents);
  if (rootPos) index.set([], rootPos);
  const value = convert(doc.contents, [], 0);
  const warnings = doc.warnings.map((w) => ({ path: '', message: w.message, ...at(w.pos[0]) }));
  return { value, locate: index.locate, warnings };
}
