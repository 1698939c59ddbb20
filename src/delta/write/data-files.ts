/**
 * Writing data files: DuckDB COPY (parquet, snappy) of the rows into a staging directory, the
 * statistics computed from the files just written, then each file moved to a unique name in its
 * partition directory (`col=<escaped>/part-00000-<uuid>-c000.snappy.parquet`): renamed on local
 * disk, uploaded on object stores. Partition columns are not written into the files; their
 * values (serialised by partition-values.ts) go into the `add` actions.
 *
 * Partitioned rows are numbered by partition (a small table of the distinct partition tuples) and
 * COPY partitions by that number, so every file's partition values come from SQL, never from a
 * parsed directory name. Files with no rows are dropped. Everything moved into the table is
 * recorded in `WrittenFiles`, so a failed or cancelled write can delete exactly what it wrote.
 */
import { mkdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { deleteAll, uploadAll, type UploadItem } from '../../storage/transfer.js';
import { checkAborted } from '../../storage/abort.js';
import type { AddFile, PartitionValues } from '../actions.js';
import { deltaError } from '../errors.js';
import type { DeltaLocation } from '../location.js';
import { partitionValueExpression } from '../partition-values.js';
import { encodeAddPath, partitionSegment } from '../paths.js';
import type { StructType } from '../schema.js';
import { quoteIdent, quoteLiteral } from '../sql.js';
import { fileStats, statsColumns, statsQuery } from './stats.js';

/** delta-rs's default target file size (delta.targetFileSize). */
const DEFAULT_TARGET_FILE_SIZE = 104_857_600;
const CLEANUP_TIMEOUT_MS = 120_000;

export interface WriteTarget {
  conn: DuckDBConnection;
  loc: DeltaLocation;
  /** A local directory DuckDB may write to (inside the table for local tables, the work directory otherwise). */
  stagingRoot: string;
  signal: AbortSignal;
  /** Runs a DuckDB statement so that cancellation interrupts it. */
  run: <T>(work: () => Promise<T>) => Promise<T>;
}

export interface TableShape {
  table: string;
  version: number | null;
  schema: StructType;
  partitionColumns: string[];
  configuration: Record<string, string | null>;
}

/** What one write attempt has put into the table (store keys), to delete if it does not commit. */
export class WrittenFiles {
  readonly keys = new Set<string>();

  /** Deletes every file this attempt wrote; never cut short by the run's (maybe aborted) signal. */
  async remove(loc: DeltaLocation): Promise<string[]> {
    if (this.keys.size === 0) return [];
    const keys = [...this.keys];
    const left = await deleteAll(loc.store, keys, AbortSignal.timeout(CLEANUP_TIMEOUT_MS));
    this.keys.clear();
    // On local disk, also the partition directories this attempt left empty (rmdir refuses non-empty ones).
    if (loc.localDir !== null) {
      const root = loc.localDir;
      const dirs = new Set(keys.map((k) => path.dirname(path.resolve('/', k))));
      for (const start of dirs) {
        for (let d = start; d.startsWith(`${root}/`); d = path.dirname(d)) {
          if (!(await rmdir(d).then(() => true, () => false))) break;
        }
      }
    }
    return left;
  }
}

export interface NewFiles {
  adds: AddFile[];
  rows: number;
  partitions: number;
}

/**
 * Writes `select` (rows with exactly the table's columns) as data files of the table and returns
 * their `add` actions. Throws AQ_DELTA_SCHEMA_MISMATCH for nulls in a non-nullable column.
 */
export async function writeDataFiles(t: WriteTarget, shape: TableShape, select: string, written: WrittenFiles): Promise<NewFiles> {
  const staging = path.join(t.stagingRoot, `_aqueducts_staging_${randomUUID()}`);
  await mkdir(staging, { recursive: true });
  try {
    return await writeStaged(t, shape, select, written, staging);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function writeStaged(t: WriteTarget, shape: TableShape, select: string, written: WrittenFiles, staging: string): Promise<NewFiles> {
  const { conn } = t;
  const pcols = shape.partitionColumns.map((name) => shape.schema.fields.find((f) => f.name === name)!);
  const dataFields = shape.schema.fields.filter((f) => !shape.partitionColumns.includes(f.name));
  const dataList = dataFields.map((f) => `s.${quoteIdent(f.name)}`).join(', ');
  const out = path.join(staging, 'out');
  const copyOptions = ['FORMAT parquet', 'COMPRESSION snappy', 'RETURN_FILES true'];
  const pidValues = new Map<number, PartitionValues>();
  let files: string[];
  const parts = `__delta_parts_${randomUUID().replace(/-/g, '')}`;
  try {
    if (pcols.length) {
      const pList = pcols.map((f) => quoteIdent(f.name)).join(', ');
      await t.run(() => conn.run(`CREATE TEMP TABLE ${quoteIdent(parts)} AS SELECT row_number() OVER () AS __pid, ${pList} FROM (SELECT DISTINCT ${pList} FROM (${select}))`));
      const serialised = pcols.map((f, i) => `${partitionValueExpression(quoteIdent(f.name), f.type)} AS v${i}`).join(', ');
      const rows = (await t.run(() => conn.runAndReadAll(`SELECT __pid, ${serialised} FROM ${quoteIdent(parts)}`))).getRowsJS();
      for (const r of rows) {
        const values: PartitionValues = {};
        pcols.forEach((f, i) => {
          const v = r[i + 1];
          values[f.name] = v === null || v === undefined ? null : String(v);
          if (values[f.name] === null && !f.nullable) {
            throw deltaError('AQ_DELTA_SCHEMA_MISMATCH', shape.table, shape.version, `partition column "${f.name}" has null values in the rows to write, but the table does not allow nulls in it`);
          }
        });
        pidValues.set(Number(r[0]), values);
      }
      if (pidValues.size === 0) return { adds: [], rows: 0, partitions: 0 };
      const on = pcols.map((f) => `s.${quoteIdent(f.name)} IS NOT DISTINCT FROM p.${quoteIdent(f.name)}`).join(' AND ');
      const copy = `COPY (SELECT ${dataList ? `${dataList}, ` : ''}p.__pid FROM (${select}) AS s JOIN ${quoteIdent(parts)} AS p ON ${on}) TO ${quoteLiteral(out)} (${[...copyOptions, 'PARTITION_BY (__pid)'].join(', ')})`;
      files = returnedFiles(await t.run(() => conn.runAndReadAll(copy)));
    } else {
      const size = Number(shape.configuration['delta.targetFileSize'] ?? DEFAULT_TARGET_FILE_SIZE);
      const fileSize = Number.isInteger(size) && size > 0 ? size : DEFAULT_TARGET_FILE_SIZE;
      const copy = `COPY (SELECT ${dataList} FROM (${select}) AS s) TO ${quoteLiteral(out)} (${[...copyOptions, `FILE_SIZE_BYTES ${fileSize}`].join(', ')})`;
      files = returnedFiles(await t.run(() => conn.runAndReadAll(copy)));
    }
  } finally {
    if (pcols.length) await conn.run(`DROP TABLE IF EXISTS ${quoteIdent(parts)}`).catch(() => {});
  }
  if (files.length === 0) return { adds: [], rows: 0, partitions: 0 };
  checkAborted(t.signal);

  // Statistics, and the NOT NULL check of non-nullable columns, from the files themselves.
  const cols = statsColumns(shape.schema, shape.partitionColumns, shape.configuration);
  const notNull = dataFields.filter((f) => !f.nullable).map((f) => f.name);
  const statsRows = (await t.run(() => conn.runAndReadAll(statsQuery(files, cols, notNull)))).getRowObjectsJS();
  const byFile = new Map(statsRows.map((r) => [String(r.__delta_file), r]));

  const adds: AddFile[] = [];
  let rows = 0;
  const partitions = new Set<string>();
  const remote = t.loc.localDir === null;
  const uploads: UploadItem[] = [];
  for (const file of files) {
    const row = byFile.get(file);
    if (!row) continue; // no rows at all (read_parquet yields no group)
    const stats = fileStats(row, cols, notNull);
    const bad = notNull.findIndex((_, j) => stats.nulls[j]! > 0);
    if (bad >= 0) throw deltaError('AQ_DELTA_SCHEMA_MISMATCH', shape.table, shape.version, `column "${notNull[bad]}" has null values in the rows to write, but the table does not allow nulls in it`);
    if (stats.numRecords === 0) continue;
    const pid = pcols.length ? pidOf(file) : null;
    const partitionValues = pid === null ? {} : pidValues.get(pid)!;
    const dir = pcols.map((f) => partitionSegment(f.name, partitionValues[f.name] ?? null)).join('/');
    const name = `part-${String(adds.length).padStart(5, '0')}-${randomUUID()}-c000.snappy.parquet`;
    const relative = dir ? `${dir}/${name}` : name;
    const key = `${t.loc.root}${relative}`;
    const size = (await stat(file)).size;
    adds.push({ path: encodeAddPath(relative), partitionValues, size, modificationTime: Date.now(), dataChange: true, stats: stats.json });
    rows += stats.numRecords;
    partitions.add(dir);
    if (remote) uploads.push({ from: file, key, size });
    else {
      const to = path.resolve('/', key);
      await mkdir(path.dirname(to), { recursive: true });
      written.keys.add(key);
      await rename(file, to);
    }
  }
  // Each key is recorded before its upload starts (an upload cut short may still land).
  await uploadAll(t.loc.store, uploads, written.keys, { signal: t.signal, contentType: () => 'application/vnd.apache.parquet' });
  return { adds, rows, partitions: partitions.size };
}

function returnedFiles(r: { getRowsJS(): unknown[][] }): string[] {
  const row = r.getRowsJS()[0];
  const files = row?.[1];
  return Array.isArray(files) ? files.map(String) : [];
}

function pidOf(file: string): number {
  const m = /__pid=(\d+)/.exec(file);
  if (!m) throw new Error(`cannot tell the partition of the written file ${file}`);
  return Number(m[1]);
}
