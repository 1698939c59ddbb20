/**
 * An independent validator of a Delta table on local disk, written from the Delta protocol and not from
 * src/delta (so a bug there is not repeated here):
 *
 * - commit versions 0..N contiguous, newline-delimited JSON, every line one object with one key;
 * - version 0 holds protocol and metaData; a commitInfo first in every commit;
 * - every added file exists at its path (percent-decoded once) with the logged size;
 * - partition values: a string or null for exactly the partition columns;
 * - statistics parse, numRecords equals the file's rows, nullCount and min/max agree with the
 *   data (timestamps at millisecond precision: min rounded down, max up);
 * - every removed file was active; `_last_checkpoint` names an existing checkpoint.
 *
 * Returns the list of problems (empty when the table is valid).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';

interface Add {
  path: string;
  size: number;
  partitionValues: Record<string, unknown>;
  stats?: string;
}

const COMMIT = /^\d{20}\.json$/;

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

function duckTypeOf(t: unknown): string | null {
  if (typeof t !== 'string') return null;
  const m = /^decimal\((\d+),(\d+)\)$/.exec(t);
  if (m) return `DECIMAL(${m[1]},${m[2]})`;
  return (
    { string: 'VARCHAR', long: 'BIGINT', integer: 'INTEGER', short: 'SMALLINT', byte: 'TINYINT', float: 'FLOAT', double: 'DOUBLE', date: 'DATE', timestamp: 'TIMESTAMPTZ', timestamp_ntz: 'TIMESTAMP', boolean: 'BOOLEAN' } as Record<string, string>
  )[t] ?? null;
}

export async function checkDeltaLog(conn: DuckDBConnection, table: string): Promise<string[]> {
  const problems: string[] = [];
  const log = path.join(table, '_delta_log');
  const names = (await readdir(log)).filter((n) => COMMIT.test(n)).sort();
  const versions = names.map((n) => Number(n.slice(0, 20)));
  versions.forEach((v, i) => {
    if (v !== i) problems.push(`versions are not contiguous: expected ${i}, found ${v}`);
  });
  if (versions.length === 0) problems.push('no commits');
  let partitionColumns: string[] = [];
  let types = new Map<string, unknown>();
  const active = new Map<string, Add>();
  const allAdds: Add[] = [];
  for (const name of names) {
    const v = Number(name.slice(0, 20));
    const text = await readFile(path.join(log, name), 'utf8');
    const lines = text.split('\n').filter((l, i, all) => !(l === '' && i === all.length - 1));
    const kinds: string[] = [];
    for (const [i, line] of lines.entries()) {
      let obj: Record<string, unknown>;
      try {
        obj = JSON.parse(line) as Record<string, unknown>;
      } catch {
        problems.push(`v${v} line ${i + 1}: not JSON`);
        continue;
      }
      const keys = Object.keys(obj);
      if (typeof obj !== 'object' || keys.length !== 1) {
        problems.push(`v${v} line ${i + 1}: not one action (${keys.join(',')})`);
        continue;
      }
      const kind = keys[0]!;
      kinds.push(kind);
      const a = obj[kind] as Record<string, unknown>;
      if (kind === 'metaData') {
        partitionColumns = a.partitionColumns as string[];
        const schema = JSON.parse(a.schemaString as string) as { fields: Array<{ name: string; type: unknown }> };
        types = new Map(schema.fields.map((f) => [f.name, f.type]));
      }
      if (kind === 'add') {
        const add = a as unknown as Add;
        const key = decodeURIComponent(add.path);
        active.set(key, add);
        allAdds.push(add);
      }
      if (kind === 'remove') {
        const key = decodeURIComponent(a.path as string);
        if (!active.has(key)) problems.push(`v${v}: removes ${String(a.path)}, which is not active`);
        active.delete(key);
      }
    }
    if (kinds[0] !== 'commitInfo') problems.push(`v${v}: commitInfo is not the first action`);
    if (v === 0 && (!kinds.includes('protocol') || !kinds.includes('metaData'))) problems.push('v0 lacks protocol or metaData');
  }
  for (const add of allAdds) problems.push(...(await checkAdd(conn, table, add, partitionColumns, types)));
  try {
    const last = JSON.parse(await readFile(path.join(log, '_last_checkpoint'), 'utf8')) as { version: number };
    const cp = path.join(log, `${String(last.version).padStart(20, '0')}.checkpoint.parquet`);
    await stat(cp).catch(() => problems.push(`_last_checkpoint names version ${last.version}, which has no checkpoint`));
  } catch {
    /* no checkpoint yet */
  }
  return problems;
}

async function checkAdd(conn: DuckDBConnection, table: string, add: Add, partitionColumns: string[], types: Map<string, unknown>): Promise<string[]> {
  const out: string[] = [];
  const file = path.join(table, decodeURIComponent(add.path));
  const size = await stat(file).then((s) => s.size, () => -1);
  if (size < 0) return [`${add.path}: the file does not exist`];
  if (size !== add.size) out.push(`${add.path}: size ${size}, logged ${add.size}`);
  const pv = add.partitionValues ?? {};
  if (Object.keys(pv).sort().join(',') !== [...partitionColumns].sort().join(',')) out.push(`${add.path}: partition values for ${Object.keys(pv).join(',')}, columns are ${partitionColumns.join(',')}`);
  for (const [k, value] of Object.entries(pv)) if (value !== null && typeof value !== 'string') out.push(`${add.path}: partition value ${k} is not a string`);
  if (add.stats === undefined) return out;
  let stats: { numRecords: number; minValues?: Record<string, unknown>; maxValues?: Record<string, unknown>; nullCount?: Record<string, unknown> };
  try {
    stats = JSON.parse(add.stats);
  } catch {
    return [...out, `${add.path}: stats are not JSON`];
  }
  const from = `read_parquet(${sqlString(file)}, hive_partitioning = false)`;
  const rows = Number((await conn.runAndReadAll(`SELECT count(*) FROM ${from}`)).getRowsJS()[0]![0]);
  if (stats.numRecords !== rows) out.push(`${add.path}: numRecords ${stats.numRecords}, the file has ${rows} rows`);
  for (const [col, n] of Object.entries(stats.nullCount ?? {})) {
    const actual = Number((await conn.runAndReadAll(`SELECT count(*) - count("${col}") FROM ${from}`)).getRowsJS()[0]![0]);
    if (actual !== n) out.push(`${add.path}: nullCount.${col} ${String(n)}, actual ${actual}`);
  }
  for (const [bound, values] of [['min', stats.minValues ?? {}], ['max', stats.maxValues ?? {}]] as const) {
    for (const [col, value] of Object.entries(values)) {
      const type = duckTypeOf(types.get(col));
      if (!type) {
        out.push(`${add.path}: ${bound}Values.${col} for a column without a primitive type`);
        continue;
      }
      // JSON.parse gives numbers as doubles: wide integers and decimals are compared as doubles.
      const asDouble = typeof value === 'number' && (type === 'BIGINT' || type.startsWith('DECIMAL'));
      const lit = asDouble ? `CAST(${sqlString(String(value))} AS DOUBLE)` : `CAST(${sqlString(String(value))} AS ${type})`;
      const agg = asDouble ? `CAST(${bound}("${col}") AS DOUBLE)` : `${bound}("${col}")`;
      const ts = type.startsWith('TIMESTAMP');
      const cond = !ts
        ? `${agg} = ${lit}`
        : bound === 'min'
          ? `${lit} <= ${agg} AND ${agg} < ${lit} + INTERVAL 1 MILLISECOND`
          : `${lit} >= ${agg} AND ${agg} > ${lit} - INTERVAL 1 MILLISECOND`;
      const ok = (await conn.runAndReadAll(`SELECT ${cond} FROM ${from}`)).getRowsJS()[0]![0];
      if (ok !== true) out.push(`${add.path}: ${bound}Values.${col} = ${JSON.stringify(value)} does not match the data`);
    }
  }
  return out;
}
