/**
 * ODBC destinations: the last stage's rows go to a database table, all inside ONE transaction,
 * so a failed or cancelled write leaves the table as it was.
 *
 * - `append`: `INSERT INTO <name> (<columns>) VALUES (?, ...), (?, ...), ...` with `batch_size`
 *   rows per statement, parameters bound by the driver. A statement carries at most 1,000 rows
 *   and 2,000 parameters: SQL Server's limits (1,000 row constructors, 2,100 parameters), and
 *   below libpq's, which (before PostgreSQL 17) refuses a parameter description longer than
 *   30,000 bytes, about 7,500 parameters. Throughput is flat beyond a few hundred rows.
 * - `custom`: `pre_insert` (when given), then the user's `insert` statement, prepared with one
 *   `?` per column of the stage (in column order), executed for every row.
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

type OdbcDestination = Extract<Destination, { type: 'odbc' }>;
type Report = (level: RunLogLevel, message: string) => void;

/** Bind parameters and rows one INSERT statement may carry (see above). */
export const MAX_PARAMETERS = 2000;
export const MAX_ROWS_PER_STATEMENT = 1000;

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
  const link = await openLink({ subject, code: 'AQ_DESTINATION_FAILED', connectionString: dest.connection_string, fetchRows: 1000, signal });
  let open = false;
  try {
    await link.call('could not begin a transaction', () => link.conn.beginTransaction());
    open = true;
    const writer = dest.write_mode.operation === 'append' ? appendWriter(link, dest, wire) : customWriter(link, dest.write_mode.transaction, wire, lastStage);
    if (dest.write_mode.operation === 'custom' && dest.write_mode.transaction.pre_insert) {
      const pre = dest.write_mode.transaction.pre_insert;
      await link.call('pre_insert failed', () => link.conn.query(pre));
    }
    const result = await conn.stream(`SELECT ${wire.map((w) => w.select).join(', ')} FROM ${quoteIdent(lastStage)}`);
    let rows = 0;
    for (;;) {
      if (signal.aborted) throw cancelled();
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      for (const row of chunk.getRows()) {
        await writer.add(row);
        rows++;
      }
    }
    await writer.finish();
    if (signal.aborted) throw cancelled();
    await link.call('commit failed', () => link.conn.commit());
    open = false;
    report('debug', `${subject}: wrote ${rows} rows over ODBC in ${writer.statements()} statements`);
  } catch (e) {
    if (open) {
      try { await link.conn.rollback(); } catch { /* the connection is closed below; the database rolls back */ }
    }
    if (signal.aborted) throw cancelled(e);
    if (isExecutorError(e)) throw e;
    throw new ExecutorError('AQ_DESTINATION_FAILED', `${subject}: ${(e as Error).message}`, { cause: e });
  } finally {
    await link.close();
  }
}

interface Writer {
  add(row: DuckDBValue[]): Promise<void>;
  finish(): Promise<void>;
  statements(): number;
}

function appendWriter(link: OdbcLink, dest: OdbcDestination, wire: WireColumn[]): Writer {
  const perStatement = Math.max(1, Math.min(dest.batch_size, MAX_ROWS_PER_STATEMENT, Math.floor(MAX_PARAMETERS / Math.max(1, wire.length))));
  const head = `INSERT INTO ${dest.name} (${wire.map((w) => insertIdent(w.name)).join(', ')}) VALUES `;
  const tuple = `(${wire.map(() => '?').join(', ')})`;
  const statementFor = (n: number) => head + new Array<string>(n).fill(tuple).join(', ');
  const full = statementFor(perStatement);
  let params: OdbcParam[] = [];
  let pending = 0;
  let sent = 0;
  let statements = 0;
  const flush = async () => {
    if (pending === 0) return;
    const sql = pending === perStatement ? full : statementFor(pending);
    const batch = params;
    const from = sent + 1;
    const to = sent + pending;
    params = [];
    pending = 0;
    await link.call(`inserting rows ${from}-${to} failed (nothing was written: the transaction is rolled back)`, () => link.conn.query(sql, batch));
    sent = to;
    statements++;
  };
  return {
    async add(row) {
      for (let i = 0; i < wire.length; i++) params.push(wire[i]!.convert(row[i] ?? null));
      pending++;
      if (pending === perStatement) await flush();
    },
    finish: flush,
    statements: () => statements,
  };
}

function customWriter(link: OdbcLink, tx: { insert: string }, wire: WireColumn[], lastStage: string): Writer {
  let n = 0;
  return {
    async add(row) {
      n++;
      const params = wire.map((w, i) => w.convert(row[i] ?? null));
      try {
        await link.call(`insert failed at row ${n} (nothing was written: the transaction is rolled back)`, () => link.conn.query(tx.insert, params));
      } catch (e) {
        if (e instanceof ExecutorError && /number of parameter markers/i.test(e.message)) {
          throw new ExecutorError(
            'AQ_DESTINATION_FAILED',
            `${link.subject}: the insert statement's ? placeholders do not match the ${wire.length} columns of stage "${lastStage}" (${wire.map((w) => w.name).join(', ')}): give one ? per column, in column order`,
            { cause: e },
          );
        }
        throw e;
      }
    },
    async finish() {},
    statements: () => n,
  };
}
