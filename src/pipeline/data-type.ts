/**
 * The `data_type` string grammar of docs/pipeline-format.md, "Fields and data types" (the original's `DataType::from_str` and
 * `Display`), and the mapping of a parsed type onto DuckDB SQL type text.
 */
import { clientText } from '../core/client-value.js';
import { ExecutorError } from '../core/errors.js';
import type { DataType, TimeUnit } from './types.js';

export type DataTypeResult = { ok: true; type: DataType } | { ok: false; error: string };

const SIMPLE: Record<string, DataType> = {
  bool: { kind: 'bool' }, boolean: { kind: 'bool' },
  int8: { kind: 'int8' }, int16: { kind: 'int16' },
  int32: { kind: 'int32' }, int: { kind: 'int32' }, integer: { kind: 'int32' },
  int64: { kind: 'int64' }, long: { kind: 'int64' },
  uint8: { kind: 'uint8' }, uint16: { kind: 'uint16' }, uint32: { kind: 'uint32' }, uint64: { kind: 'uint64' },
  float32: { kind: 'float32' }, float: { kind: 'float32' },
  float64: { kind: 'float64' }, double: { kind: 'float64' },
  string: { kind: 'string' }, utf8: { kind: 'string' },
  large_string: { kind: 'large_string' }, large_utf8: { kind: 'large_string' },
  binary: { kind: 'binary' }, large_binary: { kind: 'large_binary' },
  date32: { kind: 'date32' }, date: { kind: 'date32' }, date64: { kind: 'date64' },
};

const TIME_UNITS: Record<string, TimeUnit> = {
  second: 'second', s: 'second',
  millisecond: 'millisecond', ms: 'millisecond',
  microsecond: 'microsecond', us: 'microsecond',
  nanosecond: 'nanosecond', ns: 'nanosecond',
};

class GrammarError extends Error {}

/** Types nested deeper than this (`list<list<…>>`) are refused rather than parsed. */
export const MAX_TYPE_NESTING = 32;

/** A piece of the type text in a message: long pieces show their beginning and length. */
const shown = (s: string): string => clientText(s, 100);

/** Parses a data type string; the error is the original's message, not yet wrapped. */
export function tryParseDataType(input: string): DataTypeResult {
  try {
    return { ok: true, type: parseType(input, 1) };
  } catch (e) {
    if (e instanceof GrammarError) return { ok: false, error: e.message };
    throw e;
  }
}

/** Parses a data type string or throws AQ_INVALID_PIPELINE `Invalid data type: ...`. */
export function parseDataType(input: string): DataType {
  const r = tryParseDataType(input);
  if (!r.ok) throw new ExecutorError('AQ_INVALID_PIPELINE', `Invalid data type: ${r.error}`);
  return r.type;
}

function parseType(input: string, level: number): DataType {
  const s = input.trim();
  const simple = Object.hasOwn(SIMPLE, s) ? SIMPLE[s] : undefined;
  if (simple) return { ...simple };
  const start = s.indexOf('<');
  const end = s.lastIndexOf('>');
  if (start < 0 || end < 0 || start >= end) throw new GrammarError(`Unknown data type: ${shown(s)}`);
  if (level > MAX_TYPE_NESTING) throw new GrammarError(`data type nested deeper than ${MAX_TYPE_NESTING} levels: ${shown(s)}`);
  const name = s.slice(0, start).trim();
  /** A type inside this one, one level deeper. */
  const inner = (text: string): DataType => parseType(text, level + 1);
  const params = splitTopLevel(s.slice(start + 1, end));
  const count = (n: number, what = `${n} parameter${n === 1 ? '' : 's'}`): void => {
    if (params.length !== n) throw new GrammarError(`${shown(name)} type requires exactly ${what}, got ${params.length}`);
  };
  const p = (i: number): string => params[i] ?? '';
  switch (name) {
    case 'list':
    case 'large_list':
      count(1);
      return { kind: name, item: inner(p(0)) };
    case 'fixed_list': {
      count(2);
      const item = inner(p(0));
      return { kind: 'fixed_list', item, size: parseInteger(p(1), -(2 ** 31), 2 ** 31 - 1, `Invalid size for fixed_list: ${shown(p(1))}`) };
    }
    case 'fixed_binary':
      count(1);
      return { kind: 'fixed_binary', size: parseInteger(p(0), -(2 ** 31), 2 ** 31 - 1, `Invalid size for fixed_binary: ${shown(p(0))}`) };
    case 'decimal':
    case 'decimal256': {
      count(2);
      const precision = parseInteger(p(0), 0, 255, `Invalid precision for ${name}: ${shown(p(0))}`);
      const scale = parseInteger(p(1), -128, 127, `Invalid scale for ${name}: ${shown(p(1))}`);
      return { kind: name, precision, scale };
    }
    case 'timestamp': {
      if (params.length < 1 || params.length > 2) {
        throw new GrammarError(`timestamp type requires 1 or 2 parameters, got ${params.length}`);
      }
      return { kind: 'timestamp', unit: parseUnit(p(0)), tz: params.length === 2 ? p(1) : null };
    }
    case 'time32':
    case 'time64': {
      count(1);
      const unit = parseUnit(p(0));
      const allowed: TimeUnit[] = name === 'time32' ? ['second', 'millisecond'] : ['microsecond', 'nanosecond'];
      if (!allowed.includes(unit)) {
        throw new GrammarError(`${name} only supports ${allowed[0]} and ${allowed[1]} units`);
      }
      return { kind: name, unit };
    }
    case 'duration':
      count(1);
      return { kind: 'duration', unit: parseUnit(p(0)) };
    case 'struct':
      return { kind: 'struct', fields: splitTopLevel(params.join(',')).map((def) => parseStructMember(def, level + 1)) };
    case 'map':
      count(2);
      return { kind: 'map', key: inner(p(0)), value: inner(p(1)) };
    default:
      throw new GrammarError(`Unknown parameterized type: ${shown(name)}`);
  }
}

function parseStructMember(def: string, level: number): { name: string; type: DataType } {
  const colon = def.indexOf(':');
  if (colon < 0) throw new GrammarError(`Invalid struct field definition: ${shown(def)}. Expected format: name:type`);
  return { name: def.slice(0, colon).trim(), type: parseType(def.slice(colon + 1).trim(), level) };
}

function parseUnit(s: string): TimeUnit {
  const unit = Object.hasOwn(TIME_UNITS, s.trim()) ? TIME_UNITS[s.trim()] : undefined;
  if (!unit) throw new GrammarError(`Unknown time unit: ${shown(s)}`);
  return unit;
}

/** Rust's integer `FromStr`: optional sign (`-` only for signed types), ASCII digits, range-checked. */
function parseInteger(s: string, min: number, max: number, error: string): number {
  const re = min < 0 ? /^[+-]?[0-9]+$/ : /^\+?[0-9]+$/;
  if (!re.test(s)) throw new GrammarError(error);
  const n = Number(s);
  if (n < min || n > max) throw new GrammarError(error);
  return n === 0 ? 0 : n;
}

/** Splits on commas at angle-bracket depth 0; parts are trimmed and empty parts dropped. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let from = 0;
  const cut = (to: number): void => {
    const part = text.slice(from, to).trim();
    if (part !== '') parts.push(part);
    from = to + 1;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3c /* < */) depth += 1;
    else if (c === 0x3e /* > */) depth -= 1;
    else if (c === 0x2c /* , */ && depth === 0) cut(i);
  }
  cut(text.length);
  return parts;
}

/** The original's `Display` form (`int32` for `int`, long time unit names). */
export function displayDataType(t: DataType): string {
  switch (t.kind) {
    case 'fixed_binary':
      return `fixed_binary<${t.size}>`;
    case 'time32':
    case 'time64':
    case 'duration':
      return `${t.kind}<${t.unit}>`;
    case 'timestamp':
      return t.tz === null ? `timestamp<${t.unit}>` : `timestamp<${t.unit},${t.tz}>`;
    case 'decimal':
    case 'decimal256':
      return `${t.kind}<${t.precision},${t.scale}>`;
    case 'list':
    case 'large_list':
      return `${t.kind}<${displayDataType(t.item)}>`;
    case 'fixed_list':
      return `fixed_list<${displayDataType(t.item)},${t.size}>`;
    case 'struct':
      return `struct<${t.fields.map((f) => `${f.name}:${displayDataType(f.type)}`).join(',')}>`;
    case 'map':
      return `map<${displayDataType(t.key)},${displayDataType(t.value)}>`;
    default:
      return t.kind;
  }
}

const DUCKDB_SIMPLE: Record<string, string> = {
  bool: 'BOOLEAN',
  int8: 'TINYINT', int16: 'SMALLINT', int32: 'INTEGER', int64: 'BIGINT',
  uint8: 'UTINYINT', uint16: 'USMALLINT', uint32: 'UINTEGER', uint64: 'UBIGINT',
  float32: 'FLOAT', float64: 'DOUBLE',
  string: 'VARCHAR', large_string: 'VARCHAR',
  binary: 'BLOB', large_binary: 'BLOB', fixed_binary: 'BLOB',
  date32: 'DATE', date64: 'DATE',
  duration: 'INTERVAL',
};

const TIMESTAMP_TYPES: Record<TimeUnit, string> = {
  second: 'TIMESTAMP_S', millisecond: 'TIMESTAMP_MS', microsecond: 'TIMESTAMP', nanosecond: 'TIMESTAMP_NS',
};

/** DuckDB's limit on the size of a fixed-size ARRAY type. */
const DUCKDB_MAX_ARRAY_SIZE = 100_000;

function unsupported(message: string): never {
  throw new ExecutorError('AQ_NOT_SUPPORTED', message);
}

/** Double-quotes an identifier for DuckDB (`"` doubled). */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** DuckDB SQL type text for a parsed data type; throws AQ_NOT_SUPPORTED where DuckDB has no equivalent. */
export function toDuckDbType(t: DataType): string {
  switch (t.kind) {
    case 'time32':
    case 'time64':
      return t.unit === 'nanosecond' ? 'TIME_NS' : 'TIME';
    case 'timestamp':
      return t.tz === null ? TIMESTAMP_TYPES[t.unit] : 'TIMESTAMPTZ';
    case 'decimal':
    case 'decimal256':
      return decimalType(t.kind, t.precision, t.scale);
    case 'list':
    case 'large_list':
      return `${toDuckDbType(t.item)}[]`;
    case 'fixed_list':
      if (t.size < 1 || t.size > DUCKDB_MAX_ARRAY_SIZE) {
        unsupported(`fixed_list size must be between 1 and ${DUCKDB_MAX_ARRAY_SIZE} for DuckDB, got ${t.size}`);
      }
      return `${toDuckDbType(t.item)}[${t.size}]`;
    case 'struct':
      if (t.fields.length === 0) unsupported('struct<> without members is not supported by DuckDB');
      return `STRUCT(${t.fields.map((f) => `${quoteIdentifier(f.name)} ${toDuckDbType(f.type)}`).join(', ')})`;
    case 'map':
      return `MAP(${toDuckDbType(t.key)}, ${toDuckDbType(t.value)})`;
    default: {
      const simple = DUCKDB_SIMPLE[t.kind];
      if (simple === undefined) unsupported(`data type ${displayDataType(t)} is not supported by DuckDB`);
      return simple;
    }
  }
}

function decimalType(kind: 'decimal' | 'decimal256', precision: number, scale: number): string {
  const shown = `${kind}<${precision},${scale}>`;
  if (kind === 'decimal256' && precision > 38) unsupported(`decimal256 with precision > 38 is not supported by DuckDB (${shown})`);
  if (precision < 1 || precision > 38) unsupported(`decimal precision must be between 1 and 38 for DuckDB (${shown})`);
  if (scale < 0) unsupported(`negative decimal scale is not supported by DuckDB (${shown})`);
  if (scale > precision) unsupported(`decimal scale cannot be greater than its precision (${shown})`);
  return `DECIMAL(${precision},${scale})`;
}
