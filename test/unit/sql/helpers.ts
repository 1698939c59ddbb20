/** Helpers for the SQL compatibility tests: a real DuckDB with the compatibility layer applied. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { applySqlCompat } from '../../../src/engine/sql/compat.js';

export { REPO, UPSTREAM } from '../../support/paths.js';
import { REPO, UPSTREAM } from '../../support/paths.js';

export interface CompatDb {
  instance: DuckDBInstance;
  conn: DuckDBConnection;
  /** Rows of a query as JSON values (numbers beyond 2^53 and BIGINTs come back as strings). */
  rows(sql: string): Promise<unknown[][]>;
  /** The first cell of a query's first row, as a JSON value. */
  value(sql: string): Promise<unknown>;
  /** The DuckDB types of a query's columns. */
  types(sql: string): Promise<string[]>;
  close(): void;
}

/** A new in-memory instance, one connection, applySqlCompat applied. */
export async function openCompatDb(): Promise<CompatDb> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  await applySqlCompat(conn);
  const rows = async (sql: string) => (await conn.runAndReadAll(sql)).getRowsJson() as unknown[][];
  return {
    instance,
    conn,
    rows,
    value: async (sql) => (await rows(sql))[0]?.[0],
    types: async (sql) => (await conn.runAndReadAll(sql)).columnTypes().map(String),
    close: () => {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

/** The message of a rejected promise. */
export async function errorOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  throw new Error('expected a failure');
}
