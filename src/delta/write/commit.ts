/**
 * Committing: the actions (after a fresh `commitInfo`) are created as commit `readVersion + 1`
 * only if that version does not exist yet (commit-store.ts). When another writer got there first,
 * each winning commit is checked against this transaction (conflicts.ts): without a conflict the
 * same actions are tried at the next version; with one, ConflictError (the caller re-plans from a
 * fresh snapshot, or gives up).
 *
 * The commit request is the point of no return: it is not cut short by cancellation (a request
 * abandoned half-way could still land), so the run's signal is checked just before it instead.
 */
import type { Action, CommitInfo } from '../actions.js';
import { commitText } from '../actions.js';
import { readCommits } from '../commits.js';
import { cancelledError } from '../errors.js';
import { commitKey, type DeltaLocation } from '../location.js';
import { readSmallObject } from '../io.js';
import { listLog, latestVersion } from '../listing.js';
import { createCommit, type CommitMode } from './commit-store.js';
import { findConflict, type ConflictScope } from './conflicts.js';

/** Attempts at later versions after losing races without conflicts. */
const MAX_VERSION_ATTEMPTS = 100;
const COMMIT_TIMEOUT_MS = 60_000;

export class ConflictError extends Error {
  constructor(
    readonly version: number,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'ConflictError';
  }
}

export interface Transaction {
  scope: ConflictScope;
  /** The actions after `commitInfo`. */
  actions: Action[];
  /** The `commitInfo` of an attempt (built anew for each, with its own timestamp). */
  commitInfo: () => CommitInfo;
}

export interface CommitContext {
  loc: DeltaLocation;
  mode: CommitMode;
  signal: AbortSignal;
  /** Told when another writer took the version and the same actions are tried at `next`. */
  onLostRace?: (taken: number, next: number) => void;
}

/** Commits the transaction and returns its version. */
export async function commitTransaction(ctx: CommitContext, txn: Transaction): Promise<number> {
  let version = txn.scope.readVersion + 1;
  for (let attempt = 0; attempt < MAX_VERSION_ATTEMPTS; attempt++) {
    if (ctx.signal.aborted) throw cancelledError();
    const body = commitText([{ kind: 'commitInfo', commitInfo: txn.commitInfo() }, ...txn.actions]);
    if (await tryCommit(ctx, version, body)) return version;
    // Lost the race: check every commit that won since, then try after the latest.
    const listing = await listLog(ctx.loc, ctx.signal, version);
    const latest = Math.max(latestVersion(listing), version);
    const winners: number[] = [];
    for (let v = version; v <= latest; v++) winners.push(v);
    const actions = await readCommits(ctx.loc, winners, ctx.signal);
    for (let i = 0; i < winners.length; i++) {
      const reason = await findConflict(txn.scope, winners[i]!, actions[i]!);
      if (reason) throw new ConflictError(winners[i]!, reason);
    }
    ctx.onLostRace?.(version, latest + 1);
    version = latest + 1;
  }
  throw new ConflictError(version, `gave up after ${MAX_VERSION_ATTEMPTS} lost races for the next version`);
}

/**
 * Creates the commit file; false when the version exists. A request that failed may still have
 * landed (a timeout after the store wrote it): it did when the file holds exactly this body.
 * Each body carries its own commitInfo timestamp, so another writer's is never mistaken for ours.
 */
async function tryCommit(ctx: CommitContext, version: number, body: string): Promise<boolean> {
  try {
    return await createCommit(ctx.loc, ctx.mode, version, body, AbortSignal.timeout(COMMIT_TIMEOUT_MS));
  } catch (e) {
    const text = await readSmallObject(ctx.loc.store, commitKey(ctx.loc, version), AbortSignal.timeout(COMMIT_TIMEOUT_MS)).catch(() => null);
    if (text === null) throw e;
    // It landed (ours), or another writer's commit is there (a lost race).
    return text === body;
  }
}
