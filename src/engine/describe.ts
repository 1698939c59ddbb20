/** The columns of a relation or query, as DuckDB describes them. */
import type { DuckDBConnection } from '@duckdb/node-api';

export interface ColumnInfo { name: string; type: string; nullable: boolean }

export async function describe(conn: DuckDBConnection, relation: string): Promise<ColumnInfo[]> {
  const r = await conn.runAndReadAll(`DESCRIBE ${relation}`);
  return r.getRowObjectsJS().map((row) => ({
    name: String(row.column_name),
    type: String(row.column_type),
    nullable: String(row.null) !== 'NO',
  }));
}
