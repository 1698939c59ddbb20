/**
 * TOML reader: parses with toml-eslint-parser, substitutes parameters inside strings and quoted
 * keys, builds the plain value and a path index. Date-times become their text.
 */
import { type AST, ParseError, parseTOML } from 'toml-eslint-parser';
import type { Path, PathSegment } from './decode-context.js';
import { type ParsedDocument, PathIndex, type Position, setOwn, syntaxError } from './document.js';
import type { Substitute } from './template.js';

type Container = Record<string, unknown> | unknown[];

const posOf = (node: AST.TOMLNode): Position => ({ line: node.loc.start.line, column: node.loc.start.column + 1 });

export function readToml(text: string, substitute: Substitute): ParsedDocument {
  let ast: AST.TOMLProgram;
  try {
    ast = parseTOML(text, { tomlVersion: '1.0' });
  } catch (e) {
    if (e instanceof ParseError) throw syntaxError('toml', e.message, { line: e.lineNumber, column: e.column + 1 });
    throw e;
  }
  const index = new PathIndex();
  const keyName = (k: AST.TOMLBare | AST.TOMLQuoted): string => (k.type === 'TOMLBare' ? k.name : substitute(k.value));

  const convert = (node: AST.TOMLContentNode, path: Path): unknown => {
    if (node.type === 'TOMLArray') {
      return node.elements.map((e, i) => {
        index.set([...path, i], posOf(e));
        return convert(e, [...path, i]);
      });
    }
    if (node.type === 'TOMLInlineTable') {
      const obj: Record<string, unknown> = {};
      for (const kv of node.body) assign(obj, path, kv);
      return obj;
    }
    switch (node.kind) {
      case 'string':
        return substitute(node.value);
      case 'integer':
        return Number.isSafeInteger(node.value) ? node.value : node.bigint;
      case 'float':
      case 'boolean':
        return node.value;
      default:
        return node.datetime;
    }
  };

  const assign = (target: Record<string, unknown>, base: Path, kv: AST.TOMLKeyValue): void => {
    let obj = target;
    const keys = kv.key.keys;
    keys.forEach((k, i) => {
      const name = keyName(k);
      const path = [...base, ...keys.slice(0, i + 1).map(keyName)];
      const last = i === keys.length - 1;
      if (!index.has(path)) index.set(path, last ? posOf(kv.value) : posOf(kv), posOf(k));
      if (last) {
        setOwn(obj, name, convert(kv.value, path));
      } else {
        if (typeof obj[name] !== 'object' || obj[name] === null) setOwn(obj, name, {});
        obj = obj[name] as Record<string, unknown>;
      }
    });
  };

  const root: Record<string, unknown> = {};
  index.set([], { line: 1, column: 1 });
  for (const item of ast.body[0].body) {
    if (item.type === 'TOMLKeyValue') {
      assign(root, [], item);
      continue;
    }
    const path = item.resolvedKey.map((k) => (typeof k === 'number' ? k : substitute(k)));
    const table = tableAt(root, path);
    path.forEach((_, i) => {
      const prefix = path.slice(0, i + 1);
      if (i === path.length - 1 || !index.has(prefix)) index.set(prefix, posOf(item.key), posOf(item.key));
    });
    for (const kv of item.body) assign(table, path, kv);
  }
  return { value: root, locate: index.locate, warnings: [] };
}

/**
 * The table at a resolved table-header path (`[[sources]]` resolves to `['sources', n]`), creating
 * tables and arrays of tables on the way.
 */
function tableAt(root: Record<string, unknown>, path: readonly PathSegment[]): Record<string, unknown> {
  let current: Container = root;
  path.forEach((seg, i) => {
    const holder = current as Record<string | number, unknown>;
    let child = holder[seg];
    if (typeof child !== 'object' || child === null) {
      child = typeof path[i + 1] === 'number' ? [] : {};
      if (Array.isArray(current)) current[seg as number] = child;
      else setOwn(current, String(seg), child);
    }
    current = child as Container;
  });
  return current as Record<string, unknown>;
}
