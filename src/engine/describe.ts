/** The columns of a relation or query, as DuckDB describes them. */
import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteIdent, quoteLiteral } from './sql-text.js';

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
 * The columns of a table or view of the run's database, read from its catalog entry: unlike
 * DESCRIBE, this does not bind a view again (binding a view binds every view and source under
 * it). `pragma_table_info` looks the one entry up; `duckdb_columns()` would list every column of
 * the catalog, system views included, several times slower (a few milliseconds of every short
 * run). A view whose stored types still hold DuckDB's NULL type (a column that is only NULL
 * literals, which a query returns as INTEGER) is described instead.
 */
export async function relationColumns(conn: DuckDBConnection, name: string): Promise<ColumnInfo[]> {
  // pragma_table_info takes a qualified name as text, and does not read a doubled quote back.
  const r = await (name.includes('"')
    ? conn.runAndReadAll(
      "SELECT column_name, data_type, is_nullable FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'main' AND table_name = $1 ORDER BY column_index",
      [name],
    )
    // Qualified with the database: `main.x` alone would find a temporary table first.
    : conn.runAndReadAll(`SELECT name, type, NOT "notnull" FROM pragma_table_info(current_database() || ${quoteLiteral(`.main.${quoteIdent(name)}`)}) ORDER BY cid`).catch(() => null));
  if (r === null) return describe(conn, quoteIdent(name));
  const cols = r.getRowsJS().map(([column, type, nullable]) => ({ name: String(column), type: String(type), nullable: nullable !== false }));
  if (cols.length === 0 || cols.some((c) => c.type.includes('"NULL"'))) return describe(conn, quoteIdent(name));
  return cols;
}
