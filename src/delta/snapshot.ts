/**
 * The snapshot of a table at a version: protocol, metadata, schema, and the active data files.
 *
 * 1. List the log (from the `_last_checkpoint` hint for the latest version; the whole log for time
 *    travel). Pick the newest complete checkpoint at or before the version — never a newer one —
 *    and require every commit after it up to the version (or from 0 without a checkpoint);
 *    otherwise the version is not available ("versions are not contiguous", or cleaned up).
 * 2. Load the checkpoint with DuckDB, then apply the commits in order: the last protocol and
 *    metaData win; `add` makes a file active (keyed by its path decoded once), `remove` drops it
 *    and leaves a tombstone; the latest `txn` per application wins.
 * 3. Gate on the protocol (protocol.ts), then parse the schema.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { type Action, type AddFile, type Metadata, type Protocol, type RemoveFile, type Txn } from './actions.js';
import { readCheckpoint } from './checkpoint-read.js';
import { deltaError } from './errors.js';
import type { LocalFiles } from './io.js';
import { readCommits } from './commits.js';
import type { DeltaLocation } from './location.js';
import { latestVersion, listLog, readLastCheckpoint, type CheckpointFiles, type LogListing } from './listing.js';
import { commitFileName, decodeAddPath } from './paths.js';
import { checkReadable } from './protocol.js';
import { parseSchemaString, SchemaError, type StructType } from './schema.js';
import { resolveTimestamp } from './timestamps.js';

export interface Snapshot {
  table: string;
  version: number;
  protocol: Protocol;
  metadata: Metadata;
  schema: StructType;
  /** Active files by path (decoded once). */
  files: Map<string, AddFile>;
  /** Files removed (by path), kept for checkpoints (VACUUM uses them; readers never do). */
  tombstones: Map<string, RemoveFile>;
  txns: Map<string, Txn>;
}

export interface SnapshotContext {
  conn: DuckDBConnection;
  signal: AbortSignal;
  files: LocalFiles;
}

export interface SnapshotRequest {
  /** A version to read (time travel); the latest when absent. */
  version?: number | null;
  /** An RFC 3339 timestamp: the latest version committed at or before it. */
  timestamp?: string | null;
}

/** Lists the log, starting from `_last_checkpoint` when only the latest version is wanted. */
export async function listForLatest(loc: DeltaLocation, signal: AbortSignal): Promise<LogListing> {
  const hint = await readLastCheckpoint(loc, signal);
  if (hint) {
    const narrowed = await listLog(loc, signal, hint.version);
    const latest = latestVersion(narrowed);
    const usable = [...narrowed.checkpoints.keys()].some((v) => v <= latest);
    if (narrowed.from === 0 || usable) return narrowed;
  }
  return listLog(loc, signal);
}

export async function loadSnapshot(loc: DeltaLocation, ctx: SnapshotContext, req: SnapshotRequest = {}): Promise<Snapshot> {
  const timeTravel = (req.version !== null && req.version !== undefined) || !!req.timestamp;
  const listing = timeTravel ? await listLog(loc, ctx.signal) : await listForLatest(loc, ctx.signal);
  const latest = latestVersion(listing);
  if (latest < 0) throw deltaError('AQ_DELTA_INVALID_LOG', loc.url, null, `there is no Delta table here (no commits in ${loc.url.replace(/\/$/, '')}/_delta_log/)`);
  let version = latest;
  if (req.version !== null && req.version !== undefined) {
    if (!Number.isInteger(req.version) || req.version < 0) throw deltaError('AQ_DELTA_VERSION_NOT_AVAILABLE', loc.url, null, `version ${req.version} is not a valid version`);
    if (req.version > latest) throw deltaError('AQ_DELTA_VERSION_NOT_AVAILABLE', loc.url, null, `version ${req.version} not available: the latest version is ${latest}`);
    version = req.version;
  } else if (req.timestamp) {
    version = await resolveTimestamp(loc, listing, req.timestamp, ctx);
  }
  return snapshotAt(loc, listing, version, ctx);
}

/** The plan to rebuild `version`: a checkpoint (or none) and the commits after it. */
export function replayPlan(table: string, listing: LogListing, version: number): { checkpoint: CheckpointFiles | null; commits: number[] } {
  let checkpoint: CheckpointFiles | null = null;
  for (const c of listing.checkpoints.values()) if (c.version <= version && (!checkpoint || c.version > checkpoint.version)) checkpoint = c;
  const start = checkpoint ? checkpoint.version + 1 : 0;
  const commits: number[] = [];
  for (let v = start; v <= version; v++) {
    if (listing.commits.has(v)) {
      commits.push(v);
      continue;
    }
    const v2 = [...listing.v2Checkpoints].filter((c) => c <= version && c >= start);
    if (v2.length) {
      throw deltaError('AQ_DELTA_UNSUPPORTED', table, version, `version ${version} needs the V2 checkpoint at version ${Math.max(...v2)} (v2Checkpoint), which this executor does not read`);
    }
    const present = [...listing.commits.keys()].sort((a, b) => a - b);
    const first = present[0];
    if (!checkpoint && (first === undefined || v < first) && listing.from === 0) {
      throw deltaError(
        'AQ_DELTA_VERSION_NOT_AVAILABLE', table, null,
        `version ${version} not available: the log starts at version ${first ?? version + 1} and has no checkpoint at or before version ${version} (older commits were cleaned up)`,
      );
    }
    throw deltaError('AQ_DELTA_VERSION_NOT_AVAILABLE', table, version, `versions are not contiguous: commit ${commitFileName(v)} is missing (needed to read version ${version}; the log has ${ranges(present)})`);
  }
  return { checkpoint, commits };
}

/** `0..3, 5, 7..9` */
function ranges(vs: number[]): string {
  if (vs.length === 0) return 'no commits';
  const out: string[] = [];
  let a = vs[0]!;
  let b = a;
  for (const v of vs.slice(1)) {
    if (v === b + 1) b = v;
    else {
      out.push(a === b ? `${a}` : `${a}..${b}`);
      a = b = v;
    }
  }
  out.push(a === b ? `${a}` : `${a}..${b}`);
  return `commits ${out.join(', ')}`;
}

export async function snapshotAt(loc: DeltaLocation, listing: LogListing, version: number, ctx: SnapshotContext): Promise<Snapshot> {
  const plan = replayPlan(loc.url, listing, version);
  const state = new SnapshotBuilder(loc.url, version);
  if (plan.checkpoint) {
    const paths = await ctx.files.paths(plan.checkpoint.parts, ctx.signal, 'checkpoint parts');
    state.apply(await readCheckpoint(ctx.conn, loc.url, plan.checkpoint.version, paths), plan.checkpoint.version);
  }
  const commits = await readCommits(loc, plan.commits, ctx.signal, listing.commits);
  commits.forEach((actions, i) => state.apply(actions, plan.commits[i]!));
  return state.finish();
}

/** Applies actions in log order (see the header). */
export class SnapshotBuilder {
  protocol: Protocol | null = null;
  metadata: Metadata | null = null;
  readonly files = new Map<string, AddFile>();
  readonly tombstones = new Map<string, RemoveFile>();
  readonly txns = new Map<string, Txn>();

  constructor(
    readonly table: string,
    readonly version: number,
  ) {}

  private key(path: string, v: number): string {
    const k = decodeAddPath(path);
    if (k === null) throw deltaError('AQ_DELTA_INVALID_LOG', this.table, v, `file path ${path} has an invalid percent-encoding`);
    return k;
  }

  apply(actions: Action[], v: number): void {
    for (const a of actions) {
      switch (a.kind) {
        case 'protocol':
          this.protocol = a.protocol;
          break;
        case 'metaData':
          this.metadata = a.metaData;
          break;
        case 'add': {
          const k = this.key(a.add.path, v);
          this.files.set(k, a.add);
          this.tombstones.delete(k);
          break;
        }
        case 'remove': {
          const k = this.key(a.remove.path, v);
          this.files.delete(k);
          this.tombstones.set(k, a.remove);
          break;
        }
        case 'txn':
          this.txns.set(a.txn.appId, a.txn);
          break;
        default:
          break;
      }
    }
  }

  finish(): Snapshot {
    if (!this.protocol) throw deltaError('AQ_DELTA_INVALID_LOG', this.table, this.version, 'the log has no protocol action');
    if (!this.metadata) throw deltaError('AQ_DELTA_INVALID_LOG', this.table, this.version, 'the log has no metaData action');
    checkReadable(this.table, this.version, this.protocol, this.metadata);
    let schema: StructType;
    try {
      schema = parseSchemaString(this.metadata.schemaString);
    } catch (e) {
      if (e instanceof SchemaError) throw deltaError('AQ_DELTA_UNSUPPORTED', this.table, this.version, `schema: ${e.message}`);
      throw e;
    }
    for (const c of this.metadata.partitionColumns) {
      if (!schema.fields.some((f) => f.name === c)) throw deltaError('AQ_DELTA_INVALID_LOG', this.table, this.version, `partition column "${c}" is not in the schema`);
    }
    for (const add of this.files.values()) {
      if (add.deletionVector !== undefined && add.deletionVector !== null) {
        throw deltaError('AQ_DELTA_UNSUPPORTED', this.table, this.version, `file ${add.path} has a deletion vector (deletionVectors), which this executor does not apply`);
      }
    }
    return {
      table: this.table,
      version: this.version,
      protocol: this.protocol,
      metadata: this.metadata,
      schema,
      files: this.files,
      tombstones: this.tombstones,
      txns: this.txns,
    };
  }
}
