/**
 * Runs one pipeline: opens the run's engine session, checks every stage before anything runs,
 * drives the pipeline-run machine with the real actors (its first step checks the destination),
 * and closes the session whatever the outcome (after every side effect has settled, so a
 * cancelled destination has cleaned up).
 */
import { randomUUID } from 'node:crypto';
import { createActor, fromCallback, fromPromise, waitFor } from 'xstate';
import { pipelineRunMachine, type GroupEvent, type GroupInput } from '../../machines/pipeline-run.machine.js';
import { ExecutorError, formatDiagnostic, toExecutorError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/log.js';
import type { Aqueduct, Stage } from '../pipeline/types.js';
import { registerSource } from '../sources/index.js';
import { checkDestination, planDestination, type DestinationPlan } from '../destinations/index.js';
import type { ProgressEvent, RunLogListener, StageOutput } from '../core/run-events.js';
import { EngineSession } from '../engine/session.js';
import { runStage, stageSubject } from '../engine/stages.js';
import { traitsOfTree, type StageTraits } from '../engine/stage-traits.js';
import { planFusion, type DestinationReading, type FusionPlan } from '../engine/fusion-plan.js';
import { StageRelations } from '../engine/stage-relations.js';
import { rewriteSql } from '../engine/sql/rewrite.js';
import { checkSerializedQuery, serializeSql } from '../engine/sql/check.js';
import { formatBytes } from '../storage/transfer.js';
import { assertNoFindings } from './validate.js';
import { fallBack, withFusedNote, writeFused } from './fused-queries.js';
import { confineLocations, localLocations, type PathPolicy } from './confinement.js';

export interface RunPipelineOptions {
  pipeline: Aqueduct;
  executionId?: string;
  /** GiB; 0/undefined = DuckDB's default. */
  memoryLimitGb?: number;
  spillRoot?: string;
  threads?: number;
  signal?: AbortSignal;
  log?: Logger;
  onProgress?: (progress: number, event: ProgressEvent) => void;
  onStageOutput?: (output: StageOutput) => void;
  /** The run's own log lines (warnings about ignored options, ...); never secrets. */
  onLog?: RunLogListener;
  /** Engine progress inside a running stage, at most every `stageProgressMs` (default 250) per stage. */
  onStageProgress?: (stageName: string, percentage: number | null, rowsProcessed: number) => void;
  stageProgressMs?: number;
  /** Remote runs: the directories local locations must lie in (none for a local CLI run). */
  confinement?: PathPolicy;
  /** Directories a directory destination may never replace (default: the working directory). */
  protectedDirs?: readonly string[];
  /** Disk the engine may spill to, in bytes (default: DuckDB's). */
  maxSpillBytes?: number;
  /** false: every stage is stored as a table, none fused into the query that reads it (default true). */
  fuseStages?: boolean;
}

export type RunOutcome =
  | { status: 'succeeded' }
  | { status: 'failed'; error: ExecutorError }
  | { status: 'cancelled' };

interface Prepared {
  sql: Map<string, string>;
  /** Which stages are tables and which are views, and when each is dropped. */
  fusion: FusionPlan;
  relations: StageRelations;
  destination: DestinationPlan | null;
}

/**
 * How the destination reads the last stage: a file or in-memory destination in one query (so the
 * last stage can be a view that query computes); ODBC streams it into another system and Delta
 * reads it several times, so for them it stays a table.
 */
function destinationReading(pipeline: Aqueduct): DestinationReading {
  const d = pipeline.destination;
  if (!d) return 'none';
  return d.type === 'file' || d.type === 'in_memory' ? 'once' : 'many';
}

/** Rewrites and checks every stage, and decides which stages are fused (fusion-plan.ts). */
async function prepare(session: EngineSession, pipeline: Aqueduct, runId: string, protectedDirs: readonly string[], fuse: boolean): Promise<Prepared> {
  for (const w of assertNoFindings(pipeline)) session.report('warn', formatDiagnostic(w));
  const sql = new Map<string, string>();
  const traits = new Map<string, StageTraits>();
  for (const group of pipeline.stages) for (const stage of group) sql.set(stage.name, rewriteSql(stage.query));
  // The macros the stages may call exist before anything binds a stage.
  await session.useMacros([...sql.values()]);
  for (const group of pipeline.stages) {
    for (const stage of group) {
      const rewritten = sql.get(stage.name)!;
      // One parse tree for the check and the traits.
      let tree: Promise<string> | undefined;
      const serialize = (text: string) => (tree ??= serializeSql(session.main, text));
      await checkSerializedQuery(serialize, stage.name, rewritten);
      traits.set(stage.name, traitsOfTree(JSON.parse(await serialize(rewritten)) as unknown));
    }
  }
  const fusion = planFusion(pipeline, traits, { destination: destinationReading(pipeline), enabled: fuse });
  for (const [stage, relation] of fusion.relation) session.log.debug({ stage, relation, reason: fusion.reason.get(stage) }, 'stage relation');
  const last = pipeline.stages.at(-1)?.at(-1)?.name;
  if (pipeline.destination && !last) {
    throw new ExecutorError('AQ_INVALID_PIPELINE', `destination "${pipeline.destination.name}": the pipeline has no stage whose result could be written`);
  }
  const inputs = localLocations(pipeline).filter((l) => l.field.startsWith('sources'));
  const destination = pipeline.destination ? planDestination(session, pipeline.destination, runId, { protectedDirs, inputs }) : null;
  await session.prepareConnections(Math.max(0, ...pipeline.stages.map((g) => g.length)));
  return { sql, fusion, relations: new StageRelations(), destination };
}

export async function runPipeline(opts: RunPipelineOptions): Promise<RunOutcome> {
  const log = opts.log ?? silentLogger();
  const runId = opts.executionId ?? randomUUID();
  if (opts.signal?.aborted) return { status: 'cancelled' };
  if (opts.confinement) {
    try {
      await confineLocations(opts.pipeline, opts.confinement);
    } catch (e) {
      return { status: 'failed', error: toExecutorError(e) };
    }
  }
  let session: EngineSession;
  try {
    session = await EngineSession.open({ memoryLimitGb: opts.memoryLimitGb, spillRoot: opts.spillRoot, threads: opts.threads, maxSpillBytes: opts.maxSpillBytes, log, onLog: opts.onLog });
  } catch (e) {
    return { status: 'failed', error: toExecutorError(e) };
  }
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight.add(p);
    p.then(() => inFlight.delete(p), () => inFlight.delete(p));
    return p;
  };
  try {
    let prepared: Prepared;
    try {
      prepared = await prepare(session, opts.pipeline, runId, opts.protectedDirs ?? [process.cwd()], opts.fuseStages ?? true);
    } catch (e) {
      return { status: 'failed', error: toExecutorError(e, 'AQ_INVALID_PIPELINE') };
    }
    const machine = pipelineRunMachine.provide({
      actors: {
        checkDestination: fromPromise(({ signal }) => track(checkDestination(session, prepared.destination!, signal))),
        registerSource: fromPromise(({ input, signal }) => track(registerSource(session, input.source, signal))),
        runStageGroup: fromCallback<{ type: 'none' }, GroupInput, GroupEvent>(({ input, sendBack }) => {
          const ac = new AbortController();
          const send = (e: GroupEvent) => { if (!ac.signal.aborted) sendBack(e); };
          const work = track(runGroup(session, input, prepared, ac.signal, send, opts));
          work.then(() => send({ type: 'group.done' }), (error) => send({ type: 'group.failed', error }));
          return () => ac.abort();
        }),
        writeDestination: fromPromise(({ input, signal }) =>
          track(session.lockdown().then(() => writeFused(session, prepared, input.lastStage, signal))),
        ),
      },
    });
    const actor = createActor(machine, {
      input: { pipeline: opts.pipeline },
      inspect: (ev) => {
        if (ev.type === '@xstate.snapshot' && ev.actorRef === actor) {
          const snap = ev.snapshot as { value?: unknown };
          log.debug({ state: snap.value }, 'pipeline run state');
        }
      },
    });
    actor.on('progress', (e) => opts.onProgress?.(e.progress, e.event));
    actor.on('stage_output', (e) => opts.onStageOutput?.(e.output));
    // A cancel that came while the session opened or the stages were checked: nothing ran yet.
    if (opts.signal?.aborted) return { status: 'cancelled' };
    const onAbort = () => actor.send({ type: 'cancel' });
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    // Past its disk budget the run is stopped like a cancelled one, and fails as out of memory.
    let overBudget: ExecutorError | null = null;
    const stopWatching = opts.maxSpillBytes === undefined ? () => {} : session.watchDisk(opts.maxSpillBytes, (used) => {
      overBudget = new ExecutorError('AQ_OUT_OF_MEMORY', `the run used ${formatBytes(used)} of disk in its spill directory, more than its limit of ${formatBytes(opts.maxSpillBytes!)} (--max-spill); it was stopped`);
      onAbort();
    });
    actor.start();
    let snap;
    try {
      snap = await waitFor(actor, (s) => s.status === 'done');
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      stopWatching();
    }
    // Side effects stopped by cancellation or failure finish their own clean-up first.
    while (inFlight.size) await Promise.allSettled([...inFlight]);
    if (overBudget) return { status: 'failed', error: overBudget };
    if (snap.value === 'succeeded') return { status: 'succeeded' };
    if (snap.value === 'cancelled') return { status: 'cancelled' };
    const err = toExecutorError(snap.context.error);
    if (err.code === 'AQ_CANCELLED') return { status: 'cancelled' };
    return { status: 'failed', error: err };
  } finally {
    while (inFlight.size) await Promise.allSettled([...inFlight]);
    await session.close();
  }
}

async function runGroup(
  session: EngineSession,
  input: GroupInput,
  prepared: Prepared,
  signal: AbortSignal,
  send: (e: GroupEvent) => void,
  opts: Pick<RunPipelineOptions, 'onStageProgress' | 'stageProgressMs'>,
): Promise<void> {
  await session.lockdown();
  await Promise.all(
    input.stages.map(async (stage: Stage, i) => {
      const conn = await session.connect();
      try {
        send({ type: 'stage.started', name: stage.name, position: input.position, subPosition: i });
        const t0 = performance.now();
        const stopWatching = watchProgress(conn, stage.name, opts);
        const relation = prepared.fusion.relation.get(stage.name)!;
        const fused = prepared.fusion.fusedInto.get(stage.name)!;
        try {
          const query = await withFusedNote(stageSubject(stage.name), fused, runStage({
            conn,
            stage,
            sql: prepared.sql.get(stage.name)!,
            relation,
            signal,
            emitOutput: (output) => send({ type: 'stage.output', output }),
            fallback: relation === 'table' && fused.length ? () => fallBack(session, prepared.relations, fused, conn) : undefined,
          }));
          prepared.relations.record(stage.name, relation, query);
        } finally {
          stopWatching();
        }
        send({ type: 'stage.completed', name: stage.name, position: input.position, subPosition: i, durationMs: Math.round(performance.now() - t0) });
      } finally {
        session.release(conn);
      }
    }),
  );
  for (const name of prepared.fusion.dropAfter.get(input.position) ?? []) {
    const relation = await prepared.relations.drop(session.main, name);
    session.log.debug({ stage: name, relation, group: input.position }, 'dropped stage relation');
  }
}

/** Polls DuckDB's progress of the query running on `conn` and reports changes. */
function watchProgress(
  conn: { progress: { percentage: number; rows_processed: bigint | number } },
  stageName: string,
  opts: Pick<RunPipelineOptions, 'onStageProgress' | 'stageProgressMs'>,
): () => void {
  const report = opts.onStageProgress;
  if (!report) return () => {};
  let last = '';
  const timer = setInterval(() => {
    let p;
    try {
      p = conn.progress;
    } catch {
      return;
    }
    const percentage = p.percentage >= 0 ? Math.min(100, Math.round(p.percentage * 10) / 10) : null;
    const rows = Number(p.rows_processed);
    const key = `${percentage}/${rows}`;
    if (key === last || (percentage === null && rows === 0)) return;
    last = key;
    report(stageName, percentage, rows);
  }, opts.stageProgressMs ?? 250);
  timer.unref();
  return () => clearInterval(timer);
}
