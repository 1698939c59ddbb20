/**
 * Running one stage: its (compatibility-rewritten) query becomes a relation named after the
 * stage, a table holding its result or, when the stage is fused (fusion-plan.ts), a view computed
 * by the query that reads it; `explain`, `explain_analyze`, `print_schema` and `show` produce stage
 * outputs.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Stage } from '../pipeline/types.js';
import type { StageOutput, StageOutputKind } from '../core/run-events.js';
import { classifyEngineError, interruptible } from './session.js';
import { clientString } from '../core/client-value.js';
import { boundCell, boundedCellsQuery, CELL_MAX_CHARS, cutNote, formatTable, OUTPUT_MAX_CHARS, type Cell } from './table-format.js';
import { quoteIdent } from './sql-text.js';
import { duckDbTypeToDataType } from './type-names.js';
import { describe, type ColumnInfo } from './describe.js';
import { bindStage } from './stage-query.js';
import type { StageRelation } from './fusion-plan.js';

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

export { describe, relationColumns, type ColumnInfo } from './describe.js';

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

/** How a stage is named in messages: a long name (the client's) shows only its beginning. */
export function stageSubject(name: string): string {
  return name.length <= 100 ? `stage "${name}"` : `stage ${clientString(name, 'json', 100)}`;
}

export interface StageRun {
  conn: DuckDBConnection;
  stage: Stage;
  /** The stage's query after the compatibility rewrite. */
  sql: string;
  /** A table holds the stage's rows; a view is computed by the query that reads it (fusion-plan.ts). */
  relation: StageRelation;
  signal: AbortSignal;
  emitOutput: (o: StageOutput) => void;
  /**
   * Called when the stage's query fails while computing fused views (not when it runs out of
   * memory or is cancelled): stores them as tables, a failure naming the stage it is in. When it
   * returns true, the stage's query is run once more, now reading those tables.
   */
  fallback?: () => Promise<boolean>;
}

/**
 * Creates the stage's relation (a table holding its result, or a view) and produces its outputs.
 * The query is bound first, as a view of the stage's name, so that an error in binding names the
 * stage even when it is fused. Errors name the stage. Returns the query the relation holds.
 */
export async function runStage(run: StageRun): Promise<string> {
  const { conn, stage, sql, signal, emitOutput } = run;
  const table = quoteIdent(stage.name);
  const retried = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (e) {
      if (signal.aborted || !run.fallback || classifyEngineError(e, 'AQ_STAGE_FAILED', '').code !== 'AQ_STAGE_FAILED') throw e;
      if (!(await run.fallback())) throw e;
      return work();
    }
  };
  try {
    return await interruptible(conn, signal, async () => {
      const { query, columns } = await bindStage(conn, stage.name, sql);
      if (run.relation === 'view') {
        if (query !== sql) await conn.run(`CREATE OR REPLACE VIEW ${table} AS ${query}`);
        if (stage.explain) emitOutput(stageOutput(stage.name, 'explain', await planText(conn, `EXPLAIN ${sql}`)));
      } else {
        await conn.run(`DROP VIEW ${table}`);
        if (stage.explain_analyze) {
          const text = await retried(() => planText(conn, `EXPLAIN ANALYZE CREATE TABLE ${table} AS ${query}`));
          emitOutput(stageOutput(stage.name, 'explain_analyze', text));
        } else {
          if (stage.explain) emitOutput(stageOutput(stage.name, 'explain', await planText(conn, `EXPLAIN ${sql}`)));
          await retried(() => conn.run(`CREATE TABLE ${table} AS ${query}`));
        }
      }
      if (stage.print_schema) emitOutput(stageOutput(stage.name, 'print_schema', schemaText(columns)));
      if (stage.show !== null) {
        const all = stage.show === 0;
        const text = await tableText(conn, stage.name, all ? SHOW_ALL_CAP : stage.show);
        emitOutput(stageOutput(stage.name, all ? 'show' : 'show_limit', text));
      }
      return query;
    });
  } catch (e) {
    throw classifyEngineError(e, 'AQ_STAGE_FAILED', stageSubject(stage.name));
  }
}
