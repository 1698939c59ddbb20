/**
 * What the write operations (append.ts, replace.ts, merge.ts) share: the state of the table they
 * plan on, what they return, and evaluating conditions on files' partition values with SQL.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Action, AddFile, RemoveFile } from '../actions.js';
import { deltaError } from '../errors.js';
import type { LocalFiles, ReportFn } from '../io.js';
import { dataFileKey } from '../location.js';
import { partitionLiteral, PartitionValueError } from '../partition-values.js';
import { scanSql, type ScanFile } from '../scan.js';
import type { Snapshot } from '../snapshot.js';
import type { DeltaField } from '../schema.js';
import { quoteIdent } from '../sql.js';
import type { ConflictScope } from './conflicts.js';
import type { TableShape, WriteTarget, WrittenFiles } from './data-files.js';

export interface WriteEnv extends WriteTarget {
  report: ReportFn;
  subject: string;
  files: LocalFiles;
}

/** The table a write plans on: an existing snapshot, or a table about to be created. */
export interface TableState {
  snapshot: Snapshot | null;
  shape: TableShape;
}

export interface Planned {
  /** Removes and adds (protocol and metaData of a new table are added by the writer). */
  actions: Action[];
  operation: string;
  parameters: Record<string, unknown>;
  metrics: Record<string, number>;
  scope: ConflictScope;
}

export interface OperationInput {
  env: WriteEnv;
  state: TableState;
  /** The rows to write, fitted to the table (fit.ts). */
  select: string;
  written: WrittenFiles;
}

export function readVersionOf(state: TableState): number {
  return state.snapshot ? state.snapshot.version : -1;
}

/** The `remove` of an active file, as delta-rs writes it. */
export function removeOf(add: AddFile, now = Date.now()): RemoveFile {
  return {
    path: add.path,
    deletionTimestamp: now,
    dataChange: true,
    extendedFileMetadata: true,
    partitionValues: add.partitionValues,
    size: add.size,
    ...(add.tags ? { tags: add.tags } : {}),
  };
}

export function isAppendOnly(state: TableState): boolean {
  return (state.shape.configuration['delta.appendOnly'] ?? '').toLowerCase() === 'true';
}

export function refuseRemovesIfAppendOnly(state: TableState, removes: number, what: string): void {
  if (removes > 0 && isAppendOnly(state)) {
    throw deltaError('AQ_DELTA_UNSUPPORTED', state.shape.table, state.shape.version, `the table is append-only (delta.appendOnly=true), but ${what} would remove ${removes} file${removes === 1 ? '' : 's'}`);
  }
}

/**
 * Indexes of the files whose partition values satisfy `condition` (SQL over the partition
 * columns, by name). Evaluated by DuckDB on typed literals, so it means what the SQL means.
 */
export async function filesWhere(conn: DuckDBConnection, state: TableState, adds: AddFile[], fields: DeltaField[], condition: string): Promise<Set<number>> {
  if (adds.length === 0) return new Set();
  if (fields.length === 0) return new Set(adds.map((_, i) => i));
  const rows = adds.map((a, i) => {
    try {
      return `(${[String(i), ...fields.map((f) => partitionLiteral(a.partitionValues[f.name], f.type))].join(', ')})`;
    } catch (e) {
      if (e instanceof PartitionValueError) throw deltaError('AQ_DELTA_INVALID_LOG', state.shape.table, state.shape.version, `file ${a.path}: ${e.message}`);
      throw e;
    }
  });
  const names = ['__i', ...fields.map((f) => f.name)].map(quoteIdent).join(', ');
  const r = await conn.runAndReadAll(`SELECT "__i" FROM (VALUES ${rows.join(', ')}) AS f(${names}) WHERE ${condition}`);
  return new Set(r.getRowsJS().map((row) => Number(row[0])));
}

/** Local copies of some of the snapshot's files, for scanning (downloaded for object stores). */
export async function scanFiles(env: WriteEnv, snapshot: Snapshot, adds: AddFile[]): Promise<ScanFile[]> {
  const objects = adds.map((a) => ({ key: dataFileKey(env.loc, a.path, snapshot.version), size: a.size }));
  const paths = await env.files.paths(objects, env.signal, 'data files to rewrite');
  return adds.map((add, i) => ({ add, path: paths[i]! }));
}

export async function scanOf(env: WriteEnv, snapshot: Snapshot, files: ScanFile[], fileColumn: string, rowNumber = false): Promise<string> {
  return scanSql(env.conn, snapshot, files, { fileColumn, rowNumber });
}

export function partitionByParameter(state: TableState): string {
  return JSON.stringify(state.shape.partitionColumns);
}
