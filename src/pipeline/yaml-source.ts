/**
 * YAML reader: parses with positions, substitutes parameters inside string scalars and keys, and
 * builds the plain value plus a path index. A scalar that contained a placeholder is re-resolved
 * as a plain YAML scalar (`show: ${n}` with n=10 is the integer 10), as the original's
 * re-serialise-then-replace does.
 */
import { type Document, LineCounter, type Node, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Path } from './decode-context.js';
import { type ParsedSource, PathIndex, type Position, setOwn, syntaxError } from './source-tree.js';
import type { Substitute } from './template.js';

const MAX_ALIAS_DEPTH = 50;

/** The value a substituted string takes when written as a plain YAML scalar. */
export function resolvePlain(s: string): unknown {
  if (/[\r\n]/.test(s)) return s;
  const d = parseDocument(s);
  if (d.errors.length > 0) return s;
  const c = d.contents;
  if (c === null) return null;
  return isScalar(c) && c.type === 'PLAIN' && typeof c.value !== 'string' ? c.value : s;
}

export function readYaml(text: string, substitute: Substitute): ParsedSource {
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
      if (typeof node.value !== 'string') return node.value;
      const replaced = substitute(node.value);
      return replaced === node.value ? replaced : resolvePlain(replaced);
    }
    if (isMap(node)) {
      const obj: Record<string, unknown> = {};
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? substitute(String(pair.key.value)) : String(pair.key);
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
