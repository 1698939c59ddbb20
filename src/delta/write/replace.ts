/**
 * `replace` with `params` (column/value conditions, ANDed; none = the whole table), delta-rs's
 * overwrite with `replaceWhere`, in one commit:
 *
 * 1. every row to write must satisfy the condition (otherwise the write is refused, as delta-rs
 *    does), so the table afterwards holds exactly the new rows inside the condition;
 * 2. a condition on partition columns only removes the files whose partition values match,
 *    without reading them;
 * 3. otherwise the candidate files (those whose partition values can match) are scanned: a file
 *    with at least one matching row is removed, and its rows where the condition is not true are
 *    written again with the new rows (copy-on-write);
 * 4. the new rows are added.
 *
 * Condition values are strings typed by their column (`date: 2023-05-07` compares as a DATE).
 */
import type { DeltaWriteMode } from '../../pipeline/types.js';
import type { AddFile } from '../actions.js';
import { deltaError } from '../errors.js';
import { partitionLiteral, PartitionValueError } from '../partition-values.js';
import { quoteIdent } from '../sql.js';
import { writeDataFiles } from './data-files.js';
import {
  filesWhere, partitionByParameter, readVersionOf, refuseRemovesIfAppendOnly, removeOf, scanFiles, scanOf,
  type OperationInput, type Planned, type TableState,
} from './plan.js';
import { decodeAddPath } from '../paths.js';
import type { DeltaField } from '../schema.js';

type Conditions = Extract<DeltaWriteMode, { operation: 'replace' }>['params'];

export interface ReplaceCondition {
  field: DeltaField;
  literal: string;
  value: string;
}

/** The typed conditions; throws naming the column for an unknown column or a value not of its type. */
export function replaceConditions(state: TableState, params: Conditions): ReplaceCondition[] {
  const { table, version, schema } = state.shape;
  return params.map((p) => {
    const field = schema.fields.find((f) => f.name === p.column) ?? schema.fields.find((f) => f.name.toLowerCase() === p.column.toLowerCase());
    if (!field) throw deltaError('AQ_DESTINATION_FAILED', table, version, `replace condition on column "${p.column}", which the table does not have (columns: ${schema.fields.map((f) => f.name).join(', ')})`);
    try {
      return { field, literal: partitionLiteral(p.value, field.type), value: p.value };
    } catch (e) {
      if (e instanceof PartitionValueError) throw deltaError('AQ_DESTINATION_FAILED', table, version, `replace condition ${p.column} = '${p.value}': ${e.message.replace('partition value', 'value')}`);
      throw e;
    }
  });
}

function sqlOf(conds: ReplaceCondition[], alias = ''): string {
  if (conds.length === 0) return 'TRUE';
  return conds.map((c) => (c.literal.startsWith('CAST(NULL') ? `${alias}${quoteIdent(c.field.name)} IS NULL` : `${alias}${quoteIdent(c.field.name)} = ${c.literal}`)).join(' AND ');
}

/** The predicate as the original wrote it: `date = '2023-05-07' AND country = 'DE'`. */
export function predicateText(params: Conditions): string {
  return params.length === 0 ? 'true' : params.map((p) => `${p.column} = '${p.value}'`).join(' AND ');
}

export async function planReplace(input: OperationInput, params: Conditions): Promise<Planned> {
  const { env, state, select, written } = input;
  const started = Date.now();
  const conds = replaceConditions(state, params);
  const predicate = sqlOf(conds);
  const { table, version } = state.shape;

  const outside = await env.run(() => env.conn.runAndReadAll(`SELECT count(*) FROM (${select}) WHERE (${predicate}) IS NOT TRUE`));
  const bad = Number(outside.getRowsJS()[0]?.[0] ?? 0);
  if (bad > 0) {
    throw deltaError('AQ_DESTINATION_FAILED', table, version, `${bad} of the rows to write do not satisfy the replace condition ${predicateText(params)}; a replace writes only rows inside its condition`);
  }

  const partitionFields = state.shape.partitionColumns.map((c) => state.shape.schema.fields.find((f) => f.name === c)!);
  const onPartitions = conds.filter((c) => state.shape.partitionColumns.includes(c.field.name));
  const partitionPredicate = sqlOf(onPartitions);
  const partitionOnly = onPartitions.length === conds.length;

  const snapshot = state.snapshot;
  const active = snapshot ? [...snapshot.files.values()] : [];
  const candidateIdx = await env.run(() => filesWhere(env.conn, state, active, partitionFields, partitionPredicate));
  const candidates = active.filter((_, i) => candidateIdx.has(i));
  let removed: AddFile[] = [];
  let rows = select;
  let copied = 0;
  if (partitionOnly || !snapshot) {
    removed = candidates;
  } else if (candidates.length) {
    const files = await scanFiles(env, snapshot, candidates);
    const scan = await scanOf(env, snapshot, files, '__delta_source_file');
    const hits = await env.run(() =>
      env.conn.runAndReadAll(`SELECT "__delta_source_file", count(*) FILTER (WHERE ${predicate}) AS hit, count(*) FILTER (WHERE (${predicate}) IS NOT TRUE) AS keep FROM (${scan}) GROUP BY ALL`),
    );
    const byPath = new Map(files.map((f) => [f.path, f.add]));
    const touched = new Set<string>();
    for (const [file, hit, keep] of hits.getRowsJS()) {
      if (Number(hit) > 0) {
        touched.add(String(file));
        copied += Number(keep);
      }
    }
    removed = files.filter((f) => touched.has(f.path)).map((f) => byPath.get(f.path)!);
    if (copied > 0) {
      const kept = files.filter((f) => touched.has(f.path));
      const keptScan = await scanOf(env, snapshot, kept, '__delta_source_file');
      const cols = state.shape.schema.fields.map((f) => quoteIdent(f.name)).join(', ');
      rows = `(${select}) UNION ALL (SELECT ${cols} FROM (${keptScan}) WHERE (${predicate}) IS NOT TRUE)`;
    }
  }
  refuseRemovesIfAppendOnly(state, removed.length, 'this replace');

  const out = await writeDataFiles(env, state.shape, rows, written);
  const now = Date.now();
  const removes = removed.map((add) => removeOf(add, now));
  const key = (p: string) => decodeAddPath(p) ?? p;
  return {
    actions: [...removes.map((remove) => ({ kind: 'remove' as const, remove })), ...out.adds.map((add) => ({ kind: 'add' as const, add }))],
    operation: 'WRITE',
    parameters: { mode: 'Overwrite', partitionBy: partitionByParameter(state), predicate: predicateText(params) },
    metrics: {
      execution_time_ms: Date.now() - started,
      num_added_files: out.adds.length,
      num_added_rows: out.rows,
      num_copied_rows: copied,
      num_partitions: out.partitions,
      num_removed_files: removes.length,
    },
    scope: {
      readVersion: readVersionOf(state),
      readFiles: new Set(candidates.map((a) => key(a.path))),
      removes: new Set(removed.map((a) => key(a.path))),
      readsWholeTable: false,
      // No condition: a full overwrite, which lets concurrent appends stand.
      ...(conds.length
        ? {
            mayMatch: async (adds: AddFile[]) => {
              if (!partitionOnly) return adds.map(() => true);
              const hit = await filesWhere(env.conn, state, adds, partitionFields, partitionPredicate);
              return adds.map((_, i) => hit.has(i));
            },
          }
        : {}),
    },
  };
}
