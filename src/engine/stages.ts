/**
 * Running one stage: its (compatibility-rewritten) query is materialised as a table named after
 * the stage; `explain`, `explain_analyze`, `print_schema` and `show` produce stage outputs.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Stage } from '../pipeline/types.js';
import type { StageOutput, StageOutputKind } from '../core/run-events.js';
import { classifyEngineError, interruptible } from './session.js';
import { clientString } from '../core/client-value.js';
import { boundCell, boundedCellsQuery, CELL_MAX_CHARS, cutNote, formatTable, OUTPUT_MAX_CHARS, type Cell } from './table-format.js';
import { quoteIdent } from './sql-text.js';
import { duckDbTypeToDataType } from './type-names.js';

/** `show: 0` means all rows, capped here (docs/protocol.md). */
export const SHOW_ALL_CAP = 500;

const RULE = '───────────────────────────────────────';

const TITLES: Record<StageOutputKind, string> = {
  show: '📋 Table Data',
  show_limit: '📋 Table Data (Preview)',
  explain: '🔍 Query Plan',
  explain_analyze: '📊 Query Metrics',
  print_schema: '🔢 Schema',
};

export function stageOutput(stageName: string, kind: StageOutputKind, body: string): StageOutput {
  return { stageName, kind, header: `\n${TITLES[kind]}: ${stageName}\n${RULE}\n`, body, footer: '' };
}

export interface ColumnInfo { name: string; type: string; nullable: boolean }

export async function describe(conn: DuckDBConnection, relation: string): Promise<ColumnInfo[]> {
  const r = await conn.runAndReadAll(`DESCRIBE ${relation}`);
  return r.getRowObjectsJS().map((row) => ({
    name: String(row.column_name),
    type: String(row.column_type),
    nullable: String(row.null) !== 'NO',
  }));
}

/**
 * A plan as a table. EXPLAIN cannot be read through a query, so its text comes whole (it grows
 * with the stage's SQL, which the frame size bounds) and is cut here.
 */
async function planText(conn: DuckDBConnection, sql: string): Promise<string> {
  const r = await conn.runAndReadAll(sql);
  const rows = r.getRowsJS().map((row) => row.map((v) => (v === null ? null : boundCell(String(v), OUTPUT_MAX_CHARS))));
  return formatTable(['plan_type', 'plan'], rows as Cell[][], { maxChars: OUTPUT_MAX_CHARS });
}

/**
 * Renders up to `limit` rows of a table as a bordered text table, bounded whatever the table
 * holds: every cell is cut to CELL_MAX_CHARS inside the engine, and only the rows whose cells fit
 * in OUTPUT_MAX_CHARS are read (when they might not, their sizes are measured first, in the
 * engine). A table cut short ends with a line saying so.
 */
export async function tableText(conn: DuckDBConnection, table: string, limit: number): Promise<string> {
  const cols = await describe(conn, quoteIdent(table));
  if (cols.length === 0) return formatTable([], []);
  const source = quoteIdent(table);
  const columns = cols.map((c) => ({ ident: quoteIdent(c.name), type: c.type }));
  // A row takes at least `| x |` per column and a line break: rows past this many cannot fit.
  const perRow = 3 * cols.length + 2;
  const candidates = Math.min(limit, Math.floor(OUTPUT_MAX_CHARS / perRow) + 1);
  let rows = candidates;
  let more = candidates < limit;
  if (candidates * cols.length * (CELL_MAX_CHARS + 40) > OUTPUT_MAX_CHARS) {
    const lengths = cols.map((_, i) => `length(c${i})`).join(', ');
    const sizes = await conn.runAndReadAll(`SELECT CAST(coalesce(list_sum([${lengths}]), 0) AS DOUBLE) FROM (${boundedCellsQuery(source, columns, candidates)})`);
    let total = 0;
    rows = 0;
    for (const [size] of sizes.getRowsJS()) {
      total += Number(size) + perRow;
      if (total > OUTPUT_MAX_CHARS) break;
      rows++;
    }
    if (rows < sizes.currentRowCount) more = true;
  }
  const r = await conn.runAndReadAll(boundedCellsQuery(source, columns, rows));
  const cells = r.getRowsJS().map((row) => row.map((v) => (v === null || v === undefined ? null : String(v))));
  const text = formatTable(cols.map((c) => boundCell(c.name)), cells, { maxChars: OUTPUT_MAX_CHARS });
  return more && !text.endsWith(cutNote()) ? `${text}\n${cutNote()}` : text;
}

export function schemaText(cols: ColumnInfo[]): string {
  return formatTable(
    ['column_name', 'data_type', 'nullable'],
    cols.map((c) => [boundCell(c.name), boundCell(duckDbTypeToDataType(c.type)), String(c.nullable)]),
    { maxChars: OUTPUT_MAX_CHARS },
  );
}

/**
 * Materialises the stage and produces its outputs. `sql` is the stage query after the
 * compatibility rewrite. Errors name the stage.
 */
export async function runStage(
  conn: DuckDBConnection,
  stage: Stage,
  sql: string,
  signal: AbortSignal,
  emitOutput: (o: StageOutput) => void,
): Promise<void> {
  // Stage names are the client's: a long one shows only its beginning in messages.
  const subject = stage.name.length <= 100 ? `stage "${stage.name}"` : `stage ${clientString(stage.name, 'json', 100)}`;
  const table = quoteIdent(stage.name);
  try {
    await interruptible(conn, signal, async () => {
      if (stage.explain_analyze) {
        const text = await planText(conn, `EXPLAIN ANALYZE CREATE TABLE ${table} AS ${sql}`);
        emitOutput(stageOutput(stage.name, 'explain_analyze', text));
      } else {
        if (stage.explain) emitOutput(stageOutput(stage.name, 'explain', await planText(conn, `EXPLAIN ${sql}`)));
        await conn.run(`CREATE TABLE ${table} AS ${sql}`);
      }
      const cols = await describe(conn, table);
      // DataFusion names an unaliased count(*) `count(*)`; DuckDB calls it `count_star()`.
      if (cols.some((c) => c.name === 'count_star()') && !cols.some((c) => c.name === 'count(*)')) {
        await conn.run(`ALTER TABLE ${table} RENAME COLUMN "count_star()" TO "count(*)"`);
        for (const c of cols) if (c.name === 'count_star()') c.name = 'count(*)';
      }
      // DataFusion sums 64-bit integers into a 64-bit integer; DuckDB widens to HUGEINT, which
      // parquet cannot hold (it would be written as DOUBLE). Narrow back; overflow is an error.
      for (const c of cols) {
        if (c.type === 'HUGEINT' || c.type === 'UHUGEINT') {
          const to = c.type === 'HUGEINT' ? 'BIGINT' : 'UBIGINT';
          await conn.run(`ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(c.name)} TYPE ${to}`);
          c.type = to;
        }
      }
      if (stage.print_schema) emitOutput(stageOutput(stage.name, 'print_schema', schemaText(cols)));
      if (stage.show !== null) {
        const all = stage.show === 0;
        const text = await tableText(conn, stage.name, all ? SHOW_ALL_CAP : stage.show);
        emitOutput(stageOutput(stage.name, all ? 'show' : 'show_limit', text));
      }
    });
  } catch (e) {
    throw classifyEngineError(e, 'AQ_STAGE_FAILED', subject);
  }
}

/** Table names a query reads (from DuckDB's parse tree), lower-cased. */
export async function referencedTables(conn: DuckDBConnection, sql: string): Promise<Set<string>> {
  const r = await conn.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [sql]);
  const tree = JSON.parse(String(r.getRowsJS()[0]![0])) as unknown;
  const names = new Set<string>();
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (n && typeof n === 'object') {
      const o = n as Record<string, unknown>;
      if (o.type === 'BASE_TABLE' && typeof o.table_name === 'string') names.add(o.table_name.toLowerCase());
      for (const v of Object.values(o)) walk(v);
    }
  };
  walk(tree);
  return names;
}
