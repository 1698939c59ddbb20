/**
 * Partition values (the Delta protocol's "Partition Value Serialization"): strings in the log, typed by the
 * schema. Reading turns a logged string into a typed SQL literal; writing turns a typed column
 * into the logged string with a SQL expression, so DuckDB does every conversion.
 *
 * - null (JSON null) and the empty string are NULL; the string "null" is the string "null";
 * - integers and decimals: plain decimal text; float/double: lenient (`1`, `1.0E10`, `NaN`, `Infinity`);
 * - boolean: `true`/`false`; date: `YYYY-MM-DD`;
 * - timestamp: `YYYY-MM-DD HH:MM:SS[.ffffff]` (no zone: UTC, as delta-rs reads it) or ISO 8601 with
 *   a zone; written as ISO 8601 UTC (`2021-09-08T11:11:11.000000Z`, the protocol's recommendation);
 * - timestamp_ntz: `YYYY-MM-DD HH:MM:SS[.ffffff]`;
 * - binary: the string's UTF-8 bytes (never written: binary partition columns are refused).
 */
import type { DeltaType } from './schema.js';
import { duckType } from './schema.js';
import { quoteLiteral } from './sql.js';

export class PartitionValueError extends Error {}

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const FLOATING = /^[+-]?((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|NaN|Infinity|inf|infinity)$/i;
const DATE = /^[+-]?\d{4,}-\d{2}-\d{2}$/;
const DATETIME = /^([+-]?\d{4,}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** A typed SQL literal for a logged partition value; throws PartitionValueError for text that is not of the type. */
export function partitionLiteral(value: string | null | undefined, type: DeltaType): string {
  const sqlType = duckType(type);
  if (value === null || value === undefined || value === '') return `CAST(NULL AS ${sqlType})`;
  const cast = (text: string) => `CAST(${quoteLiteral(text)} AS ${sqlType})`;
  const wrong = (): never => {
    throw new PartitionValueError(`partition value ${JSON.stringify(value)} is not a valid ${type.kind === 'primitive' ? type.name : type.kind === 'decimal' ? `decimal(${type.precision},${type.scale})` : type.kind}`);
  };
  if (type.kind === 'decimal') return DECIMAL.test(value.trim()) ? cast(value.trim()) : wrong();
  if (type.kind !== 'primitive') throw new PartitionValueError(`a ${type.kind} column cannot be a partition column`);
  switch (type.name) {
    case 'string':
      return quoteLiteral(value);
    case 'byte':
    case 'short':
    case 'integer':
    case 'long':
      return INTEGER.test(value.trim()) ? cast(value.trim()) : wrong();
    case 'float':
    case 'double':
      return FLOATING.test(value.trim()) ? cast(value.trim()) : wrong();
    case 'boolean': {
      const v = value.trim().toLowerCase();
      return v === 'true' ? 'TRUE' : v === 'false' ? 'FALSE' : wrong();
    }
    case 'date':
      return DATE.test(value.trim()) ? cast(value.trim()) : wrong();
    case 'timestamp': {
      const m = DATETIME.exec(value.trim());
      if (!m) return wrong();
      const zone = m[3] === undefined || m[3].toUpperCase() === 'Z' ? '+00' : m[3];
      return cast(`${m[1]} ${m[2]}${zone}`);
    }
    case 'timestamp_ntz': {
      const m = DATETIME.exec(value.trim());
      if (!m || m[3] !== undefined) return wrong();
      return cast(`${m[1]} ${m[2]}`);
    }
    case 'binary':
      return `unhex(${quoteLiteral(Buffer.from(value, 'utf8').toString('hex'))})`;
  }
}

/**
 * A SQL expression turning column expression `x` of the given type into its logged partition
 * value (NULL for null, and for the empty string, which Delta cannot tell from null).
 */
export function partitionValueExpression(x: string, type: DeltaType): string {
  if (type.kind === 'decimal') return `CAST(${x} AS VARCHAR)`;
  if (type.kind !== 'primitive') throw new PartitionValueError(`a ${type.kind} column cannot be a partition column`);
  switch (type.name) {
    case 'string':
      return `NULLIF(${x}, '')`;
    case 'byte':
    case 'short':
    case 'integer':
    case 'long':
    case 'date':
      return `CAST(${x} AS VARCHAR)`;
    case 'boolean':
      return `lower(CAST(${x} AS VARCHAR))`;
    case 'float':
    case 'double':
      return `CASE WHEN isnan(${x}) THEN 'NaN' WHEN isinf(${x}) AND ${x} > 0 THEN 'Infinity' WHEN isinf(${x}) THEN '-Infinity' ELSE CAST(${x} AS VARCHAR) END`;
    case 'timestamp':
      return `strftime(timezone('UTC', ${x}), '%Y-%m-%dT%H:%M:%S.%fZ')`;
    case 'timestamp_ntz':
      return `strftime(${x}, '%Y-%m-%d %H:%M:%S.%f')`;
    case 'binary':
      throw new PartitionValueError('a binary column cannot be a partition column');
  }
}

/** Whether a column of this type can partition a table this library writes. */
export function partitionTypeProblem(type: DeltaType): string | null {
  if (type.kind === 'decimal') return null;
  if (type.kind !== 'primitive') return `a ${type.kind} column cannot be a partition column`;
  if (type.name === 'binary') return 'a binary column cannot be a partition column';
  return null;
}
