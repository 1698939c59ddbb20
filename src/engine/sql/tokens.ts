/**
 * A SQL tokenizer for rewriting: it keeps every character (whitespace and comments are tokens
 * too), so joining the tokens' text gives the input back exactly. It follows DuckDB's lexical
 * rules: '...' strings with '' escapes, E'...' strings with backslash escapes, $tag$...$tag$
 * dollar quoting, "..." identifiers with "" escapes, -- and nested /* *\/ comments.
 */

export type TokenKind =
  | 'space' | 'comment'
  | 'string' // '...', E'...', $$...$$ (see `quote`)
  | 'ident' // "quoted identifier"
  | 'word' // identifier or keyword
  | 'number' | 'param' | 'op' | 'punct' | 'other';

export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  /** For strings: how they are quoted. */
  readonly quote?: 'plain' | 'escape' | 'dollar';
}

/** Operators of more than one character, longest first. */
const OPERATORS = [
  '!~~*', '!~~', '~~*', '~~~', '->>', '!~*',
  '~~', '!~', '~*', '->', '::', ':=', '=>', '<=', '>=', '<>', '!=', '==', '||', '**', '//', '<<', '>>', '@>', '<@', '&&', '^@',
];
const OP_CHARS = new Set('+-*/<>=~!@#%^&|?`:');
const PUNCT = new Set('()[]{},;.');
const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;

export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = sql.length;
  const push = (kind: TokenKind, end: number, quote?: Token['quote']) => {
    out.push(quote ? { kind, text: sql.slice(i, end), quote } : { kind, text: sql.slice(i, end) });
    i = end;
  };
  while (i < n) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (/\s/.test(c)) {
      let j = i + 1;
      while (j < n && /\s/.test(sql[j]!)) j++;
      push('space', j);
    } else if (c === '-' && next === '-') {
      const j = sql.indexOf('\n', i);
      push('comment', j < 0 ? n : j);
    } else if (c === '/' && next === '*') {
      let depth = 1;
      let j = i + 2;
      while (j < n && depth > 0) {
        if (sql[j] === '/' && sql[j + 1] === '*') { depth++; j += 2; }
        else if (sql[j] === '*' && sql[j + 1] === '/') { depth--; j += 2; }
        else j++;
      }
      push('comment', j);
    } else if (c === "'") {
      push('string', endOfQuoted(sql, i, "'", false), 'plain');
    } else if ((c === 'E' || c === 'e') && next === "'") {
      push('string', endOfQuoted(sql, i + 1, "'", true), 'escape');
    } else if (c === '"') {
      push('ident', endOfQuoted(sql, i, '"', false));
    } else if (c === '$') {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (m) {
        const close = sql.indexOf(m[0], i + m[0].length);
        push('string', close < 0 ? n : close + m[0].length, 'dollar');
      } else {
        const p = /^\$\d+/.exec(sql.slice(i));
        push(p ? 'param' : 'other', i + (p ? p[0].length : 1));
      }
    } else if (/[0-9]/.test(c) || (c === '.' && next !== undefined && /[0-9]/.test(next))) {
      const m = /^(?:0[xX][0-9A-Fa-f_]+|(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][+-]?[0-9]+)?)/.exec(sql.slice(i));
      push('number', i + m![0].length);
    } else if (WORD_START.test(c)) {
      let j = i + 1;
      while (j < n && WORD_CHAR.test(sql[j]!)) j++;
      push('word', j);
    } else if (PUNCT.has(c)) {
      push('punct', i + 1);
    } else if (OP_CHARS.has(c)) {
      const op = OPERATORS.find((o) => sql.startsWith(o, i));
      push(c === '?' ? 'param' : 'op', i + (op ? op.length : 1));
    } else {
      push('other', i + 1);
    }
  }
  return out;
}

/** Index just past the closing quote of a quoted run starting at `start` (the opening quote). */
function endOfQuoted(sql: string, start: number, q: string, backslashEscapes: boolean): number {
  let j = start + 1;
  while (j < sql.length) {
    const ch = sql[j];
    if (backslashEscapes && ch === '\\') { j += 2; continue; }
    if (ch === q) {
      if (sql[j + 1] === q) { j += 2; continue; }
      return j + 1;
    }
    j++;
  }
  return sql.length;
}

/** The content of a plain or escape string token (without quotes; '' kept as written). */
export function stringBody(t: Token): string {
  if (t.quote === 'escape') return t.text.slice(2, -1);
  return t.text.slice(1, -1);
}

/** The value of a plain string literal ('' → '). */
export function plainStringValue(t: Token): string | undefined {
  return t.kind === 'string' && t.quote === 'plain' ? t.text.slice(1, -1).replace(/''/g, "'") : undefined;
}

export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * The significant tokens (no spaces or comments) of a token list, with bracket matching, for
 * the rewrite passes. Positions are indexes into `sig`.
 */
export class TokenView {
  readonly sig: readonly number[];
  private readonly partner = new Map<number, number>();

  constructor(readonly tokens: readonly Token[]) {
    this.sig = tokens.flatMap((t, i) => (t.kind === 'space' || t.kind === 'comment' ? [] : [i]));
    const stack: number[] = [];
    const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
    this.sig.forEach((ti, p) => {
      const t = tokens[ti]!;
      if (t.kind !== 'punct') return;
      if (t.text === '(' || t.text === '[' || t.text === '{') stack.push(p);
      else if (pairs[t.text]) {
        const open = stack.at(-1);
        if (open !== undefined && this.text(open) === pairs[t.text]) {
          stack.pop();
          this.partner.set(open, p);
          this.partner.set(p, open);
        }
      }
    });
  }

  get length(): number {
    return this.sig.length;
  }

  tok(p: number): Token | undefined {
    const ti = this.sig[p];
    return ti === undefined ? undefined : this.tokens[ti];
  }

  text(p: number): string {
    return this.tok(p)?.text ?? '';
  }

  /** Lower-cased word at p, or '' when p is not an unquoted word. */
  word(p: number): string {
    const t = this.tok(p);
    return t?.kind === 'word' ? t.text.toLowerCase() : '';
  }

  is(p: number, text: string): boolean {
    const t = this.tok(p);
    return t !== undefined && (t.kind === 'word' ? t.text.toLowerCase() === text : t.text === text && t.kind !== 'string' && t.kind !== 'ident');
  }

  /** The matching bracket of the bracket at p. */
  partnerOf(p: number): number | undefined {
    return this.partner.get(p);
  }

  /** The SQL text from significant token a to b inclusive, with what lies between. */
  source(a: number, b: number): string {
    if (b < a) return '';
    return this.tokens.slice(this.sig[a], this.sig[b]! + 1).map((t) => t.text).join('');
  }

  /** Comma-separated ranges [start, end] inside the brackets open..close (none for `()`). */
  args(open: number, close: number): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    let start = open + 1;
    for (let p = open + 1; p < close; p++) {
      const partner = this.partnerOf(p);
      if (partner !== undefined && partner > p) { p = partner; continue; }
      if (this.is(p, ',')) { out.push([start, p - 1]); start = p + 1; }
    }
    if (start <= close - 1 || out.length > 0) out.push([start, close - 1]);
    return out;
  }

  /** Whether p is a call `name(`: a word followed by a matched '(' and not qualified (`x.name(`). */
  isCall(p: number, names: ReadonlySet<string>): boolean {
    return this.callClose(p, names) !== undefined;
  }

  /** For a call `name(...)` at p (see isCall), the position of its closing parenthesis. */
  callClose(p: number, names: ReadonlySet<string>): number | undefined {
    if (!names.has(this.word(p)) || !this.is(p + 1, '(') || this.is(p - 1, '.')) return undefined;
    return this.closeOf(p + 1);
  }

  /** The closing bracket of the opening bracket at p, if p opens a matched pair. */
  closeOf(p: number): number | undefined {
    const partner = this.partner.get(p);
    return partner !== undefined && partner > p ? partner : undefined;
  }

  /** Replaces significant tokens a..b (inclusive) with `text`, returning the new SQL. */
  replace(a: number, b: number, text: string): string {
    const before = this.tokens.slice(0, this.sig[a]).map((t) => t.text).join('');
    const after = this.tokens.slice(this.sig[b]! + 1).map((t) => t.text).join('');
    return before + text + after;
  }

  /** Inserts `text` before each of the significant tokens at `positions`, returning the new SQL. */
  insertBefore(positions: readonly number[], text: string): string {
    const at = new Set(positions.map((p) => this.sig[p]));
    return this.tokens.map((t, i) => (at.has(i) ? text + t.text : t.text)).join('');
  }

  /** Inserts `text` just after significant token p, returning the new SQL. */
  insertAfter(p: number, text: string): string {
    return this.replace(p, p, this.text(p) + text);
  }
}
