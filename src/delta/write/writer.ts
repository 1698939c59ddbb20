/**
 * One write to a Delta table: plan on the latest snapshot (or create the table), write the data
 * files, commit. A commit that conflicts with a concurrent one is planned again from a fresh
 * snapshot, a bounded number of times; then the write fails cleanly. Whatever fails or is
 * cancelled before the commit lands, the data files of the attempt are deleted and no commit is
 * left: the table stays as it was. After the commit, a checkpoint when one is due.
 */
import type { Destination } from '../../pipeline/types.js';
import type { Action } from '../actions.js';
import { deltaError, isCancellation } from '../errors.js';
import { latestVersion } from '../listing.js';
import { checkWritable } from '../protocol.js';
import { listForLatest, loadSnapshot, snapshotAt } from '../snapshot.js';
import { planAppend } from './append.js';
import { commitTransaction, ConflictError } from './commit.js';
import { commitInfo, ignoredCustomKeys } from './commit-info.js';
import type { CommitMode } from './commit-store.js';
import { checkpointDue, writeCheckpoint } from './checkpoint-write.js';
import { WrittenFiles } from './data-files.js';
import { conversionError, fittedSelect, incomingColumns, schemaOfIncoming, type IncomingColumn } from './fit.js';
import { planMerge } from './merge.js';
import type { Planned, TableState, WriteEnv } from './plan.js';
import { planReplace } from './replace.js';
import { newTable, type NewTable } from './table-create.js';
import { schemaOfFields, typeText } from '../schema.js';

export type DeltaDestination = Extract<Destination, { type: 'delta' }>;

/** Plans from a fresh snapshot after a conflict, at most this many times in all. */
export const MAX_PLAN_ATTEMPTS = 5;

export interface WriteResult {
  /** The committed version; null when there was nothing to commit. */
  version: number | null;
  operation: string;
  addedFiles: number;
  removedFiles: number;
  /** Rows in the added files. */
  rows: number;
  created: boolean;
}

/** The state to plan on, or a new table; checks what can be checked without the rows. */
export async function tableState(env: WriteEnv, dest: DeltaDestination, cols: IncomingColumn[] | null): Promise<{ state: TableState; created: NewTable | null }> {
  const listing = await listForLatest(env.loc, env.signal);
  if (latestVersion(listing) < 0) {
    const created = newTable({
      table: env.loc.url,
      fields: dest.schema,
      incoming: () => (cols ? schemaOfIncoming(env.loc.url, cols) : { kind: 'struct', fields: [] }),
      partitionColumns: dest.partition_columns,
      properties: dest.table_properties,
    });
    const shape = { table: env.loc.url, version: null, schema: created.schema, partitionColumns: created.metadata.partitionColumns, configuration: created.metadata.configuration };
    return { state: { snapshot: null, shape }, created };
  }
  const snapshot = await snapshotAt(env.loc, listing, latestVersion(listing), { conn: env.conn, signal: env.signal, files: env.files });
  checkWritable(env.loc.url, snapshot.version, snapshot.protocol, snapshot.metadata, snapshot.schema);
  const partitions = snapshot.metadata.partitionColumns;
  if (dest.partition_columns.length && (dest.partition_columns.length !== partitions.length || dest.partition_columns.some((c, i) => c !== partitions[i]))) {
    throw deltaError(
      'AQ_DESTINATION_FAILED', env.loc.url, snapshot.version,
      `partition_columns [${dest.partition_columns.join(', ')}] do not match the table's partition columns [${partitions.join(', ')}]`,
    );
  }
  const shape = { table: env.loc.url, version: snapshot.version, schema: snapshot.schema, partitionColumns: partitions, configuration: snapshot.metadata.configuration };
  return { state: { snapshot, shape }, created: null };
}

function plan(env: WriteEnv, dest: DeltaDestination, state: TableState, select: string, written: WrittenFiles): Promise<Planned> {
  const input = { env, state, select, written };
  switch (dest.write_mode.operation) {
    case 'append':
      return planAppend(input);
    case 'replace':
      return planReplace(input, dest.write_mode.params);
    case 'upsert':
      return planMerge(input, dest.write_mode.params);
  }
}

export async function writeDelta(env: WriteEnv, dest: DeltaDestination, relation: string, mode: CommitMode): Promise<WriteResult> {
  const cols = await env.run(() => incomingColumns(env.conn, relation));
  for (const k of ignoredCustomKeys(dest.metadata)) env.report('warn', `${env.subject}: metadata key "${k}" is set by the writer; the value given is ignored`);
  let warned = false;
  for (let attempt = 1; ; attempt++) {
    const { state, created } = await tableState(env, dest, cols);
    if (!created && !warned && dest.schema.length && declaredDiffers(dest, state)) {
      warned = true;
      env.report('warn', `${env.subject}: the declared schema differs from the schema of ${env.loc.url} (version ${state.shape.version}); the table's schema is used`);
    }
    const select = fittedSelect(env.loc.url, state.shape.version, relation, cols, state.shape.schema);
    const written = new WrittenFiles();
    try {
      const planned = await plan(env, dest, state, select, written).catch((e) => Promise.reject(conversionError(env.loc.url, state.shape.version, e)));
      if (planned.actions.length === 0 && !created) {
        env.report('info', `${env.subject}: nothing to commit to ${env.loc.url} (version ${state.shape.version} stays the latest)`);
        return { version: null, operation: planned.operation, addedFiles: 0, removedFiles: 0, rows: 0, created: false };
      }
      const actions: Action[] = created ? [{ kind: 'protocol', protocol: created.protocol }, { kind: 'metaData', metaData: created.metadata }, ...planned.actions] : planned.actions;
      const version = await commitTransaction(
        {
          loc: env.loc,
          mode,
          signal: env.signal,
          onLostRace: (taken, next) => env.report('info', `${env.subject}: version ${taken} was committed by another writer without conflicting; committing at version ${next}`),
        },
        {
          scope: planned.scope,
          actions,
          commitInfo: () => commitInfo({ operation: planned.operation, parameters: planned.parameters, metrics: planned.metrics, readVersion: planned.scope.readVersion, custom: dest.metadata }),
        },
      );
      const added = planned.actions.filter((a) => a.kind === 'add').length;
      const removed = planned.actions.filter((a) => a.kind === 'remove').length;
      const rows = planned.metrics.num_added_rows ?? planned.metrics.num_output_rows ?? 0;
      env.report('info', `${env.subject}: committed version ${version} of ${env.loc.url} (${planned.operation.toLowerCase()}: ${added} file${added === 1 ? '' : 's'} added, ${removed} removed, ${rows} rows written)`);
      await maybeCheckpoint(env, version, state);
      return { version, operation: planned.operation, addedFiles: added, removedFiles: removed, rows, created: !!created };
    } catch (e) {
      const left = await written.remove(env.loc);
      if (left.length) env.report('warn', `${env.subject}: ${left.length} data files of the failed attempt could not be deleted (first: ${env.loc.store.root}/${left[0]}); no commit refers to them`);
      if (!(e instanceof ConflictError)) throw e;
      if (attempt >= MAX_PLAN_ATTEMPTS) {
        throw deltaError('AQ_DELTA_COMMIT_CONFLICT', env.loc.url, e.version, `${e.reason}; gave up after ${attempt} attempts, nothing was committed`, e);
      }
      env.report('warn', `${env.subject}: concurrent commit conflicts with this write (${e.reason}); planning again on the latest version (attempt ${attempt + 1} of ${MAX_PLAN_ATTEMPTS})`);
    }
  }
}

/** Whether the destination's declared schema describes other columns than the existing table has. */
function declaredDiffers(dest: DeltaDestination, state: TableState): boolean {
  try {
    return typeText(schemaOfFields(dest.schema)) !== typeText(state.shape.schema);
  } catch {
    return true;
  }
}

async function maybeCheckpoint(env: WriteEnv, version: number, state: TableState): Promise<void> {
  if (!checkpointDue(version, state.shape.configuration)) return;
  try {
    const snapshot = await loadSnapshot(env.loc, { conn: env.conn, signal: env.signal, files: env.files }, { version });
    await writeCheckpoint(env, snapshot);
    env.report('info', `${env.subject}: wrote the checkpoint of version ${version}`);
  } catch (e) {
    if (isCancellation(e)) return;
    env.report('warn', `${env.subject}: version ${version} is committed, but its checkpoint could not be written: ${(e as Error).message.split('\n')[0]}`);
  }
}
