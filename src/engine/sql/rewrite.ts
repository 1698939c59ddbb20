/**
 * Token-level rewrite of DataFusion stage SQL into DuckDB SQL, for what macros cannot express
 * (docs/sql.md, "Rewrite rules"). It never changes the text of string literals (except the
 * chrono format specifiers of date format arguments) or quoted identifiers, and leaves SQL that is
 * already valid DuckDB as it is: every pattern it rewrites is a parse error or a missing function
 * in DuckDB, or (for `~`, LIKE with a backslash) has DataFusion's meaning. rewriteSql(rewriteSql(q))
 * equals rewriteSql(q).
 *
 * Each pass finds the first place it applies, rewrites it and starts again on the new text, so
 * nested occurrences are handled one at a time and a pass never sees a half-rewritten query (the
 * alias pass, whose insertions change no structure, does all of its places at once). The passes
 * run in rounds until a round changes nothing, which is what makes the rewrite idempotent.
 */
import { arrowTypeToDuckDB } from './arrow-types.js';
import { keywordCategory } from './keywords.js';
import { operandEnd, operandStart, endsOperand } from './operands.js';
import { plainStringValue, quoteIdentifier, stringBody, tokenize, TokenView } from './tokens.js';

/** A pass returns the rewritten SQL for its first applicable place, or undefined. */
type Pass = (v: TokenView) => string | undefined;

const names = (...n: string[]): ReadonlySet<string> => new Set(n);

// overlay(s, r, p[, l]) → overlay(s PLACING r FROM p [FOR l]) -------------------------------

const overlayCommaForm: Pass = (v) => {
  for (let p = 0; p < v.length; p++) {
    const close = v.callClose(p, names('overlay'));
    if (close === undefined) continue;
    const args = v.args(p + 1, close);
    if (args.length !== 3 && args.length !== 4) continue;
    const [s, r, pos, len] = args.map(([a, b]) => v.source(a, b).trim());
    return v.replace(p, close, `${v.text(p)}(${s} PLACING ${r} FROM ${pos}${len === undefined ? '' : ` FOR ${len}`})`);
  }
  return undefined;
};

// named_struct('a', x, ...) → struct_pack("a" := x, ...) --------------------------------------

const namedStruct: Pass = (v) => {
  for (let p = 0; p < v.length; p++) {
    const close = v.callClose(p, names('named_struct'));
    if (close === undefined) continue;
    const args = v.args(p + 1, close);
    if (args.length === 0 || args.length % 2 !== 0) continue;
    const fields: string[] = [];
    for (let i = 0; i < args.length; i += 2) {
      const [ka, kb] = args[i]!;
      const key = ka === kb ? plainStringValue(v.tok(ka)!) : undefined;
      if (key === undefined) break;
      const [va, vb] = args[i + 1]!;
      fields.push(`${quoteIdentifier(key)} := ${v.source(va, vb).trim()}`);
    }
    if (fields.length * 2 !== args.length) continue;
    return v.replace(p, close, `struct_pack(${fields.join(', ')})`);
  }
  return undefined;
};

// arrow_cast(x, 'Int64') → CAST(x AS BIGINT) ----------------------------------------------------

const arrowCast: Pass = (v) => {
  for (let p = 0; p < v.length; p++) {
    const close = v.callClose(p, names('arrow_cast'));
    if (close === undefined) continue;
    const args = v.args(p + 1, close);
    if (args.length !== 2) continue;
    const [[xa, xb], [ta, tb]] = args as [[number, number], [number, number]];
    const arrow = ta === tb ? plainStringValue(v.tok(ta)!) : undefined;
    const duck = arrow === undefined ? undefined : arrowTypeToDuckDB(arrow);
    if (duck === undefined) continue;
    return v.replace(p, close, `CAST(${v.source(xa, xb).trim()} AS ${duck})`);
  }
  return undefined;
};

// json_get(...)::varchar → json_get_str(...), CAST(json_get(...) AS INT) → json_get_int(...) --

/** What datafusion-functions-json's cast rewrite turns json_get into, by target type. */
function jsonGetFor(type: string): string | undefined {
  const t = type.toLowerCase();
  if (['varchar', 'string', 'text', 'char', 'bpchar', 'nvarchar'].includes(t)) return 'json_get_str';
  if (['int', 'integer', 'int4', 'int32', 'signed', 'bigint', 'int8', 'int64', 'long'].includes(t)) return 'json_get_int';
  if (['float', 'real', 'float4', 'double', 'float8', 'decimal', 'numeric', 'dec'].includes(t)) return 'json_get_float';
  if (['bool', 'boolean', 'logical'].includes(t)) return 'json_get_bool';
  return undefined;
}

/** The type name at p (a word, `double precision`, with optional (p, s)): [function, last token]. */
function castTarget(v: TokenView, p: number): [string, number] | undefined {
  const w = v.word(p);
  if (!w) return undefined;
  let end = p;
  const name = w;
  if (w === 'double' && v.word(p + 1) === 'precision') end = p + 1;
  else if (v.is(p + 1, '(')) {
    const close = v.closeOf(p + 1);
    if (close === undefined) return undefined;
    end = close;
    if (name !== 'decimal' && name !== 'numeric' && name !== 'dec' && name !== 'varchar') return undefined;
  }
  if (v.is(end + 1, '[')) return undefined; // an array type
  const fn = jsonGetFor(name);
  return fn ? [fn, end] : undefined;
}

const jsonGetCast: Pass = (v) => {
  const jsonGet = names('json_get');
  for (let p = 0; p < v.length; p++) {
    // json_get(...)::type
    const close = v.callClose(p, jsonGet);
    if (close !== undefined) {
      if (!v.is(close + 1, '::')) continue;
      const target = castTarget(v, close + 2);
      if (!target) continue;
      return v.replace(p, target[1], `${target[0]}${v.source(p + 1, close)}`);
    }
    // CAST(json_get(...) AS type)
    const castClose = v.word(p) === 'cast' ? v.closeOf(p + 1) : undefined;
    const inner = castClose === undefined ? undefined : v.callClose(p + 2, jsonGet);
    if (castClose !== undefined && inner !== undefined) {
      if (v.word(inner + 1) !== 'as') continue;
      const target = castTarget(v, inner + 2);
      if (!target || target[1] !== castClose - 1) continue;
      return v.replace(p, castClose, `${target[0]}${v.source(p + 3, inner)}`);
    }
  }
  return undefined;
};

// approx_percentile_cont(p) WITHIN GROUP (ORDER BY x [DESC]) → approx_quantile(x, p) ----------

const approxPercentileWithinGroup: Pass = (v) => {
  for (let p = 0; p < v.length; p++) {
    const close = v.callClose(p, names('approx_percentile_cont'));
    if (close === undefined) continue;
    const groupClose = v.word(close + 1) === 'within' && v.word(close + 2) === 'group' ? v.closeOf(close + 3) : undefined;
    if (groupClose === undefined) continue;
    if (v.word(close + 4) !== 'order' || v.word(close + 5) !== 'by') continue;
    const args = v.args(p + 1, close);
    if (args.length < 1 || args.length > 2) continue;
    // ORDER BY x [ASC|DESC] [NULLS FIRST|LAST]
    let xEnd = groupClose - 1;
    let desc = false;
    if (v.word(xEnd - 1) === 'nulls') xEnd -= 2;
    if (v.word(xEnd) === 'desc') { desc = true; xEnd--; } else if (v.word(xEnd) === 'asc') xEnd--;
    if (xEnd < close + 6) continue;
    const x = v.source(close + 6, xEnd).trim();
    const [pa, pb] = args[0]!;
    const q = v.source(pa, pb).trim();
    const quantile = !desc ? q : pa === pb && v.tok(pa)?.kind === 'number' ? `1 - ${q}` : `1 - (${q})`;
    return v.replace(p, groupClose, `approx_quantile(${x}, ${quantile})`);
  }
  return undefined;
};

// first_value(x ORDER BY y) / last_value(...) as aggregates → first(...) / last(...) ----------

const firstLastValue: Pass = (v) => {
  for (let p = 0; p < v.length; p++) {
    const close = v.callClose(p, names('first_value', 'last_value'));
    if (close === undefined) continue;
    let after = close + 1;
    if (v.word(after) === 'filter') after = (v.closeOf(after + 1) ?? after) + 1;
    // a window function (OVER, or IGNORE/RESPECT NULLS before OVER) is DuckDB's own
    if (['over', 'ignore', 'respect'].includes(v.word(after))) continue;
    return v.replace(p, p, v.word(p) === 'first_value' ? 'first' : 'last');
  }
  return undefined;
};

// chrono-only format specifiers in format arguments ---------------------------------------------

const CHRONO: ReadonlyArray<[string, string]> = [
  ['%.3f', '.%g'], ['%.6f', '.%f'], ['%.9f', '.%n'], ['%.f', '.%f'],
  ['%3f', '%g'], ['%6f', '%f'], ['%9f', '%n'], ['%:z', '%z'],
  ['%F', '%Y-%m-%d'], ['%T', '%H:%M:%S'], ['%D', '%m/%d/%y'], ['%R', '%H:%M'],
  ['%e', '%-d'], ['%k', '%-H'], ['%l', '%-I'], ['%h', '%b'],
];

/** A format string with chrono-only specifiers replaced by DuckDB's. */
export function chronoToDuckDBFormat(format: string): string {
  let out = '';
  for (let i = 0; i < format.length; i++) {
    if (format[i] !== '%') { out += format[i]; continue; }
    if (format[i + 1] === '%') { out += '%%'; i++; continue; }
    const hit = CHRONO.find(([from]) => format.startsWith(from, i));
    if (hit) { out += hit[1]; i += hit[0].length - 1; } else out += '%';
  }
  return out;
}

const FORMAT_FUNCTIONS = names('to_timestamp', 'to_timestamp_seconds', 'to_timestamp_millis', 'to_timestamp_micros',
  'to_timestamp_nanos', 'to_date', 'to_unixtime', 'to_char', 'date_format', 'strftime', 'strptime');

const chronoFormats: Pass = (v) => {
  for (let p = 0; p < v.length; p++) {
    const close = v.callClose(p, FORMAT_FUNCTIONS);
    if (close === undefined) continue;
    // format arguments: every argument after the first that is a string, or a list of strings
    const candidates: number[] = [];
    for (const [a, b] of v.args(p + 1, close).slice(1)) {
      if (a === b) candidates.push(a);
      else if (v.is(a, '[') && v.partnerOf(a) === b) for (const [ea, eb] of v.args(a, b)) if (ea === eb) candidates.push(ea);
    }
    for (const s of candidates) {
      const t = v.tok(s)!;
      if (t.kind !== 'string' || t.quote === 'dollar') continue;
      const body = stringBody(t);
      const converted = chronoToDuckDBFormat(body);
      if (converted !== body) return v.replace(s, s, t.text.slice(0, t.text.length - body.length - 1) + converted + "'");
    }
  }
  return undefined;
};

// LIKE 'a\_b' → LIKE 'a\_b' ESCAPE '\' -----------------------------------------------------------

const likeEscape: Pass = (v) => {
  for (let p = 0; p < v.length; p++) {
    const w = v.word(p);
    if (w !== 'like' && w !== 'ilike') continue;
    const t = v.tok(p + 1);
    if (t?.kind !== 'string' || t.quote === 'dollar') continue;
    const body = stringBody(t);
    // a pattern ending in an odd run of backslashes is an error with ESCAPE; leave it
    if (!body.includes('\\') || /(?:^|[^\\])(?:\\\\)*\\$/.test(body)) continue;
    const next = v.tok(p + 2);
    if (v.word(p + 2) === 'escape' || v.word(p + 2) === 'collate' || (next?.kind === 'op' && next.text !== '=') || v.is(p + 2, '[')) continue;
    return v.insertAfter(p + 1, " ESCAPE '\\'");
  }
  return undefined;
};

// a ~ p, a ~* p, a !~ p, a !~* p → regexp_matches(a, p[, 'i']) --------------------------------

const REGEX_OPS: Readonly<Record<string, { not: boolean; flags: string }>> = {
  '~': { not: false, flags: '' },
  '~*': { not: false, flags: ", 'i'" },
  '!~': { not: true, flags: '' },
  '!~*': { not: true, flags: ", 'i'" },
};

const regexOperators: Pass = (v) => {
  for (let p = 1; p < v.length; p++) {
    const t = v.tok(p)!;
    const op = t.kind === 'op' ? REGEX_OPS[t.text] : undefined;
    if (!op || !endsOperand(v, p - 1)) continue; // a prefix ~ is bitwise not
    const a = operandStart(v, p - 1);
    const b = operandEnd(v, p + 1);
    if (a === undefined || b === undefined) continue;
    const call = `regexp_matches(${v.source(a, p - 1).trim()}, ${v.source(p + 1, b).trim()}${op.flags})`;
    return v.replace(a, b, op.not ? `(NOT ${call})` : call);
  }
  return undefined;
};

// SELECT * EXCEPT (a) → SELECT * EXCLUDE (a) -----------------------------------------------------

const starExcept: Pass = (v) => {
  for (let p = 1; p < v.length; p++) {
    if (!v.is(p, '*') || v.word(p + 1) !== 'except' || !v.is(p + 2, '(')) continue;
    if (!(v.is(p - 1, '.') || v.is(p - 1, ',') || ['select', 'distinct', 'all'].includes(v.word(p - 1)))) continue;
    if (['select', 'with', 'values', 'from'].includes(v.word(p + 3)) || v.is(p + 3, '(')) continue; // a set operation
    return v.replace(p + 1, p + 1, 'EXCLUDE');
  }
  return undefined;
};

// SELECT 1 value → SELECT 1 AS value ------------------------------------------------------------

/**
 * Bare aliases that need AS in DuckDB: every DuckDB keyword, except isnull/notnull (postfix
 * operators in DuckDB), null/true/false/end (which end expressions), and the words DataFusion's
 * parser never takes as a bare column alias (sqlparser's RESERVED_FOR_COLUMN_ALIAS).
 */
const NOT_ALIASES = new Set(['isnull', 'notnull', 'null', 'true', 'false', 'end',
  'with', 'explain', 'analyze', 'select', 'where', 'group', 'sort', 'having', 'order', 'top', 'lateral', 'view', 'limit',
  'offset', 'fetch', 'union', 'except', 'intersect', 'minus', 'cluster', 'distribute', 'returning', 'from', 'into']);

/** Words that end a select list at its own bracket depth. */
const SELECT_LIST_END = new Set(['from', 'where', 'group', 'having', 'window', 'qualify', 'order', 'limit', 'offset', 'fetch',
  'union', 'except', 'intersect', 'into', 'using']);

function needsAs(v: TokenView, first: number, last: number): boolean {
  if (last <= first) return false;
  const alias = v.word(last);
  if (!alias || NOT_ALIASES.has(alias) || keywordCategory(alias) === undefined) return false;
  const prev = last - 1;
  const t = v.tok(prev)!;
  switch (t.kind) {
    case 'number': case 'string': return v.word(prev - 1) !== 'interval';
    case 'ident': case 'param': return true;
    case 'punct':
      if (t.text === ']' || t.text === '}') return true;
      return t.text === ')' && v.word((v.partnerOf(prev) ?? prev) - 1) !== 'interval';
    case 'word': {
      const w = v.word(prev);
      if (w === 'end' || w === 'null' || w === 'true' || w === 'false') return true;
      // two-word type names: x::double precision, x::character varying
      const twoWordType = (second: string, first: string) =>
        (second === 'precision' && first === 'double') || (second === 'varying' && ['character', 'char', 'bit'].includes(first));
      if (twoWordType(alias, w)) return false;
      if (twoWordType(w, v.word(prev - 1)) && v.is(prev - 2, '::')) return true;
      const cat = keywordCategory(w);
      if (cat === undefined) return true;
      if (v.is(prev - 1, '.') || v.is(prev - 1, '::')) return true;
      return prev === first && (cat === 'unreserved' || cat === 'column_name') && !['interval', 'row', 'exists', 'values', 'between'].includes(w);
    }
    default: return false;
  }
}

/** All bare keyword aliases are found in one scan (inserting AS changes no structure). */
const aliasAs: Pass = (v) => {
  const aliases: number[] = [];
  for (let s = 0; s < v.length; s++) {
    if (v.word(s) !== 'select') continue;
    let p = s + 1;
    if (v.word(p) === 'distinct') {
      p++;
      if (v.word(p) === 'on') p = (v.closeOf(p + 1) ?? p) + 1;
    } else if (v.word(p) === 'all') p++;
    let first = p;
    for (; p <= v.length; p++) {
      const t = v.tok(p);
      const w = v.word(p);
      const end = !t || t.text === ';' || (t.kind === 'punct' && (t.text === ')' || t.text === ']' || t.text === '}'))
        || (SELECT_LIST_END.has(w) && !(w === 'from' && v.word(p - 1) === 'distinct') && !(w === 'group' && v.word(p - 1) === 'within')
          && !(w === 'except' && v.is(p - 1, '*')));
      if (end || (t.kind === 'punct' && t.text === ',')) {
        if (needsAs(v, first, p - 1)) aliases.push(p - 1);
        if (end) break;
        first = p + 1;
        continue;
      }
      p = v.closeOf(p) ?? p;
    }
  }
  return aliases.length === 0 ? undefined : v.insertBefore(aliases, 'AS ');
};

// SELECT 1 AS Day → SELECT 1 AS day --------------------------------------------------------------

/**
 * DuckDB keeps the case of an unquoted alias that is one of its keywords (`AS Day`, `AS Name`),
 * even with preserve_identifier_case off; DataFusion lower-cases every unquoted identifier. A
 * keyword after `AS` is lower-cased, except the type of a `CAST`/`TRY_CAST`.
 */
const keywordAliasCase: Pass = (v) => {
  for (let p = 1; p < v.length; p++) {
    const t = v.tok(p)!;
    if (t.kind !== 'word' || t.text === t.text.toLowerCase() || v.word(p - 1) !== 'as' || keywordCategory(t.text) === undefined) continue;
    if (inCast(v, p - 1)) continue;
    return v.replace(p, p, t.text.toLowerCase());
  }
  return undefined;
};

/** Whether the token at `p` is directly inside the brackets of a cast(...) or try_cast(...). */
function inCast(v: TokenView, p: number): boolean {
  let depth = 0;
  for (let q = p - 1; q >= 0; q--) {
    const t = v.tok(q)!;
    if (t.kind !== 'punct') continue;
    if (t.text === ')' || t.text === ']' || t.text === '}') depth++;
    else if (t.text === '(' || t.text === '[' || t.text === '{') {
      if (depth === 0) return t.text === '(' && (v.word(q - 1) === 'cast' || v.word(q - 1) === 'try_cast');
      depth--;
    }
  }
  return false;
}

// ------------------------------------------------------------------------------------------------

/** The passes in the order they run, keyed by rule id (the ids docs/sql.md lists). */
const PASSES: Readonly<Record<string, Pass>> = {
  overlayCommaForm, namedStruct, arrowCast, jsonGetCast, approxPercentileWithinGroup, firstLastValue,
  chronoFormats, likeEscape, regexOperators, starExcept, aliasAs, keywordAliasCase,
};

/** The ids of the rewrite rules, in the order they run. */
export const REWRITE_RULES: readonly string[] = Object.freeze(Object.keys(PASSES));

/** Upper bound on rewrites of one pass, against a pass that would not converge. */
const MAX_STEPS = 10_000;

/** Rounds of all passes: a later pass can make room for an earlier one (`first_value (a ~ b)`). */
const MAX_ROUNDS = 4;

/** Rewrites DataFusion stage SQL into DuckDB SQL (see the file comment). */
export function rewriteSql(sql: string): string {
  let out = sql;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const before = out;
    for (const pass of Object.values(PASSES)) {
      for (let step = 0; step < MAX_STEPS; step++) {
        const next = pass(new TokenView(tokenize(out)));
        if (next === undefined || next === out) break;
        out = next;
      }
    }
    if (out === before) break;
  }
  return out;
}
