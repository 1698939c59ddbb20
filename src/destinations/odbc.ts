/**
 * ODBC destinations: the last stage's rows go to a database table, all inside ONE transaction,
 * so a failed or cancelled write leaves the table as it was.
 *
 * - `append`: `INSERT INTO <name> (<columns>) VALUES (?, ...), (?, ...), ...` with `batch_size`
 *   rows per statement, within the limits of ../odbc/batch-insert.ts.
 * - `custom`: `pre_insert` (when given), then the user's `insert` statement with one `?` per
 *   column of the stage (in column order). Shaped `INSERT INTO t (a, b) VALUES (?, ?)`, it is
 *   sent as multi-row statements like `append` (the tuple repeated, parameters concatenated);
 *   otherwise (an upsert, say) it runs once per row. When a batch fails, the transaction is
 *   rolled back and replayed up to that batch, row by row within it, to name the failing row.
 *
 * Rows are read from DuckDB one chunk at a time (a streaming result), so at most one batch is
 * held in JavaScript. Values keep their types: integers, booleans, doubles and binary are bound
 * natively; decimals, dates, times, UUIDs and wider integers travel as their exact text; a
 * TIMESTAMP WITH TIME ZONE travels as its UTC wall time, which the database reads in the
 * session's zone (UTC: the link sets it for PostgreSQL, whose driver drops the offset of a
 * timestamp parameter).
 */
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { cancelled, ExecutorError, isExecutorError } from '../core/errors.js';
import type { Destination } from '../pipeline/types.js';
import type { RunLogLevel } from '../core/run-events.js';
import { describe, type ColumnInfo } from '../engine/stages.js';
import { quoteIdent } from '../engine/sql-text.js';
import { openLink, type OdbcLink } from '../odbc/link.js';
import type { OdbcParam } from '../odbc/driver.js';
import { odbcFailure } from '../odbc/diagnostics.js';
import { BatchFailed, batchInserter, parseSingleRowInsert, rowsPerStatement, type BatchInserter } from '../odbc/batch-insert.js';

type OdbcDestination = Extract<Destination, { type: 'odbc' }>;
type Report = (level: RunLogLevel, message: string) => void;

interface WireColumn {
  name: string;
  /** The DuckDB expression producing the value that is sent. */
  select: string;
  convert: (v: DuckDBValue) => OdbcParam;
}

const NATIVE = new Set(['BOOLEAN', 'TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'FLOAT', 'DOUBLE', 'VARCHAR', 'BLOB']);

function wireColumn(c: ColumnInfo): WireColumn {
  const ref = quoteIdent(c.name);
  const asIs = (v: DuckDBValue): OdbcParam => v as OdbcParam;
  if (c.type === 'BLOB') {
    return { name: c.name, select: ref, convert: (v) => (v === null ? null : Buffer.from((v as { bytes: Uint8Array }).bytes)) };
  }
  if (NATIVE.has(c.type)) return { name: c.name, select: ref, convert: asIs };
  if (c.type === 'TIMESTAMP WITH TIME ZONE') {
    return { name: c.name, select: `CAST(timezone('UTC', ${ref}) AS VARCHAR)`, convert: asIs };
  }
  // DECIMAL (exact), DATE, TIME, TIMESTAMP, UUID, INTERVAL, HUGEINT, UBIGINT, nested types: text.
  return { name: c.name, select: `CAST(${ref} AS VARCHAR)`, convert: asIs };
}

/**
 * A column name in the INSERT: as written when it is a plain lower-case identifier (what stage
 * SQL produces for unquoted names; every database matches it), otherwise double-quoted, so a
 * deliberately quoted "CamelCase" name keeps its case (PostgreSQL, SQL Server, SQLite).
 */
export function insertIdent(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/**
 * Checked before the sources load and the stages run, so a pipeline that cannot write fails in
 * seconds rather than after hours of work: batch_size, the ODBC module, the driver, the network
 * and the credentials (a connection is opened and closed). The target table is not probed: a
 * loader role may hold INSERT without SELECT, and a custom pre_insert may create the table.
 */
export async function checkOdbcDestination(dest: OdbcDestination, signal: AbortSignal): Promise<void> {
  const subject = `destination "${dest.name}"`;
  if (dest.batch_size < 1) throw new ExecutorError('AQ_DESTINATION_FAILED', `${subject}: batch_size must be at least 1 (got ${dest.batch_size})`);
  const link = await openLink({ subject, code: 'AQ_DESTINATION_FAILED', connectionString: dest.connection_string, fetchRows: 1000, signal });
  await link.close();
}

export async function writeOdbcDestination(
  conn: DuckDBConnection,
  dest: OdbcDestination,
  lastStage: string,
  signal: AbortSignal,
  report: Report,
): Promise<void> {
  const subject = `destination "${dest.name}"`;
  const wire = (await describe(conn, quoteIdent(lastStage))).map(wireColumn);
  const select = `SELECT ${wire.map((w) => w.select).join(', ')} FROM ${quoteIdent(lastStage)}`;
  const rowsOf = (each: (params: OdbcParam[]) => Promise<boolean | void>) => forEachRow(conn, select, wire, signal, each);
  const shape = insertShape(subject, dest, wire, lastStage);
  const link = await openLink({ subject, code: 'AQ_DESTINATION_FAILED', connectionString: dest.connection_string, fetchRows: 1000, signal });
  const plan: InsertPlan = { ...shape, perStatement: rowsPerStatement(dest.batch_size, wire.length, link.postgres) };
  const pre = dest.write_mode.operation === 'custom' ? dest.write_mode.transaction.pre_insert : undefined;
  const begin = async () => {
    await link.call('could not begin a transaction', () => link.conn.beginTransaction());
    if (pre) await link.call('pre_insert failed', () => link.conn.query(pre));
  };
  const rollback = async () => {
    try { await link.conn.rollback(); } catch { /* the connection is closed below; the database rolls back */ }
  };
  let open = false;
  let writer: Writer | null = null;
  try {
    open = true;
    await begin();
    writer = writerFor(link, plan, wire, lastStage);
    const w = writer;
    const rows = await rowsOf(async (params) => { await w.add(params); });
    await writer.finish();
    if (signal.aborted) throw cancelled();
    await link.call('commit failed', () => link.conn.commit());
    open = false;
    report('debug', `${subject}: wrote ${rows} rows over ODBC in ${writer.statements()} statements`);
  } catch (e) {
    // A statement still in flight must end before the rollback on the same connection.
    await writer?.settle();
    if (open) await rollback();
    if (signal.aborted) throw cancelled(e);
    if (e instanceof BatchFailed) throw await explainBatch(link, plan, e, { begin, rollback, rowsOf });
    if (isExecutorError(e)) throw e;
    throw new ExecutorError('AQ_DESTINATION_FAILED', `${subject}: ${(e as Error).message}`, { cause: e });
  } finally {
    await link.close();
  }
}

/** Streams the stage's rows from DuckDB, one chunk at a time; `each` returning false stops. */
async function forEachRow(conn: DuckDBConnection, select: string, wire: WireColumn[], signal: AbortSignal, each: (params: OdbcParam[]) => Promise<boolean | void>): Promise<number> {
  const result = await conn.stream(select);
  let rows = 0;
  for (;;) {
    if (signal.aborted) throw cancelled();
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) return rows;
    for (const row of chunk.getRows()) {
      const params = new Array<OdbcParam>(wire.length);
      for (let i = 0; i < wire.length; i++) params[i] = wire[i]!.convert(row[i] ?? null);
      rows++;
      if ((await each(params)) === false) return rows;
    }
  }
}

type Writer = BatchInserter;

interface InsertPlan {
  /** Multi-row statements, or null: the statement once per row. */
  insert: { head: string; tuple: string } | null;
  perStatement: number;
  /** The user's statement for one row (custom). */
  single: string | null;
}

const NOTHING_WRITTEN = '(nothing was written: the transaction is rolled back)';

/**
 * How rows are sent. `append`, and a `custom` insert shaped `INSERT INTO t (a, b) VALUES (?, ?)`:
 * multi-row statements. Any other `custom` insert (an upsert, say): the statement once per row.
 * Checked before connecting; the rows per statement depend on the database (batch-insert.ts).
 */
function insertShape(subject: string, dest: OdbcDestination, wire: WireColumn[], lastStage: string): Omit<InsertPlan, 'perStatement'> {
  if (dest.write_mode.operation === 'append') {
    const head = `INSERT INTO ${dest.name} (${wire.map((w) => insertIdent(w.name)).join(', ')}) VALUES`;
    return { insert: { head, tuple: `(${wire.map(() => '?').join(', ')})` }, single: null };
  }
  const sql = dest.write_mode.transaction.insert;
  const shape = parseSingleRowInsert(sql);
  if (shape && shape.placeholders !== wire.length) throw placeholderMismatch(subject, wire, lastStage);
  return { insert: shape, single: sql };
}

function placeholderMismatch(subject: string, wire: WireColumn[], lastStage: string, cause?: unknown): ExecutorError {
  return new ExecutorError(
    'AQ_DESTINATION_FAILED',
    `${subject}: the insert statement's ? placeholders do not match the ${wire.length} columns of stage "${lastStage}" (${wire.map((w) => w.name).join(', ')}): give one ? per column, in column order`,
    { cause },
  );
}

function writerFor(link: OdbcLink, plan: InsertPlan, wire: WireColumn[], lastStage: string): Writer {
  if (plan.insert) return batchInserter(link, plan.insert, plan.perStatement);
  const sql = plan.single!;
  let n = 0;
  return {
    async add(params) {
      n++;
      try {
        await link.call(`insert failed at row ${n} ${NOTHING_WRITTEN}`, () => link.conn.query(sql, params));
      } catch (e) {
        if (e instanceof ExecutorError && /number of parameter markers/i.test(e.message)) throw placeholderMismatch(link.subject, wire, lastStage, e);
        throw e;
      }
    },
    async finish() {},
    async settle() {},
    statements: () => n,
  };
}

interface Replay {
  begin(): Promise<void>;
  rollback(): Promise<void>;
  rowsOf(each: (params: OdbcParam[]) => Promise<boolean | void>): Promise<number>;
}

/**
 * The error for a failed batch. For `append` it names the statement's rows. For `custom` the
 * transaction is replayed to name the row: begin and pre_insert again, the rows before the batch
 * in batches, the batch's rows one statement each, then a rollback whatever happens (a replay
 * never commits). If the replay does not fail on a row of the batch, the error names the batch.
 */
async function explainBatch(link: OdbcLink, plan: InsertPlan, failed: BatchFailed, replay: Replay): Promise<ExecutorError> {
  const batchError = () => {
    const action = plan.single === null ? `inserting rows ${failed.from}-${failed.to} failed` : `insert failed at rows ${failed.from}-${failed.to}`;
    return odbcFailure('AQ_DESTINATION_FAILED', link.subject, `${action} ${NOTHING_WRITTEN}`, failed.failure, link.secrets);
  };
  if (plan.single === null || plan.insert === null) return batchError();
  const single = plan.single;
  let found: { row: number; cause: unknown } | null = null;
  const before = batchInserter(link, plan.insert, plan.perStatement);
  try {
    await replay.begin();
    let row = 0;
    await replay.rowsOf(async (params) => {
      row++;
      if (row < failed.from) {
        await before.add(params);
        return true;
      }
      if (row === failed.from) await before.finish();
      try {
        await link.run(() => link.conn.query(single, params));
      } catch (e) {
        if (isExecutorError(e)) throw e;
        found = { row, cause: e };
        return false;
      }
      return row < failed.to;
    });
  } catch (e) {
    if (isExecutorError(e) && e.code === 'AQ_CANCELLED') throw e;
    // The replay failed elsewhere: the batch's rows are all that is known.
  } finally {
    await before.settle();
    await replay.rollback();
  }
  const at = found as { row: number; cause: unknown } | null;
  if (!at) return batchError();
  return odbcFailure('AQ_DESTINATION_FAILED', link.subject, `insert failed at row ${at.row} ${NOTHING_WRITTEN}`, at.cause, link.secrets);
}
