/**
 * File destinations on object stores. The engine writes the output into the run's spill directory
 * first (the same COPY as for local destinations); it is then uploaded:
 *
 * - a single file is one streamed upload to the target key, and the object changes only when the
 *   upload completes (S3 multipart completion, GCS upload finalisation, Azure block list commit);
 * - a directory is uploaded under new, run-unique names next to the previous objects; only when
 *   every new object is complete are the previous objects under the prefix deleted. A failed or
 *   cancelled upload deletes the objects this run created and leaves the previous ones.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ExecutorError } from '../core/errors.js';
import { openLocation, type OpenedLocation } from './open.js';
import { contentTypeOf, deleteAll, formatBytes, TransferProgress, uploadAll, type UploadItem } from './transfer.js';
import { StorageError } from './types.js';
import { isDatasetFile } from './dataset.js';
import type { ConfigNote } from './config.js';

/** Clean-up after a failure or cancellation must not be cut short by the run's own signal. */
const CLEANUP_TIMEOUT_MS = 120_000;

export type ReportFn = (level: 'info' | 'warn' | 'error', message: string) => void;

export interface RemoteTarget {
  opened: OpenedLocation;
  /** Target key (single file) or prefix without its trailing `/` (directory). */
  key: string;
  /** The target as a URL for messages. */
  url: string;
  notes: ConfigNote[];
}

export function destinationError(subject: string, e: unknown): ExecutorError {
  if (e instanceof ExecutorError) return e;
  if (e instanceof StorageError) {
    if (e.kind === 'cancelled') return new ExecutorError('AQ_CANCELLED', 'the run was cancelled', { cause: e });
    return new ExecutorError('AQ_DESTINATION_FAILED', `${subject}: ${e.message}`, { cause: e });
  }
  return new ExecutorError('AQ_DESTINATION_FAILED', `${subject}: ${(e as Error).message}`);
}

/** Opens the destination's store and checks the key; no I/O (runs while the run is planned). */
export function planRemoteTarget(subject: string, location: string, storageConfig: Record<string, string>, directory: boolean, env?: NodeJS.ProcessEnv): RemoteTarget {
  let opened: OpenedLocation;
  try {
    opened = openLocation(location, storageConfig, env ? { env } : {});
  } catch (e) {
    throw destinationError(subject, e);
  }
  const key = opened.key.replace(/\/+$/, '');
  if (key === '') {
    throw new ExecutorError(
      'AQ_DESTINATION_FAILED',
      directory
        ? `${subject}: ${location} is the root of the bucket; a directory destination replaces everything under its prefix, so give one (${opened.store.root}/<prefix>/)`
        : `${subject}: ${location} names a bucket, not an object`,
    );
  }
  return { opened, key, url: `${opened.store.root}/${key}${directory ? '/' : ''}`, notes: opened.notes };
}

/**
 * Before anything is written: the bucket must be reachable with these credentials, and the target
 * must not be the other kind (an object where a directory goes, or objects below a single file).
 */
export async function checkRemoteTarget(subject: string, t: RemoteTarget, directory: boolean, signal: AbortSignal): Promise<void> {
  const { store } = t.opened;
  try {
    let below: string | null = null;
    for await (const e of store.list(`${t.key}/`, { signal })) {
      below = e.key;
      break;
    }
    const object = await store.head(t.key, { signal });
    if (below === null && object === null && !(await store.rootExists({ signal }))) {
      throw new StorageError('bucket_not_found', `bucket not found: ${store.root}`);
    }
    if (directory && object) {
      throw new StorageError('invalid_config', `${store.root}/${t.key} is an object, but the destination writes a directory (single_file: false or partition_columns)`);
    }
    if (!directory && below !== null) {
      throw new StorageError('invalid_config', `${store.root}/${t.key} is a directory (objects below it), but single_file is true`);
    }
    if (directory && below !== null) await previousDataset(subject, t, signal);
  } catch (e) {
    throw destinationError(subject, e);
  }
}

async function filesBelow(dir: string): Promise<Array<{ path: string; rel: string; size: number }>> {
  const out: Array<{ path: string; rel: string; size: number }> = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push({ path: p, rel: path.relative(dir, p).split(path.sep).join('/'), size: (await stat(p)).size });
    }
  };
  await walk(dir);
  return out.sort((a, b) => (a.rel < b.rel ? -1 : 1));
}

/**
 * The objects of the dataset under the target's prefix, which the new output replaces; an object
 * that is not part of a dataset (src/storage/dataset.ts) refuses the write, naming it.
 */
async function previousDataset(subject: string, t: RemoteTarget, signal: AbortSignal): Promise<string[]> {
  const { store } = t.opened;
  const keys: string[] = [];
  for await (const e of store.list(`${t.key}/`, { signal })) {
    if (e.kind !== 'object') continue;
    if (!isDatasetFile(e.key.slice(t.key.length + 1))) {
      throw new ExecutorError('AQ_DESTINATION_REFUSED', `${subject}: ${store.root}/${t.key}/ holds ${store.root}/${e.key}, which is not part of a dataset; a directory destination replaces only data files (.parquet, .csv, .json) and partition folders (column=value), so move it away or write to a prefix of its own`);
    }
    keys.push(e.key);
  }
  return keys;
}

/** Uploads the local output (a file, or a directory when `directory`) to the target. */
export async function uploadDestination(
  subject: string,
  t: RemoteTarget,
  local: string,
  directory: boolean,
  signal: AbortSignal,
  report: ReportFn,
  /** The directory's files are named `part-<runTag>-<n>`: what a clean-up sweep looks for. */
  runTag = '',
): Promise<void> {
  const { store } = t.opened;
  const line = (m: string) => report('info', `${subject}: ${m}`);
  try {
    if (!directory) {
      const size = (await stat(local)).size;
      line(`uploading 1 object (${formatBytes(size)}) to ${t.url}`);
      const progress = new TransferProgress('uploaded', 1, size, line);
      await uploadAll(store, [{ from: local, key: t.key, size }], new Set(), { signal, progress, contentType: contentTypeOf });
      return;
    }
    const files = await filesBelow(local);
    const items: UploadItem[] = files.map((f) => ({ from: f.path, key: `${t.key}/${f.rel}`, size: f.size }));
    const previous = await previousDataset(subject, t, signal);
    const total = items.reduce((n, i) => n + i.size, 0);
    line(`uploading ${items.length} object${items.length === 1 ? '' : 's'} (${formatBytes(total)}) to ${t.url}`);
    const started = new Set<string>();
    try {
      await uploadAll(store, items, started, { signal, progress: new TransferProgress('uploaded', items.length, total, line), contentType: contentTypeOf });
      // Cancelled after the last upload but before the old objects went: still undoable.
      if (signal.aborted) throw new StorageError('cancelled', 'the operation was cancelled');
    } catch (e) {
      await removeRunObjects(subject, t, started, runTag, report);
      throw e;
    }
    // Every new object is complete: now the previous output goes (not cancellable any more).
    const stale = previous.filter((k) => !started.has(k));
    const left = await deleteAll(store, stale, AbortSignal.timeout(CLEANUP_TIMEOUT_MS));
    if (stale.length) line(`removed ${stale.length - left.length} objects of the previous output`);
    if (left.length) {
      throw new StorageError('other', `the new objects are in place, but ${left.length} objects of the previous output could not be deleted (first: ${store.root}/${left[0]})`);
    }
  } catch (e) {
    throw destinationError(subject, e);
  }
}

/**
 * After a failed or cancelled directory upload: deletes every key this run started to write, then
 * sweeps the prefix for objects carrying the run's tag (an upload whose request was cut short
 * may still have been committed by the service after the first pass).
 */
async function removeRunObjects(subject: string, t: RemoteTarget, started: Set<string>, runTag: string, report: ReportFn): Promise<void> {
  if (started.size === 0) return;
  const { store } = t.opened;
  const signal = AbortSignal.timeout(CLEANUP_TIMEOUT_MS);
  let left = await deleteAll(store, started, signal);
  if (runTag) {
    try {
      const late: string[] = [];
      for await (const e of store.list(`${t.key}/`, { signal })) {
        if (e.kind === 'object' && path.posix.basename(e.key).startsWith(`part-${runTag}-`)) late.push(e.key);
      }
      left = [...new Set([...left, ...(await deleteAll(store, late, signal))])];
    } catch {
      /* the first pass stands */
    }
  }
  report('info', `${subject}: removed the objects this run had uploaded (${started.size - left.length} of ${started.size} started)`);
  if (left.length) report('error', `${subject}: ${left.length} uploaded objects could not be removed (first: ${store.root}/${left[0]})`);
}
