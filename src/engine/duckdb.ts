/**
 * The values of @duckdb/node-api, loaded with `require`. The package is CommonJS: an ESM `import`
 * of it first reads and scans the ~180 modules its index re-exports to learn their names, which
 * costs about as much again as loading it (0.1–0.15 s, measured; docs/architecture.md,
 * "Start-up"). Modules of `src/` take DuckDB's values from here and its types from the package
 * (`import type`); this module gives both for the names it exports. `DuckDBTypeId` alone comes
 * from duckdb-type-id.ts, and `aqueducts validate` reaches DuckDB's parser without this package
 * (sql-parser.ts).
 */
import { createRequire } from 'node:module';
import type * as Api from '@duckdb/node-api';

const api = createRequire(import.meta.url)('@duckdb/node-api') as typeof Api;

export const { ANY, BLOB, DuckDBBlobValue, DuckDBInstance, DuckDBScalarFunction } = api;
export type DuckDBBlobValue = Api.DuckDBBlobValue;
export type DuckDBInstance = Api.DuckDBInstance;
export type DuckDBScalarFunction = Api.DuckDBScalarFunction;
