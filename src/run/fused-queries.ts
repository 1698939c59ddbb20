/**
 * The run's side of stage fusion (src/engine/fusion-plan.ts): when a query that computes fused
 * views fails while running, the views are stored as the tables they stand for so that the stage
 * whose SQL failed is the one named; out of memory in such a query says which stages it computed.
 */
import { ExecutorError } from '../core/errors.js';
import { interruptible, type EngineSession } from '../engine/session.js';
import { stageSubject } from '../engine/stages.js';
import type { FusionPlan } from '../engine/fusion-plan.js';
import type { StageRelations } from '../engine/stage-relations.js';
import { writeDestination, type DestinationPlan } from '../destinations/index.js';

/** What a fused destination write needs of the prepared run. */
export interface FusedRun {
  fusion: FusionPlan;
  relations: StageRelations;
  destination: DestinationPlan | null;
}

/**
 * A query computing fused views failed while running: stores those views as the tables they
 * stand for, one by one in pipeline order, so that a stage whose own SQL fails is the one named
 * (as it would have been without fusion). Logged; returns whether the failed query is worth
 * running again (on the tables now).
 */
export async function fallBack(session: EngineSession, relations: StageRelations, fused: readonly string[], conn: EngineSession['main']): Promise<boolean> {
  session.log.info({ stages: fused }, 'a query computing fused stages failed; storing them as tables to find the failing stage');
  return relations.materialise(conn, fused);
}

/** Out of memory in the query of `subject` that also computed fused stages: the message says which. */
export async function withFusedNote<T>(subject: string, fused: readonly string[], work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (e) {
    if (!(e instanceof ExecutorError) || e.code !== 'AQ_OUT_OF_MEMORY' || fused.length === 0 || !e.message.startsWith(`${subject}: `)) throw e;
    const names = fused.map((n) => stageSubject(n).replace(/^stage /, '')).join(', ');
    throw new ExecutorError('AQ_OUT_OF_MEMORY', `${e.message} (the query also computed ${fused.length === 1 ? 'stage' : 'stages'} ${names}, fused into it)`, { cause: e });
  }
}

/**
 * Writes the destination. When the last stage is a view, the destination's query computes it
 * (and the views it reads): if that query fails, the views are stored as tables one by one, so
 * that a stage whose SQL fails is the one named; a local file or in-memory destination is then
 * written once more from the tables.
 */
export async function writeFused(session: EngineSession, prepared: FusedRun, lastStage: string | null, signal: AbortSignal): Promise<void> {
  const fused = lastStage !== null && prepared.fusion.relation.get(lastStage) === 'view' ? prepared.fusion.fusedInto.get(lastStage)! : [];
  const subject = `destination "${prepared.destination!.destination.name}"`;
  const write = () => withFusedNote(subject, fused, writeDestination(session, prepared.destination!, lastStage, signal));
  try {
    await write();
  } catch (e) {
    const engineFailure = e instanceof ExecutorError && e.code === 'AQ_DESTINATION_FAILED' && e.cause !== undefined && !(e.cause instanceof ExecutorError);
    if (!engineFailure || signal.aborted || fused.length === 0) throw e;
    const stored = await interruptible(session.main, signal, () => fallBack(session, prepared.relations, fused, session.main));
    const d = prepared.destination!;
    if (!stored || (d.destination.type === 'file' && d.file?.remote)) throw e;
    await write();
  }
}
