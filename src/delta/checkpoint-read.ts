/**
 * Reading a classic or multi-part checkpoint with DuckDB. Each row has one non-null top-level
 * column (`protocol`, `metaData`, `add`, `remove`, `txn`, ...); columns can be missing and their
 * order differs between writers, so every part is read by name and each row turned into JSON.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { ExecutorError } from '../core/errors.js';
import { actionFrom, type Action } from './actions.js';
import { deltaError } from './errors.js';
import { fileList } from './sql.js';

const ACTIONS = ['protocol', 'metaData', 'add', 'remove', 'txn'] as const;

export async function readCheckpoint(conn: DuckDBConnection, table: string, version: number, paths: string[]): Promise<Action[]> {
  const from = `read_parquet(${fileList(paths)}, hive_partitioning = false, union_by_name = true)`;
  let rows: string[];
  try {
    const described = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`);
    const present = new Set(described.getRows().map((r) => String(r[0])));
    const columns = ACTIONS.filter((a) => present.has(a));
    if (columns.length === 0) throw new Error('it has none of the columns protocol, metaData, add, remove, txn');
    const select = columns.map((c) => `to_json("${c}") AS "${c}"`).join(', ');
    const where = columns.map((c) => `"${c}" IS NOT NULL`).join(' OR ');
    const reader = await conn.runAndReadAll(`SELECT ${select} FROM ${from} WHERE ${where}`);
    rows = [];
    const names = reader.columnNames();
    for (const r of reader.getRows()) {
      names.forEach((n, i) => {
        if (r[i] !== null && r[i] !== undefined) rows.push(`{${JSON.stringify(n)}:${String(r[i])}}`);
      });
    }
  } catch (e) {
    if (e instanceof ExecutorError) throw e;
    throw deltaError('AQ_DELTA_INVALID_LOG', table, version, `the checkpoint cannot be read: ${(e as Error).message.split('\n')[0]}`, e);
  }
  const out: Action[] = [];
  rows.forEach((line, i) => {
    const o = JSON.parse(line) as Record<string, unknown>;
    const name = Object.keys(o)[0]!;
    out.push(actionFrom(name, stripNulls(o[name]), { table, version, where: `checkpoint row ${i + 1}` }));
  });
  return out;
}

/** Checkpoint structs carry every field, null when unset; actions from JSON simply lack them. */
function stripNulls(v: unknown): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    // Partition values keep their nulls: a null there is a null partition value.
    if (k === 'partitionValues' || k === 'configuration') out[k] = x ?? {};
    else if (x !== null) out[k] = x;
  }
  return out;
}
