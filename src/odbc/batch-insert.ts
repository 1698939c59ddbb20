/**
 * Multi-row INSERT statements: `<head> (?, ...), (?, ...), ...` with the parameters of a batch of
 * rows concatenated, bound by the driver. One statement per batch instead of one per row is what
 * makes ODBC writes fast: every statement is a round trip to the database.
 *
 * A statement carries at most 1,000 rows and 2,000 parameters: SQL Server's limits (1,000 row
 * constructors, 2,100 parameters), and below libpq's, which (before PostgreSQL 17) refuses a
 * parameter description longer than 30,000 bytes, about 7,500 parameters. Throughput is flat
 * beyond a few hundred rows.
 */
import { isExecutorError } from '../core/errors.js';
import type { OdbcParam } from './driver.js';
import type { OdbcLink } from './link.js';

export const MAX_PARAMETERS = 2000;
export const MAX_ROWS_PER_STATEMENT = 1000;

/** Rows per statement for a batch size and a number of columns, within the limits above. */
export function rowsPerStatement(batchSize: number, columns: number): number {
  return Math.max(1, Math.min(batchSize, MAX_ROWS_PER_STATEMENT, Math.floor(MAX_PARAMETERS / Math.max(1, columns))));
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

/** A batch statement failed: rows `from`-`to` (counted from 1 over the whole write). */
export class BatchFailed extends Error {
  constructor(readonly from: number, readonly to: number, readonly failure: unknown) {
    super(`rows ${from}-${to} failed`);
  }
}

export interface BatchInserter {
  /** Queues one row's parameters; sends a statement when a batch is full. */
  add(params: OdbcParam[]): Promise<void>;
  /** Sends the rows still queued. */
  finish(): Promise<void>;
  /** Statements sent so far. */
  statements(): number;
}

/**
 * Sends rows as multi-row statements; a failing statement rejects with BatchFailed, or with
 * AQ_CANCELLED when the link's signal aborted it.
 */
export function batchInserter(link: OdbcLink, insert: { head: string; tuple: string }, perStatement: number, firstRow = 1): BatchInserter {
  const statementFor = (n: number) => `${insert.head} ${new Array<string>(n).fill(insert.tuple).join(', ')}`;
  const full = statementFor(perStatement);
  let params: OdbcParam[] = [];
  let pending = 0;
  let sent = firstRow - 1;
  let statements = 0;
  const flush = async () => {
    if (pending === 0) return;
    const sql = pending === perStatement ? full : statementFor(pending);
    const batch = params;
    const from = sent + 1;
    const to = sent + pending;
    params = [];
    pending = 0;
    try {
      await link.run(() => link.conn.query(sql, batch));
    } catch (e) {
      if (isExecutorError(e)) throw e;
      throw new BatchFailed(from, to, e);
    }
    sent = to;
    statements++;
  };
  return {
    async add(row) {
      for (const v of row) params.push(v);
      pending++;
      if (pending === perStatement) await flush();
    },
    finish: flush,
    statements: () => statements,
  };
}
