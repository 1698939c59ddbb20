/**
 * Stage SQL must be exactly one read-only query: SELECT, WITH, VALUES, a set operation or a
 * parenthesised query (DuckDB's FROM-first `FROM t` and `TABLE t` are queries too). The check uses
 * DuckDB's own parser through `json_serialize_sql`, which parses without binding (the tables the
 * query reads need not exist) and serializes only SELECT statements:
 * - a parse error comes back as {"error": true, "error_type": "parser", "position": "<offset>"},
 *   the offset counted in code points;
 * - any other statement kind as {"error": true, "error_type": "not implemented"};
 * - otherwise {"error": false, "statements": [...]}, one entry per statement.
 * Run it on the rewritten SQL (rewrite.ts), which is what DuckDB will execute; error positions
 * refer to that text.
 *
 * What this check does not stop: a query can still call table functions that reach files or the
 * network (read_csv('/etc/passwd'), read_parquet('s3://...'), glob(...)) or read the catalog
 * (duckdb_settings(), duckdb_secrets()). Those are blocked by the engine turning off external
 * access (`enable_external_access = false`, `lock_configuration = true`) once sources are
 * registered, not here.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { ExecutorError } from '../../core/errors.js';
import { quoteLiteral } from '../sql-text.js';
import { tokenize, TokenView } from './tokens.js';

/** First words of the statements that are queries. */
const QUERY_STARTS = new Set(['select', 'with', 'values', 'from', 'table']);
/** Statements DuckDB serializes as SELECT but that are not queries of data. */
const NOT_QUERIES = new Set(['describe', 'desc', 'show', 'summarize']);

interface Serialized {
  error: boolean;
  error_type?: string;
  error_message?: string;
  position?: string;
  statements?: unknown[];
}

/** The statement that asks DuckDB's parser about `$1`; its one row and column is the JSON text. */
export const SERIALIZE_SQL = 'SELECT CAST(json_serialize_sql(CAST($1 AS VARCHAR)) AS VARCHAR)';

/**
 * DuckDB's parse tree of `text` as JSON (`json_serialize_sql`; an error is a JSON object too). A
 * literal rather than a parameter, and the materialized result read in place: one round trip to
 * the engine instead of five (extract, prepare, execute, two fetches).
 */
export async function serializeSql(connection: DuckDBConnection, text: string): Promise<string> {
  const materialized = await connection.run(`SELECT CAST(json_serialize_sql(${quoteLiteral(text)}) AS VARCHAR)`);
  return String(materialized.chunkCount > 0 ? materialized.getChunk(0).getRows()[0]?.[0] : undefined);
}

/** Resolves when `sql` is exactly one read-only query; throws AQ_STAGE_SQL_REJECTED otherwise. */
export async function checkStageQuery(connection: DuckDBConnection, stageName: string, sql: string): Promise<void> {
  return checkSerializedQuery((text) => serializeSql(connection, text), stageName, sql);
}

/**
 * `checkStageQuery` with the parser reached through `serialize` (`SERIALIZE_SQL` run for one
 * text, its result as a string): the same verdicts from an instance without the compatibility
 * layer (`json_serialize_sql` parses with a parser of its own, which neither settings, macros nor
 * functions of the instance reach), which is what `aqueducts validate` uses.
 */
export async function checkSerializedQuery(serialize: (sql: string) => Promise<string>, stageName: string, sql: string): Promise<void> {
  const reject = (message: string, line?: number, column?: number): never => {
    const where = line === undefined ? '' : ` (line ${line}, column ${column})`;
    throw new ExecutorError('AQ_STAGE_SQL_REJECTED', `stage "${stageName}": ${message}${where}`, {
      diagnostics: [{ path: '', message, ...(line === undefined ? {} : { line, column }) }],
    });
  };

  const kinds = statementKinds(sql);
  const nonQuery = kinds.find((k) => !QUERY_STARTS.has(k));
  if (nonQuery !== undefined && NOT_QUERIES.has(nonQuery)) reject(onlyQueries(nonQuery));

  // The text goes to DuckDB as a C string, which would end at a NUL.
  if (sql.includes('\0')) reject('the query contains a NUL character');
  const result = JSON.parse(await serialize(sql)) as Serialized;

  if (result.error) {
    if (result.error_type === 'parser') {
      const pos = result.position === undefined ? undefined : lineAndColumn(sql, Number(result.position));
      reject(`SQL syntax error: ${result.error_message ?? 'the query does not parse'}`, pos?.line, pos?.column);
    }
    if (result.error_type === 'not implemented') reject(onlyQueries(nonQuery));
    reject(`SQL could not be checked: ${result.error_message ?? result.error_type ?? 'unknown error'}`);
  }
  const count = result.statements?.length ?? 0;
  if (count === 0) reject('the query is empty');
  if (count > 1) reject(`exactly one query is allowed; found ${count} statements`);
  if (nonQuery !== undefined) reject(onlyQueries(nonQuery));
}

function onlyQueries(kind: string | undefined): string {
  const allowed = 'only queries (SELECT, WITH, VALUES, set operations) are allowed';
  if (kind === undefined || !/^[a-z_]+$/.test(kind)) return `${allowed}; found a statement that is not a query`;
  const name = kind.toUpperCase();
  return `${allowed}; found ${/^([AEIO]|U(?!SE))/.test(name) ? 'an' : 'a'} ${name} statement`;
}

/** Words that tell a WITH ... statement is not a query. */
const DML = new Set(['insert', 'update', 'delete', 'merge', 'copy']);

/**
 * The kind of each statement, by its first word after comments and opening brackets ('with' is
 * refined to the DML verb that follows the common table expressions, if any).
 */
export function statementKinds(sql: string): string[] {
  const v = new TokenView(tokenize(sql));
  const kinds: string[] = [];
  let start = 0;
  for (let p = 0; p <= v.length; p++) {
    if (p < v.length && !v.is(p, ';')) {
      const partner = v.partnerOf(p);
      if (partner !== undefined && partner > p) p = partner;
      continue;
    }
    let first = start;
    while (v.is(first, '(')) first++;
    if (first < p) {
      let kind = v.word(first) || v.text(first).toLowerCase();
      if (kind === 'with') {
        for (let q = first + 1; q < p; q++) {
          const partner = v.partnerOf(q);
          if (partner !== undefined && partner > q) { q = partner; continue; }
          if (DML.has(v.word(q))) { kind = v.word(q); break; }
        }
      }
      kinds.push(kind);
    }
    start = p + 1;
  }
  return kinds;
}

/** 1-based line and column of a parser position (DuckDB counts Unicode code points). */
function lineAndColumn(sql: string, position: number): { line: number; column: number } {
  const lines = Array.from(sql).slice(0, Math.max(0, position)).join('').split('\n');
  return { line: lines.length, column: Array.from(lines.at(-1) ?? '').length + 1 };
}
