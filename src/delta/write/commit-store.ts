/**
 * Creating a commit file only if absent, per store (src/storage's createIfAbsent):
 *
 * - local disk: the finished file is hard-linked to its name, which fails if the name exists;
 * - GCS: an upload with `ifGenerationMatch: 0`; Azure: `If-None-Match: *`;
 * - S3: `PutObject` with `If-None-Match: *`. AWS S3 honours it (since 2024), but some
 *   S3-compatible stores (s3rver among them) ignore it and overwrite, so two writers could each
 *   believe they committed the same version. Before the first commit to an S3 table the writer
 *   checks that the endpoint honours the condition (it creates a probe object under
 *   `_delta_log/.tmp/` twice; the second must be refused). If it does not, writing is refused
 *   unless `aws_s3_allow_unsafe_rename: "true"` is set (delta-rs's opt-out), which is safe only
 *   while one writer at a time writes the table: commits are then made after checking the
 *   version does not exist yet, and a concurrent writer can still overwrite one. delta-rs's
 *   DynamoDB locking (`aws_s3_locking_provider`) is not implemented, and refused, since this
 *   writer's commits would not be coordinated with writers that use it.
 */
import { randomUUID } from 'node:crypto';
import { StorageError, type ObjectStore } from '../../storage/types.js';
import { deltaError } from '../errors.js';
import type { ReportFn } from '../io.js';
import { booleanOption, commitKey, stringOption, type DeltaLocation } from '../location.js';

export type CommitMode = 'atomic' | 'unsafe';

const verdicts = new WeakMap<ObjectStore, Promise<boolean>>();

/** Whether the store refuses a second create of the same key (asked once per store object). */
export function honoursCreateIfAbsent(loc: DeltaLocation, signal: AbortSignal): Promise<boolean> {
  let verdict = verdicts.get(loc.store);
  if (!verdict) {
    verdict = probe(loc, signal);
    verdicts.set(loc.store, verdict);
    verdict.catch(() => verdicts.delete(loc.store));
  }
  return verdict;
}

async function probe(loc: DeltaLocation, signal: AbortSignal): Promise<boolean> {
  const key = `${loc.log}.tmp/aqueducts-commit-probe-${randomUUID()}`;
  try {
    if (!(await loc.store.createIfAbsent(key, 'probe', { signal }))) return false;
    try {
      return !(await loc.store.createIfAbsent(key, 'probe again', { signal }));
    } catch (e) {
      // A store that rejects the condition itself cannot be used for atomic commits either.
      if (e instanceof StorageError && e.kind !== 'cancelled' && e.kind !== 'access_denied') return false;
      throw e;
    }
  } finally {
    await loc.store.delete(key, { signal: AbortSignal.timeout(30_000) }).catch(() => {});
  }
}

/** How commits to this table are made; throws when the store cannot make them safely and the user did not opt in. */
export async function commitMode(loc: DeltaLocation, signal: AbortSignal, report: ReportFn, subject: string, env?: NodeJS.ProcessEnv): Promise<CommitMode> {
  if (loc.store.kind !== 's3') return 'atomic';
  const locking = stringOption(loc, 'aws_s3_locking_provider', env);
  if (locking) {
    throw deltaError(
      'AQ_DELTA_UNSUPPORTED', loc.url, null,
      `storage_config aws_s3_locking_provider (${locking === 'dynamodb' ? 'dynamodb' : 'set'}) asks for delta-rs's DynamoDB commit locking, which this executor does not implement; its commits would not be coordinated with writers that use it`,
    );
  }
  if (await honoursCreateIfAbsent(loc, signal)) return 'atomic';
  if (booleanOption(loc, 'aws_s3_allow_unsafe_rename', env)) {
    report('warn', `${subject}: the S3 endpoint of ${loc.url} ignores conditional writes (If-None-Match); committing without protection against concurrent writers because aws_s3_allow_unsafe_rename is true`);
    return 'unsafe';
  }
  throw deltaError(
    'AQ_DELTA_UNSAFE_COMMIT', loc.url, null,
    'the S3 endpoint ignores conditional writes (If-None-Match), so concurrent writers could overwrite each other\'s commits; set storage_config aws_s3_allow_unsafe_rename: "true" to write anyway if only one writer at a time writes this table',
  );
}

/** Creates commit `version` with `body`; false when that version already exists. */
export async function createCommit(loc: DeltaLocation, mode: CommitMode, version: number, body: string, signal: AbortSignal): Promise<boolean> {
  const key = commitKey(loc, version);
  if (mode === 'unsafe' && (await loc.store.head(key, { signal }))) return false;
  return loc.store.createIfAbsent(key, body, { signal });
}
