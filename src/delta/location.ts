/**
 * Where a Delta table lives: its store (src/storage), the key prefix of its root, its log, and,
 * for local tables, the directory DuckDB reads and writes in place. Opening performs no I/O.
 */
import path from 'node:path';
import { openLocation, type OpenOptions } from '../storage/open.js';
import type { ObjectStore } from '../storage/types.js';
import { deltaError } from './errors.js';
import { LOG_DIR, commitFileName, decodeAddPath, isAbsolutePath } from './paths.js';

export interface DeltaLocation {
  /** The table as a URL for messages: the store's root and the key, never a query string or credentials. */
  url: string;
  store: ObjectStore;
  /** Key prefix of the table's root: '' or ending with '/'. */
  root: string;
  /** `root + '_delta_log/'`. */
  log: string;
  /** The table's directory on local disk; null for object stores. */
  localDir: string | null;
  /** storage_config keys, lower-cased, as given (for the Delta options the storage layer ignores). */
  options: Record<string, string>;
}

export interface OpenedDeltaLocation {
  location: DeltaLocation;
  /** Notes about storage_config keys, for the run's user (never values). */
  notes: string[];
}

/** Delta options of delta-rs that this library reads itself (the storage layer ignores them). */
export const DELTA_OPTION_KEYS = ['aws_s3_allow_unsafe_rename', 'aws_s3_locking_provider'];

export function openDeltaLocation(url: string, storageConfig: Record<string, string>, opts: OpenOptions = {}): OpenedDeltaLocation {
  const opened = openLocation(url, storageConfig, opts);
  const key = opened.key.replace(/\/+$/, '');
  const root = key === '' ? '' : `${key}/`;
  const options: Record<string, string> = {};
  for (const [k, v] of Object.entries(storageConfig)) options[k.trim().toLowerCase()] = v;
  const notes: string[] = [];
  for (const n of opened.notes) {
    const k = n.key.trim().toLowerCase();
    if (k === 'aws_conditional_put' || k === 'conditional_put') {
      notes.push(`storage_config key "${n.key}" is not needed: the writer checks itself whether the S3 endpoint honours conditional writes; the key is ignored`);
      continue;
    }
    if (DELTA_OPTION_KEYS.includes(k)) continue;
    if (n.category === 'delta') notes.push(`storage_config key "${n.key}" is a delta-rs option this executor does not use; it is ignored`);
    else notes.push(n.message);
  }
  const localDir = opened.location.kind === 'local' ? path.resolve('/', key) : null;
  const displayRoot = opened.location.kind === 'local' ? 'file://' : opened.store.root.replace(/\/+$/, '');
  const tableUrl = opened.location.kind === 'local' ? `file://${localDir}` : `${displayRoot}/${key}`;
  return { location: { url: tableUrl, store: opened.store, root, log: `${root}${LOG_DIR}`, localDir, options }, notes };
}

export function commitKey(loc: DeltaLocation, version: number): string {
  return `${loc.log}${commitFileName(version)}`;
}

/** A boolean option (`true`/`false`, any case), from storage_config or else the environment. */
export function booleanOption(loc: DeltaLocation, key: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const v = loc.options[key] ?? env[key.toUpperCase()];
  return typeof v === 'string' && v.trim().toLowerCase() === 'true';
}

export function stringOption(loc: DeltaLocation, key: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return loc.options[key] ?? env[key.toUpperCase()];
}

/**
 * The store key of a file named by `add.path`. Relative paths are decoded once and resolved
 * against the table root; absolute URIs are accepted when they point inside the same store.
 */
export function dataFileKey(loc: DeltaLocation, addPath: string, version: number | null): string {
  if (isAbsolutePath(addPath)) {
    const own = loc.localDir !== null ? 'file://' : `${loc.store.root.replace(/\/+$/, '')}/`;
    if (!addPath.startsWith(own)) {
      throw deltaError('AQ_DELTA_UNSUPPORTED', loc.url, version, `data file ${addPath} is outside the table's store; only files of the same store can be read`);
    }
    const rest = decodeAddPath(addPath.slice(own.length));
    if (rest === null) throw deltaError('AQ_DELTA_INVALID_LOG', loc.url, version, `data file path ${addPath} has an invalid percent-encoding`);
    return rest.replace(/^\/+/, '');
  }
  const decoded = decodeAddPath(addPath);
  if (decoded === null) throw deltaError('AQ_DELTA_INVALID_LOG', loc.url, version, `data file path ${addPath} has an invalid percent-encoding`);
  const segments = decoded.split('/');
  if (segments.some((s) => s === '..')) throw deltaError('AQ_DELTA_INVALID_LOG', loc.url, version, `data file path ${addPath} leaves the table's directory`);
  return `${loc.root}${decoded.replace(/^\/+/, '')}`;
}

/** The local path of a key of a local table's store. */
export function localPathOf(key: string): string {
  return path.resolve('/', key);
}
