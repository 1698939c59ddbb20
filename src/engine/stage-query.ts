/**
 * The query a stage's relation (table or view) holds: the stage's SQL, bound once under the
 * stage's name so that a binding error names the stage, with DataFusion's column conventions
 * applied inside the query itself (so no stored table is ever rewritten):
 * - an unaliased count(*) is named `count(*)` (DuckDB calls it `count_star()`);
 * - a HUGEINT (UHUGEINT) column, which DuckDB gives sum() of 64-bit integers and DataFusion does
 *   not, is cast back to BIGINT (UBIGINT); a value out of range fails the stage. Parquet could not
 *   hold it as an integer.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { relationColumns, type ColumnInfo } from './describe.js';
import { quoteIdent } from './sql-text.js';
import { tokenize } from './sql/tokens.js';

const NARROWED: Record<string, string> = { HUGEINT: 'BIGINT', UHUGEINT: 'UBIGINT' };

export interface BoundStage {
  /** What the relation is created from: the stage's SQL, or a SELECT over it applying the conventions. */
  query: string;
  /** The relation's columns (names and types after the conventions). */
  columns: ColumnInfo[];
}

/**
 * Binds `sql` as the view `name` and works out the stage's query. The view stays: the caller
 * replaces it with the stage's table or view.
 */
export async function bindStage(conn: DuckDBConnection, name: string, sql: string): Promise<BoundStage> {
  await conn.run(`CREATE VIEW ${quoteIdent(name)} AS ${sql}`);
  const bound = await relationColumns(conn, name);
  const renameCount = bound.some((c) => c.name === 'count_star()') && !bound.some((c) => c.name === 'count(*)');
  const columns = bound.map((c) => ({
    ...c,
    name: renameCount && c.name === 'count_star()' ? 'count(*)' : c.name,
    type: NARROWED[c.type] ?? c.type,
  }));
  if (columns.every((c, i) => c.name === bound[i]!.name && c.type === bound[i]!.type)) return { query: sql, columns };
  // The names DuckDB gave the columns (duplicates already made unique), by position.
  const names = bound.map((c) => quoteIdent(c.name)).join(', ');
  const select = bound.map((c, i) => {
    const to = columns[i]!;
    const value = to.type === c.type ? quoteIdent(c.name) : `CAST(${quoteIdent(c.name)} AS ${to.type})`;
    return value === quoteIdent(to.name) ? value : `${value} AS ${quoteIdent(to.name)}`;
  }).join(', ');
  return { query: `SELECT ${select} FROM (\n${subqueryBody(sql)}\n) AS __aq_stage(${names})`, columns };
}

/** The query without what may end it but cannot stand inside brackets: semicolons, trailing comments. */
export function subqueryBody(sql: string): string {
  const tokens = tokenize(sql);
  let end = tokens.length;
  while (end > 0) {
    const t = tokens[end - 1]!;
    if (t.kind !== 'space' && t.kind !== 'comment' && t.text !== ';') break;
    end--;
  }
  return tokens.slice(0, end).map((t) => t.text).join('');
}
