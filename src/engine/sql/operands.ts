/**
 * Finds the operands of a binary operator in a token view, for rewrites that turn an operator
 * into a function call (`a ~ b` → `regexp_matches(a, b)`). An operand is what binds tighter than a
 * comparison in DataFusion's parser: primaries (names, literals, calls, brackets, CASE ... END,
 * typed literals) with their postfixes (`::type`, `[i]`, `.field`), chained by arithmetic,
 * bitwise and `||` operators. Anything else makes the scan give up (undefined), and the caller
 * then leaves the text alone.
 */
import { keywordCategory } from './keywords.js';
import type { TokenView } from './tokens.js';

/** Operators that bind tighter than comparisons (sqlparser: MulDivMod, PlusMinus, bitwise, ||). */
const TIGHTER = new Set(['*', '/', '%', '//', '+', '-', '^', '&', '|', '<<', '>>', '||']);
/** Words that type a following string literal: DATE '2024-01-01'. */
const TYPE_PREFIX = new Set(['date', 'time', 'timestamp', 'timestamptz', 'interval']);
const VALUE_WORDS = new Set(['null', 'true', 'false']);
/** Unreserved or column-name keywords that never stand for a value. */
const NOT_VALUES = new Set(['over', 'filter', 'within', 'escape', 'respect', 'ignore', 'nulls', 'between', 'exists', 'values']);
/** Keywords that look like calls when followed by '(' but are operators or clauses. */
const NOT_CALLS = new Set(['and', 'or', 'not', 'in', 'is', 'like', 'ilike', 'glob', 'similar', 'between', 'then', 'when', 'else',
  'as', 'on', 'using', 'select', 'from', 'where', 'over', 'filter', 'within', 'any', 'all', 'some', 'by', 'having', 'qualify']);

/** Whether a bare word can stand for a value (a column, a constant). */
function isValueWord(w: string): boolean {
  if (VALUE_WORDS.has(w)) return true;
  if (NOT_VALUES.has(w)) return false;
  const cat = keywordCategory(w);
  return cat === undefined || cat === 'unreserved' || cat === 'column_name';
}

function isCallName(v: TokenView, p: number): boolean {
  const t = v.tok(p);
  if (t?.kind === 'ident') return true;
  const w = v.word(p);
  return w !== '' && !NOT_CALLS.has(w);
}

/** Whether the token at p can be the last token of an operand. */
export function endsOperand(v: TokenView, p: number): boolean {
  const t = v.tok(p);
  if (!t) return false;
  switch (t.kind) {
    case 'string': case 'number': case 'param': case 'ident': return true;
    case 'punct': return t.text === ')' || t.text === ']' || t.text === '}';
    case 'word': return v.word(p) === 'end' || isValueWord(v.word(p));
    default: return false;
  }
}

function qualifiedStart(v: TokenView, p: number): number {
  while (v.is(p - 1, '.') && (v.tok(p - 2)?.kind === 'word' || v.tok(p - 2)?.kind === 'ident')) p -= 2;
  return p;
}

function qualifiedEnd(v: TokenView, p: number): number {
  while (v.is(p + 1, '.') && (v.tok(p + 2)?.kind === 'word' || v.tok(p + 2)?.kind === 'ident')) p += 2;
  return p;
}

/** Skips a bracket group backwards/forwards; returns the partner or p itself. */
function jump(v: TokenView, p: number): number {
  return v.partnerOf(p) ?? p;
}

function caseStart(v: TokenView, endPos: number): number | undefined {
  let depth = 0;
  for (let p = endPos; p >= 0; p--) {
    const partner = v.partnerOf(p);
    if (partner !== undefined && partner < p) { p = partner; continue; }
    const w = v.word(p);
    if (w === 'end') depth++;
    else if (w === 'case' && --depth === 0) return p;
  }
  return undefined;
}

function caseEnd(v: TokenView, casePos: number): number | undefined {
  let depth = 0;
  for (let p = casePos; p < v.length; p++) {
    const partner = v.partnerOf(p);
    if (partner !== undefined && partner > p) { p = partner; continue; }
    const w = v.word(p);
    if (w === 'case') depth++;
    else if (w === 'end' && --depth === 0) return p;
  }
  return undefined;
}

function primaryStart(v: TokenView, j: number): number | undefined {
  const t = v.tok(j);
  if (!t) return undefined;
  switch (t.kind) {
    case 'number': case 'param': return j;
    case 'ident': return qualifiedStart(v, j);
    case 'string': return TYPE_PREFIX.has(v.word(j - 1)) ? j - 1 : j;
    case 'word': {
      const w = v.word(j);
      if (w === 'end') return caseStart(v, j);
      return isValueWord(w) ? qualifiedStart(v, j) : undefined;
    }
    case 'punct': {
      const open = v.partnerOf(j);
      if (open === undefined || open > j) return undefined;
      if (t.text === ')') return isCallName(v, open - 1) ? qualifiedStart(v, open - 1) : open;
      if (t.text === ']') {
        if (v.word(open - 1) === 'array') return open - 1;
        return endsOperand(v, open - 1) ? unitStart(v, open - 1) : open; // subscript or list literal
      }
      return open; // {struct literal}
    }
    default: return undefined;
  }
}

function unitStart(v: TokenView, j: number): number | undefined {
  let start = primaryStart(v, j);
  // x::type: what was found is the type; the operand is what is cast
  while (start !== undefined && v.is(start - 1, '::')) start = primaryStart(v, start - 2);
  if (start !== undefined && v.is(start - 1, '.') && endsOperand(v, start - 2)) start = unitStart(v, start - 2); // (expr).field
  return start;
}

/** First token of the operand that ends at `end` (the token before the operator). */
export function operandStart(v: TokenView, end: number): number | undefined {
  let start = unitStart(v, end);
  while (start !== undefined) {
    const op = v.tok(start - 1);
    if (op?.kind !== 'op' || !TIGHTER.has(op.text) || !endsOperand(v, start - 2)) break;
    const s = unitStart(v, start - 2);
    if (s === undefined) break;
    start = s;
  }
  if (start !== undefined && (v.is(start - 1, '-') || v.is(start - 1, '+')) && !endsOperand(v, start - 2)) start--;
  return start;
}

function primaryEnd(v: TokenView, i: number): number | undefined {
  const t = v.tok(i);
  if (!t) return undefined;
  switch (t.kind) {
    case 'string': case 'number': case 'param': return i;
    case 'ident': {
      const e = qualifiedEnd(v, i);
      return v.is(e + 1, '(') ? v.partnerOf(e + 1) : e;
    }
    case 'punct': {
      if (t.text !== '(' && t.text !== '[' && t.text !== '{') return undefined;
      const close = v.partnerOf(i);
      return close !== undefined && close > i ? close : undefined;
    }
    case 'word': {
      const w = v.word(i);
      if (w === 'case') return caseEnd(v, i);
      if (TYPE_PREFIX.has(w) && v.tok(i + 1)?.kind === 'string') return i + 1;
      if (w === 'array' && v.is(i + 1, '[')) return v.partnerOf(i + 1);
      if (v.is(i + 1, '(') && !v.is(i - 1, '.') && isCallName(v, i)) return v.partnerOf(i + 1);
      if (!isValueWord(w)) return undefined;
      const e = qualifiedEnd(v, i);
      return v.is(e + 1, '(') ? v.partnerOf(e + 1) : e;
    }
    default: return undefined;
  }
}

function unitEnd(v: TokenView, i: number): number | undefined {
  let e = primaryEnd(v, i);
  while (e !== undefined) {
    if (v.is(e + 1, '[')) e = jump(v, e + 1);
    else if (v.is(e + 1, '::') && v.tok(e + 2)?.kind === 'word') {
      e += 2;
      if (v.is(e + 1, '(')) e = jump(v, e + 1);
    } else if (v.is(e + 1, '.') && (v.tok(e + 2)?.kind === 'word' || v.tok(e + 2)?.kind === 'ident')) e += 2;
    else break;
  }
  return e;
}

/** Last token of the operand that starts at `beg` (the token after the operator). */
export function operandEnd(v: TokenView, beg: number): number | undefined {
  const signed = v.is(beg, '-') || v.is(beg, '+');
  let e = unitEnd(v, signed ? beg + 1 : beg);
  while (e !== undefined) {
    const op = v.tok(e + 1);
    if (op?.kind !== 'op' || !TIGHTER.has(op.text)) break;
    const next = v.is(e + 2, '-') || v.is(e + 2, '+') ? e + 3 : e + 2;
    const n = unitEnd(v, next);
    if (n === undefined) break;
    e = n;
  }
  return e;
}
