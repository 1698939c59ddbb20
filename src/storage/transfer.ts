/**
 * Moving many objects between a store and the local disk: bounded concurrency, cancellation
 * through the signal, and progress lines for the run's user (at most two a second, plus the
 * first and the last).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { setMaxListeners } from 'node:events';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { forEachLimit, checkAborted } from './abort.js';
import { StorageError, type ObjectMeta, type ObjectStore } from './types.js';

export const DOWNLOAD_CONCURRENCY = 8;
export const UPLOAD_CONCURRENCY = 4;
const PROGRESS_INTERVAL_MS = 500;

export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

/**
 * Counts finished objects and bytes (including the bytes of objects still in flight); reports
 * through `line` when the first and the last object finish, and otherwise at most every half
 * second.
 */
export class TransferProgress {
  private done = 0;
  private doneBytes = 0;
  private readonly inFlight = new Map<string, number>();
  private lastReport = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly verb: string,
    private readonly total: number,
    private readonly totalBytes: number,
    private readonly line: (message: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Bytes of `key` (of `size` in all) transferred so far; reported only while incomplete. */
  partial(key: string, bytes: number, size: number): void {
    if (bytes >= size) return;
    this.inFlight.set(key, bytes);
    this.report(false);
  }

  objectDone(key: string, size: number): void {
    this.inFlight.delete(key);
    this.done++;
    this.doneBytes += size;
    this.report(this.done === 1 || this.done === this.total);
  }

  private report(force: boolean): void {
    const t = this.now();
    if (!force && t - this.lastReport < PROGRESS_INTERVAL_MS) return;
    this.lastReport = t;
    let bytes = this.doneBytes;
    for (const b of this.inFlight.values()) bytes += b;
    this.line(`${this.verb} ${this.done}/${this.total} objects (${formatBytes(bytes)} of ${formatBytes(this.totalBytes)})`);
  }
}

export interface DownloadItem {
  object: ObjectMeta;
  /** Local file to write. */
  to: string;
}

/**
 * Downloads every item (streamed to disk, never held in memory), at most `concurrency` at a time.
 * A failure or cancellation stops the rest; files already written stay for the caller to remove
 * (they live in the run's spill directory, which the run removes).
 */
export async function downloadAll(
  store: ObjectStore,
  items: DownloadItem[],
  opts: { signal: AbortSignal; progress?: TransferProgress; concurrency?: number },
): Promise<void> {
  setMaxListeners(0, opts.signal);
  await forEachLimit(items, opts.concurrency ?? DOWNLOAD_CONCURRENCY, opts.signal, async ({ object, to }) => {
    await mkdir(path.dirname(to), { recursive: true });
    const body = await store.read(object.key, { signal: opts.signal });
    let received = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, done) {
        received += chunk.length;
        opts.progress?.partial(object.key, received, object.size);
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, count, createWriteStream(to), { signal: opts.signal });
    } catch (e) {
      await rm(to, { force: true });
      checkAborted(opts.signal);
      if (e instanceof StorageError) throw e;
      throw new StorageError('other', `${store.root}/${object.key}: download failed: ${(e as Error).message}`);
    }
    const written = (await stat(to)).size;
    if (written !== object.size) {
      throw new StorageError('other', `${store.root}/${object.key}: download incomplete (${written} of ${object.size} bytes)`);
    }
    opts.progress?.objectDone(object.key, written);
  });
}

export interface UploadItem {
  from: string;
  key: string;
  size: number;
}

/**
 * Uploads every file, at most `concurrency` at a time. Each key is added to `started` before its
 * upload begins (an upload cut short may still have landed), so a caller can delete everything
 * this run may have created if anything fails.
 */
export async function uploadAll(
  store: ObjectStore,
  items: UploadItem[],
  started: Set<string>,
  opts: { signal: AbortSignal; progress?: TransferProgress; concurrency?: number; contentType?: (key: string) => string | undefined },
): Promise<void> {
  setMaxListeners(0, opts.signal);
  await forEachLimit(items, opts.concurrency ?? UPLOAD_CONCURRENCY, opts.signal, async ({ from, key, size }) => {
    started.add(key);
    const contentType = opts.contentType?.(key);
    await store.write(key, createReadStream(from), {
      signal: opts.signal,
      size,
      ...(contentType ? { contentType } : {}),
      ...(opts.progress ? { onProgress: (bytes: number) => opts.progress!.partial(key, bytes, size) } : {}),
    });
    opts.progress?.objectDone(key, size);
  });
}

/** Deletes keys (bounded concurrency, each tried once); returns the keys that are not known to be gone. */
export async function deleteAll(store: ObjectStore, keys: Iterable<string>, signal: AbortSignal, concurrency = UPLOAD_CONCURRENCY * 2): Promise<string[]> {
  const all = [...keys];
  const gone = new Set<string>();
  await forEachLimit(all, concurrency, signal, async (key) => {
    try {
      await store.delete(key, { signal });
      gone.add(key);
    } catch {
      /* reported through the return value */
    }
  }).catch(() => {});
  return all.filter((k) => !gone.has(k));
}

/** Content types for what destinations write (stores default to application/octet-stream). */
export function contentTypeOf(key: string): string | undefined {
  if (/\.csv(\.gz|\.zst)?$/.test(key)) return key.endsWith('.csv') ? 'text/csv' : 'application/octet-stream';
  if (key.endsWith('.json')) return 'application/x-ndjson';
  if (key.endsWith('.parquet')) return 'application/vnd.apache.parquet';
  return undefined;
}
