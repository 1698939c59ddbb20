/**
 * ODBC column types → DuckDB types, and how each column's values travel.
 *
 * node-odbc converts fetched values by SQL type, and a few of its conversions lose data:
 * NUMERIC/DECIMAL and REAL go through a text buffer two characters wider than the column size
 * and then `atof` (a negative full-precision decimal loses its last digit, a REAL such as
 * 3.4028235e+38 is cut to 3.4028235, anything beyond 15-17 digits is rounded), and psqlODBC
 * renders a `timestamptz` without its offset. Those columns are therefore read as text converted
 * by the database (the source wraps the query), appended as VARCHAR and cast by DuckDB once
 * loaded. Everything else is appended as the driver returns it.
 */

/** ODBC SQL type codes (sql.h, sqlext.h, and SQL Server's msodbcsql.h for the last two). */
export const SQL = {
  CHAR: 1, NUMERIC: 2, DECIMAL: 3, INTEGER: 4, SMALLINT: 5, FLOAT: 6, REAL: 7, DOUBLE: 8,
  DATE: 9, TIME: 10, TIMESTAMP: 11, VARCHAR: 12,
  TYPE_DATE: 91, TYPE_TIME: 92, TYPE_TIMESTAMP: 93,
  LONGVARCHAR: -1, BINARY: -2, VARBINARY: -3, LONGVARBINARY: -4, BIGINT: -5, TINYINT: -6, BIT: -7,
  WCHAR: -8, WVARCHAR: -9, WLONGVARCHAR: -10, GUID: -11,
  SS_TIME2: -154, SS_TIMESTAMPOFFSET: -155,
} as const;

/** How a fetched value is appended (the staging column's DuckDB type). */
export type AppendKind = 'boolean' | 'smallint' | 'integer' | 'bigint' | 'double' | 'varchar' | 'blob';

export const STAGING_TYPE: Record<AppendKind, string> = {
  boolean: 'BOOLEAN', smallint: 'SMALLINT', integer: 'INTEGER', bigint: 'BIGINT', double: 'DOUBLE', varchar: 'VARCHAR', blob: 'BLOB',
};

/** What a text-staged column becomes once loaded. */
export type FinalCast =
  | { to: 'DATE' | 'TIME' | 'UUID' | 'FLOAT' }
  | { to: 'decimal'; precision: number; scale: number }
  | { to: 'timestamp' };

/**
 * How the values are fetched: as the driver returns them; as text converted by the database
 * (`text`, a VARCHAR); or as long data, which node-odbc reads in pieces and never truncates
 * (`long` text, `longbinary`).
 */
export type ReadMode = 'driver' | 'text' | 'long' | 'longbinary';

export interface ColumnPlan {
  name: string;
  dataType: number;
  columnSize: number;
  decimalDigits: number;
  append: AppendKind;
  cast: FinalCast | null;
  read: ReadMode;
}

/** SQL types whose driver conversion in node-odbc is lossy (see above): read as text. */
function needsText(t: number): boolean {
  return t === SQL.NUMERIC || t === SQL.DECIMAL || t === SQL.REAL || t === SQL.TYPE_TIMESTAMP || t === SQL.TIMESTAMP || t === SQL.SS_TIMESTAMPOFFSET;
}

export function isLongType(t: number): boolean {
  return t === SQL.LONGVARCHAR || t === SQL.WLONGVARCHAR || t === SQL.LONGVARBINARY;
}

export function isBinaryType(t: number): boolean {
  return t === SQL.BINARY || t === SQL.VARBINARY || t === SQL.LONGVARBINARY;
}

export function planColumn(c: { name: string; dataType: number; columnSize: number; decimalDigits: number }): ColumnPlan {
  const base = { name: c.name, dataType: c.dataType, columnSize: c.columnSize, decimalDigits: c.decimalDigits, read: needsText(c.dataType) ? 'text' as const : 'driver' as const };
  switch (c.dataType) {
    case SQL.BIT: return { ...base, append: 'boolean', cast: null };
    // TINYINT is signed in some databases and unsigned in others: SMALLINT holds both.
    case SQL.TINYINT:
    case SQL.SMALLINT: return { ...base, append: 'smallint', cast: null };
    case SQL.INTEGER: return { ...base, append: 'integer', cast: null };
    case SQL.BIGINT: return { ...base, append: 'bigint', cast: null };
    case SQL.FLOAT:
    case SQL.DOUBLE: return { ...base, append: 'double', cast: null };
    case SQL.REAL: return { ...base, append: 'varchar', cast: { to: 'FLOAT' } };
    case SQL.NUMERIC:
    case SQL.DECIMAL: return { ...base, append: 'varchar', cast: { to: 'decimal', precision: c.columnSize, scale: c.decimalDigits } };
    case SQL.TYPE_DATE:
    case SQL.DATE: return { ...base, append: 'varchar', cast: { to: 'DATE' } };
    case SQL.TYPE_TIME:
    case SQL.TIME:
    case SQL.SS_TIME2: return { ...base, append: 'varchar', cast: { to: 'TIME' } };
    case SQL.TYPE_TIMESTAMP:
    case SQL.TIMESTAMP:
    case SQL.SS_TIMESTAMPOFFSET: return { ...base, append: 'varchar', cast: { to: 'timestamp' } };
    case SQL.GUID: return { ...base, append: 'varchar', cast: { to: 'UUID' } };
    case SQL.BINARY:
    case SQL.VARBINARY:
    case SQL.LONGVARBINARY: return { ...base, append: 'blob', cast: null };
    // CHAR, VARCHAR, LONGVARCHAR, their W* forms, intervals and anything unknown: text.
    default: return { ...base, append: 'varchar', cast: null };
  }
}

/**
 * Whether a fetched value may have been cut by node-odbc's fixed-size buffer (columns bound with
 * SQLBindCol). A character column gets `size * 4 + 1` bytes (UTF-8) and the value is read up to
 * the first NUL, so a value that fills the buffer may be truncated; binary columns report the
 * real length, and a length beyond the buffer means the bytes past it are not the value's.
 * Long types and columns of size 0 are read in pieces (SQLGetData) and never cut.
 */
export function mayBeTruncated(column: { dataType: number; columnSize: number }, value: unknown): boolean {
  const size = column.columnSize;
  if (size <= 0 || isLongType(column.dataType)) return false;
  if (isBinaryType(column.dataType)) return value instanceof ArrayBuffer && value.byteLength > size;
  if (typeof value !== 'string' || value.length < size) return false;
  if (column.dataType === SQL.WCHAR || column.dataType === SQL.WVARCHAR) {
    // UTF-16 buffer of size + 1 units: a variable-length value that fills it may be cut.
    return column.dataType === SQL.WVARCHAR && value.length >= size;
  }
  const bytes = Buffer.byteLength(value, 'utf8');
  return bytes > size && bytes >= size * 4 - 3;
}

/** Text ends with a UTC offset or zone designator after a time of day. */
export const ZONED_TIMESTAMP_RE = String.raw`\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}(:?\d{2}(:?\d{2})?)?)$`;

export interface DecimalStats {
  /** Every non-null value is plain decimal notation (no NaN, Infinity or exponent). */
  plain: boolean;
  /** Most significant integer digits of any value (leading zeros not counted). */
  integerDigits: number;
  /** Most fractional digits of any value (trailing zeros not counted). */
  fractionDigits: number;
}

export type DecimalChoice = { type: string; note: string | null };

/** The largest DECIMAL DuckDB stores. */
export const MAX_DECIMAL_PRECISION = 38;

/**
 * The DuckDB type of a NUMERIC/DECIMAL column. The declared DECIMAL(p,s) when p ≤ 38 and the
 * values fit; widened to fit the values when they do not (drivers report a guess for
 * unconstrained NUMERIC: psqlODBC says 28,6), as long as 38 digits suffice; DOUBLE otherwise,
 * and always for a declared precision above 38 (DuckDB's limit).
 */
export function chooseDecimal(precision: number, scale: number, stats: DecimalStats | null): DecimalChoice {
  const declared = precision >= 1 && precision <= MAX_DECIMAL_PRECISION && scale >= 0 && scale <= precision;
  if (precision > MAX_DECIMAL_PRECISION) {
    return { type: 'DOUBLE', note: `declared with precision ${precision}, beyond DuckDB's ${MAX_DECIMAL_PRECISION} digits: loaded as DOUBLE (about 15-17 significant digits)` };
  }
  if (!stats) return declared ? { type: `DECIMAL(${precision},${scale})`, note: null } : { type: 'DOUBLE', note: 'no precision reported and no values: loaded as DOUBLE' };
  if (!stats.plain) {
    return { type: 'DOUBLE', note: 'holds values DECIMAL cannot represent (NaN, Infinity or exponent notation): loaded as DOUBLE' };
  }
  if (declared && stats.integerDigits <= precision - scale && stats.fractionDigits <= scale) {
    return { type: `DECIMAL(${precision},${scale})`, note: null };
  }
  // The metadata was a guess: keep the declared integer room where 38 digits allow, but never
  // less than the values need.
  const s = Math.max(declared ? scale : 0, stats.fractionDigits);
  const needed = Math.max(stats.integerDigits, 1);
  const i = Math.min(Math.max(declared ? precision - scale : 0, needed), MAX_DECIMAL_PRECISION - s);
  const what = declared ? `reported as DECIMAL(${precision},${scale}) but holds values with ${stats.integerDigits} integer and ${stats.fractionDigits} fractional digits` : 'reported without precision';
  if (s <= MAX_DECIMAL_PRECISION && i >= needed) return { type: `DECIMAL(${i + s},${s})`, note: `${what}: loaded as DECIMAL(${i + s},${s})` };
  return { type: 'DOUBLE', note: `${what}, more than DuckDB's ${MAX_DECIMAL_PRECISION} digits: loaded as DOUBLE` };
}
