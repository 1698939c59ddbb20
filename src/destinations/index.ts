/** Destinations: each writes the last stage's result, atomically. */
import { ExecutorError } from '../core/errors.js';
import type { Destination } from '../pipeline/types.js';
import { classifyEngineError, interruptible, type EngineSession } from '../engine/session.js';
import { quoteIdent } from '../engine/sql-text.js';
import { checkFileDestination, fileTarget, writeFileDestination, type FileTarget, type FileTargetContext } from './file.js';
import { checkOdbcDestination, writeOdbcDestination } from './odbc.js';
import { checkDeltaDestination, planDeltaDestination, writeDeltaDestination, type DeltaDestinationPlan } from '../delta/index.js';

/** What a directory destination may never replace (see src/destinations/file.ts). */
export type DestinationGuard = Pick<FileTargetContext, 'protectedDirs' | 'inputs'>;

export interface DestinationPlan {
  destination: Destination;
  file?: FileTarget;
  delta?: DeltaDestinationPlan;
}

/**
 * Works out where the destination will write before the engine is locked down, and allows
 * exactly that temporary path (a Delta table: its directory, or a work directory for an object store).
 */
export function planDestination(session: EngineSession, destination: Destination, runId: string, guard: DestinationGuard = {}): DestinationPlan {
  switch (destination.type) {
    case 'file': {
      const file = fileTarget(destination, runId, { spillDir: session.spillDir, warn: (m) => session.report('warn', m), ...guard });
      // DuckDB checks the directory itself as a path and its contents as a directory.
      session.allowFile(file.temp);
      if (file.directory) session.allowDirectory(file.temp);
      return { destination, file };
    }
    case 'in_memory':
    case 'odbc':
      return { destination };
    case 'delta': {
      const host = {
        spillDir: session.spillDir,
        allowFile: (p: string) => session.allowFile(p),
        allowDirectory: (p: string) => session.allowDirectory(p),
        report: (level: 'info' | 'warn' | 'error', m: string) => session.report(level, m),
      };
      return { destination, delta: planDeltaDestination(host, destination, runId) };
    }
  }
}

/**
 * What can be checked before anything runs, without writing: a file destination's options and
 * target (checkFileDestination), an ODBC destination's connection (checkOdbcDestination).
 */
export async function checkDestination(session: EngineSession, plan: DestinationPlan, signal: AbortSignal): Promise<void> {
  const d = plan.destination;
  try {
    if (d.type === 'file' && plan.file) await checkFileDestination(d, plan.file, signal);
    if (d.type === 'odbc') await checkOdbcDestination(d, signal);
    if (d.type === 'delta' && plan.delta) await checkDeltaDestination({ conn: session.main, signal, report: (level, m) => session.report(level, m) }, plan.delta);
  } catch (e) {
    throw classifyEngineError(e, 'AQ_DESTINATION_FAILED', `destination "${d.name}"`);
  }
}

export async function writeDestination(session: EngineSession, plan: DestinationPlan, lastStage: string | null, signal: AbortSignal): Promise<void> {
  const d = plan.destination;
  const subject = `destination "${d.name}"`;
  if (lastStage === null) throw new ExecutorError('AQ_DESTINATION_FAILED', `${subject}: the pipeline has no stage whose result could be written`);
  const conn = session.main;
  try {
    if (d.type === 'file' && plan.file) return await writeFileDestination(conn, d, plan.file, lastStage, signal, (level, m) => session.report(level, m));
    if (d.type === 'odbc') return await writeOdbcDestination(conn, d, lastStage, signal, (level, m) => session.report(level, m));
    if (d.type === 'delta' && plan.delta) {
      await writeDeltaDestination({ conn, signal, report: (level, m) => session.report(level, m) }, plan.delta, lastStage);
      return;
    }
    if (d.type === 'in_memory') {
      await interruptible(conn, signal, () => conn.run(`CREATE TABLE ${quoteIdent(d.name)} AS SELECT * FROM ${quoteIdent(lastStage)}`));
      return;
    }
  } catch (e) {
    throw classifyEngineError(e, 'AQ_DESTINATION_FAILED', subject);
  }
  throw new ExecutorError('AQ_NOT_SUPPORTED', `${subject}: ${d.type} destinations are not supported by this executor yet`);
}
