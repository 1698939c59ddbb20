/**
 * `upsert` on key columns: delta-rs's MERGE with "when matched update all, when not matched
 * insert all", in one commit.
 *
 * Keys match with null-safe equality (`old.k = new.k OR (old.k IS NULL AND new.k IS NULL)`, the
 * predicate the original builds), so rows with null keys are upserted too, not duplicated.
 *
 * 1. Candidate files: when keys include partition columns, only files whose partition values
 *    equal those of some incoming row (then the transaction read only those); otherwise every file
 *    (it read the whole table).
 * 2. The candidates' rows are joined with the incoming rows. Several incoming rows matching one
 *    existing row is an error, not a silent pick (as delta-rs). Incoming rows whose key matches
 *    nothing are all inserted.
 * 3. A file with a matched row is removed and rewritten: its unmatched rows are copied, each
 *    matched row is replaced by the incoming row; untouched files stay. Inserted rows go to new files.
 * 4. No rows to write and no file touched: no commit.
 */
import { randomUUID } from 'node:crypto';
import type { AddFile } from '../actions.js';
import { deltaError } from '../errors.js';
import { decodeAddPath } from '../paths.js';
import { partitionLiteral, partitionValueExpression } from '../partition-values.js';
import { typeText, type DeltaField } from '../schema.js';
import { quoteIdent, quoteLiteral } from '../sql.js';
import { writeDataFiles } from './data-files.js';
import {
  filesWhere, partitionByParameter, readVersionOf, refuseRemovesIfAppendOnly, removeOf, scanFiles, scanOf,
  type OperationInput, type Planned, type TableState,
} from './plan.js';

const FILE = '__delta_source_file';

export function mergeKeys(state: TableState, keys: string[]): DeltaField[] {
  const { table, version, schema } = state.shape;
  if (keys.length === 0) throw deltaError('AQ_DESTINATION_FAILED', table, version, 'an upsert needs at least one key column (write_mode.params)');
  return keys.map((k) => {
    const f = schema.fields.find((x) => x.name === k) ?? schema.fields.find((x) => x.name.toLowerCase() === k.toLowerCase());
    if (!f) throw deltaError('AQ_DESTINATION_FAILED', table, version, `upsert key "${k}" is not a column of the table (columns: ${schema.fields.map((x) => x.name).join(', ')})`);
    if (f.type.kind !== 'primitive' && f.type.kind !== 'decimal') throw deltaError('AQ_DESTINATION_FAILED', table, version, `upsert key "${k}" is of type ${typeText(f.type)}; keys must be of a primitive type`);
    return f;
  });
}

/** The merge predicate as recorded in commitInfo. */
export function mergePredicateText(keys: DeltaField[]): string {
  return keys.map((k) => `(old.${k.name} = new.${k.name} OR (old.${k.name} IS NULL AND new.${k.name} IS NULL))`).join(' AND ');
}

export async function planMerge(input: OperationInput, keyNames: string[]): Promise<Planned> {
  const { env, state, select, written } = input;
  const { conn } = env;
  const started = Date.now();
  const keys = mergeKeys(state, keyNames);
  const id = randomUUID().replace(/-/g, '');
  const src = quoteIdent(`__delta_merge_source_${id}`);
  const tgt = quoteIdent(`__delta_merge_target_${id}`);
  const eq = keys.map((k) => `t.${quoteIdent(k.name)} IS NOT DISTINCT FROM s.${quoteIdent(k.name)}`).join(' AND ');
  const cols = state.shape.schema.fields.map((f) => quoteIdent(f.name));
  const count = async (sql: string) => Number((await env.run(() => conn.runAndReadAll(sql))).getRowsJS()[0]?.[0] ?? 0);
  const key = (p: string) => decodeAddPath(p) ?? p;
  try {
    await env.run(() => conn.run(`CREATE TEMP TABLE ${src} AS ${select}`));
    const sourceRows = await count(`SELECT count(*) FROM ${src}`);
    const snapshot = state.snapshot;
    const active = snapshot ? [...snapshot.files.values()] : [];
    const partitionKeys = keys.filter((k) => state.shape.partitionColumns.includes(k.name));
    const condition = partitionKeys.length ? await tupleCondition(env, src, partitionKeys) : 'TRUE';
    const candidateIdx = await env.run(() => filesWhere(conn, state, active, partitionKeys, condition));
    const candidates = active.filter((_, i) => candidateIdx.has(i));

    let removed: AddFile[] = [];
    let updated = 0;
    let copied = 0;
    let inserted = sourceRows;
    let rows = `SELECT ${cols.join(', ')} FROM ${src}`;
    if (snapshot && candidates.length) {
      const files = await scanFiles(env, snapshot, candidates);
      const scan = await scanOf(env, snapshot, files, FILE, true);
      await env.run(() => conn.run(`CREATE TEMP TABLE ${tgt} AS ${scan}`));
      const dup = (await env.run(() =>
        conn.runAndReadAll(`SELECT ${keys.map((k) => `CAST(t.${quoteIdent(k.name)} AS VARCHAR)`).join(', ')}, count(*) FROM ${tgt} AS t JOIN ${src} AS s ON ${eq} GROUP BY t.${FILE}, t.file_row_number, ${keys.map((k) => `t.${quoteIdent(k.name)}`).join(', ')} HAVING count(*) > 1 LIMIT 1`),
      )).getRowsJS()[0];
      if (dup) {
        const where = keys.map((k, i) => `${k.name}=${dup[i] === null ? 'NULL' : String(dup[i])}`).join(', ');
        throw deltaError(
          'AQ_DESTINATION_FAILED', state.shape.table, state.shape.version,
          `${String(dup[keys.length])} incoming rows match the same existing row (${where}); an upsert needs at most one incoming row per key of an existing row`,
        );
      }
      const touchedRows = (await env.run(() => conn.runAndReadAll(`SELECT DISTINCT t.${FILE} FROM ${tgt} AS t SEMI JOIN ${src} AS s ON ${eq}`))).getRowsJS();
      const touched = new Set(touchedRows.map((r) => String(r[0])));
      removed = files.filter((f) => touched.has(f.path)).map((f) => f.add);
      refuseRemovesIfAppendOnly(state, removed.length, 'this upsert');
      const inTouched = touched.size ? `t.${FILE} IN (${[...touched].map(quoteLiteral).join(', ')})` : 'FALSE';
      const sCols = cols.map((c) => `s.${c}`).join(', ');
      const tCols = cols.map((c) => `t.${c}`).join(', ');
      const updatedSql = `SELECT ${sCols} FROM ${tgt} AS t JOIN ${src} AS s ON ${eq}`;
      const insertedSql = `SELECT ${sCols} FROM ${src} AS s ANTI JOIN ${tgt} AS t ON ${eq}`;
      const copiedSql = `SELECT ${tCols} FROM ${tgt} AS t ANTI JOIN ${src} AS s ON ${eq} WHERE ${inTouched}`;
      updated = await count(`SELECT count(*) FROM (${updatedSql})`);
      inserted = await count(`SELECT count(*) FROM (${insertedSql})`);
      copied = await count(`SELECT count(*) FROM (${copiedSql})`);
      rows = `(${updatedSql}) UNION ALL (${insertedSql}) UNION ALL (${copiedSql})`;
    }
    if (removed.length === 0 && inserted === 0) return noChange(state, started, sourceRows, candidates.length, active.length, keys);

    const out = await writeDataFiles(env, state.shape, rows, written);
    const now = Date.now();
    const mergePredicate = mergePredicateText(keys);
    return {
      actions: [...removed.map((a) => ({ kind: 'remove' as const, remove: removeOf(a, now) })), ...out.adds.map((add) => ({ kind: 'add' as const, add }))],
      operation: 'MERGE',
      parameters: {
        predicate: mergePredicate,
        mergePredicate,
        matchedPredicates: '[{"actionType":"update"}]',
        notMatchedPredicates: '[{"actionType":"insert"}]',
        notMatchedBySourcePredicates: '[]',
        partitionBy: partitionByParameter(state),
      },
      metrics: {
        num_source_rows: sourceRows,
        num_target_rows_inserted: inserted,
        num_target_rows_updated: updated,
        num_target_rows_deleted: 0,
        num_target_rows_copied: copied,
        num_output_rows: out.rows,
        num_target_files_scanned: candidates.length,
        num_target_files_skipped_during_scan: active.length - candidates.length,
        num_target_files_added: out.adds.length,
        num_target_files_removed: removed.length,
        execution_time_ms: Date.now() - started,
      },
      scope: {
        readVersion: readVersionOf(state),
        readFiles: new Set(candidates.map((a) => key(a.path))),
        removes: new Set(removed.map((a) => key(a.path))),
        readsWholeTable: partitionKeys.length === 0 && !!snapshot,
        ...(partitionKeys.length
          ? {
              mayMatch: async (adds: AddFile[]) => {
                const hit = await filesWhere(conn, state, adds, partitionKeys, condition);
                return adds.map((_, i) => hit.has(i));
              },
            }
          : {}),
      },
    };
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${src}; DROP TABLE IF EXISTS ${tgt}`).catch(() => {});
  }
}

/**
 * `EXISTS (SELECT 1 FROM (VALUES ...) s WHERE f.k IS NOT DISTINCT FROM s.k ...)` over the distinct
 * partition-key tuples of the incoming rows, as typed literals (the condition outlives the
 * incoming rows' temporary table: it is evaluated again on concurrently added files).
 */
async function tupleCondition(env: OperationInput['env'], src: string, partitionKeys: DeltaField[]): Promise<string> {
  const list = partitionKeys.map((k) => quoteIdent(k.name)).join(', ');
  const serialised = partitionKeys.map((k) => partitionValueExpression(quoteIdent(k.name), k.type)).join(', ');
  const tuples = (await env.run(() => env.conn.runAndReadAll(`SELECT DISTINCT ${serialised} FROM (SELECT DISTINCT ${list} FROM ${src})`))).getRowsJS();
  if (tuples.length === 0) return 'FALSE';
  const rows = tuples.map((t) => `(${partitionKeys.map((k, i) => partitionLiteral(t[i] === null || t[i] === undefined ? null : String(t[i]), k.type)).join(', ')})`);
  const match = partitionKeys.map((k) => `f.${quoteIdent(k.name)} IS NOT DISTINCT FROM s.${quoteIdent(k.name)}`).join(' AND ');
  return `EXISTS (SELECT 1 FROM (VALUES ${rows.join(', ')}) AS s(${list}) WHERE ${match})`;
}

function noChange(state: TableState, started: number, sourceRows: number, scanned: number, total: number, keys: DeltaField[]): Planned {
  return {
    actions: [],
    operation: 'MERGE',
    parameters: { predicate: mergePredicateText(keys) },
    metrics: { num_source_rows: sourceRows, num_target_files_scanned: scanned, num_target_files_skipped_during_scan: total - scanned, execution_time_ms: Date.now() - started },
    scope: { readVersion: readVersionOf(state), readFiles: new Set(), removes: new Set(), readsWholeTable: false },
  };
}
