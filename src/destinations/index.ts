/** Destinations: each writes the last stage's result, atomically. */
import { ExecutorError } from '../core/errors.js';
import type { Destination } from '../pipeline/types.js';
import { classifyEngineError, interruptible, type EngineSession } from '../engine/session.js';
import { quoteIdent } from '../engine/sql-text.js';
import { checkFileDestination, fileTarget, writeFileDestination, type FileTarget } from './file.js';
import { checkOdbcDestination, writeOdbcDestination } from './odbc.js';

export interface DestinationPlan {
  destination: Destination;
  file?: FileTarget;
}

/**
 * Works out where the destination will write before the engine is locked down, and allows
 * exactly that temporary path. Fails early for kinds this executor does not support yet.
 */
export function planDestination(session: EngineSession, destination: Destination, runId: string): DestinationPlan {
  switch (destination.type) {
    case 'file': {
      const file = fileTarget(destination, runId, { spillDir: session.spillDir, warn: (m) => session.report('warn', m) });
      // DuckDB checks the directory itself as a path and its contents as a directory.
      session.allowFile(file.temp);
      if (file.directory) session.allowDirectory(file.temp);
      return { destination, file };
    }
    case 'in_memory':
    case 'odbc':
      return { destination };
    case 'delta':
      throw new ExecutorError('AQ_NOT_SUPPORTED', `destination "${destination.name}": ${destination.type} destinations are not supported by this executor yet`);
  }
}

/**
 * What can be checked before anything runs, without writing: a file destination's options and
 * target (checkFileDestination), an ODBC destination's connection (checkOdbcDestination).
 */
export async function checkDestination(plan: DestinationPlan, signal: AbortSignal): Promise<void> {
  const d = plan.destination;
  try {
    if (d.type === 'file' && plan.file) await checkFileDestination(d, plan.file, signal);
    if (d.type === 'odbc') await checkOdbcDestination(d, signal);
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
    if (d.type === 'in_memory') {
      await interruptible(conn, signal, () => conn.run(`CREATE TABLE ${quoteIdent(d.name)} AS SELECT * FROM ${quoteIdent(lastStage)}`));
      return;
    }
  } catch (e) {
    throw classifyEngineError(e, 'AQ_DESTINATION_FAILED', subject);
  }
  throw new ExecutorError('AQ_NOT_SUPPORTED', `${subject}: ${d.type} destinations are not supported by this executor yet`);
}
