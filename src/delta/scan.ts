/**
 * The SQL that reads a snapshot's data files: only the snapshot's files, as an explicit list
 * (never a glob), with `hive_partitioning = false` (directory names are cosmetic; DuckDB would
 * invent wrongly typed columns from them). Every schema column is cast to its Delta type (Spark's
 * INT96 timestamps arrive as TIMESTAMP and become TIMESTAMPTZ), columns no file of a group has are
 * typed NULLs, and partition columns are typed literals from `add.partitionValues`.
 *
 * Files are grouped by partition values: each group is one `read_parquet` (union_by_name, so
 * files written under older schemas get NULLs) and the groups are combined with UNION ALL BY
 * NAME. Past GROUP_LIMIT groups the binder gets slow, so then one `read_parquet` over all files is
 * joined on the file name with a VALUES list of the files' partition literals.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { AddFile } from './actions.js';
import { deltaError } from './errors.js';
import { partitionLiteral, PartitionValueError } from './partition-values.js';
import type { Snapshot } from './snapshot.js';
import { duckType, type DeltaField } from './schema.js';
import { fileList, quoteIdent, quoteLiteral } from './sql.js';

export interface ScanFile {
  add: AddFile;
  /** Local path DuckDB reads. */
  path: string;
}

export interface ScanOptions {
  /** Also return the file's local path in a column with this name. */
  fileColumn?: string;
  /** Also return `file_row_number` (the row's position in its file). */
  rowNumber?: boolean;
}

const GROUP_LIMIT = 64;
const FILE_COLUMN = '__delta_file';

function reader(paths: string[], extra: string[] = []): string {
  return `read_parquet(${fileList(paths)}, ${['hive_partitioning = false', 'union_by_name = true', ...extra].join(', ')})`;
}

async function presentColumns(conn: DuckDBConnection, from: string): Promise<Set<string>> {
  const r = await conn.runAndReadAll(`SELECT * FROM ${from} LIMIT 0`);
  return new Set(r.columnNames().map((n) => n.toLowerCase()));
}

function literalFor(snapshot: Snapshot, add: AddFile, f: DeltaField): string {
  try {
    return partitionLiteral(add.partitionValues[f.name], f.type);
  } catch (e) {
    if (e instanceof PartitionValueError) throw deltaError('AQ_DELTA_INVALID_LOG', snapshot.table, snapshot.version, `file ${add.path}, partition column "${f.name}": ${e.message}`);
    throw e;
  }
}

/** The SELECT that reads the files (all of the snapshot's, or a subset) with the snapshot's schema. */
export async function scanSql(conn: DuckDBConnection, snapshot: Snapshot, files: ScanFile[], opts: ScanOptions = {}): Promise<string> {
  const partitionCols = new Set(snapshot.metadata.partitionColumns);
  const fields = snapshot.schema.fields;
  const extras = (alias: string) => [
    ...(opts.fileColumn ? [`${alias}.${quoteIdent(FILE_COLUMN)} AS ${quoteIdent(opts.fileColumn)}`] : []),
    ...(opts.rowNumber ? [`${alias}.file_row_number AS file_row_number`] : []),
  ];
  const readerExtras = [...(opts.fileColumn ? [`filename = ${quoteLiteral(FILE_COLUMN)}`] : []), ...(opts.rowNumber ? ['file_row_number = true'] : [])];
  if (files.length === 0) {
    const cols = fields.map((f) => `CAST(NULL AS ${duckType(f.type)}) AS ${quoteIdent(f.name)}`);
    if (opts.fileColumn) cols.push(`CAST(NULL AS VARCHAR) AS ${quoteIdent(opts.fileColumn)}`);
    if (opts.rowNumber) cols.push('CAST(NULL AS BIGINT) AS file_row_number');
    return `SELECT ${cols.join(', ')} WHERE false`;
  }
  const dataColumn = (present: Set<string>, f: DeltaField) =>
    present.has(f.name.toLowerCase()) ? `CAST(d.${quoteIdent(f.name)} AS ${duckType(f.type)}) AS ${quoteIdent(f.name)}` : `CAST(NULL AS ${duckType(f.type)}) AS ${quoteIdent(f.name)}`;

  // Group the files by their partition values.
  const groups = new Map<string, ScanFile[]>();
  for (const file of files) {
    const key = JSON.stringify([...partitionCols].map((c) => file.add.partitionValues[c] ?? null));
    const g = groups.get(key);
    if (g) g.push(file);
    else groups.set(key, [file]);
  }

  if (partitionCols.size === 0 || groups.size <= GROUP_LIMIT) {
    const selects: string[] = [];
    for (const group of groups.values()) {
      const from = reader(group.map((f) => f.path), readerExtras);
      const present = await presentColumns(conn, from);
      const cols = fields.map((f) => (partitionCols.has(f.name) ? `${literalFor(snapshot, group[0]!.add, f)} AS ${quoteIdent(f.name)}` : dataColumn(present, f)));
      selects.push(`SELECT ${[...cols, ...extras('d')].join(', ')} FROM ${from} AS d`);
    }
    return selects.length === 1 ? selects[0]! : selects.map((s) => `(${s})`).join(' UNION ALL BY NAME ');
  }

  const from = reader(files.map((f) => f.path), [...new Set([`filename = ${quoteLiteral(FILE_COLUMN)}`, ...readerExtras])]);
  const present = await presentColumns(conn, from);
  const pfields = fields.filter((f) => partitionCols.has(f.name));
  const rows = files.map((file) => `(${[quoteLiteral(file.path), ...pfields.map((f) => literalFor(snapshot, file.add, f))].join(', ')})`);
  const pvNames = [FILE_COLUMN, ...pfields.map((f) => f.name)].map(quoteIdent).join(', ');
  const cols = fields.map((f) => (partitionCols.has(f.name) ? `pv.${quoteIdent(f.name)} AS ${quoteIdent(f.name)}` : dataColumn(present, f)));
  return `SELECT ${[...cols, ...extras('d')].join(', ')} FROM ${from} AS d JOIN (VALUES ${rows.join(', ')}) AS pv(${pvNames}) ON d.${quoteIdent(FILE_COLUMN)} = pv.${quoteIdent(FILE_COLUMN)}`;
}
