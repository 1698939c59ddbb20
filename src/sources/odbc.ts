/**
 * ODBC sources: run `load_query` over ODBC and stream the rows into a DuckDB table named after
 * the source, one block of FETCH_ROWS rows at a time (a cursor with a fetch size, DuckDB's
 * appender). The driver fetches the next block while the current one is appended, so the
 * executor holds at most two blocks in JavaScript. For psqlODBC, `text` is first read as
 * VARCHAR(255) into a bound buffer (TextAsLongVarchar=0: long data costs half the throughput);
 * a longer value starts the load again on a connection that reads text as long data.
 *
 * The query's columns are first described without running it (`SELECT * FROM (q) aq_src WHERE
 * 1=0`). Columns whose values node-odbc would not convert faithfully (NUMERIC/DECIMAL, REAL,
 * timestamps: see ../odbc/types.ts) are then read as text the database converts, by wrapping the
 * query: `SELECT aq_src.*, {fn CONVERT(aq_src.c, SQL_VARCHAR)} AS aq_c0 FROM (q) aq_src` (the
 * ODBC escape; `CAST(... AS VARCHAR(255))` where the driver lacks it; only the converted form is
 * read, except for long data). Text-staged columns get
 * their DuckDB type once every row is in, from the column metadata and, where the metadata
 * cannot tell (a timestamp's zone, an unconstrained NUMERIC), from the values.
 *
 * A character or binary value that fills node-odbc's fixed buffer may have been cut: the load
 * starts again with that column read as long data (never cut). A query that cannot be wrapped
 * (not a plain SELECT for this database) runs as written, and columns it cannot read exactly
 * are refused with a clear error rather than loaded wrong.
 */
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { cancelled, ExecutorError, isExecutorError } from '../core/errors.js';
import type { Source } from '../pipeline/types.js';
import type { RunLogLevel } from '../core/run-events.js';
import { quoteIdent } from '../engine/sql-text.js';
import { openLink, type OdbcLink } from '../odbc/link.js';
import type { OdbcColumn, OdbcCursor, OdbcResult } from '../odbc/driver.js';
import { describeOdbcError, odbcFailure } from '../odbc/diagnostics.js';
import {
  SQL, STAGING_TYPE, ZONED_TIMESTAMP_RE, chooseDecimal, isBinaryType, mayBeTruncated, planColumn,
  type ColumnPlan, type ReadMode,
} from '../odbc/types.js';

type OdbcSource = Extract<Source, { type: 'odbc' }>;
type Report = (level: RunLogLevel, message: string) => void;

/** Rows per fetch: the most rows of a source held in JavaScript at once. */
export const FETCH_ROWS = 500;
const ALIAS = 'aq_src';

/** How the wrapped query converts a column: the ODBC escape, or a plain CAST. */
type WrapForm = 'escape' | 'cast';
const WRAP_FORMS: WrapForm[] = ['escape', 'cast'];

/** The wrapped query could not run (or disagreed with the original columns). */
class WrapFailed extends Error {}
/** Some columns must be read as long data; the load starts again. */
class Escalate extends Error {
  constructor(readonly columns: number[]) { super('escalate'); }
}

interface Context {
  conn: DuckDBConnection;
  link: OdbcLink;
  /** Whether psqlODBC reports `text` as long data on this link (see connection-string.ts). */
  textAsLong: boolean;
  connect(textAsLong: boolean): Promise<OdbcLink>;
  table: string;
  subject: string;
  query: string;
  signal: AbortSignal;
  report: Report;
}

export async function registerOdbcSource(conn: DuckDBConnection, source: OdbcSource, signal: AbortSignal, report: Report): Promise<void> {
  const subject = `source "${source.name}"`;
  // A trailing `;` would end the wrapped query early.
  const query = source.load_query.replace(/[\s;]+$/, '');
  const connect = (textAsLong: boolean) =>
    openLink({ subject, code: 'AQ_SOURCE_FAILED', connectionString: source.connection_string, fetchRows: FETCH_ROWS, textAsLong, signal });
  const link = await connect(false);
  const ctx: Context = { conn, link, textAsLong: false, connect, table: source.name, subject, query, signal, report };
  try {
    const rows = await load(ctx);
    report('debug', `${subject}: loaded ${rows} rows over ODBC`);
  } catch (e) {
    await dropTable(ctx);
    if (signal.aborted) throw cancelled(e);
    throw e;
  } finally {
    await ctx.link.close();
  }
}

async function load(ctx: Context): Promise<number> {
  const { subject } = ctx;
  let unwrappable: string | null = null;
  let plan: ColumnPlan[] | null = null;
  try {
    const columns = await describeQuery(ctx);
    checkNames(subject, columns);
    plan = columns.map(planColumn);
  } catch (e) {
    if (isExecutorError(e)) throw e;
    unwrappable = describeOdbcError(e, ctx.link.secrets);
  }
  let form = 0;
  for (;;) {
    const wrap = plan !== null && plan.some((c) => c.read !== 'driver');
    try {
      const sql = wrap ? wrapQuery(ctx.query, plan!, WRAP_FORMS[form]!) : ctx.query;
      const loaded = await readOnce(ctx, sql, plan, wrap, unwrappable);
      await finalize(ctx, loaded.plan);
      return loaded.rows;
    } catch (e) {
      if (e instanceof WrapFailed) {
        await dropTable(ctx);
        form += 1;
        if (form >= WRAP_FORMS.length) {
          unwrappable = e.message;
          plan = null;
        }
        continue;
      }
      if (e instanceof Escalate) {
        await dropTable(ctx);
        if (ctx.link.postgres && !ctx.textAsLong) {
          // psqlODBC converts to long text only when it reports text as long data.
          await ctx.link.close();
          ctx.link = await ctx.connect(true);
          ctx.textAsLong = true;
        }
        for (const i of e.columns) {
          const c = plan![i]!;
          if (c.read === 'long' || c.read === 'longbinary') {
            throw new ExecutorError(
              'AQ_SOURCE_FAILED',
              `${subject}: column "${c.name}" holds values longer than the size its driver reports, even when the database converts it to long ` +
                `${c.read === 'longbinary' ? 'binary' : 'text'}, so they cannot be read whole over ODBC (SQLite's driver reports expressions and BLOBs this way); ` +
                'select a column the driver reports as long data, or shorter values',
            );
          }
          c.read = isBinaryType(c.dataType) ? 'longbinary' : 'long';
        }
        continue;
      }
      throw e;
    }
  }
}

/** The query's columns, described by the database without producing rows. */
async function describeQuery(ctx: Context): Promise<OdbcColumn[]> {
  const { link } = ctx;
  const cursor = await link.run(() => link.conn.query(`SELECT * FROM (\n${ctx.query}\n) ${ALIAS} WHERE 1=0`, { cursor: true, fetchSize: 1 }));
  try {
    const block = await link.run(() => cursor.fetch());
    return block.columns;
  } finally {
    await closeCursor(cursor);
  }
}

function checkNames(subject: string, columns: OdbcColumn[]): void {
  if (columns.length === 0) throw new ExecutorError('AQ_SOURCE_FAILED', `${subject}: load_query returns no columns`);
  const seen = new Set<string>();
  for (const c of columns) {
    const key = c.name.toLowerCase();
    if (seen.has(key)) throw new ExecutorError('AQ_SOURCE_FAILED', `${subject}: load_query returns more than one column named "${c.name}" (names are case-insensitive in the engine); give each column its own alias`);
    seen.add(key);
  }
}

/** A column of the wrapped query: qualified, quoted only when it has to be. */
function columnRef(name: string): string {
  return `${ALIAS}.${/^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`}`;
}

const ESCAPE_TARGET: Record<Exclude<ReadMode, 'driver'>, string> = { text: 'SQL_VARCHAR', long: 'SQL_LONGVARCHAR', longbinary: 'SQL_LONGVARBINARY' };
const CAST_TARGET: Record<Exclude<ReadMode, 'driver'>, string> = { text: 'VARCHAR(255)', long: 'TEXT', longbinary: 'BLOB' };

/**
 * The wrapped query: columns the driver reads exactly, as they are; the others converted (after
 * them, as `aq_c<i>`). A column read as long data keeps its original too, to check the conversion
 * against it; a column read as text does not (reading it twice costs a fifth of the throughput).
 */
export function wrapQuery(query: string, plan: ColumnPlan[], form: WrapForm): string {
  const kept: string[] = [];
  const extra: string[] = [];
  plan.forEach((c, i) => {
    if (keepsOriginal(c)) kept.push(columnRef(c.name));
    if (c.read === 'driver') return;
    const ref = columnRef(c.name);
    const expr = form === 'escape' ? `{fn CONVERT(${ref}, ${ESCAPE_TARGET[c.read]})}` : `CAST(${ref} AS ${CAST_TARGET[c.read]})`;
    extra.push(`${expr} AS aq_c${i}`);
  });
  return `SELECT ${[...kept, ...extra].join(', ')} FROM (\n${query}\n) ${ALIAS}`;
}

function keepsOriginal(c: ColumnPlan): boolean {
  return c.read === 'driver' || c.read === 'long' || c.read === 'longbinary';
}

/** For a query run as written: which columns can be read, and how. */
function directPlan(ctx: Context, columns: OdbcColumn[], why: string | null): ColumnPlan[] {
  checkNames(ctx.subject, columns);
  const plan = columns.map(planColumn);
  const zoneUnknown: string[] = [];
  for (const c of plan) {
    if (c.read !== 'text') continue;
    if (c.cast?.to === 'timestamp') {
      c.read = 'driver';
      zoneUnknown.push(c.name);
      continue;
    }
    const declared = c.cast?.to === 'decimal' ? `${c.dataType === SQL.NUMERIC ? 'NUMERIC' : 'DECIMAL'}(${c.columnSize},${c.decimalDigits})` : 'REAL';
    throw new ExecutorError(
      'AQ_SOURCE_FAILED',
      `${ctx.subject}: column "${c.name}" is ${declared}, which the ODBC layer cannot read exactly unless the query can be wrapped ` +
        `(SELECT ... FROM (load_query) ...), and it could not${why ? ` (${why})` : ''}; cast the column to a character type in load_query ` +
        `(e.g. CAST(${c.name} AS VARCHAR(64))) or to DOUBLE PRECISION`,
    );
  }
  if (zoneUnknown.length) {
    ctx.report('warn', `${ctx.subject}: the query could not be wrapped to read timestamps as text, so whether ${zoneUnknown.map((n) => `"${n}"`).join(', ')} carry a time zone is unknown: loaded as TIMESTAMP (for PostgreSQL, timestamptz values in UTC)`);
  }
  return plan;
}

interface Reader {
  plan: ColumnPlan;
  /** Position of the value in a fetched row. */
  at: number;
  /** Metadata of the fetched column (the converted one, when wrapped). */
  fetched: OdbcColumn;
  /** Position of the original column when the value comes from a converted one. */
  original: number | null;
}

function readers(ctx: Context, plan: ColumnPlan[], columns: OdbcColumn[], wrapped: boolean): Reader[] {
  // Positions in a fetched row: see wrapQuery (the query as written: the plan's order).
  const kept = new Map<number, number>();
  if (wrapped) plan.forEach((p, i) => { if (keepsOriginal(p)) kept.set(i, kept.size); });
  let extra = kept.size;
  const out = plan.map((p, i): Reader => {
    if (!wrapped) return { plan: p, at: i, fetched: columns[i]!, original: null };
    const at = p.read === 'driver' ? kept.get(i)! : extra++;
    return { plan: p, at, fetched: columns[at]!, original: p.read === 'driver' ? null : kept.get(i) ?? null };
  });
  const expected = wrapped ? extra : plan.length;
  if (columns.length !== expected) {
    if (wrapped) throw new WrapFailed(`the wrapped query returned ${columns.length} columns instead of ${expected}`);
    throw new ExecutorError('AQ_SOURCE_FAILED', `${ctx.subject}: load_query returned ${columns.length} columns, but ${plan.length} were described`);
  }
  return out;
}

async function readOnce(ctx: Context, sql: string, known: ColumnPlan[] | null, wrapped: boolean, unwrappable: string | null): Promise<{ plan: ColumnPlan[]; rows: number }> {
  const { link, signal } = ctx;
  let cursor: OdbcCursor;
  try {
    cursor = await link.run(() => link.conn.query(sql, { cursor: true, fetchSize: FETCH_ROWS }));
  } catch (e) {
    if (isExecutorError(e)) throw e;
    if (wrapped) throw new WrapFailed(describeOdbcError(e, link.secrets));
    throw odbcFailure('AQ_SOURCE_FAILED', ctx.subject, 'load_query failed', e, link.secrets);
  }
  let appender: DuckDBAppender | null = null;
  let rows = 0;
  let plan = known;
  // The next block is fetched (by the driver, off the JavaScript thread) while this one is
  // appended: at most two blocks are held at once.
  const fetchBlock = () => link.call('fetching rows failed', () => cursor.fetch());
  let next: Promise<OdbcResult> | null = fetchBlock();
  try {
    let cols: Reader[] | null = null;
    while (next) {
      const block = await next;
      next = null;
      if (signal.aborted) throw cancelled();
      if (block.length > 0 && !cursor.noData) next = fetchBlock();
      if (!cols) {
        plan ??= directPlan(ctx, block.columns, unwrappable);
        cols = readers(ctx, plan, block.columns, wrapped);
        await createTable(ctx, plan);
        appender = await ctx.conn.createAppender(ctx.table);
      }
      const suspect = appendBlock(appender!, cols, block);
      if (suspect.length) {
        if (!wrapped && unwrappable !== null) {
          // Read as written: the only remedy left is long data for every text column.
          if (ctx.link.postgres && !ctx.textAsLong) throw new Escalate([]);
          throw truncationError(ctx, cols, suspect, unwrappable);
        }
        throw new Escalate(suspect);
      }
      rows += block.length;
    }
    appender!.flushSync();
    return { plan: plan!, rows };
  } finally {
    try { appender?.closeSync(); } catch { /* the load failed anyway */ }
    // A fetch still running must end before its cursor is closed.
    if (next) await (next as Promise<OdbcResult>).catch(() => {});
    await closeCursor(cursor);
  }
}

function truncationError(ctx: Context, cols: Reader[], suspect: number[], why: string): ExecutorError {
  const c = cols[suspect[0]!]!;
  return new ExecutorError(
    'AQ_SOURCE_FAILED',
    `${ctx.subject}: column "${c.plan.name}" has values longer than the driver's reported size (${c.fetched.columnSize}), which would be cut, ` +
      `and the query could not be wrapped to read it as long data (${why}); cast it in load_query to a long text or binary type`,
  );
}

const TRUE_TEXT = /^(1|t|true|y|yes|on)$/i;

/** Appends one fetched block; returns the plan positions of columns whose values may be cut. */
function appendBlock(app: DuckDBAppender, cols: Reader[], block: unknown[][]): number[] {
  const suspect = new Set<number>();
  for (const row of block) {
    for (let i = 0; i < cols.length; i++) {
      const c = cols[i]!;
      const v = row[c.at];
      if (c.original !== null) {
        // A converted column must agree with the original about NULLs (and, for long text,
        // start like the driver's possibly cut value): otherwise the wrapper read something else.
        const o = row[c.original];
        if ((o === null || o === undefined) !== (v === null || v === undefined)) throw new WrapFailed(`the converted column for "${c.plan.name}" disagrees with the original`);
        if (c.plan.read === 'long' && typeof o === 'string' && typeof v === 'string' && !v.startsWith(o.slice(0, -1).trimEnd())) {
          throw new WrapFailed(`the long-text column for "${c.plan.name}" disagrees with the original`);
        }
      }
      if (v === null || v === undefined) {
        app.appendNull();
        continue;
      }
      // Checked in every mode: a driver may report a converted "long" column with a size too
      // (SQLite's CAST(x AS BLOB) is BINARY(255)); the caller then refuses the column.
      if (mayBeTruncated(c.fetched, v)) suspect.add(i);
      switch (c.plan.append) {
        case 'boolean': app.appendBoolean(typeof v === 'string' ? TRUE_TEXT.test(v.trim()) : Boolean(v)); break;
        case 'smallint': app.appendSmallInt(Number(v)); break;
        case 'integer': app.appendInteger(Number(v)); break;
        case 'bigint': app.appendBigInt(typeof v === 'bigint' ? v : BigInt(v as string | number)); break;
        case 'double': app.appendDouble(Number(v)); break;
        case 'blob': app.appendBlob(v instanceof ArrayBuffer ? new Uint8Array(v) : ArrayBuffer.isView(v) ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : Buffer.from(String(v))); break;
        case 'varchar': app.appendVarchar(typeof v === 'string' ? v : String(v)); break;
      }
    }
    app.endRow();
  }
  return [...suspect];
}

async function createTable(ctx: Context, plan: ColumnPlan[]): Promise<void> {
  const cols = plan.map((c) => `${quoteIdent(c.name)} ${STAGING_TYPE[c.append]}`).join(', ');
  try {
    await ctx.conn.run(`CREATE TABLE ${quoteIdent(ctx.table)} (${cols})`);
  } catch (e) {
    throw new ExecutorError('AQ_SOURCE_FAILED', `${ctx.subject}: could not create its table: ${(e as Error).message}`, { cause: e });
  }
}

/** Gives text-staged columns their DuckDB types. */
async function finalize(ctx: Context, plan: ColumnPlan[]): Promise<void> {
  const { conn, subject } = ctx;
  const table = quoteIdent(ctx.table);
  for (const c of plan) {
    if (!c.cast) continue;
    const col = quoteIdent(c.name);
    let type: string;
    if (c.cast.to === 'timestamp') {
      const r = await conn.runAndReadAll(`SELECT bool_or(regexp_matches(${col}, $1)) FROM ${table}`, [ZONED_TIMESTAMP_RE]);
      type = r.getRows()[0]![0] === true ? 'TIMESTAMP WITH TIME ZONE' : 'TIMESTAMP';
    } else if (c.cast.to === 'decimal') {
      const r = await conn.runAndReadAll(
        `SELECT count(${col}), bool_and(regexp_full_match(trim(${col}), '[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)')),
                max(length(ltrim(split_part(ltrim(trim(${col}), '+-'), '.', 1), '0'))),
                max(length(rtrim(split_part(trim(${col}), '.', 2), '0')))
         FROM ${table}`,
      );
      const [n, plain, intDigits, fracDigits] = r.getRows()[0]!;
      const stats = Number(n) === 0 ? null : { plain: plain === true, integerDigits: Number(intDigits ?? 0), fractionDigits: Number(fracDigits ?? 0) };
      const choice = chooseDecimal(c.cast.precision, c.cast.scale, stats);
      if (choice.note) ctx.report(choice.type === 'DOUBLE' ? 'warn' : 'info', `${subject}: column "${c.name}" ${choice.note}`);
      type = choice.type;
    } else {
      type = c.cast.to;
    }
    try {
      await conn.run(`ALTER TABLE ${table} ALTER COLUMN ${col} TYPE ${type} USING CAST(${col} AS ${type})`);
    } catch (e) {
      throw new ExecutorError('AQ_SOURCE_FAILED', `${subject}: column "${c.name}": could not convert its values to ${type}: ${(e as Error).message.split('\n')[0]}`, { cause: e });
    }
  }
}

async function dropTable(ctx: Context): Promise<void> {
  try {
    await ctx.conn.run(`DROP TABLE IF EXISTS ${quoteIdent(ctx.table)}`);
  } catch { /* the session is closing */ }
}

async function closeCursor(cursor: OdbcCursor): Promise<void> {
  try { await cursor.close(); } catch { /* already closed, or the connection is gone */ }
}
