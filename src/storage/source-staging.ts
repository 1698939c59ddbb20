/**
 * File and directory sources on object stores: the objects are downloaded into the run's spill
 * directory (removed when the run ends) and then read exactly like local files. A directory source
 * takes the objects below the prefix whose names end with the format's extension (what the local
 * `**\/*.ext` glob takes), keeping their relative paths so hive partitions (`day=.../`) survive.
 */
import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { ExecutorError } from '../core/errors.js';
import { openLocation, type OpenedLocation } from './open.js';
import { downloadAll, formatBytes, TransferProgress, type DownloadItem } from './transfer.js';
import { StorageError, type ObjectMeta } from './types.js';
import { checkAborted } from './abort.js';

export type ReportFn = (level: 'info' | 'warn', message: string) => void;

export interface StageSourceRequest {
  /** `source "name"`, the prefix of every message. */
  subject: string;
  name: string;
  type: 'file' | 'directory';
  location: string;
  storageConfig: Record<string, string>;
  /** For directories: only objects ending with `.${extension}`. */
  extension: string;
  spillDir: string;
  signal: AbortSignal;
  report: ReportFn;
  env?: NodeJS.ProcessEnv;
}

/** Downloads the source's object(s); returns the local file (file) or directory (directory). */
export async function stageSource(req: StageSourceRequest): Promise<string> {
  try {
    const opened = openLocation(req.location, req.storageConfig, req.env ? { env: req.env } : {});
    for (const n of opened.notes) req.report('warn', `${req.subject}: ${n.message}`);
    const dir = await mkdtemp(path.join(req.spillDir, `source-${req.name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40)}-`));
    return req.type === 'file' ? await stageFile(req, opened, dir) : await stageDirectory(req, opened, dir);
  } catch (e) {
    throw sourceError(req.subject, e);
  }
}

export function sourceError(subject: string, e: unknown): ExecutorError {
  if (e instanceof ExecutorError) return e;
  if (e instanceof StorageError) {
    if (e.kind === 'cancelled') return new ExecutorError('AQ_CANCELLED', 'the run was cancelled', { cause: e });
    return new ExecutorError('AQ_SOURCE_FAILED', `${subject}: ${e.message}`, { cause: e });
  }
  return new ExecutorError('AQ_SOURCE_FAILED', `${subject}: ${(e as Error).message}`);
}

async function firstUnder(opened: OpenedLocation, prefix: string, signal: AbortSignal): Promise<string | null> {
  for await (const entry of opened.store.list(prefix, { signal })) return entry.key;
  return null;
}

async function stageFile(req: StageSourceRequest, opened: OpenedLocation, dir: string): Promise<string> {
  const { store, key } = opened;
  const url = `${store.root}/${key}`;
  if (key === '' || key.endsWith('/')) {
    throw new StorageError('invalid_config', `${req.location} names a directory, not an object; use a source of type directory`);
  }
  const meta = await store.head(key, { signal: req.signal });
  if (!meta) {
    if (!(await store.rootExists({ signal: req.signal }))) throw new StorageError('bucket_not_found', `bucket not found: ${store.root}`);
    if (await firstUnder(opened, `${key}/`, req.signal)) throw new StorageError('invalid_config', `${url} is a directory (objects below it); use a source of type directory`);
    throw new StorageError('not_found', `object not found: ${url}`);
  }
  const to = path.join(dir, path.posix.basename(key));
  await transfer(req, opened, [{ object: meta, to }], url);
  return to;
}

/** The local relative path of a key below `prefix`, or null if it cannot be one safely. */
function localRelative(key: string, prefix: string): string | null {
  const segments = key.slice(prefix.length).split('/').filter((s) => s !== '');
  if (segments.length === 0 || segments.some((s) => s === '.' || s === '..')) return null;
  return segments.join(path.sep);
}

async function stageDirectory(req: StageSourceRequest, opened: OpenedLocation, dir: string): Promise<string> {
  const { store } = opened;
  const prefix = opened.key === '' ? '' : opened.key.replace(/\/*$/, '/');
  const url = `${store.root}/${prefix}`;
  const items: DownloadItem[] = [];
  let others = 0;
  for await (const entry of store.list(prefix, { signal: req.signal })) {
    if (entry.kind !== 'object') continue;
    if (!entry.key.endsWith(`.${req.extension}`)) {
      others++;
      continue;
    }
    const rel = localRelative(entry.key, prefix);
    if (rel === null) {
      req.report('warn', `${req.subject}: skipped object "${entry.key}" (its name is not a safe relative path)`);
      continue;
    }
    items.push({ object: entry as ObjectMeta, to: path.join(dir, rel) });
  }
  if (items.length === 0) {
    if (!(await store.rootExists({ signal: req.signal }))) throw new StorageError('bucket_not_found', `bucket not found: ${store.root}`);
    throw new StorageError('not_found', `no .${req.extension} objects under ${url}${others ? ` (${others} other objects)` : ''}`);
  }
  await transfer(req, opened, items, url);
  return dir;
}

async function transfer(req: StageSourceRequest, opened: OpenedLocation, items: DownloadItem[], url: string): Promise<void> {
  checkAborted(req.signal);
  const total = items.reduce((n, i) => n + i.object.size, 0);
  req.report('info', `${req.subject}: downloading ${items.length} object${items.length === 1 ? '' : 's'} (${formatBytes(total)}) from ${url}`);
  const progress = new TransferProgress('downloaded', items.length, total, (m) => req.report('info', `${req.subject}: ${m}`));
  await downloadAll(opened.store, items, { signal: req.signal, progress });
}
