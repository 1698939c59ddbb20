/**
 * Per-file statistics (the Delta protocol's "Per-file Statistics"), computed with SQL over the data files
 * just written: `numRecords` always; `nullCount`, `minValues`, `maxValues` for the first
 * `delta.dataSkippingNumIndexedCols` (32) data columns, or `delta.dataSkippingStatsColumns`.
 * Partition columns are excluded. Bounds are only written when they are exact or safe:
 *
 * - numbers, decimals and dates exactly (floats as the double that equals them; a column with NaN
 *   or an infinity gets no bounds, JSON cannot hold them);
 * - timestamps at millisecond precision, the minimum rounded down and the maximum up;
 * - strings only when the bound is at most 32 characters; no bounds for booleans, binary and
 *   nested columns (their null counts are not written either).
 */
import type { DeltaField, StructType } from '../schema.js';
import { fileList, quoteIdent, quoteLiteral } from '../sql.js';

export interface StatsColumn {
  field: DeltaField;
  /** Whether min/max are computed (nullCount always is). */
  bounds: boolean;
}

const MAX_STRING_BOUND = 32;
const FILE = '__delta_file';

function nested(f: DeltaField): boolean {
  return f.type.kind === 'array' || f.type.kind === 'map' || f.type.kind === 'struct';
}

/** The columns that get statistics, by the table's configuration. */
export function statsColumns(schema: StructType, partitionColumns: string[], configuration: Record<string, string | null>): StatsColumn[] {
  const data = schema.fields.filter((f) => !partitionColumns.includes(f.name) && !nested(f));
  const named = configuration['delta.dataSkippingStatsColumns'];
  let chosen: DeltaField[];
  if (named) {
    const wanted = new Set(named.split(',').map((s) => s.trim().replace(/^`|`$/g, '').toLowerCase()));
    chosen = data.filter((f) => wanted.has(f.name.toLowerCase()));
  } else {
    const n = Number(configuration['delta.dataSkippingNumIndexedCols'] ?? 32);
    const count = n === -1 ? Number.POSITIVE_INFINITY : Number.isInteger(n) && n >= 0 ? n : 32;
    // Counted over all data columns in schema order (nested ones count, but get no statistics).
    const first = new Set(schema.fields.filter((f) => !partitionColumns.includes(f.name)).slice(0, count).map((f) => f.name));
    chosen = data.filter((f) => first.has(f.name));
  }
  return chosen.map((field) => ({ field, bounds: boundsFor(field) }));
}

function boundsFor(f: DeltaField): boolean {
  if (f.type.kind === 'decimal') return true;
  if (f.type.kind !== 'primitive') return false;
  return f.type.name !== 'boolean' && f.type.name !== 'binary';
}

/** SQL expressions (VARCHAR) of the lower and upper bound of column expression `c`. */
function boundExpressions(f: DeltaField, c: string): [string, string] {
  const t = f.type;
  if (t.kind === 'decimal') return [`CAST(min(${c}) AS VARCHAR)`, `CAST(max(${c}) AS VARCHAR)`];
  if (t.kind !== 'primitive') throw new Error('no bounds for nested types');
  switch (t.name) {
    case 'float':
    case 'double': {
      const special = `bool_or(isnan(${c}) OR isinf(${c}))`;
      return [
        `CASE WHEN ${special} THEN NULL ELSE CAST(CAST(min(${c}) AS DOUBLE) AS VARCHAR) END`,
        `CASE WHEN ${special} THEN NULL ELSE CAST(CAST(max(${c}) AS DOUBLE) AS VARCHAR) END`,
      ];
    }
    case 'timestamp':
    case 'timestamp_ntz': {
      const utc = (x: string) => (t.name === 'timestamp' ? `timezone('UTC', ${x})` : x);
      const fmt = t.name === 'timestamp' ? `'%Y-%m-%dT%H:%M:%S.%gZ'` : `'%Y-%m-%dT%H:%M:%S.%g'`;
      const up = `CASE WHEN date_trunc('millisecond', max(${c})) < max(${c}) THEN date_trunc('millisecond', max(${c})) + INTERVAL 1 MILLISECOND ELSE max(${c}) END`;
      return [`strftime(${utc(`min(${c})`)}, ${fmt})`, `strftime(${utc(up)}, ${fmt})`];
    }
    case 'string':
      return [
        `CASE WHEN length(min(${c})) <= ${MAX_STRING_BOUND} THEN min(${c}) END`,
        `CASE WHEN length(max(${c})) <= ${MAX_STRING_BOUND} THEN max(${c}) END`,
      ];
    default:
      return [`CAST(min(${c}) AS VARCHAR)`, `CAST(max(${c}) AS VARCHAR)`];
  }
}

/**
 * One query over the files: per file (column `__delta_file`), `n` (rows), and per statistics
 * column i `z{i}` (nulls), `lo{i}` and `hi{i}` (bounds as text), plus `x{j}` = nulls of the
 * `mustNotBeNull` columns (checked by the writer).
 */
export function statsQuery(paths: string[], cols: StatsColumn[], mustNotBeNull: string[]): string {
  const parts = [`${quoteIdent(FILE)}`, 'count(*) AS n'];
  cols.forEach((s, i) => {
    const c = quoteIdent(s.field.name);
    parts.push(`count(*) - count(${c}) AS z${i}`);
    if (s.bounds) {
      const [lo, hi] = boundExpressions(s.field, c);
      parts.push(`${lo} AS lo${i}`, `${hi} AS hi${i}`);
    }
  });
  mustNotBeNull.forEach((name, j) => parts.push(`count(*) - count(${quoteIdent(name)}) AS x${j}`));
  return `SELECT ${parts.join(', ')} FROM read_parquet(${fileList(paths)}, hive_partitioning = false, filename = ${quoteLiteral(FILE)}) GROUP BY ${quoteIdent(FILE)}`;
}

const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

function jsonValue(f: DeltaField, text: string): string | null {
  const t = f.type;
  const numeric = t.kind === 'decimal' || (t.kind === 'primitive' && ['byte', 'short', 'integer', 'long', 'float', 'double'].includes(t.name));
  if (numeric) return JSON_NUMBER.test(text) ? text : null;
  return JSON.stringify(text);
}

export interface FileStats {
  numRecords: number;
  /** The `stats` string of the add action. */
  json: string;
  /** Nulls found in each `mustNotBeNull` column. */
  nulls: number[];
}

/** The stats of one file from its row of `statsQuery` (values as returned by DuckDB). */
export function fileStats(row: Record<string, unknown>, cols: StatsColumn[], mustNotBeNull: string[]): FileStats {
  const num = (v: unknown) => Number(v ?? 0);
  const numRecords = num(row.n);
  const min: string[] = [];
  const max: string[] = [];
  const nulls: string[] = [];
  cols.forEach((s, i) => {
    const name = JSON.stringify(s.field.name);
    nulls.push(`${name}:${num(row[`z${i}`])}`);
    if (!s.bounds) return;
    const lo = row[`lo${i}`];
    const hi = row[`hi${i}`];
    const loJson = lo === null || lo === undefined ? null : jsonValue(s.field, String(lo));
    const hiJson = hi === null || hi === undefined ? null : jsonValue(s.field, String(hi));
    if (loJson !== null) min.push(`${name}:${loJson}`);
    if (hiJson !== null) max.push(`${name}:${hiJson}`);
  });
  const json = `{"numRecords":${numRecords},"minValues":{${min.join(',')}},"maxValues":{${max.join(',')}},"nullCount":{${nulls.join(',')}}}`;
  return { numRecords, json, nulls: mustNotBeNull.map((_, j) => num(row[`x${j}`])) };
}
