/**
 * File and directory sources: csv, newline-delimited json and parquet, registered as a view named
 * after the source. Local files are read in place; objects on S3, GCS and Azure are first
 * downloaded into the run's spill directory (src/storage/source-staging.ts) and read from there.
 * CSV typing follows the original (arrow-csv): ISO timestamps with a zone become naive UTC
 * timestamps; headerless columns are `column_1..n`.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { ExecutorError } from '../core/errors.js';
import { locationToPath } from '../pipeline/location.js';
import { toDuckDbType } from '../pipeline/data-type.js';
import type { Field, PartitionColumn, Source, SourceFileType } from '../pipeline/types.js';
import { describe, type ColumnInfo } from '../engine/stages.js';
import { stageSource } from '../storage/source-staging.js';
import { isReadableDataFile } from '../storage/dataset.js';
import { quoteIdent, quoteLiteral, stringStruct } from '../engine/sql-text.js';

type FileLike = Extract<Source, { type: 'file' | 'directory' }>;

const CSV_TYPE_CANDIDATES = "['BOOLEAN', 'BIGINT', 'DOUBLE', 'DATE', 'TIMESTAMP', 'TIMESTAMP WITH TIME ZONE', 'VARCHAR']";
const EXTENSIONS: Record<SourceFileType['type'], string> = { csv: 'csv', json: 'json', parquet: 'parquet' };

function columnsStruct(cols: Array<{ name: string; type: string }>): string {
  return stringStruct(cols.map((c) => [c.name, c.type]));
}

/** For a declared schema, read timestamps as TIMESTAMPTZ (keeps offsets) and cast afterwards. */
function readType(f: Field): string {
  return f.type.kind === 'timestamp' ? 'TIMESTAMP WITH TIME ZONE' : toDuckDbType(f.type);
}

interface ReaderPlan {
  /** Table-function call reading the data, with the given extra options. */
  reader: (extra: string[]) => string;
  schema: Field[];
}

/** The options of every CSV read: what the pipeline says, and the original's date format. */
function csvOptions(format: Extract<SourceFileType, { type: 'csv' }>): string[] {
  const o = format.options;
  return [`header = ${o.has_header}`, `delim = ${quoteLiteral(o.delimiter)}`, `dateformat = '%Y-%m-%d'`];
}

/** `target` is the SQL of what to read: a quoted path, or a list of them. */
function readerPlan(format: SourceFileType, t: string, hive: string[]): ReaderPlan {
  switch (format.type) {
    case 'csv': {
      const o = format.options;
      const base = [...csvOptions(format), ...hive];
      return {
        schema: o.schema,
        reader: (extra) => `read_csv(${[t, ...base, ...extra].join(', ')})`,
      };
    }
    case 'json':
      return {
        schema: format.options.schema,
        reader: (extra) => `read_json(${[t, `format = 'newline_delimited'`, ...hive, ...extra].join(', ')})`,
      };
    case 'parquet':
      return { schema: format.options.schema, reader: (extra) => `read_parquet(${[t, ...hive, ...extra].join(', ')})` };
  }
}

/**
 * The SELECT list that gives the view the original's names and types: a declared schema is
 * the table's schema (its columns, in its order, cast to its types); otherwise headerless CSV
 * columns are named `column_1..n` and zoned timestamps become naive UTC.
 */
function projection(cols: ColumnInfo[], format: SourceFileType, schema: Field[], partitions: PartitionColumn[]): string {
  const parts = schema.length
    ? schema.map((f) => `CAST(${quoteIdent(f.name)} AS ${toDuckDbType(f.type)}) AS ${quoteIdent(f.name)}`)
    : cols.map((c, i) => {
        const name = format.type === 'csv' && !format.options.has_header ? `column_${i + 1}` : c.name;
        const expr = c.type === 'TIMESTAMP WITH TIME ZONE' ? `CAST(${quoteIdent(c.name)} AS TIMESTAMP)` : quoteIdent(c.name);
        return `${expr} AS ${quoteIdent(name)}`;
      });
  for (const p of partitions) parts.push(quoteIdent(p.name));
  return parts.join(', ');
}

/** The sniffer's "no character" (no quote, escape or comment character). */
const SNIFF_NONE = '(empty)';

/**
 * The dialect DuckDB's sniffer finds in a CSV file, as read_csv options with auto-detection off
 * (quote, escape, line ending, rows skipped, comment, timestamp format: what DuckDB's own
 * `sniff_csv(...).Prompt` gives as the equivalent call), and the columns it finds. The view reads
 * with these, so binding it again (each stage that reads it, each check) does not sniff the file
 * again: a sniff reads a sample of the file, about 0.1 s for a large one, and a run binds a source
 * several times. The result is what each of those sniffs would have found (the same sample).
 * Null when the sniffer gives no answer (an empty file, say): the view then sniffs as it binds,
 * and reports its own error.
 */
async function sniffDialect(conn: DuckDBConnection, file: string, options: string[], typing: string[]): Promise<{ options: string[]; columns: Array<{ name: string; type: string }> } | null> {
  let row: Record<string, unknown> | undefined;
  try {
    const r = await conn.runAndReadAll(`SELECT Quote, Escape, NewLineDelimiter, SkipRows, Comment, TimestampFormat, Columns FROM sniff_csv(${[quoteLiteral(file), ...options, ...typing].join(', ')})`);
    row = r.getRowObjectsJS()[0];
  } catch {
    return null;
  }
  if (!row) return null;
  const char = (v: unknown) => quoteLiteral(v === SNIFF_NONE || v === null ? '' : String(v));
  const out = [
    'auto_detect = false',
    `quote = ${char(row.Quote)}`,
    `escape = ${char(row.Escape)}`,
    `new_line = ${quoteLiteral(String(row.NewLineDelimiter))}`,
    `skip = ${Number(row.SkipRows)}`,
    `comment = ${char(row.Comment)}`,
  ];
  if (row.TimestampFormat !== null && row.TimestampFormat !== undefined) out.push(`timestampformat = ${quoteLiteral(String(row.TimestampFormat))}`);
  const columns = (row.Columns as Array<{ name: unknown; type: unknown }>).map((c) => ({ name: String(c.name), type: String(c.type) }));
  return { options: out, columns };
}

async function ensureExists(subject: string, p: string, kind: 'file' | 'directory'): Promise<void> {
  let s;
  try {
    s = await stat(p);
  } catch {
    throw new ExecutorError('AQ_SOURCE_FAILED', `${subject}: ${kind} not found: ${p}`);
  }
  if (kind === 'file' && s.isDirectory()) throw new ExecutorError('AQ_SOURCE_FAILED', `${subject}: ${p} is a directory; use a source of type directory`);
  if (kind === 'directory' && !s.isDirectory()) throw new ExecutorError('AQ_SOURCE_FAILED', `${subject}: ${p} is not a directory`);
}

/**
 * The data files below a directory (relative paths, sorted): the format's extension, and no hidden
 * or `_`-prefixed component (temporary outputs of writers, checksums, markers), which readers of
 * a dataset directory skip.
 */
async function dataFiles(dir: string, extension: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
      if (e.name.startsWith('.') || e.name.startsWith('_')) continue;
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) await walk(r);
      else if (isReadableDataFile(r, extension)) out.push(r);
    }
  };
  await walk('');
  return out.sort();
}

export interface FileSourceHost {
  conn: DuckDBConnection;
  allowFile(p: string): void;
  allowDirectory(p: string): void;
  /** Where objects of object-store sources are downloaded (the run's spill directory). */
  spillDir?: string;
  signal?: AbortSignal;
  /** Progress and warnings for the run's user. */
  report?: (level: 'info' | 'warn', message: string) => void;
}

/**
 * The local path the source reads: the location itself for local files, otherwise the copy of
 * the object(s) downloaded into the run's spill directory.
 */
async function localSource(host: FileSourceHost, source: FileLike, subject: string): Promise<string> {
  const p = locationToPath(source.location);
  if (p !== null) {
    if (Object.keys(source.storage_config).length) host.report?.('warn', `${subject}: storage_config has no effect on a local location; it is ignored`);
    return p;
  }
  if (!host.spillDir) throw new ExecutorError('AQ_INTERNAL', `${subject}: object-store sources need the run's spill directory`);
  return stageSource({
    subject,
    name: source.name,
    type: source.type,
    location: source.location,
    storageConfig: source.storage_config,
    extension: EXTENSIONS[source.format.type],
    spillDir: host.spillDir,
    signal: host.signal ?? new AbortController().signal,
    report: host.report ?? (() => {}),
  });
}

export async function registerFileSource(host: FileSourceHost, source: FileLike): Promise<void> {
  const subject = `source "${source.name}"`;
  const p = await localSource(host, source, subject);
  const partitions = source.type === 'directory' ? source.partition_columns : [];
  let target = quoteLiteral(p);
  let firstFile: string | undefined;
  if (source.type === 'file') {
    await ensureExists(subject, p, 'file');
    host.allowFile(p);
  } else {
    await ensureExists(subject, p, 'directory');
    host.allowDirectory(p);
    const extension = EXTENSIONS[source.format.type];
    const files = await dataFiles(p, extension);
    if (files.length === 0) throw new ExecutorError('AQ_SOURCE_FAILED', `${subject}: no .${extension} files in ${p} (hidden and _-prefixed names are not data)`);
    target = `[${files.map((f) => quoteLiteral(path.join(p, f))).join(', ')}]`;
    firstFile = path.join(p, files[0]!);
  }
  const hive = partitions.length
    ? ['hive_partitioning = true', `hive_types = ${columnsStruct(partitions.map((c) => ({ name: c.name, type: toDuckDbType(c.type) })))}`, 'hive_types_autocast = false']
    : ['hive_partitioning = false'];
  const noHive = ['hive_partitioning = false'];
  const plan = readerPlan(source.format, target, []);
  const schema = plan.schema;
  const conn = host.conn;
  const typing: string[] = [];
  if (schema.length && source.format.type !== 'parquet') {
    typing.push(`columns = ${columnsStruct(schema.map((f) => ({ name: f.name, type: readType(f) })))}`);
  }
  else if (source.format.type === 'csv') typing.push(`auto_type_candidates = ${CSV_TYPE_CANDIDATES}`);
  try {
    let dialect: string[] = [];
    if (source.format.type === 'csv') {
      const sniffed = await sniffDialect(conn, source.type === 'file' ? p : firstFile!, csvOptions(source.format), schema.length ? [] : typing);
      if (sniffed) {
        dialect = sniffed.options;
        if (!schema.length) typing.splice(0, typing.length, `columns = ${columnsStruct(sniffed.columns)}`);
      }
    }
    const cols = await describe(conn, `SELECT * FROM ${plan.reader([...noHive, ...dialect, ...typing])}`);
    const known = new Set(partitions.map((c) => c.name));
    const dataCols = cols.filter((c) => !known.has(c.name));
    // CSV without a schema that the sniffer gave no answer for: pin the types the reader found, so
    // the view binds the same way every time (a sniffed file has its columns pinned above).
    if (source.format.type === 'csv' && schema.length === 0 && dialect.length === 0) {
      typing.splice(0, typing.length, `columns = ${columnsStruct(dataCols.map((c) => ({ name: c.name, type: c.type })))}`);
    }
    const select = projection(dataCols, source.format, schema, partitions);
    await conn.run(`CREATE VIEW ${quoteIdent(source.name)} AS SELECT ${select} FROM ${plan.reader([...hive, ...dialect, ...typing])}`);
    // Bind once now so a broken source fails here, naming itself, not in the first stage.
    await conn.run(`SELECT * FROM ${quoteIdent(source.name)} LIMIT 0`);
  } catch (e) {
    if (e instanceof ExecutorError) throw e;
    throw new ExecutorError('AQ_SOURCE_FAILED', `${subject}: ${(e as Error).message}`, { cause: e });
  }
}
