/**
 * File destinations. Atomic: on the local file system the data is written to a temporary name
 * next to the target and renamed into place; on object stores it is written into the run's spill
 * directory and uploaded (src/storage/destination-upload.ts). A failed or cancelled run removes
 * what it wrote and leaves the previous target untouched.
 *
 * `single_file: true` (and no partition columns) writes exactly one file. Otherwise a directory
 * of files is written (hive-style `col=value/` sub-directories for partition columns) and it
 * replaces the previous dataset in that directory. A directory destination deletes only what a
 * dataset is made of (src/storage/dataset.ts): it refuses a directory holding anything else, the
 * working directory or the executor's data root or an ancestor of them, and a directory holding
 * an input of the run.
 */
import { mkdir, readdir, readFile, rename, rm, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { cancelled, ExecutorError } from '../core/errors.js';
import { locationToPath } from '../pipeline/location.js';
import type { Destination } from '../pipeline/types.js';
import { relationColumns } from '../engine/stages.js';
import { classifyEngineError, interruptible } from '../engine/session.js';
import { arrowTextExpression, isTimestampType } from '../engine/table-format.js';
import { quoteIdent, quoteLiteral } from '../engine/sql-text.js';
import { copyOptions } from './file-options.js';
import { checkRemoteTarget, planRemoteTarget, uploadDestination, type RemoteTarget } from '../storage/destination-upload.js';
import { isDatasetFile, isPartitionFolder } from '../storage/dataset.js';
import { isWithin, resolveReal } from '../storage/paths.js';

type FileDestination = Extract<Destination, { type: 'file' }>;

export interface FileTarget {
  target: string;
  temp: string;
  /** Where the previous directory waits while the new one is moved in. */
  old: string;
  directory: boolean;
  /** Set for object-store locations: `temp` is then in the run's spill directory and gets uploaded. */
  remote?: RemoteTarget;
  /** Short and unique to the run: names the files of an object-store directory. */
  tag: string;
  /** Local targets: where the run records its temporary paths, for a later process to clean up if this one dies. */
  journal?: string;
  protectedDirs?: readonly string[];
  inputs?: readonly { field: string; path: string }[];
}

/** The journal of a local destination write, in the run's spill directory. */
const JOURNAL = 'local-destination.json';

export interface FileTargetContext {
  /** The run's spill directory (object-store destinations are written there before the upload; a local destination's journal lives there). */
  spillDir?: string;
  warn?: (message: string) => void;
  /**
   * Directories a directory destination may never replace, nor any ancestor of them: the
   * executor's data root, the working directory.
   */
  protectedDirs?: readonly string[];
  /** The run's local inputs: a directory destination never replaces a directory holding one. */
  inputs?: readonly { field: string; path: string }[];
}

export function fileTarget(dest: FileDestination, runId: string, ctx: FileTargetContext = {}): FileTarget {
  const subject = `destination "${dest.name}"`;
  const directory = !dest.single_file || dest.partition_columns.length > 0;
  const target = locationToPath(dest.location);
  if (target === null) {
    if (!ctx.spillDir) throw new ExecutorError('AQ_INTERNAL', `${subject}: object-store destinations need the run's spill directory`);
    const remote = planRemoteTarget(subject, dest.location, dest.storage_config, directory);
    for (const n of remote.notes) ctx.warn?.(`${subject}: ${n.message}`);
    const temp = path.join(ctx.spillDir, `destination-${runId}`, path.posix.basename(remote.key));
    return { target: remote.url, temp, old: '', directory, remote, tag: runTag(runId) };
  }
  if (Object.keys(dest.storage_config).length) ctx.warn?.(`${subject}: storage_config has no effect on a local location; it is ignored`);
  const dir = path.dirname(target);
  const base = path.basename(target);
  return {
    target,
    temp: path.join(dir, `.${base}.aqueducts-${runId}.tmp`),
    old: path.join(dir, `.${base}.aqueducts-${runId}.old`),
    directory,
    tag: runTag(runId),
    journal: ctx.spillDir === undefined ? undefined : path.join(ctx.spillDir, JOURNAL),
    protectedDirs: ctx.protectedDirs ?? [process.cwd()],
    inputs: ctx.inputs ?? [],
  };
}

async function kindOf(p: string): Promise<'file' | 'directory' | null> {
  try {
    return (await stat(p)).isDirectory() ? 'directory' : 'file';
  } catch {
    return null;
  }
}

/**
 * Whether the target's current kind (file or directory) fits what the destination writes, and,
 * for a directory, that replacing it deletes only a dataset: never a protected directory or one
 * of its ancestors, never a directory holding an input of the run, never a file that is not part
 * of a dataset.
 */
async function checkLocalTarget(subject: string, t: FileTarget): Promise<void> {
  const existing = await kindOf(t.target);
  if (existing === 'directory' && !t.directory) throw new ExecutorError('AQ_DESTINATION_FAILED', `${subject}: ${t.target} is a directory, but single_file is true`);
  if (existing === 'file' && t.directory) throw new ExecutorError('AQ_DESTINATION_FAILED', `${subject}: ${t.target} is a file, but the destination writes a directory (single_file: false or partition_columns)`);
  if (!t.directory) return;
  const real = await resolveReal(t.target);
  for (const dir of t.protectedDirs ?? []) {
    if (isWithin(await resolveReal(dir), real)) {
      throw new ExecutorError('AQ_DESTINATION_REFUSED', `${subject}: a directory destination replaces its directory, and ${t.target} is ${real === (await resolveReal(dir)) ? '' : 'an ancestor of '}${dir} (the working directory or the executor's data root); write to a directory of its own`);
    }
  }
  for (const input of t.inputs ?? []) {
    if (isWithin(await resolveReal(input.path), real)) {
      throw new ExecutorError('AQ_DESTINATION_REFUSED', `${subject}: a directory destination replaces its directory, and ${t.target} holds an input of this run (${input.field}: ${input.path}); write to a directory of its own`);
    }
  }
  if (existing === 'directory') {
    const foreign = await firstForeignFile(t.target);
    if (foreign !== null) {
      throw new ExecutorError('AQ_DESTINATION_REFUSED', `${subject}: ${t.target} holds ${path.join(t.target, foreign)}, which is not part of a dataset; a directory destination replaces only data files (.parquet, .csv, .json) and partition folders (column=value), so move it away or write to a directory of its own`);
    }
  }
}

/** The first entry below `dir` (relative path) that is not part of a dataset; null when there is none. */
async function firstForeignFile(dir: string, rel = ''): Promise<string | null> {
  const entries = await readdir(path.join(dir, rel), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of entries) {
    const r = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) {
      if (!isPartitionFolder(e.name)) return `${r}/`;
      const below = await firstForeignFile(dir, r);
      if (below !== null) return below;
    } else if (!e.isFile() || !isDatasetFile(r)) {
      return r;
    }
  }
  return null;
}

/**
 * Deletes a replaced dataset: its data files and partition folders, file by file. Anything else
 * that appeared meanwhile stays, in the directory, which is then kept (and reported).
 */
async function removeDataset(dir: string, rel = ''): Promise<boolean> {
  let empty = true;
  for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory() && isPartitionFolder(e.name)) {
      if (!(await removeDataset(dir, r))) empty = false;
    } else if (e.isFile() && isDatasetFile(r)) {
      await unlink(path.join(dir, r));
    } else {
      empty = false;
    }
  }
  if (empty) await rmdir(path.join(dir, rel));
  return empty;
}

/**
 * A process that died while writing a local destination left its journal behind: its temporary
 * output is deleted, and a previous dataset it had moved aside goes back in place (or, when the
 * new one made it in, is deleted like any replaced dataset).
 */
export async function recoverLocalDestination(spillDir: string): Promise<string | null> {
  let entry: { target?: unknown; temp?: unknown; old?: unknown };
  try {
    entry = JSON.parse(await readFile(path.join(spillDir, JOURNAL), 'utf8')) as typeof entry;
  } catch {
    return null;
  }
  const { target, temp, old } = entry;
  if (typeof target !== 'string' || typeof temp !== 'string' || typeof old !== 'string') return null;
  // Only the names this module gives its temporary paths, beside the target.
  const ours = (p: string, suffix: string) => path.dirname(p) === path.dirname(target) && /^\..+\.aqueducts-[A-Za-z0-9-]+\.(tmp|old)$/.test(path.basename(p)) && p.endsWith(suffix);
  if (!ours(temp, '.tmp') || !ours(old, '.old')) return null;
  await rm(temp, { recursive: true, force: true });
  if ((await kindOf(old)) === 'directory') {
    if ((await kindOf(target)) === null) await rename(old, target);
    else await removeDataset(old);
  }
  return target;
}

/**
 * Checked before the sources load and the stages run: the format options, and the target itself
 * (its kind; on an object store also the bucket and the credentials, by listing and reading the
 * target's metadata). Checked again when writing: the target may change during the run.
 */
export async function checkFileDestination(dest: FileDestination, t: FileTarget, signal: AbortSignal): Promise<void> {
  const subject = `destination "${dest.name}"`;
  copyOptions(subject, dest.format); // its warnings are reported when writing
  if (t.remote) await checkRemoteTarget(subject, t.remote, t.directory, signal);
  else await checkLocalTarget(subject, t);
}

export async function writeFileDestination(
  conn: DuckDBConnection,
  dest: FileDestination,
  t: FileTarget,
  lastStage: string,
  signal: AbortSignal,
  report: (level: 'info' | 'warn' | 'error', message: string) => void,
): Promise<void> {
  const subject = `destination "${dest.name}"`;
  const { options, warnings } = copyOptions(subject, dest.format);
  for (const w of warnings) report('warn', w);
  if (t.remote) {
    await checkRemoteTarget(subject, t.remote, t.directory, signal);
    await mkdir(path.dirname(t.temp), { recursive: true });
  } else {
    await checkLocalTarget(subject, t);
    await mkdir(path.dirname(t.target), { recursive: true });
    if (t.journal) await writeFile(t.journal, JSON.stringify({ target: t.target, temp: t.temp, old: t.old }));
  }
  await rm(t.temp, { recursive: true, force: true });
  try {
    const cols = await relationColumns(conn, lastStage);
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
    // Object-store directories are uploaded next to the previous objects: names unique to the run.
    if (t.directory && t.remote) all.push(`FILENAME_PATTERN ${quoteLiteral(`part-${t.tag}-{i}`)}`);
    if (t.directory) await mkdir(t.temp, { recursive: true });
    await interruptible(conn, signal, () => conn.run(`COPY (SELECT ${select} FROM ${quoteIdent(lastStage)}) TO ${quoteLiteral(t.temp)} (${all.join(', ')})`));
    if (signal.aborted) throw cancelled();
    if (t.remote) {
      await uploadDestination(subject, t.remote, t.temp, t.directory, signal, report, t.tag);
      await rm(t.temp, { recursive: true, force: true });
    } else {
      await moveIntoPlace(t, report);
    }
    if (t.journal) await rm(t.journal, { force: true });
  } catch (e) {
    await rm(t.temp, { recursive: true, force: true });
    if (t.journal) await rm(t.journal, { force: true });
    // The write reads the last stage, which may be a view its query computes: out of memory keeps its code.
    throw classifyEngineError(e, 'AQ_DESTINATION_FAILED', subject);
  }
}

function runTag(runId: string): string {
  return runId.replace(/[^A-Za-z0-9]/g, '').slice(0, 12) || Date.now().toString(36);
}

async function moveIntoPlace(t: FileTarget, report: (level: 'info' | 'warn' | 'error', message: string) => void): Promise<void> {
  if (!t.directory) return rename(t.temp, t.target);
  const hadOld = (await kindOf(t.target)) === 'directory';
  if (hadOld) await rename(t.target, t.old);
  try {
    await rename(t.temp, t.target);
  } catch (e) {
    if (hadOld) await rename(t.old, t.target);
    throw e;
  }
  if (hadOld && !(await removeDataset(t.old))) {
    report('warn', `${t.target} is in place; files that are not part of the dataset appeared in the previous one meanwhile and were kept in ${t.old}`);
  }
}
