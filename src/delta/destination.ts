/**
 * `type: delta` destinations, in three steps mirroring file destinations:
 *
 * - `planDeltaDestination` (before the engine is locked down; no I/O): opens the location and
 *   allows DuckDB the directories the write will use (a local table's directory; for object
 *   stores a work directory in the run's spill directory, where data files are written before
 *   they are uploaded and existing ones downloaded to be rewritten);
 * - `checkDeltaDestination` (before the sources load): the store is reachable, commits can be
 *   made safely (S3: conditional writes honoured, or the opt-in), and the table, when it exists,
 *   can be written by this executor with these options (protocol, partition columns, columns
 *   named by the write mode); when it does not, that it can be created as declared;
 * - `writeDeltaDestination`: writes the relation (the last stage's result) with the write mode.
 */
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { interruptible } from '../engine/session.js';
import { atBoundary, deltaError } from './errors.js';
import { latestVersion } from './listing.js';
import { tablePropertyProblems } from './protocol.js';
import { listForLatest } from './snapshot.js';
import { LocalFiles, type ReportFn } from './io.js';
import { openDeltaLocation, type DeltaLocation } from './location.js';
import { commitMode } from './write/commit-store.js';
import { mergeKeys } from './write/merge.js';
import type { WriteEnv } from './write/plan.js';
import { replaceConditions } from './write/replace.js';
import { tableState, writeDelta, type DeltaDestination, type WriteResult } from './write/writer.js';

export type { DeltaDestination, WriteResult };

export interface DeltaPlanHost {
  /** The run's spill directory (object-store tables are staged below it). */
  spillDir: string;
  allowFile(p: string): void;
  allowDirectory(p: string): void;
  report?: ReportFn;
  env?: NodeJS.ProcessEnv;
}

export interface DeltaDestinationPlan {
  destination: DeltaDestination;
  location: DeltaLocation;
  /** Local directory for staging and downloads (below the spill directory). */
  workDir: string;
  env?: NodeJS.ProcessEnv;
}

export interface DeltaRunContext {
  conn: DuckDBConnection;
  signal: AbortSignal;
  report?: ReportFn;
}

const subjectOf = (d: DeltaDestination) => `destination "${d.name}"`;

export function planDeltaDestination(host: DeltaPlanHost, destination: DeltaDestination, runId: string): DeltaDestinationPlan {
  const subject = subjectOf(destination);
  try {
    const { location, notes } = openDeltaLocation(destination.location, destination.storage_config, host.env ? { env: host.env } : {});
    for (const n of notes) host.report?.('warn', `${subject}: ${n}`);
    const workDir = path.join(host.spillDir, `delta-${runId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40) || 'run'}`);
    host.allowDirectory(workDir);
    // A local table is written in place: its directory holds the staging area, data files and log.
    if (location.localDir !== null) host.allowDirectory(location.localDir);
    return { destination, location, workDir, ...(host.env ? { env: host.env } : {}) };
  } catch (e) {
    throw atBoundary(e, 'destination', subject);
  }
}

function writeEnv(ctx: DeltaRunContext, plan: DeltaDestinationPlan): WriteEnv {
  const subject = subjectOf(plan.destination);
  const report = ctx.report ?? (() => {});
  const loc = plan.location;
  return {
    conn: ctx.conn,
    loc,
    stagingRoot: loc.localDir ?? path.join(plan.workDir, 'staging'),
    signal: ctx.signal,
    run: (work) => interruptible(ctx.conn, ctx.signal, work),
    report,
    subject,
    files: new LocalFiles(loc, plan.workDir, report, subject),
  };
}

/**
 * What can be checked before the run, without writing (except S3's probe of conditional writes,
 * a temporary object under `_delta_log/.tmp/`). Throws the error the write would throw.
 */
export async function checkDeltaDestination(ctx: DeltaRunContext, plan: DeltaDestinationPlan): Promise<void> {
  const dest = plan.destination;
  const env = writeEnv(ctx, plan);
  try {
    await commitMode(plan.location, ctx.signal, env.report, env.subject, plan.env);
    if (dest.schema.length === 0 && latestVersion(await listForLatest(plan.location, ctx.signal)) < 0) {
      // A table created from the stage's result has no schema yet: its columns are checked when writing.
      const problems = tablePropertyProblems(dest.table_properties);
      if (problems.length) throw deltaError('AQ_DELTA_UNSUPPORTED', plan.location.url, null, `cannot create the table: ${problems.join('; ')}`);
      return;
    }
    const { state } = await tableState(env, dest, null);
    if (dest.write_mode.operation === 'replace') replaceConditions(state, dest.write_mode.params);
    if (dest.write_mode.operation === 'upsert') mergeKeys(state, dest.write_mode.params);
  } catch (e) {
    throw atBoundary(e, 'destination', env.subject);
  }
}

/**
 * Writes `relation` (a table or view of `ctx.conn`) to the Delta table. Throws ExecutorError:
 * AQ_DELTA_UNSUPPORTED, AQ_DELTA_SCHEMA_MISMATCH, AQ_DELTA_COMMIT_CONFLICT, AQ_DELTA_UNSAFE_COMMIT,
 * AQ_DESTINATION_FAILED, AQ_CANCELLED; then no commit was made and the files written are deleted.
 */
export async function writeDeltaDestination(ctx: DeltaRunContext, plan: DeltaDestinationPlan, relation: string): Promise<WriteResult> {
  const env = writeEnv(ctx, plan);
  try {
    const mode = await commitMode(plan.location, ctx.signal, env.report, env.subject, plan.env);
    return await writeDelta(env, plan.destination, relation, mode);
  } catch (e) {
    throw atBoundary(e, 'destination', env.subject);
  }
}
