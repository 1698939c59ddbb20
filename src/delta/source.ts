/**
 * `type: delta` sources: the snapshot at the latest version, at `version`, or at `timestamp`,
 * registered as a view named after the source that reads exactly the snapshot's data files
 * (scan.ts). Files of local tables are read in place; files on object stores are downloaded into
 * the run's spill directory first (only the snapshot's files, and the checkpoint it needs).
 */
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { ExecutorError } from '../core/errors.js';
import { interruptible } from '../engine/session.js';
import type { Source } from '../pipeline/types.js';
import { formatBytes } from '../storage/transfer.js';
import { atBoundary } from './errors.js';
import { LocalFiles, type ReportFn } from './io.js';
import { dataFileKey, openDeltaLocation } from './location.js';
import { scanSql, type ScanFile } from './scan.js';
import { loadSnapshot } from './snapshot.js';
import { quoteIdent } from './sql.js';

export type DeltaSource = Extract<Source, { type: 'delta' }>;

/** What registering a source needs from the run (the same as a file source's host). */
export interface DeltaSourceHost {
  conn: DuckDBConnection;
  /** Lets DuckDB read this file after the engine is locked down. */
  allowFile(p: string): void;
  allowDirectory(p: string): void;
  /** The run's spill directory: objects of object-store tables are downloaded below it. */
  spillDir?: string;
  signal?: AbortSignal;
  report?: ReportFn;
  /** Environment for credentials (defaults to process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface RegisteredDeltaSource {
  version: number;
  files: number;
}

/**
 * Registers the source's snapshot as a view named after the source. Throws ExecutorError:
 * AQ_DELTA_UNSUPPORTED (a feature the table needs is not implemented), AQ_DELTA_VERSION_NOT_AVAILABLE,
 * AQ_DELTA_INVALID_LOG, AQ_SOURCE_FAILED (storage, unreadable files), AQ_CANCELLED.
 */
export async function registerDeltaSource(host: DeltaSourceHost, source: DeltaSource): Promise<RegisteredDeltaSource> {
  const subject = `source "${source.name}"`;
  const signal = host.signal ?? new AbortController().signal;
  const report = host.report ?? (() => {});
  try {
    const { location: loc, notes } = openDeltaLocation(source.location, source.storage_config, host.env ? { env: host.env } : {});
    for (const n of notes) report('warn', `${subject}: ${n}`);
    if (source.version !== null && source.timestamp !== null) {
      report('warn', `${subject}: both version and timestamp are given; version ${source.version} is read (as the original does)`);
    }
    if (loc.localDir === null && !host.spillDir) throw new ExecutorError('AQ_INTERNAL', `${subject}: object-store sources need the run's spill directory`);
    const workDir = host.spillDir ? path.join(host.spillDir, `delta-source-${source.name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40)}`) : null;
    const files = new LocalFiles(loc, workDir, report, subject);
    const conn = host.conn;
    return await interruptible(conn, signal, async () => {
      const snapshot = await loadSnapshot(loc, { conn, signal, files }, source.version !== null ? { version: source.version } : { timestamp: source.timestamp });
      const adds = [...snapshot.files.values()];
      const objects = adds.map((add) => ({ key: dataFileKey(loc, add.path, snapshot.version), size: add.size }));
      const total = objects.reduce((n, o) => n + o.size, 0);
      report('info', `${subject}: ${loc.url} at version ${snapshot.version}: ${adds.length} data file${adds.length === 1 ? '' : 's'} (${formatBytes(total)})`);
      const paths = await files.paths(objects, signal, 'data files');
      for (const p of paths) host.allowFile(p);
      const scan: ScanFile[] = adds.map((add, i) => ({ add, path: paths[i]! }));
      const sql = await scanSql(conn, snapshot, scan);
      await conn.run(`CREATE VIEW ${quoteIdent(source.name)} AS ${sql}`);
      // Bind once now so a broken table fails here, naming the source, not in the first stage.
      await conn.run(`SELECT * FROM ${quoteIdent(source.name)} LIMIT 0`);
      return { version: snapshot.version, files: adds.length };
    });
  } catch (e) {
    throw atBoundary(e, 'source', subject);
  }
}
