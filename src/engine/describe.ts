/** The columns of a relation or query, as DuckDB describes them. */
import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteIdent } from './sql-text.js';

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
 * The columns of a table or view of the run's database, read from the catalog: unlike DESCRIBE,
 * this does not bind a view again (binding a view binds every view and source under it; a CSV
 * source is sniffed each time). A view whose stored types still hold DuckDB's NULL type (a
 * column that is only NULL literals, which a query returns as INTEGER) is described instead.
 */
export async function relationColumns(conn: DuckDBConnection, name: string): Promise<ColumnInfo[]> {
  const r = await conn.runAndReadAll(
    "SELECT column_name, data_type, is_nullable FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'main' AND table_name = $1 ORDER BY column_index",
    [name],
  );
  const cols = r.getRowsJS().map(([column, type, nullable]) => ({ name: String(column), type: String(type), nullable: nullable !== false }));
  if (cols.length === 0 || cols.some((c) => c.type.includes('"NULL"'))) return describe(conn, quoteIdent(name));
  return cols;
}
