/**
 * One pipeline run: destination check → sources → stage groups (members of a group in parallel)
 * → destination. The check (what can be verified about the destination without writing, e.g. an
 * ODBC connection) comes first so a run that cannot write fails before any work is done.
 * `failed` and `cancelled` are reachable from every working state. Every side effect is an actor
 * provided by the engine; this file only decides order, progress and outcome.
 *
 * To cancel, leave the state: the invoked actor is stopped, which aborts its signal.
 */
import { assign, enqueueActions, fromCallback, fromPromise, setup } from 'xstate';
import type { Aqueduct, Destination, Source, Stage } from '../src/pipeline/types.js';
import type { ProgressEvent, StageOutput } from '../src/core/run-events.js';

export interface RunInput {
  pipeline: Aqueduct;
}

export interface RunContext {
  pipeline: Aqueduct;
  sourceIndex: number;
  groupIndex: number;
  /** Progress events reported so far. */
  step: number;
  /** Progress events this pipeline will report in all (see totalSteps). */
  totalSteps: number;
  startedAt: number;
  error: unknown;
}

/** Events a stage-group actor sends back while its stages run. */
export type GroupEvent =
  | { type: 'stage.started'; name: string; position: number; subPosition: number }
  | { type: 'stage.completed'; name: string; position: number; subPosition: number; durationMs: number }
  | { type: 'stage.output'; output: StageOutput }
  | { type: 'group.done' }
  | { type: 'group.failed'; error: unknown };

export type RunEvent = { type: 'cancel' } | GroupEvent;

export type RunEmitted =
  | { type: 'progress'; progress: number; event: ProgressEvent }
  | { type: 'stage_output'; output: StageOutput };

export interface SourceInput { source: Source; index: number }
export interface GroupInput { stages: Stage[]; position: number }
export interface DestinationInput { destination: Destination; lastStage: string | null }
export interface DestinationCheckInput { destination: Destination }

function notProvided(name: string): () => never {
  return () => {
    throw new Error(`actor "${name}" was not provided to the pipeline-run machine`);
  };
}

/**
 * `started` + one per source + started/completed per stage + destination (if any) + `completed`.
 */
export function totalSteps(p: Aqueduct): number {
  const stages = p.stages.reduce((n, g) => n + g.length, 0);
  return 1 + p.sources.length + 2 * stages + (p.destination ? 1 : 0) + 1;
}

/** Step k of n as a percentage: `started` (k = 0) is 0, `completed` (k = n-1) is 100. */
export function progressAt(step: number, total: number): number {
  if (total <= 1) return 100;
  return Math.min(100, Math.floor((step * 100) / (total - 1)));
}

type ReportArgs = { context: RunContext; event: RunEvent | { type: string; [k: string]: unknown } };

/** Emits one progress event at the current step and advances the step. */
function report(build: (args: ReportArgs) => ProgressEvent) {
  return enqueueActions<RunContext, any, any, any, any, any, any, any, RunEmitted>(({ context, event, enqueue }) => {
    enqueue.emit({ type: 'progress', progress: progressAt(context.step, context.totalSteps), event: build({ context, event }) });
    enqueue.assign({ step: context.step + 1 });
  });
}

export const pipelineRunMachine = setup({
  types: {} as {
    input: RunInput;
    context: RunContext;
    events: RunEvent;
    emitted: RunEmitted;
  },
  actors: {
    checkDestination: fromPromise<void, DestinationCheckInput>(notProvided('checkDestination')),
    registerSource: fromPromise<void, SourceInput>(notProvided('registerSource')),
    runStageGroup: fromCallback<{ type: 'none' }, GroupInput, GroupEvent>(notProvided('runStageGroup')),
    writeDestination: fromPromise<void, DestinationInput>(notProvided('writeDestination')),
  },
  guards: {
    hasSources: ({ context }) => context.pipeline.sources.length > 0,
    hasMoreSources: ({ context }) => context.sourceIndex + 1 < context.pipeline.sources.length,
    hasGroups: ({ context }) => context.pipeline.stages.length > 0,
    hasMoreGroups: ({ context }) => context.groupIndex + 1 < context.pipeline.stages.length,
    hasDestination: ({ context }) => context.pipeline.destination !== null,
  },
  actions: {
    reportStarted: report(() => ({ type: 'started' })),
    reportSourceRegistered: report(({ context }) => ({
      type: 'source_registered',
      name: context.pipeline.sources[context.sourceIndex]!.name,
    })),
    reportStageStarted: report(({ event }) => {
      const e = event as Extract<GroupEvent, { type: 'stage.started' }>;
      return { type: 'stage_started', name: e.name, position: e.position, sub_position: e.subPosition };
    }),
    reportStageCompleted: report(({ event }) => {
      const e = event as Extract<GroupEvent, { type: 'stage.completed' }>;
      return { type: 'stage_completed', name: e.name, position: e.position, sub_position: e.subPosition, duration_ms: e.durationMs };
    }),
    reportDestinationCompleted: report(() => ({ type: 'destination_completed' })),
    reportCompleted: report(({ context }) => ({ type: 'completed', duration_ms: Math.max(0, Date.now() - context.startedAt) })),
    forwardStageOutput: enqueueActions<RunContext, any, any, any, any, any, any, any, RunEmitted>(({ event, enqueue }) => {
      enqueue.emit({ type: 'stage_output', output: (event as Extract<GroupEvent, { type: 'stage.output' }>).output });
    }),
    nextSource: assign({ sourceIndex: ({ context }) => context.sourceIndex + 1 }),
    nextGroup: assign({ groupIndex: ({ context }) => context.groupIndex + 1 }),
    recordError: assign({ error: ({ event }) => ('error' in event ? event.error : event) }),
  },
}).createMachine({
  id: 'pipelineRun',
  context: ({ input }) => ({
    pipeline: input.pipeline,
    sourceIndex: 0,
    groupIndex: 0,
    step: 0,
    totalSteps: totalSteps(input.pipeline),
    startedAt: Date.now(),
    error: undefined,
  }),
  initial: 'sources',
  on: {
    cancel: { target: '.cancelled' },
  },
  states: {
    sources: {
      entry: 'reportStarted',
      initial: 'preflight',
      states: {
        preflight: {
          always: [{ guard: 'hasDestination', target: 'checkingDestination' }, { target: 'choosing' }],
        },
        checkingDestination: {
          invoke: {
            src: 'checkDestination',
            input: ({ context }) => ({ destination: context.pipeline.destination! }),
            onDone: { target: 'choosing' },
            onError: { target: '#pipelineRun.failed', actions: 'recordError' },
          },
        },
        choosing: {
          always: [{ guard: 'hasSources', target: 'registering' }, { target: '#pipelineRun.stages' }],
        },
        registering: {
          invoke: {
            src: 'registerSource',
            input: ({ context }) => ({ source: context.pipeline.sources[context.sourceIndex]!, index: context.sourceIndex }),
            onDone: [
              { guard: 'hasMoreSources', target: 'registering', reenter: true, actions: ['reportSourceRegistered', 'nextSource'] },
              { target: '#pipelineRun.stages', actions: 'reportSourceRegistered' },
            ],
            onError: { target: '#pipelineRun.failed', actions: 'recordError' },
          },
        },
      },
    },
    stages: {
      initial: 'choosing',
      states: {
        choosing: {
          always: [{ guard: 'hasGroups', target: 'running' }, { target: '#pipelineRun.destination' }],
        },
        running: {
          invoke: {
            src: 'runStageGroup',
            input: ({ context }) => ({ stages: context.pipeline.stages[context.groupIndex]!, position: context.groupIndex }),
          },
          on: {
            'stage.started': { actions: 'reportStageStarted' },
            'stage.completed': { actions: 'reportStageCompleted' },
            'stage.output': { actions: 'forwardStageOutput' },
            'group.done': [
              { guard: 'hasMoreGroups', target: 'running', reenter: true, actions: 'nextGroup' },
              { target: '#pipelineRun.destination' },
            ],
            'group.failed': { target: '#pipelineRun.failed', actions: 'recordError' },
          },
        },
      },
    },
    destination: {
      initial: 'choosing',
      states: {
        choosing: {
          always: [{ guard: 'hasDestination', target: 'writing' }, { target: '#pipelineRun.succeeded' }],
        },
        writing: {
          invoke: {
            src: 'writeDestination',
            input: ({ context }) => ({
              destination: context.pipeline.destination!,
              lastStage: context.pipeline.stages.at(-1)?.at(-1)?.name ?? null,
            }),
            onDone: { target: '#pipelineRun.succeeded', actions: 'reportDestinationCompleted' },
            onError: { target: '#pipelineRun.failed', actions: 'recordError' },
          },
        },
      },
    },
    succeeded: { type: 'final', entry: 'reportCompleted' },
    failed: { type: 'final' },
    cancelled: { type: 'final' },
  },
});

export type PipelineRunMachine = typeof pipelineRunMachine;
