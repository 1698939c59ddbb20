/**
 * What keeps a stage from being fused into the stage that reads it (see fusion-plan.ts): function
 * names checked against the stage's parse tree. The lists are this DuckDB version's, with the SQL
 * compatibility layer's macros; test/unit/engine/fusion-rules.test.ts derives them again from the
 * engine's own catalogue and fails when a name is missing here.
 */

/**
 * Functions whose result may differ between two evaluations of the same query: DuckDB's
 * VOLATILE and CONSISTENT_WITHIN_QUERY functions (random(), uuid(), now(), nextval(), ...),
 * `error()` (VOLATILE to DuckDB: a stage that checks its rows with it is always computed whole),
 * every macro whose definition names one of them, and the keywords that bind to them without
 * parentheses (`current_timestamp`). Lower case.
 */
export const NONDETERMINISTIC_FUNCTIONS: ReadonlySet<string> = new Set([
  'ago', 'aq_arrow_scalar_type', 'aq_arrow_type', 'arrow_typeof', 'current_catalog', 'current_connection_id',
  'current_database', 'current_date', 'current_query', 'current_query_id', 'current_schema',
  'current_schemas', 'current_time', 'current_timestamp', 'current_transaction_id', 'currval',
  'decode', 'digest', 'encode', 'error', 'gen_random_uuid', 'get_current_time', 'get_current_timestamp',
  'histogram', 'histogram_values', 'in_search_path', 'json_group_object', 'list_histogram', 'localtime',
  'localtimestamp', 'nextval', 'now', 'pg_conf_load_time', 'pg_postmaster_start_time', 'pg_sleep', 'random',
  'regexp_instr', 'setseed', 'sleep_ms', 'stats', 'today', 'transaction_timestamp', 'txid_current',
  'unnest_json_array', 'uuid', 'uuidv4', 'uuidv7', 'write_log',
]);

/**
 * Functions that read the engine's own state (the catalog, settings, memory, logs) or name a
 * relation by text (`query_table('a')`), and the macros that call them: with them in any stage,
 * which stage reads which cannot be told from the parse tree, and a stage's view would show in the
 * catalog where its table did, so nothing in the pipeline is fused.
 */
export const ENGINE_STATE_FUNCTIONS: ReadonlySet<string> = new Set([
  'check_peg_parser', 'checkpoint', 'disable_logging', 'disable_peg_parser', 'disable_profiling',
  'enable_logging', 'enable_peg_parser', 'enable_profiling', 'force_checkpoint', 'format_type',
  'json_execute_serialized_sql', 'pg_get_constraintdef', 'pg_get_viewdef', 'query', 'query_table', 'seq_scan',
  'sql_auto_complete', 'summary', 'truncate_duckdb_logs', 'which_secret',
]);

/** Prefixes of the engine's catalog and state functions (duckdb_tables(), pragma_table_info(), ...). */
export const ENGINE_STATE_PREFIXES: readonly string[] = ['duckdb_', 'pragma_'];

/** Schemas and catalogs of the engine's own views (information_schema.tables, pg_catalog.pg_class, system.main.x). */
export const ENGINE_STATE_SCHEMAS: ReadonlySet<string> = new Set(['information_schema', 'pg_catalog', 'system', 'temp']);

export function isNondeterministic(fn: string): boolean {
  return NONDETERMINISTIC_FUNCTIONS.has(fn.toLowerCase());
}

export function readsEngineState(fn: string): boolean {
  const name = fn.toLowerCase();
  return ENGINE_STATE_FUNCTIONS.has(name) || ENGINE_STATE_PREFIXES.some((p) => name.startsWith(p));
}
