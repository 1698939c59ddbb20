/**
 * CREATE MACRO statements that give DuckDB 1.5.6 the DataFusion 49 functions it lacks or spells
 * differently (docs/sql.md, "Macros"). Those a run's SQL may call (macrosCalledBy) are created in
 * schema `main` of the run's database, where they shadow DuckDB's built-ins of the same name for
 * ALL SQL on that database, the engine's own included; a built-in stays reachable as
 * `system.main.f(...)` (see SHADOWED_BUILTINS). A macro that shadows a built-in declares every arity the built-in has, since
 * DuckDB looks a name up once and then only considers the macro's overloads.
 *
 * Rules the bodies follow, all forced by DuckDB:
 * - No `/` on integers: compat.ts turns on `integer_division`; `//` is written where meant.
 * - A body must bind for every argument type it accepts, so type-dependent branches are chosen
 *   with `typeof(x)` (constant-folded) and use casts through VARCHAR that bind for any type.
 * - Regex options must be constants, so flags are applied as an inline `(?flags)` prefix.
 * - Lambdas use the `lambda x: ...` syntax (the arrow syntax is deprecated).
 * - Names starting with `aq_` are helpers, not part of the DataFusion surface.
 */

interface Macro {
  readonly name: string;
  /** Each overload: parameter list and body. */
  readonly overloads: ReadonlyArray<readonly [params: string, body: string]>;
}

const INT_TYPES = `('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'UHUGEINT')`;
const isInt = (x: string) => `typeof(${x}) IN ${INT_TYPES}`;
const isFloat = (x: string) => `(typeof(${x}) IN ('FLOAT', 'DOUBLE') OR typeof(${x}) LIKE 'DECIMAL%')`;
const isString = (x: string) => `typeof(${x}) = 'VARCHAR'`;

/** n parameter names: a1, a2, ... */
const params = (n: number, prefix = 'a') => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

/** Overloads for arities from..to built by one function of the parameter names. */
function arities(from: number, to: number, body: (ps: string[]) => string, fixed: string[] = [], prefix = 'a'): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let n = from; n <= to; n++) {
    const ps = [...fixed, ...params(n, prefix)];
    out.push([ps.join(', '), body(ps)]);
  }
  return out;
}

const one = (name: string, ps: string, body: string): Macro => ({ name, overloads: [[ps, body]] });
const alias = (names: string[], overloads: Macro['overloads']): Macro[] => names.map((name) => ({ name, overloads }));

// ---------------------------------------------------------------------------------------------
// time

/**
 * A value → naive UTC timestamp, DataFusion's to_timestamp: strings (RFC 3339 with or without an
 * offset, 'YYYY-MM-DD[ HH:MM:SS[.f]]') are read as TIMESTAMP_NS, the one DuckDB cast that converts
 * an offset to UTC and leaves a string without one as it is, whatever the session time zone
 * (DataFusion's timestamps are nanoseconds too, so the range is the same); other non-numeric values
 * go through their text; integers count `microsPerUnit` µs (nanoseconds for `nanos`) since the
 * epoch; floats are seconds. The result is TIMESTAMP_NS; callers cast it.
 */
function toTimestampBody(x: string, microsPerUnit: string, nanos = false): string {
  const fromInt = nanos
    ? `make_timestamp_ns(CAST(CAST(${x} AS VARCHAR) AS BIGINT))`
    : `make_timestamp(CAST(CAST(${x} AS VARCHAR) AS BIGINT) * ${microsPerUnit})`;
  return `CASE WHEN ${isInt(x)} THEN ${fromInt}`
    + ` WHEN ${isFloat(x)} THEN make_timestamp(CAST(round(CAST(CAST(${x} AS VARCHAR) AS DOUBLE) * 1000000) AS BIGINT))`
    + ` ELSE CAST(CAST(${x} AS VARCHAR) AS TIMESTAMP_NS) END`;
}

const MAX_FORMATS = 6;
/** Overloads (x) and (x, f1..fn) for n ≤ MAX_FORMATS; `cast` wraps the result. */
function timestampFamily(name: string, cast: (e: string) => string, microsPerUnit: string, nanos = false): Macro {
  return {
    name,
    overloads: [
      ['x', cast(toTimestampBody('x', microsPerUnit, nanos))],
      // strptime gives TIMESTAMPTZ for a format with %z (converted with TimeZone = UTC)
      ...arities(1, MAX_FORMATS, (ps) => cast(`CAST(strptime(CAST(x AS VARCHAR), [${ps.slice(1).join(', ')}]) AS TIMESTAMP_NS)`), ['x'], 'f'),
    ],
  };
}

const TIME: Macro[] = [
  timestampFamily('to_timestamp', (e) => `CAST(${e} AS TIMESTAMP)`, '1000000'),
  timestampFamily('to_timestamp_seconds', (e) => `CAST(date_trunc('second', ${e}) AS TIMESTAMP_S)`, '1000000'),
  timestampFamily('to_timestamp_millis', (e) => `CAST(date_trunc('millisecond', ${e}) AS TIMESTAMP_MS)`, '1000'),
  timestampFamily('to_timestamp_micros', (e) => `CAST(${e} AS TIMESTAMP)`, '1'),
  timestampFamily('to_timestamp_nanos', (e) => `CAST(${e} AS TIMESTAMP_NS)`, '1', true),
  {
    // strings → DATE; integers/floats are days since the epoch
    name: 'to_date',
    overloads: [
      ['x', `CASE WHEN ${isInt('x')} OR ${isFloat('x')} THEN DATE '1970-01-01' + CAST(floor(CAST(CAST(x AS VARCHAR) AS DOUBLE)) AS INTEGER)`
        + ` WHEN ${isString('x')} THEN CAST(CAST(x AS VARCHAR) AS DATE)`
        + ` ELSE CAST(to_timestamp(x) AS DATE) END`],
      ...arities(1, MAX_FORMATS, (ps) => `CAST(strptime(CAST(x AS VARCHAR), [${ps.slice(1).join(', ')}]) AS DATE)`, ['x'], 'f'),
    ],
  },
  {
    // seconds since the epoch (BIGINT); integers pass through
    name: 'to_unixtime',
    overloads: [
      ['x', `CASE WHEN ${isInt('x')} THEN CAST(CAST(x AS VARCHAR) AS BIGINT) ELSE CAST(floor(epoch(to_timestamp(x))) AS BIGINT) END`],
      ...arities(1, MAX_FORMATS, (ps) => `CAST(floor(epoch(to_timestamp(${ps.join(', ')}))) AS BIGINT)`, ['x'], 'f'),
    ],
  },
  {
    name: 'from_unixtime',
    overloads: [
      ['x', 'CAST(make_timestamp(CAST(x AS BIGINT) * 1000000) AS TIMESTAMP_S)'],
      // with a time zone: Timestamp(Second, tz) → TIMESTAMPTZ (DuckDB keeps no zone per value)
      ['x, tz', 'timezone(\'UTC\', make_timestamp(CAST(x AS BIGINT) * 1000000))'],
    ],
  },
  ...alias(['to_char', 'date_format'], [['x, fmt', 'strftime(x, fmt)']]),
  one('to_local_time', 'x', 'CAST(x AS TIMESTAMP)'),
  {
    // DuckDB's time_bucket defaults to origin 2000-01-03; DataFusion bins from the epoch
    name: 'date_bin',
    overloads: [
      ['stride, ts', "time_bucket(stride, ts, TIMESTAMP '1970-01-01 00:00:00')"],
      ['stride, ts, origin', 'time_bucket(stride, ts, origin)'],
    ],
  },
  // without parentheses these are keywords DuckDB already knows
  one('current_timestamp', '', 'now()'),
  one('current_time', '', "CAST(timezone('UTC', now()) AS TIME)"),
];

// ---------------------------------------------------------------------------------------------
// conditional, strings, binary

const CONDITIONAL: Macro[] = [
  one('nvl', 'a, b', 'coalesce(a, b)'),
  one('nvl2', 'a, b, c', 'CASE WHEN a IS NOT NULL THEN b ELSE c END'),
  one('nanvl', 'a, b', 'CASE WHEN isnan(a) THEN CAST(b AS DOUBLE) ELSE CAST(a AS DOUBLE) END'),
  one('iszero', 'x', 'x = 0'),
  one('signum', 'x', 'CAST(sign(x) AS DOUBLE)'),
];

const SUBSTR_INDEX = `CASE WHEN s IS NULL OR delim IS NULL OR n IS NULL THEN NULL WHEN n = 0 OR delim = '' THEN ''`
  + ` WHEN n > 0 THEN array_to_string(string_split(s, delim)[1:n], delim)`
  + ` ELSE array_to_string(string_split(s, delim)[n:], delim) END`;

const UNSUPPORTED_ENCODING = (m: string) => `error('Unsupported encoding method: ' || ${m} || '. Expected hex or base64')`;
const asBlob = (x: string) => `CASE WHEN typeof(${x}) = 'BLOB' THEN CAST(${x} AS BLOB) ELSE system.main.encode(CAST(${x} AS VARCHAR)) END`;
const unpadded = (x: string) => `rtrim(CAST(${x} AS VARCHAR), '=')`;

const STRINGS: Macro[] = [
  { name: 'btrim', overloads: [['s', 'trim(s)'], ['s, chars', 'trim(s, chars)']] },
  // upper-cases the first letter or digit of every run of letters/digits, lower-cases the rest
  one('initcap', 's', String.raw`array_to_string(list_transform(regexp_extract_all(s, '[\pL\pN]+|[^\pL\pN]+'), lambda w: upper(w[1]) || lower(w[2:])), '')`),
  one('find_in_set', 'str, strlist', `CASE WHEN str IS NULL OR strlist IS NULL THEN NULL ELSE coalesce(list_position(string_split(strlist, ','), str), 0) END`),
  ...alias(['substr_index', 'substring_index'], [['s, delim, n', SUBSTR_INDEX]]),
  { name: 'lpad', overloads: [['s, n', "system.main.lpad(s, n, ' ')"], ['s, n, p', 'system.main.lpad(s, n, p)']] },
  { name: 'rpad', overloads: [['s, n', "system.main.rpad(s, n, ' ')"], ['s, n, p', 'system.main.rpad(s, n, p)']] },
  one('to_hex', 'x', 'lower(system.main.to_hex(x))'),
  one('octet_length', 'x', `CASE WHEN typeof(x) = 'BLOB' THEN system.main.octet_length(CAST(x AS BLOB)) ELSE strlen(CAST(x AS VARCHAR)) END`),
  one('uuid', '', 'CAST(gen_random_uuid() AS VARCHAR)'),
  {
    // DuckDB parses overlay(s PLACING r FROM p [FOR l]) into a call overlay(s, r, p[, l])
    name: 'overlay',
    overloads: [
      ['s, r, p', 'substr(s, 1, p - 1) || r || substr(s, p + length(r))'],
      ['s, r, p, l', 'substr(s, 1, p - 1) || r || substr(s, p + l)'],
    ],
  },
  {
    // base64 is STANDARD without padding, as in DataFusion
    name: 'encode',
    overloads: [
      ['x', 'system.main.encode(x)'],
      ['x, method', `CASE lower(method) WHEN 'hex' THEN lower(hex(${asBlob('x')}))`
        + ` WHEN 'base64' THEN rtrim(to_base64(${asBlob('x')}), '=')`
        + ` ELSE ${UNSUPPORTED_ENCODING('method')} END`],
    ],
  },
  {
    // decoding accepts base64 with or without padding
    name: 'decode',
    overloads: [
      ['x', 'system.main.decode(x)'],
      ['x, method', `CASE lower(method) WHEN 'hex' THEN unhex(CAST(x AS VARCHAR))`
        + ` WHEN 'base64' THEN from_base64(${unpadded('x')} || repeat('=', (4 - length(${unpadded('x')}) % 4) % 4))`
        + ` ELSE ${UNSUPPORTED_ENCODING('method')} END`],
    ],
  },
  one('sha256', 'x', 'unhex(system.main.sha256(x))'),
  one('digest', 'x, method', `CASE lower(method) WHEN 'md5' THEN unhex(md5(x)) WHEN 'sha1' THEN unhex(sha1(x))`
    + ` WHEN 'sha224' THEN sha224(x) WHEN 'sha256' THEN unhex(system.main.sha256(x))`
    + ` WHEN 'sha384' THEN sha384(x) WHEN 'sha512' THEN sha512(x)`
    + ` ELSE error('Unsupported digest algorithm: ' || method || '. Expected md5, sha1, sha224, sha256, sha384 or sha512') END`),
];

// ---------------------------------------------------------------------------------------------
// regular expressions

/** Groups counted in a pattern: '(' not escaped, not in a class, not '(?', plus named groups. */
const RE_STRIP = String.raw`regexp_replace(regexp_replace(p, '\\.', '', 'g'), '\[\^?\]?[^\]]*\]', '', 'g')`;
const countSub = (s: string, sub: string) => `((length(${s}) - length(replace(${s}, '${sub}', ''))) // ${sub.length})`;
const GROUP_COUNT = `(${countSub('aq_re_strip(p)', '(')} - ${countSub('aq_re_strip(p)', '(?')} + ${countSub('aq_re_strip(p)', '(?P<')} + ${countSub('aq_re_strip(p)', '(?<')})`;
const MAX_GROUPS = 9;
/** `p` with MAX_GROUPS empty groups appended, so regexp_extract(s, ., i) binds for every i ≤ 9. */
const PADDED = `'(?:' || p || ')${'()'.repeat(MAX_GROUPS)}'`;
const REGEXP_MATCH = `CASE WHEN s IS NULL OR p IS NULL THEN NULL WHEN NOT regexp_matches(s, p) THEN NULL`
  + ` WHEN aq_re_groups(p) = 0 THEN [regexp_extract(s, p, 0)]`
  + ` ELSE [${Array.from({ length: MAX_GROUPS }, (_, i) => `regexp_extract(s, ${PADDED}, ${i + 1})`).join(', ')}][1:aq_re_groups(p)] END`;

/** Position (1-based, in characters) of the n-th match at or after `start`, 0 if none. */
const REGEXP_INSTR = `CASE WHEN s IS NULL OR p IS NULL OR start IS NULL OR n IS NULL THEN NULL`
  + ` WHEN len(regexp_extract_all(substr(s, start), p)) < n THEN 0`
  + ` ELSE start + length(array_to_string(regexp_split_to_array(substr(s, start), p)[1:n], ''))`
  + ` + length(array_to_string(regexp_extract_all(substr(s, start), p)[1:n - 1], '')) END`;

const REGEX: Macro[] = [
  one('aq_re_flags', 'p, flags', `CASE WHEN flags IS NULL OR flags = '' THEN p ELSE '(?' || flags || ')' || p END`),
  one('aq_re_strip', 'p', RE_STRIP),
  one('aq_re_groups', 'p', GROUP_COUNT),
  one('aq_regexp_match', 's, p', REGEXP_MATCH),
  one('aq_regexp_instr', 's, p, start, n', REGEXP_INSTR),
  { name: 'regexp_like', overloads: [['s, p', 'regexp_matches(s, p)'], ['s, p, flags', 'regexp_matches(s, aq_re_flags(p, flags))']] },
  {
    name: 'regexp_count',
    overloads: [
      ['s, p', 'len(regexp_extract_all(s, p))'],
      ['s, p, start', 'len(regexp_extract_all(substr(s, start), p))'],
      ['s, p, start, flags', 'len(regexp_extract_all(substr(s, start), aq_re_flags(p, flags)))'],
    ],
  },
  { name: 'regexp_match', overloads: [['s, p', 'aq_regexp_match(s, p)'], ['s, p, flags', 'aq_regexp_match(s, aq_re_flags(p, flags))']] },
  {
    name: 'regexp_instr',
    overloads: [
      ['s, p', 'aq_regexp_instr(s, p, 1, 1)'],
      ['s, p, start', 'aq_regexp_instr(s, p, start, 1)'],
      ['s, p, start, n', 'aq_regexp_instr(s, p, start, n)'],
      ['s, p, start, n, flags', 'aq_regexp_instr(s, aq_re_flags(p, flags), start, n)'],
      ['s, p, start, n, flags, subexpr', `CASE WHEN subexpr = 0 THEN aq_regexp_instr(s, aq_re_flags(p, flags), start, n) ELSE error('regexp_instr: only subexpr 0 is supported') END`],
    ],
  },
];

// ---------------------------------------------------------------------------------------------
// arrays and structs

const MAX_VARARGS = 16;
const notDistinct = (a: string, b: string) => `${a} IS NOT DISTINCT FROM ${b}`;
/** How many elements of a[1:i] equal x. */
const seenSoFar = (x: string) => `len(list_filter(a[1:i], lambda y: ${notDistinct('y', x)}))`;
const joinWithNull = `array_to_string(list_transform(a, lambda e: coalesce(CAST(e AS VARCHAR), ns)), sep)`;
const STRING_TO_ARRAY = `CASE WHEN s IS NULL THEN NULL WHEN s = '' THEN CAST([] AS VARCHAR[]) ELSE string_split(s, coalesce(d, '')) END`;

const ARRAYS: Macro[] = [
  ...alias(['make_array', 'make_list'], arities(0, MAX_VARARGS, (ps) => `list_value(${ps.join(', ')})`)),
  one('array_element', 'a, i', 'list_extract(a, i)'),
  ...alias(['empty', 'array_empty', 'list_empty'], [['a', 'len(a) = 0']]),
  ...alias(['array_to_string', 'list_to_string', 'array_join', 'list_join'], [['a, sep', 'system.main.array_to_string(a, sep)'], ['a, sep, ns', joinWithNull]]),
  // DataFusion: array_push_front(element, array), an alias of array_prepend; DuckDB's takes (array, element)
  ...alias(['array_push_front', 'list_push_front'], [['e, a', 'list_prepend(e, a)']]),
  one('list_push_back', 'a, e', 'list_append(a, e)'),
  ...alias(['array_positions', 'list_positions'], [['a, x', 'list_filter(range(1, len(a) + 1), lambda i: a[i] = x)']]),
  ...alias(['array_remove', 'list_remove'], [['a, x', 'list_filter(a, lambda e, i: i IS DISTINCT FROM list_position(a, x))']]),
  ...alias(['array_remove_all', 'list_remove_all'], [['a, x', `list_filter(a, lambda e: e IS DISTINCT FROM x)`]]),
  ...alias(['array_remove_n', 'list_remove_n'], [['a, x, n', `list_filter(a, lambda e, i: NOT (${notDistinct('e', 'x')}) OR ${seenSoFar('x')} > n)`]]),
  ...alias(['array_replace', 'list_replace'], [['a, src, dst', 'list_transform(a, lambda e, i: CASE WHEN i = list_position(a, src) THEN dst ELSE e END)']]),
  ...alias(['array_replace_all', 'list_replace_all'], [['a, src, dst', `list_transform(a, lambda e: CASE WHEN ${notDistinct('e', 'src')} THEN dst ELSE e END)`]]),
  ...alias(['array_replace_n', 'list_replace_n'], [['a, src, dst, n', `list_transform(a, lambda e, i: CASE WHEN ${notDistinct('e', 'src')} AND ${seenSoFar('src')} <= n THEN dst ELSE e END)`]]),
  ...alias(['array_repeat', 'list_repeat'], [['x, n', 'repeat([x], greatest(n, 0))']]),
  // set operations keep the order of first occurrence and drop duplicates
  ...alias(['array_union', 'list_union'], [['a, b', 'list_filter(list_concat(a, b), lambda e, i: list_position(list_concat(a, b), e) = i)']]),
  ...alias(['array_except', 'list_except'], [['a, b', 'list_filter(a, lambda e, i: list_position(a, e) = i AND list_position(b, e) IS NULL)']]),
  one('arrays_overlap', 'a, b', 'list_has_any(a, b)'),
  one('array_max', 'a', 'list_max(a)'),
  one('array_min', 'a', 'list_min(a)'),
  one('array_any_value', 'a', 'list_any_value(a)'),
  ...alias(['array_ndims', 'list_ndims'], [['a', String.raw`CASE WHEN a IS NULL THEN NULL WHEN typeof(a) LIKE '%[]' THEN (length(typeof(a)) - length(regexp_replace(typeof(a), '(\[\])+$', ''))) // 2 END`]]),
  ...alias(['string_to_array', 'string_to_list'], [
    ['s, d', STRING_TO_ARRAY],
    ['s, d, ns', `list_transform(${STRING_TO_ARRAY}, lambda e: CASE WHEN e = ns THEN NULL ELSE e END)`],
  ]),
  // DuckDB's cardinality takes only MAPs; DataFusion's counts a list's elements, all levels deep.
  // to_json binds for every type, so one body serves lists (up to 3 levels) and maps.
  one('cardinality', 'x', `CAST(CASE WHEN x IS NULL THEN NULL WHEN typeof(x) LIKE 'MAP(%' THEN len(json_keys(to_json(x)))`
    + ` WHEN typeof(x) LIKE '%[][][]' THEN len(json_extract(to_json(x), '$[*][*][*]'))`
    + ` WHEN typeof(x) LIKE '%[][]' THEN len(json_extract(to_json(x), '$[*][*]'))`
    + ` ELSE json_array_length(to_json(x)) END AS UBIGINT)`),
  // struct(a, b) names its fields c0, c1, ...
  { name: 'struct', overloads: arities(1, MAX_VARARGS, (ps) => `struct_pack(${ps.map((p, i) => `c${i} := ${p}`).join(', ')})`) },
  one('get_field', 's, f', 'struct_extract(s, f)'),
];

// ---------------------------------------------------------------------------------------------
// types and aggregates

const ARROW_SCALAR = `CASE t WHEN 'BOOLEAN' THEN 'Boolean' WHEN 'TINYINT' THEN 'Int8' WHEN 'SMALLINT' THEN 'Int16'`
  + ` WHEN 'INTEGER' THEN 'Int32' WHEN 'BIGINT' THEN 'Int64' WHEN 'UTINYINT' THEN 'UInt8' WHEN 'USMALLINT' THEN 'UInt16'`
  + ` WHEN 'UINTEGER' THEN 'UInt32' WHEN 'UBIGINT' THEN 'UInt64' WHEN 'HUGEINT' THEN 'Decimal128(38, 0)'`
  + ` WHEN 'FLOAT' THEN 'Float32' WHEN 'DOUBLE' THEN 'Float64' WHEN 'VARCHAR' THEN 'Utf8' WHEN 'BLOB' THEN 'Binary'`
  + ` WHEN 'DATE' THEN 'Date32' WHEN 'TIME' THEN 'Time64(Microsecond)' WHEN 'INTERVAL' THEN 'Interval(MonthDayNano)'`
  + ` WHEN 'TIMESTAMP' THEN 'Timestamp(Microsecond, None)' WHEN 'TIMESTAMP_S' THEN 'Timestamp(Second, None)'`
  + ` WHEN 'TIMESTAMP_MS' THEN 'Timestamp(Millisecond, None)' WHEN 'TIMESTAMP_NS' THEN 'Timestamp(Nanosecond, None)'`
  + ` WHEN 'TIMESTAMP WITH TIME ZONE' THEN 'Timestamp(Microsecond, Some("UTC"))' WHEN 'UUID' THEN 'Utf8' WHEN '"NULL"' THEN 'Null'`
  + String.raw` ELSE CASE WHEN t LIKE 'DECIMAL(%' THEN regexp_replace(t, '^DECIMAL\((\d+),(\d+)\)$', 'Decimal128(\1, \2)') ELSE t END END`;
const LIST_ELEM = String.raw`regexp_replace(t, '\[\]$', '')`;

const TYPES_AND_AGGREGATES: Macro[] = [
  one('aq_arrow_scalar_type', 't', ARROW_SCALAR),
  one('aq_arrow_type', 't', String.raw`CASE WHEN t LIKE '%[][]' THEN 'List(List(' || aq_arrow_scalar_type(regexp_replace(t, '\[\]\[\]$', '')) || '))'`
    + ` WHEN t LIKE '%[]' THEN 'List(' || aq_arrow_scalar_type(${LIST_ELEM}) || ')' ELSE aq_arrow_scalar_type(t) END`),
  one('arrow_typeof', 'x', 'aq_arrow_type(typeof(x))'),
  one('approx_distinct', 'x', 'approx_count_distinct(x)'),
  one('approx_median', 'x', 'approx_quantile(x, 0.5)'),
  { name: 'approx_percentile_cont', overloads: [['x, p', 'approx_quantile(x, p)'], ['x, p, centroids', 'approx_quantile(x, p)']] },
  ...alias(['var', 'var_sample'], [['x', 'var_samp(x)']]),
  one('var_population', 'x', 'var_pop(x)'),
  one('covar', 'y, x', 'covar_samp(y, x)'),
];

// ---------------------------------------------------------------------------------------------
// JSON (datafusion-functions-json): keys are object keys (strings) or 0-based array indexes
// (integers, negative from the end); invalid JSON gives NULL; the typed getters give NULL when
// the value has another type (json_get_float accepts integers).

const MAX_KEYS = 4;
const STEP = `CASE WHEN ${isInt('k')} THEN CASE WHEN CAST(k AS BIGINT) < 0 THEN '[#' || CAST(k AS VARCHAR) || ']' ELSE '[' || CAST(k AS VARCHAR) || ']' END`
  + String.raw` ELSE '."' || replace(replace(CAST(k AS VARCHAR), '\', '\\'), '"', '\"') || '"' END`;

/** Overloads json(j) .. json(j, k1..k4) with `path` the JSONPath expression of the keys. */
function jsonFamily(name: string, body: (path: string) => string, minKeys = 0): Macro {
  return {
    name,
    overloads: arities(minKeys, MAX_KEYS, (ps) => body(['\'$\'', ...ps.slice(1).map((k) => `aq_json_step(${k})`)].join(' || ')), ['j'], 'k'),
  };
}
const whenValid = (path: string, cond: string, value: string) =>
  `CASE WHEN json_valid(j) AND ${cond.replaceAll('PATH', () => path)} THEN ${value.replaceAll('PATH', () => path)} END`;

const JSON_MACROS: Macro[] = [
  one('aq_json_step', 'k', STEP),
  jsonFamily('json_get', (p) => whenValid(p, "json_type(j, PATH) <> 'NULL'", 'json_extract(j, PATH)')),
  jsonFamily('json_get_str', (p) => whenValid(p, "json_type(j, PATH) = 'VARCHAR'", 'json_extract_string(j, PATH)')),
  jsonFamily('json_get_int', (p) => whenValid(p, "json_type(j, PATH) IN ('BIGINT', 'UBIGINT')", 'TRY_CAST(json_extract_string(j, PATH) AS BIGINT)')),
  jsonFamily('json_get_float', (p) => whenValid(p, "json_type(j, PATH) IN ('BIGINT', 'UBIGINT', 'DOUBLE')", 'CAST(json_extract_string(j, PATH) AS DOUBLE)')),
  jsonFamily('json_get_bool', (p) => whenValid(p, "json_type(j, PATH) = 'BOOLEAN'", 'CAST(json_extract_string(j, PATH) AS BOOLEAN)')),
  jsonFamily('json_get_json', (p) => whenValid(p, 'json_type(j, PATH) IS NOT NULL', 'CAST(json_extract(j, PATH) AS VARCHAR)')),
  jsonFamily('json_as_text', (p) => whenValid(p, "json_type(j, PATH) <> 'NULL'", 'json_extract_string(j, PATH)')),
  jsonFamily('json_length', (p) => whenValid(p, "json_type(j, PATH) IN ('ARRAY', 'OBJECT')",
    `CAST(CASE json_type(j, PATH) WHEN 'ARRAY' THEN json_array_length(j, PATH) ELSE len(json_keys(j, PATH)) END AS UBIGINT)`)),
  // as in the original (jiter_json_find(...).is_some()): invalid JSON gives false, not NULL
  jsonFamily('json_contains', (p) => `CASE WHEN j IS NULL THEN NULL WHEN NOT json_valid(j) THEN false ELSE json_exists(j, ${p}) END`, 1),
  // aqueducts' own UDF: a JSON array string → its elements as JSON strings; NULL → NULL; any
  // other JSON value is an error, as is invalid JSON
  one('unnest_json_array', 'x', `CASE WHEN x IS NULL THEN NULL WHEN json_type(CAST(x AS JSON)) = 'ARRAY' THEN CAST(json_extract(x, '$[*]') AS VARCHAR[])`
    + ` ELSE error('unnest_json_array: expected JSON array, got ' || CAST(x AS VARCHAR)) END`),
];

/** Every macro, in creation order (helpers before their users, though DuckDB binds lazily). */
export const MACROS: readonly Macro[] = Object.freeze([...CONDITIONAL, ...STRINGS, ...REGEX, ...TIME, ...ARRAYS, ...TYPES_AND_AGGREGATES, ...JSON_MACROS]);

/** Names of DuckDB built-ins (system.main) that a macro shadows; reach them as system.main.f(...). */
export const SHADOWED_BUILTINS: readonly string[] = Object.freeze([
  'array_push_front', 'array_to_string', 'cardinality', 'decode', 'encode', 'json_contains', 'lpad', 'octet_length',
  'rpad', 'sha256', 'string_to_array', 'to_hex', 'to_timestamp', 'uuid',
]);

/** Marker that the macros of this version are installed in a database. */
export const MACROS_VERSION = 'aq_compat_v1';

function createStatement(m: Macro): string {
  const overloads = m.overloads.map(([ps, body]) => `(${ps}) AS ${body}`).join(',\n  ');
  return `CREATE OR REPLACE MACRO main.${quoteName(m.name)}${overloads};`;
}

/** Function names that are also keywords need quoting in CREATE MACRO. */
function quoteName(name: string): string {
  return name === 'struct' || name === 'current_timestamp' || name === 'current_time' ? `"${name}"` : name;
}

/** All macros as one multi-statement SQL text (plus the version marker macro). */
export const MACROS_SQL: string = [
  ...MACROS.map(createStatement),
  `CREATE OR REPLACE MACRO main.${MACROS_VERSION}() AS true;`,
].join('\n');

const NAMES: ReadonlySet<string> = new Set(MACROS.map((m) => m.name));

/** The words of a SQL text (identifier-shaped runs of characters, lower-cased), strings and comments included. */
function words(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)) out.add(m[0].toLowerCase());
  return out;
}

let callsByMacro: Map<string, string[]> | undefined;

/** The other macros a macro's bodies name. */
function callsOf(name: string): readonly string[] {
  if (!callsByMacro) {
    callsByMacro = new Map();
    for (const m of MACROS) {
      const called = callsByMacro.get(m.name) ?? [];
      for (const [, body] of m.overloads) for (const w of words(body)) if (NAMES.has(w) && w !== m.name && !called.includes(w)) called.push(w);
      callsByMacro.set(m.name, called);
    }
  }
  return callsByMacro.get(name) ?? [];
}

/**
 * The macros SQL texts may call: each macro whose name appears in them as a word (in any case,
 * even inside a string or a comment: a name too many costs a little time, one too few a failed
 * run), and the macros those call, transitively. In creation order.
 */
export function macrosCalledBy(texts: Iterable<string>): string[] {
  const found = new Set<string>();
  const visit = (name: string) => {
    if (found.has(name)) return;
    found.add(name);
    for (const called of callsOf(name)) visit(called);
  };
  for (const text of texts) for (const w of words(text)) if (NAMES.has(w)) visit(w);
  return [...NAMES].filter((n) => found.has(n));
}

/** The CREATE MACRO statements of the named macros, as one multi-statement text. */
export function macrosSql(names: Iterable<string>): string {
  const wanted = new Set(names);
  return MACROS.filter((m) => wanted.has(m.name)).map(createStatement).join('\n');
}
