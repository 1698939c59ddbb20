/**
 * Object I/O the log needs: reading small objects (commits, `_last_checkpoint`) into memory, and
 * giving DuckDB local files to read: a local table's files are read in place, an object store's
 * are downloaded into a work directory (inside the run's spill directory) first.
 */
import { mkdir, mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { downloadAll, formatBytes, TransferProgress, type DownloadItem } from '../storage/transfer.js';
import { StorageError, type ObjectMeta, type ObjectStore } from '../storage/types.js';
import type { DeltaLocation } from './location.js';
import { localPathOf } from './location.js';

/** The object's text, or null when there is no such object. */
export async function readSmallObject(store: ObjectStore, key: string, signal: AbortSignal): Promise<string | null> {
  let body;
  try {
    body = await store.read(key, { signal });
  } catch (e) {
    if (e instanceof StorageError && e.kind === 'not_found') return null;
    throw e;
  }
  const chunks: Buffer[] = [];
  try {
    for await (const c of body) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  return Buffer.concat(chunks).toString('utf8');
}

export type ReportFn = (level: 'info' | 'warn' | 'error', message: string) => void;

/**
 * Local copies of a table's objects for DuckDB. For a local table the path of the object itself;
 * for an object store, each object is downloaded once into `workDir` (under a safe, unique name).
 */
export class LocalFiles {
  private readonly downloaded = new Map<string, string>();
  private dir: string | null = null;

  constructor(
    readonly loc: DeltaLocation,
    /** Where downloads go (required for object stores); removed with the run's spill directory. */
    private readonly workDir: string | null,
    private readonly report: ReportFn = () => {},
    private readonly subject = '',
  ) {}

  get isLocal(): boolean {
    return this.loc.localDir !== null;
  }

  /** Local paths for the objects, in the same order; downloads what is not local yet. */
  async paths(objects: ObjectMeta[], signal: AbortSignal, what = 'objects'): Promise<string[]> {
    if (this.isLocal) return objects.map((o) => localPathOf(o.key));
    if (this.workDir === null) throw new Error(`${this.loc.url}: reading an object-store table needs a work directory`);
    const missing: DownloadItem[] = [];
    for (const o of objects) {
      if (this.downloaded.has(o.key) || missing.some((m) => m.object.key === o.key)) continue;
      this.dir ??= await this.makeDir();
      missing.push({ object: o, to: path.join(this.dir, `${this.downloaded.size + missing.length}-${safeName(o.key)}`) });
    }
    if (missing.length) {
      const total = missing.reduce((n, i) => n + i.object.size, 0);
      const line = (m: string) => this.report('info', `${this.subject ? `${this.subject}: ` : ''}${m}`);
      if (missing.length > 1 || total > 1e6) line(`downloading ${missing.length} ${what} (${formatBytes(total)}) from ${this.loc.url}`);
      const progress = missing.length > 1 ? new TransferProgress('downloaded', missing.length, total, line) : undefined;
      await downloadAll(this.loc.store, missing, { signal, ...(progress ? { progress } : {}) });
      for (const m of missing) this.downloaded.set(m.object.key, m.to);
    }
    return objects.map((o) => this.downloaded.get(o.key)!);
  }

  private async makeDir(): Promise<string> {
    await mkdir(this.workDir!, { recursive: true });
    return mkdtemp(path.join(this.workDir!, 'delta-'));
  }
}

/** The last path segment of a key, reduced to characters that are safe in a file name. */
function safeName(key: string): string {
  const base = key.slice(key.lastIndexOf('/') + 1).replace(/[^A-Za-z0-9._-]/g, '_').slice(-120);
  return base || randomUUID();
}
