/**
 * What the engine needs to know about a stage's SQL to decide whether it can be fused (see
 * fusion-plan.ts), read from DuckDB's own parse tree (`json_serialize_sql`, which parses without
 * binding): the relations it reads and how often, the common table expressions it defines, and
 * whether it calls a function that is not deterministic or that reads the engine's own state.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { ENGINE_STATE_SCHEMAS, isNondeterministic, readsEngineState } from './fusion-rules.js';
import { serializeSql } from './sql/check.js';

export interface StageTraits {
  /** Relations read by name (lower case), with the number of times each is named. */
  reads: Map<string, number>;
  /** Names of the common table expressions the query defines (lower case). */
  ctes: Set<string>;
  /** The first function found whose result may change between evaluations, if any. */
  nondeterministic: string | null;
  /** The first function or schema found that reads the engine's state or names relations by text, if any. */
  engineState: string | null;
}

/** The traits of a query (a run has the parse tree already: traitsOfTree). */
export async function stageTraits(conn: DuckDBConnection, sql: string): Promise<StageTraits> {
  return traitsOfTree(JSON.parse(await serializeSql(conn, sql)) as unknown);
}

/** The traits of a serialized parse tree (exported for tests). */
export function traitsOfTree(tree: unknown): StageTraits {
  const traits: StageTraits = { reads: new Map(), ctes: new Set(), nondeterministic: null, engineState: null };
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    const o = n as Record<string, unknown>;
    if (o.type === 'BASE_TABLE' && typeof o.table_name === 'string') {
      const name = o.table_name.toLowerCase();
      traits.reads.set(name, (traits.reads.get(name) ?? 0) + 1);
      for (const scope of [o.schema_name, o.catalog_name]) {
        if (typeof scope === 'string' && ENGINE_STATE_SCHEMAS.has(scope.toLowerCase())) traits.engineState ??= `${scope}.${o.table_name}`;
      }
    }
    if (o.class === 'FUNCTION' && typeof o.function_name === 'string') {
      if (isNondeterministic(o.function_name)) traits.nondeterministic ??= o.function_name;
      if (readsEngineState(o.function_name)) traits.engineState ??= o.function_name;
    }
    // current_timestamp, current_date, ... without parentheses parse as column names.
    if (o.class === 'COLUMN_REF' && Array.isArray(o.column_names) && o.column_names.length === 1) {
      const name = String(o.column_names[0]);
      if (isNondeterministic(name)) traits.nondeterministic ??= name;
    }
    const cteMap = o.cte_map as { map?: Array<{ key?: unknown }> } | undefined;
    for (const entry of cteMap?.map ?? []) if (typeof entry.key === 'string') traits.ctes.add(entry.key.toLowerCase());
    for (const v of Object.values(o)) walk(v);
  };
  walk(tree);
  return traits;
}
