/**
 * Showing a value that came from a client (a frame, a pipeline document) in a message, a reply or
 * a log line: never the whole value, only a short prefix that says it is one. A string longer than
 * the limit is cut and followed by its length (`"aaaa…" (12582912 characters)`); arrays and
 * objects show their first few items down to a few levels (`[[[[…]]]] (nested deeper than 4)`).
 * Rendering never recurses deeper than that limit and never reads more of the value than it
 * shows, so a value nested 100,000 levels deep or holding a million keys costs almost nothing.
 *
 * Pure: imports nothing (the machines may use it).
 */

/** Characters of a client string shown by default. */
export const SHOWN_CHARS = 64;
/** Levels of arrays and objects shown by default. */
export const SHOWN_DEPTH = 4;
/** Items of one array or object shown by default. */
export const SHOWN_ITEMS = 8;
/** Characters of a whole rendered value (strings, items and nesting together) by default. */
export const SHOWN_TOTAL = 200;

export interface ShowOptions {
  /** Characters shown of each string (default SHOWN_CHARS). */
  chars?: number;
  /** Levels of nesting shown (default SHOWN_DEPTH). */
  depth?: number;
  /** Items shown of each array or object (default SHOWN_ITEMS). */
  items?: number;
  /** Characters of the whole rendering, markers aside (default SHOWN_TOTAL). */
  total?: number;
}

export type Quote = 'json' | 'backtick' | 'none';

/** The first `max` UTF-16 units of `s`, without a lone high surrogate at the end. */
function prefix(s: string, max: number): string {
  let p = s.slice(0, Math.max(0, max));
  const last = p.charCodeAt(p.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) p = p.slice(0, -1);
  return p;
}

function quote(s: string, q: Quote): string {
  if (q === 'json') return JSON.stringify(s);
  if (q === 'backtick') return `\`${s}\``;
  return s;
}

/**
 * A client string, quoted as asked (JSON string syntax by default), cut after `max` characters:
 * `"abc"`, or `"aaaa…" (12582912 characters)` with the length outside the quotes. Lengths count
 * UTF-16 units, as JavaScript does (the same as characters outside the astral planes).
 */
export function clientString(s: string, q: Quote = 'json', max: number = SHOWN_CHARS): string {
  if (s.length <= max) return quote(s, q);
  return `${quote(`${prefix(s, max)}…`, q)} (${s.length} characters)`;
}

/** A client text used as a name inside fixed wording (a key, a variant, a path segment): no quotes added. */
export function clientText(s: string, max: number = SHOWN_CHARS): string {
  return clientString(s, 'none', max);
}

interface Budget {
  left: number;
  deep: boolean;
}

function renderScalar(v: unknown, chars: number): string {
  switch (typeof v) {
    case 'string':
      return clientString(v, 'json', chars);
    case 'number':
      return String(v);
    case 'bigint':
      return clientText(String(v), chars);
    case 'boolean':
      return String(v);
    case 'undefined':
      return 'undefined';
    case 'symbol':
    case 'function':
      return `[${typeof v}]`;
    default:
      return v === null ? 'null' : '[object]';
  }
}

function render(v: unknown, level: number, o: Required<ShowOptions>, b: Budget): string {
  if (typeof v !== 'object' || v === null) {
    const text = renderScalar(v, Math.min(o.chars, Math.max(8, b.left)));
    b.left -= text.length;
    return text;
  }
  const isArray = Array.isArray(v);
  const [open, close] = isArray ? ['[', ']'] : ['{', '}'];
  // Does it hold anything? (own enumerable keys, found without listing them all)
  let empty = true;
  if (isArray) empty = v.length === 0;
  else for (const k in v) if (Object.hasOwn(v, k)) { empty = false; break; }
  if (empty) {
    b.left -= 2;
    return `${open}${close}`;
  }
  if (level >= o.depth) {
    b.deep = true;
    b.left -= 3;
    return `${open}…${close}`;
  }
  const parts: string[] = [];
  let shown = 0;
  let more = false;
  const add = (text: string): void => {
    parts.push(text);
    b.left -= text.length + 2;
  };
  if (isArray) {
    for (const item of v) {
      if (shown >= o.items || b.left <= 0) { more = true; break; }
      add(render(item, level + 1, o, b));
      shown++;
    }
    if (more) parts.push(`… ${v.length - shown} more`);
  } else {
    for (const k in v) {
      if (!Object.hasOwn(v, k)) continue;
      if (shown >= o.items || b.left <= 0) { more = true; break; }
      const key = clientString(k, 'json', Math.min(o.chars, Math.max(8, b.left)));
      b.left -= key.length + 2;
      add(`${key}: ${render((v as Record<string, unknown>)[k], level + 1, o, b)}`);
      shown++;
    }
    if (more) parts.push('…');
  }
  return `${open}${parts.join(', ')}${close}`;
}

/**
 * Any client value as short text: scalars as JSON would write them (strings cut as
 * `clientString` does), arrays and objects with their first items, down to `depth` levels; a
 * value nested deeper is marked ` (nested deeper than 4)`. The result stays near `total`
 * characters whatever the value.
 */
export function clientValue(v: unknown, opts: ShowOptions = {}): string {
  const o: Required<ShowOptions> = {
    chars: opts.chars ?? SHOWN_CHARS,
    depth: opts.depth ?? SHOWN_DEPTH,
    items: opts.items ?? SHOWN_ITEMS,
    total: opts.total ?? SHOWN_TOTAL,
  };
  const b: Budget = { left: o.total, deep: false };
  const text = render(v, 0, o, b);
  return b.deep ? `${text} (nested deeper than ${o.depth})` : text;
}

/**
 * Whether `v` has arrays or objects nested more than `limit` levels deep (the outermost one is
 * level 1), found without recursion. It looks at no more than `maxContainers` arrays and objects
 * (a value holding more counts as too deep), so the cost is bounded whatever the value.
 */
export function nestedDeeperThan(v: unknown, limit: number, maxContainers = 100_000): boolean {
  const stack: Array<[object, number]> = [];
  let seen = 0;
  const push = (node: unknown, level: number): boolean => {
    if (typeof node !== 'object' || node === null) return true;
    if (level > limit || ++seen > maxContainers) return false;
    stack.push([node, level]);
    return true;
  };
  if (!push(v, 1)) return true;
  while (stack.length > 0) {
    const [node, level] = stack.pop()!;
    if (Array.isArray(node)) {
      for (const item of node) if (!push(item, level + 1)) return true;
    } else {
      for (const k in node) {
        if (Object.hasOwn(node, k) && !push((node as Record<string, unknown>)[k], level + 1)) return true;
      }
    }
  }
  return false;
}
