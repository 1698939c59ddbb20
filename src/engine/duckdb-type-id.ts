/**
 * DuckDB's type ids (@duckdb/node-api's `DuckDBTypeId`), required from the one module of the
 * package that defines them: code that only compares type ids (the Delta schema mapping, which
 * `aqueducts validate` loads) does not load the rest of the package (see duckdb.ts). It is the
 * same object the package exports.
 */
import { createRequire } from 'node:module';
import type * as Api from '@duckdb/node-api';

export const { DuckDBTypeId } = createRequire(import.meta.url)('@duckdb/node-api/lib/DuckDBTypeId.js') as { DuckDBTypeId: typeof Api.DuckDBTypeId };
export type DuckDBTypeId = Api.DuckDBTypeId;
