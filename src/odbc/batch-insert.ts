/**
 * Multi-row INSERT statements: `<head> (?, ...), (?, ...), ...` with the parameters of a batch of
 * rows concatenated, bound by the driver. One statement per batch instead of one per row is what
 * makes ODBC writes fast: every statement is a round trip to the database.
 *
 * A statement carries at most 1,000 rows and 2,000 parameters: SQL Server's limits (1,000 row
 * constructors, 2,100 parameters). PostgreSQL takes more parameters, and more rows per statement
 * is faster there (a 6-column table: about 60,000 rows/s at 333 rows a statement, 80,000 at 1,000,
 * measured), so its budget is 6,000 parameters: below what libpq accepts before PostgreSQL 17 (a
 * parameter description of at most 30,000 bytes, about 7,500 parameters).
 */
import { ExecutorError, isExecutorError } from '../core/errors.js';
import type { OdbcParam } from './driver.js';
import type { OdbcLink } from './link.js';

export const MAX_PARAMETERS = 2000;
export const MAX_PARAMETERS_POSTGRES = 6000;
export const MAX_ROWS_PER_STATEMENT = 1000;

/** Rows per statement for a batch size and a number of columns, within the limits above. */
export function rowsPerStatement(batchSize: number, columns: number, postgres = false): number {
  const parameters = postgres ? MAX_PARAMETERS_POSTGRES : MAX_PARAMETERS;
  return Math.max(1, Math.min(batchSize, MAX_ROWS_PER_STATEMENT, Math.floor(parameters / Math.max(1, columns))));
}

/** A single-row `INSERT INTO <target> [(<columns>)] VALUES (?, ...)`, split where rows repeat. */
export interface SingleRowInsert {
  /** Everything up to and including VALUES. */
  head: string;
  /** The `(?, ...)` tuple. */
  tuple: string;
  placeholders: number;
}

const SINGLE_ROW_INSERT = /^\s*(INSERT\s+INTO\s[^?;']*?\bVALUES)\s*(\(\s*\?(?:\s*,\s*\?)*\s*\))\s*;?\s*$/i;

/**
 * The statement as a head and a tuple of `?` when it has exactly that shape (nothing after the
 * tuple: no ON CONFLICT, RETURNING or SELECT; no string literal or `?` in the head), else null.
 */
export function parseSingleRowInsert(sql: string): SingleRowInsert | null {
  const m = SINGLE_ROW_INSERT.exec(sql);
  if (!m) return null;
  const tuple = m[2]!;
  return { head: m[1]!, tuple, placeholders: tuple.split('?').length - 1 };
}

/**
 * A batch statement failed: rows `from`-`to` (counted from 1 over the whole write). The
 * destination turns it into its final error, naming the rows or, when it can, the row.
 */
export class BatchFailed extends ExecutorError {
  constructor(subject: string, readonly from: number, readonly to: number, readonly failure: unknown) {
    super('AQ_DESTINATION_FAILED', `${subject}: inserting rows ${from}-${to} failed`, { cause: failure });
  }
}

export interface BatchInserter {
  /** Queues one row's parameters; sends a statement when a batch is full. */
  add(params: OdbcParam[]): Promise<void>;
  /** Sends the rows still queued and waits for every statement. */
  finish(): Promise<void>;
  /** Waits for the statement in flight, ignoring its outcome (before a rollback). */
  settle(): Promise<void>;
  /** Statements sent so far. */
  statements(): number;
}

/**
 * Sends rows as multi-row statements. One statement is in flight while the next batch is
 * gathered (the driver runs it off the JavaScript thread); the statement after waits for it, so
 * at most two batches are held. A failing statement rejects the next add() or finish() with
 * BatchFailed, or with AQ_CANCELLED when the link's signal aborted it.
 */
export function batchInserter(link: OdbcLink, insert: { head: string; tuple: string }, perStatement: number, firstRow = 1): BatchInserter {
  const statementFor = (n: number) => `${insert.head} ${new Array<string>(n).fill(insert.tuple).join(', ')}`;
  const full = statementFor(perStatement);
  let params: OdbcParam[] = [];
  let pending = 0;
  let queued = firstRow - 1;
  let statements = 0;
  let inflight: Promise<void> | null = null;
  let failure: unknown = null;
  const wait = async () => {
    if (inflight) await inflight;
    inflight = null;
    if (failure !== null) throw failure;
  };
  const send = async (sql: string, batch: OdbcParam[], from: number, to: number) => {
    try {
      await link.run(() => link.conn.query(sql, batch));
      statements++;
    } catch (e) {
      failure = isExecutorError(e) ? e : new BatchFailed(link.subject, from, to, e);
    }
  };
  const flush = async () => {
    await wait();
    if (pending === 0) return;
    const sql = pending === perStatement ? full : statementFor(pending);
    const from = queued + 1;
    queued += pending;
    inflight = send(sql, params, from, queued);
    params = [];
    pending = 0;
  };
  return {
    async add(row) {
      for (const v of row) params.push(v);
      pending++;
      if (pending === perStatement) await flush();
    },
    async finish() {
      await flush();
      await wait();
    },
    async settle() {
      if (inflight) await inflight;
      inflight = null;
    },
    statements: () => statements,
  };
}
