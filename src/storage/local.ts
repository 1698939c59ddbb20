/**
 * The local-disk store: keys are paths below a root directory. Writes go to a temporary file in
 * the same directory and are renamed into place (atomic on one file system); create-if-absent
 * links the finished temporary file to the target name, which fails if the name exists.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, open, readdir, rm, stat, unlink, rename } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  StorageError,
  type ListEntry,
  type ListOptions,
  type ObjectMeta,
  type ObjectStore,
  type OperationOptions,
  type ReadOptions,
  type WriteOptions,
} from './types.js';
import { abortError, checkAborted } from './abort.js';

export class LocalStore implements ObjectStore {
  readonly kind = 'local' as const;
  readonly root: string;

  constructor(private readonly dir: string) {
    this.root = `file://${dir}`;
  }

  private pathOf(key: string): string {
    const p = path.resolve(this.dir, key);
    if (p !== this.dir && !p.startsWith(this.dir.endsWith('/') ? this.dir : `${this.dir}/`)) {
      throw new StorageError('invalid_config', `key ${key} leaves the store's root`);
    }
    return p;
  }

  private keyOf(p: string): string {
    return path.relative(this.dir, p).split(path.sep).join('/');
  }

  async *list(prefix: string, opts: ListOptions): AsyncIterable<ListEntry> {
    const recursive = opts.recursive ?? true;
    // The deepest directory that contains every key with this prefix.
    const slash = prefix.lastIndexOf('/');
    const base = slash < 0 ? this.dir : this.pathOf(prefix.slice(0, slash));
    const entries = await walk(base, recursive, opts.signal);
    entries.sort((a, b) => (a.path < b.path ? -1 : 1));
    for (const e of entries) {
      const key = this.keyOf(e.path) + (e.dir ? '/' : '');
      if (!key.startsWith(prefix)) continue;
      if (e.dir) {
        if (!recursive) yield { kind: 'prefix', key };
        continue;
      }
      yield { kind: 'object', key, size: e.size, lastModified: e.mtime, version: `${e.mtime.getTime()}-${e.size}` };
    }
  }

  async head(key: string, opts: OperationOptions): Promise<ObjectMeta | null> {
    checkAborted(opts.signal);
    try {
      const s = await stat(this.pathOf(key));
      if (!s.isFile()) return null;
      return { key, size: s.size, lastModified: s.mtime, version: `${s.mtime.getTime()}-${s.size}` };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
      throw localError(e, key);
    }
  }

  async read(key: string, opts: ReadOptions): Promise<Readable> {
    checkAborted(opts.signal);
    const p = this.pathOf(key);
    const meta = await this.head(key, opts);
    if (!meta) throw new StorageError('not_found', `object not found: ${key}`);
    const range = opts.range ? { start: opts.range.offset, end: opts.range.offset + opts.range.length - 1 } : {};
    return createReadStream(p, { ...range, signal: opts.signal });
  }

  async write(key: string, body: Readable, opts: WriteOptions): Promise<ObjectMeta> {
    checkAborted(opts.signal);
    const target = this.pathOf(key);
    await mkdir(path.dirname(target), { recursive: true });
    const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomUUID()}.tmp`);
    let bytes = 0;
    body.on('data', (c: Buffer) => {
      bytes += c.length;
      opts.onProgress?.(bytes);
    });
    try {
      await pipeline(body, createWriteStream(temp), { signal: opts.signal });
      await rename(temp, target);
    } catch (e) {
      await rm(temp, { force: true });
      if (opts.signal.aborted) throw abortError();
      throw localError(e, key);
    }
    return (await this.head(key, opts)) ?? { key, size: bytes };
  }

  async createIfAbsent(key: string, body: Buffer | string, opts: OperationOptions): Promise<boolean> {
    checkAborted(opts.signal);
    const target = this.pathOf(key);
    await mkdir(path.dirname(target), { recursive: true });
    const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomUUID()}.tmp`);
    try {
      // Flushed to disk before it gets its name: a created object (a Delta commit) is never seen partial after a crash.
      const handle = await open(temp, 'wx');
      try {
        await handle.writeFile(body);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await link(temp, target);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw localError(e, key);
    } finally {
      await unlink(temp).catch(() => {});
    }
  }

  async delete(key: string, opts: OperationOptions): Promise<void> {
    checkAborted(opts.signal);
    await rm(this.pathOf(key), { force: true });
  }

  async rootExists(opts: OperationOptions): Promise<boolean> {
    checkAborted(opts.signal);
    try {
      return (await stat(this.dir)).isDirectory();
    } catch {
      return false;
    }
  }
}

interface WalkEntry {
  path: string;
  dir: boolean;
  size: number;
  mtime: Date;
}

async function walk(dir: string, recursive: boolean, signal: AbortSignal): Promise<WalkEntry[]> {
  const out: WalkEntry[] = [];
  let names;
  try {
    names = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return out;
    throw e;
  }
  for (const d of names) {
    checkAborted(signal);
    const p = path.join(dir, d.name);
    if (d.isDirectory()) {
      out.push({ path: p, dir: true, size: 0, mtime: new Date(0) });
      if (recursive) out.push(...(await walk(p, true, signal)));
    } else if (d.isFile()) {
      let s;
      try {
        s = await stat(p);
      } catch (e) {
        // Removed between readdir and stat (another writer's temporary file): not listed.
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw e;
      }
      out.push({ path: p, dir: false, size: s.size, mtime: s.mtime });
    }
  }
  return out;
}

function localError(e: unknown, key: string): StorageError {
  if (e instanceof StorageError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT') return new StorageError('not_found', `object not found: ${key}`);
  if (err.code === 'EACCES' || err.code === 'EPERM') return new StorageError('access_denied', `permission denied: ${key}`);
  return new StorageError('other', `${key}: ${err.message}`);
}
