/**
 * Running one stage: its (compatibility-rewritten) query is materialised as a table named after
 * the stage; `explain`, `explain_analyze`, `print_schema` and `show` produce stage outputs.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Stage } from '../pipeline/types.js';
import type { StageOutput, StageOutputKind } from '../core/run-events.js';
import { classifyEngineError, interruptible } from './session.js';
import { arrowTextExpression, formatTable, type Cell } from './table-format.js';
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

async function planText(conn: DuckDBConnection, sql: string): Promise<string> {
  const r = await conn.runAndReadAll(sql);
  const rows = r.getRowsJS().map((row) => row.map((v) => (v === null ? null : String(v))));
  return formatTable(['plan_type', 'plan'], rows as Cell[][]);
}

/** Renders up to `limit` rows of a table as a bordered text table. */
export async function tableText(conn: DuckDBConnection, table: string, limit: number): Promise<string> {
  const cols = await describe(conn, quoteIdent(table));
  if (cols.length === 0) return formatTable([], []);
  const select = cols.map((c, i) => `${arrowTextExpression(quoteIdent(c.name), c.type)} AS c${i}`).join(', ');
  const r = await conn.runAndReadAll(`SELECT ${select} FROM ${quoteIdent(table)} LIMIT ${limit}`);
  const rows = r.getRowsJS().map((row) => row.map((v) => (v === null || v === undefined ? null : String(v))));
  return formatTable(cols.map((c) => c.name), rows);
}

export function schemaText(cols: ColumnInfo[]): string {
  return formatTable(
    ['column_name', 'data_type', 'nullable'],
    cols.map((c) => [c.name, duckDbTypeToDataType(c.type), String(c.nullable)]),
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
  const subject = `stage "${stage.name}"`;
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
