/**
 * File destinations on the local file system. Atomic: the data is written to a temporary name
 * next to the target and renamed into place; a failed or cancelled run removes the temporary
 * output and leaves the previous target untouched.
 *
 * `single_file: true` (and no partition columns) writes exactly one file. Otherwise a directory
 * of files is written (hive-style `col=value/` sub-directories for partition columns) and it
 * replaces the previous directory as a whole.
 */
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { ExecutorError } from '../errors.js';
import { locationToPath } from '../pipeline/location.js';
import type { Destination } from '../pipeline/types.js';
import { describe } from '../engine/stages.js';
import { interruptible, cancelled } from '../engine/session.js';
import { arrowTextExpression, isTimestampType } from '../engine/table-format.js';
import { quoteIdent, quoteLiteral } from '../engine/sql-text.js';
import { copyOptions } from './file-options.js';

type FileDestination = Extract<Destination, { type: 'file' }>;

export interface FileTarget {
  target: string;
  temp: string;
  /** Where the previous directory waits while the new one is moved in. */
  old: string;
  directory: boolean;
}

export function fileTarget(dest: FileDestination, runId: string): FileTarget {
  const subject = `destination "${dest.name}"`;
  const target = locationToPath(dest.location);
  if (target === null) {
    const scheme = dest.location.split(':')[0];
    throw new ExecutorError('AQ_NOT_SUPPORTED', `${subject}: locations with scheme ${scheme}:// are not supported yet (only local files)`);
  }
  const dir = path.dirname(target);
  const base = path.basename(target);
  return {
    target,
    temp: path.join(dir, `.${base}.aqueducts-${runId}.tmp`),
    old: path.join(dir, `.${base}.aqueducts-${runId}.old`),
    directory: !dest.single_file || dest.partition_columns.length > 0,
  };
}

async function kindOf(p: string): Promise<'file' | 'directory' | null> {
  try {
    return (await stat(p)).isDirectory() ? 'directory' : 'file';
  } catch {
    return null;
  }
}

export async function writeFileDestination(
  conn: DuckDBConnection,
  dest: FileDestination,
  t: FileTarget,
  lastStage: string,
  signal: AbortSignal,
  warn: (message: string) => void,
): Promise<void> {
  const subject = `destination "${dest.name}"`;
  const { options, warnings } = copyOptions(subject, dest.format);
  for (const w of warnings) warn(w);
  const existing = await kindOf(t.target);
  if (existing === 'directory' && !t.directory) throw new ExecutorError('AQ_DESTINATION_FAILED', `${subject}: ${t.target} is a directory, but single_file is true`);
  if (existing === 'file' && t.directory) throw new ExecutorError('AQ_DESTINATION_FAILED', `${subject}: ${t.target} is a file, but the destination writes a directory (single_file: false or partition_columns)`);
  await mkdir(path.dirname(t.target), { recursive: true });
  await rm(t.temp, { recursive: true, force: true });
  try {
    const cols = await describe(conn, quoteIdent(lastStage));
    for (const p of dest.partition_columns) {
      if (!cols.some((c) => c.name === p)) {
        throw new ExecutorError('AQ_DESTINATION_FAILED', `${subject}: partition column "${p}" is not a column of stage "${lastStage}" (columns: ${cols.map((c) => c.name).join(', ')})`);
      }
    }
    // Text formats spell timestamps as arrow does (2024-01-03T10:07:37).
    const select = cols
      .map((c) => (dest.format.type !== 'parquet' && isTimestampType(c.type) ? `${arrowTextExpression(quoteIdent(c.name), c.type)} AS ${quoteIdent(c.name)}` : quoteIdent(c.name)))
      .join(', ');
    const all = [...options];
    if (dest.partition_columns.length) all.push(`PARTITION_BY (${dest.partition_columns.map(quoteIdent).join(', ')})`);
    else if (t.directory) all.push('PER_THREAD_OUTPUT true');
    if (t.directory) await mkdir(t.temp, { recursive: true });
    await interruptible(conn, signal, () => conn.run(`COPY (SELECT ${select} FROM ${quoteIdent(lastStage)}) TO ${quoteLiteral(t.temp)} (${all.join(', ')})`));
    if (signal.aborted) throw cancelled();
    await moveIntoPlace(t);
  } catch (e) {
    await rm(t.temp, { recursive: true, force: true });
    if (e instanceof ExecutorError) throw e;
    throw new ExecutorError('AQ_DESTINATION_FAILED', `${subject}: ${(e as Error).message}`, { cause: e });
  }
}

async function moveIntoPlace(t: FileTarget): Promise<void> {
  if (!t.directory) return rename(t.temp, t.target);
  const hadOld = (await kindOf(t.target)) === 'directory';
  if (hadOld) await rename(t.target, t.old);
  try {
    await rename(t.temp, t.target);
  } catch (e) {
    if (hadOld) await rename(t.old, t.target);
    throw e;
  }
  if (hadOld) await rm(t.old, { recursive: true, force: true });
}
