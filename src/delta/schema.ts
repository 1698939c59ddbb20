/**
 * Delta schemas (`metaData.schemaString`, the Delta protocol's "Schema Serialization Format") and their
 * DuckDB types:
 *
 * | Delta | DuckDB |
 * |---|---|
 * | string, long, integer, short, byte | VARCHAR, BIGINT, INTEGER, SMALLINT, TINYINT |
 * | float, double, boolean, binary, date | FLOAT, DOUBLE, BOOLEAN, BLOB, DATE |
 * | decimal(p,s) | DECIMAL(p,s) |
 * | timestamp | TIMESTAMPTZ (instants; parquet isAdjustedToUTC=true) |
 * | timestamp_ntz | TIMESTAMP (wall-clock; needs the timestampNtz feature) |
 * | array / map / struct | T[] / MAP(K, V) / STRUCT(...) |
 *
 * Types of results being written, the other way: TIMESTAMP (and _S/_MS/_NS) → timestamp_ntz,
 * TIMESTAMPTZ → timestamp, HUGEINT → decimal(38,0), unsigned integers widened (UTINYINT → short,
 * USMALLINT → integer, UINTEGER → long, UBIGINT → decimal(20,0)), UUID and ENUM → string; TIME,
 * INTERVAL, UHUGEINT and the other DuckDB-only types are refused.
 */
import type { DuckDBType } from '@duckdb/node-api';
import { DuckDBTypeId } from '../engine/duckdb-type-id.js';
import type { DataType, Field } from '../pipeline/types.js';
import { quoteIdent } from './sql.js';

export type PrimitiveName =
  | 'string' | 'long' | 'integer' | 'short' | 'byte' | 'float' | 'double' | 'boolean' | 'binary' | 'date' | 'timestamp' | 'timestamp_ntz';

export type DeltaType =
  | { kind: 'primitive'; name: PrimitiveName }
  | { kind: 'decimal'; precision: number; scale: number }
  | { kind: 'array'; elementType: DeltaType; containsNull: boolean }
  | { kind: 'map'; keyType: DeltaType; valueType: DeltaType; valueContainsNull: boolean }
  | { kind: 'struct'; fields: DeltaField[] };

export interface DeltaField {
  name: string;
  type: DeltaType;
  nullable: boolean;
  metadata: Record<string, unknown>;
}

export type StructType = Extract<DeltaType, { kind: 'struct' }>;

const PRIMITIVES = new Set<string>(['string', 'long', 'integer', 'short', 'byte', 'float', 'double', 'boolean', 'binary', 'date', 'timestamp', 'timestamp_ntz']);

export class SchemaError extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseType(t: unknown, where: string): DeltaType {
  if (typeof t === 'string') {
    if (PRIMITIVES.has(t)) return { kind: 'primitive', name: t as PrimitiveName };
    const m = /^decimal\(\s*(\d+)\s*,\s*(-?\d+)\s*\)$/.exec(t);
    if (m) {
      const precision = Number(m[1]);
      const scale = Number(m[2]);
      if (precision < 1 || precision > 38 || scale < 0 || scale > precision) throw new SchemaError(`${where}: unsupported decimal type ${t} (precision 1..38, scale 0..precision)`);
      return { kind: 'decimal', precision, scale };
    }
    if (t === 'decimal') return { kind: 'decimal', precision: 10, scale: 0 };
    throw new SchemaError(`${where}: type "${t}" is not supported`);
  }
  if (!isObject(t)) throw new SchemaError(`${where}: a type must be a string or an object`);
  switch (t.type) {
    case 'array':
      return { kind: 'array', elementType: parseType(t.elementType, `${where}.element`), containsNull: t.containsNull !== false };
    case 'map':
      return { kind: 'map', keyType: parseType(t.keyType, `${where}.key`), valueType: parseType(t.valueType, `${where}.value`), valueContainsNull: t.valueContainsNull !== false };
    case 'struct':
      return parseStruct(t, where);
    default:
      throw new SchemaError(`${where}: type "${String(t.type)}" is not supported`);
  }
}

function parseStruct(t: Record<string, unknown>, where: string): StructType {
  if (!Array.isArray(t.fields)) throw new SchemaError(`${where}: a struct needs a list of fields`);
  return {
    kind: 'struct',
    fields: t.fields.map((f: unknown, i: number) => {
      if (!isObject(f) || typeof f.name !== 'string') throw new SchemaError(`${where}: field ${i} has no name`);
      const name = f.name;
      return {
        name,
        type: parseType(f.type, where === '' ? name : `${where}.${name}`),
        nullable: f.nullable !== false,
        metadata: isObject(f.metadata) ? f.metadata : {},
      };
    }),
  };
}

/** Parses `schemaString`; throws SchemaError naming the column for a type this library cannot handle. */
export function parseSchemaString(schemaString: string): StructType {
  let parsed: unknown;
  try {
    parsed = JSON.parse(schemaString);
  } catch (e) {
    throw new SchemaError(`the schema is not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(parsed) || parsed.type !== 'struct') throw new SchemaError('the schema must be a struct');
  return parseStruct(parsed, '');
}

function typeJson(t: DeltaType): unknown {
  switch (t.kind) {
    case 'primitive':
      return t.name;
    case 'decimal':
      return `decimal(${t.precision},${t.scale})`;
    case 'array':
      return { type: 'array', elementType: typeJson(t.elementType), containsNull: t.containsNull };
    case 'map':
      return { type: 'map', keyType: typeJson(t.keyType), valueType: typeJson(t.valueType), valueContainsNull: t.valueContainsNull };
    case 'struct':
      return { type: 'struct', fields: t.fields.map((f) => ({ name: f.name, type: typeJson(f.type), nullable: f.nullable, metadata: f.metadata })) };
  }
}

export function schemaString(s: StructType): string {
  return JSON.stringify(typeJson(s));
}

/** The DuckDB type (SQL text) of a Delta type. */
export function duckType(t: DeltaType): string {
  switch (t.kind) {
    case 'primitive':
      return {
        string: 'VARCHAR', long: 'BIGINT', integer: 'INTEGER', short: 'SMALLINT', byte: 'TINYINT', float: 'FLOAT', double: 'DOUBLE',
        boolean: 'BOOLEAN', binary: 'BLOB', date: 'DATE', timestamp: 'TIMESTAMP WITH TIME ZONE', timestamp_ntz: 'TIMESTAMP',
      }[t.name];
    case 'decimal':
      return `DECIMAL(${t.precision},${t.scale})`;
    case 'array':
      return `${duckType(t.elementType)}[]`;
    case 'map':
      return `MAP(${duckType(t.keyType)}, ${duckType(t.valueType)})`;
    case 'struct':
      return `STRUCT(${t.fields.map((f) => `${quoteIdent(f.name)} ${duckType(f.type)}`).join(', ')})`;
  }
}

/** A short readable form for messages: `long`, `decimal(10,2)`, `array<string>`. */
export function typeText(t: DeltaType): string {
  switch (t.kind) {
    case 'primitive':
      return t.name;
    case 'decimal':
      return `decimal(${t.precision},${t.scale})`;
    case 'array':
      return `array<${typeText(t.elementType)}>`;
    case 'map':
      return `map<${typeText(t.keyType)},${typeText(t.valueType)}>`;
    case 'struct':
      return `struct<${t.fields.map((f) => `${f.name}:${typeText(f.type)}`).join(',')}>`;
  }
}

/** Structural equality of two Delta types (nullability of nested elements ignored). */
export function sameType(a: DeltaType, b: DeltaType): boolean {
  return typeText(a) === typeText(b);
}

export function isPrimitive(t: DeltaType): boolean {
  return t.kind === 'primitive' || t.kind === 'decimal';
}

export function usesTimestampNtz(t: DeltaType): boolean {
  switch (t.kind) {
    case 'primitive':
      return t.name === 'timestamp_ntz';
    case 'decimal':
      return false;
    case 'array':
      return usesTimestampNtz(t.elementType);
    case 'map':
      return usesTimestampNtz(t.keyType) || usesTimestampNtz(t.valueType);
    case 'struct':
      return t.fields.some((f) => usesTimestampNtz(f.type));
  }
}

// ---------------------------------------------------------------- DuckDB result types → Delta

const prim = (name: PrimitiveName): DeltaType => ({ kind: 'primitive', name });

/** The Delta type for a column of a DuckDB result (see the table above); throws SchemaError when there is none. */
export function deltaTypeOfDuck(t: DuckDBType, where: string): DeltaType {
  switch (t.typeId) {
    case DuckDBTypeId.BOOLEAN: return prim('boolean');
    case DuckDBTypeId.TINYINT: return prim('byte');
    case DuckDBTypeId.SMALLINT: return prim('short');
    case DuckDBTypeId.INTEGER: return prim('integer');
    case DuckDBTypeId.BIGINT: return prim('long');
    case DuckDBTypeId.UTINYINT: return prim('short');
    case DuckDBTypeId.USMALLINT: return prim('integer');
    case DuckDBTypeId.UINTEGER: return prim('long');
    case DuckDBTypeId.UBIGINT: return { kind: 'decimal', precision: 20, scale: 0 };
    case DuckDBTypeId.HUGEINT: return { kind: 'decimal', precision: 38, scale: 0 };
    case DuckDBTypeId.FLOAT: return prim('float');
    case DuckDBTypeId.DOUBLE: return prim('double');
    case DuckDBTypeId.DECIMAL: {
      const d = t as unknown as { width: number; scale: number };
      return { kind: 'decimal', precision: d.width, scale: d.scale };
    }
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.UUID:
    case DuckDBTypeId.ENUM:
      return prim('string');
    case DuckDBTypeId.BLOB: return prim('binary');
    case DuckDBTypeId.DATE: return prim('date');
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      return prim('timestamp_ntz');
    case DuckDBTypeId.TIMESTAMP_TZ: return prim('timestamp');
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY: {
      const l = t as unknown as { valueType: DuckDBType };
      return { kind: 'array', elementType: deltaTypeOfDuck(l.valueType, `${where}.element`), containsNull: true };
    }
    case DuckDBTypeId.MAP: {
      const m = t as unknown as { keyType: DuckDBType; valueType: DuckDBType };
      return { kind: 'map', keyType: deltaTypeOfDuck(m.keyType, `${where}.key`), valueType: deltaTypeOfDuck(m.valueType, `${where}.value`), valueContainsNull: true };
    }
    case DuckDBTypeId.STRUCT: {
      const s = t as unknown as { entryNames: readonly string[]; entryTypes: readonly DuckDBType[] };
      return {
        kind: 'struct',
        fields: s.entryNames.map((n, i) => ({ name: n, type: deltaTypeOfDuck(s.entryTypes[i]!, `${where}.${n}`), nullable: true, metadata: {} })),
      };
    }
    default:
      throw new SchemaError(`${where}: DuckDB type ${t.toString()} has no Delta Lake equivalent (cast it in the stage, e.g. to VARCHAR or BIGINT)`);
  }
}

// ---------------------------------------------------------------- pipeline schema (arrow-style types) → Delta

/**
 * The Delta type of a declared `data_type` (the original's arrow types, as delta-rs converts them):
 * timestamps without a zone are timestamp_ntz, with a zone timestamp.
 */
export function deltaTypeOfDataType(t: DataType, where: string): DeltaType {
  switch (t.kind) {
    case 'bool': return prim('boolean');
    case 'int8': return prim('byte');
    case 'int16': return prim('short');
    case 'int32': return prim('integer');
    case 'int64': return prim('long');
    case 'uint8': return prim('short');
    case 'uint16': return prim('integer');
    case 'uint32': return prim('long');
    case 'uint64': return { kind: 'decimal', precision: 20, scale: 0 };
    case 'float32': return prim('float');
    case 'float64': return prim('double');
    case 'string':
    case 'large_string':
      return prim('string');
    case 'binary':
    case 'large_binary':
    case 'fixed_binary':
      return prim('binary');
    case 'date32':
    case 'date64':
      return prim('date');
    case 'timestamp':
      return prim(t.tz === null ? 'timestamp_ntz' : 'timestamp');
    case 'decimal':
    case 'decimal256':
      if (t.precision < 1 || t.precision > 38 || t.scale < 0 || t.scale > t.precision) {
        throw new SchemaError(`${where}: decimal(${t.precision},${t.scale}) cannot be stored in Delta Lake (precision 1..38, scale 0..precision)`);
      }
      return { kind: 'decimal', precision: t.precision, scale: t.scale };
    case 'list':
    case 'large_list':
    case 'fixed_list':
      return { kind: 'array', elementType: deltaTypeOfDataType(t.item, `${where}.item`), containsNull: true };
    case 'struct':
      return { kind: 'struct', fields: t.fields.map((f) => ({ name: f.name, type: deltaTypeOfDataType(f.type, `${where}.${f.name}`), nullable: true, metadata: {} })) };
    case 'map':
      return { kind: 'map', keyType: deltaTypeOfDataType(t.key, `${where}.key`), valueType: deltaTypeOfDataType(t.value, `${where}.value`), valueContainsNull: true };
    case 'time32':
    case 'time64':
    case 'duration':
      throw new SchemaError(`${where}: ${t.kind} has no Delta Lake equivalent`);
  }
}

export function schemaOfFields(fields: Field[]): StructType {
  return {
    kind: 'struct',
    fields: fields.map((f) => ({
      name: f.name,
      type: deltaTypeOfDataType(f.type, f.name),
      nullable: f.nullable,
      metadata: f.description ? { comment: f.description } : {},
    })),
  };
}

/** Characters Delta tables without column mapping must not have in column names (Spark's rule). */
const INVALID_NAME_CHARS = /[ ,;{}()\n\t=]/;

/** Column names that cannot be used without column mapping, and names duplicated ignoring case. */
export function columnNameProblems(s: StructType): string[] {
  const out: string[] = [];
  const seen = new Map<string, string>();
  for (const f of s.fields) {
    if (f.name === '') out.push('a column has an empty name');
    else if (INVALID_NAME_CHARS.test(f.name)) out.push(`column "${f.name}" contains one of the characters ' ,;{}()\\n\\t=', which Delta tables without column mapping do not allow`);
    const lower = f.name.toLowerCase();
    const other = seen.get(lower);
    if (other !== undefined) out.push(`columns "${other}" and "${f.name}" differ only in case; Delta column names must be unique ignoring case`);
    seen.set(lower, f.name);
  }
  return out;
}
