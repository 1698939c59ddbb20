/**
 * The executor lifecycle: `idle` → `busy` → `idle`, and `draining` → `stopped`. It owns the FIFO
 * queue, so exclusivity (one run at a time), queue positions, cancellation, disconnects and
 * draining are its transitions. Every reply is an emitted `deliver` event; the socket layer only
 * decodes frames, sends events here, and writes what is emitted.
 *
 * The run is invoked on `busy` (with `running` and `draining` as children), so entering `draining`
 * does not stop it. A run is cancelled by sending it `cancel` and waiting for it to finish, so the
 * next run never starts while the previous one is still cleaning up. With a maximum run time, a
 * timer on `busy` (restarted for each run) cancels a run that outlasts it, and the run then ends
 * with `execution_error`, reason `timeout`, instead of `cancel_response`.
 */
import { assign, enqueueActions, fromCallback, sendTo, setup, stateIn } from 'xstate';
import type { Aqueduct } from '../src/pipeline/types.js';
import type { ClientRequestEvent } from '../src/protocol/client-frame.js';
import { executionError, type ExecutionErrorCode, type ExecutorMessage, type ExecutorState } from '../src/protocol/messages.js';
import { busy, draining, finishedBeforeCancel, notCancellable } from './replies.js';

export interface Execution {
  id: string;
  pipeline: Aqueduct;
  /** Connections that receive this execution's messages (the submitter, and re-submitters). */
  subscribers: string[];
  /** Connections that asked to cancel it and wait for the answer. */
  cancellers: string[];
  /** It ran past the maximum run time and was told to cancel. */
  timedOut?: boolean;
}

export type ExecutionState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface HistoryEntry {
  state: ExecutionState;
  /** The terminal message, once there is one. */
  terminal?: ExecutorMessage;
}

export type ExecutionOutcome =
  | { status: 'succeeded' }
  | { status: 'failed'; message: string; code: ExecutionErrorCode }
  | { status: 'cancelled' };

export interface ExecutorInput {
  executorId: string;
  queueSize: number;
  drainTimeoutMs: number;
  /** How many finished executions are remembered for idempotent re-submission. */
  historySize?: number;
  /** A run taking longer is cancelled and ends with reason `timeout`; null or absent = no limit. */
  maxRunTimeMs?: number | null;
}

export interface ExecutorContext {
  executorId: string;
  queueSize: number;
  drainTimeoutMs: number;
  historySize: number;
  maxRunTimeMs: number | null;
  queue: Execution[];
  current: Execution | null;
  history: Record<string, HistoryEntry>;
  /** Ids of `history` in insertion order, to forget the oldest finished ones. */
  historyOrder: string[];
}

export type ExecutorEvent =
  | ClientRequestEvent
  | { type: 'connection.opened'; connectionId: string }
  | { type: 'connection.closed'; connectionId: string }
  | { type: 'drain' }
  | { type: 'run.message'; message: ExecutorMessage }
  | { type: 'run.finished'; outcome: ExecutionOutcome };

export type ExecutorEmitted =
  | { type: 'deliver'; to: string[]; message: ExecutorMessage }
  | { type: 'broadcast'; message: ExecutorMessage };

export interface ExecutionInput {
  executionId: string;
  pipeline: Aqueduct;
}

/** What a run actor receives: `cancel`, with `reason: 'timeout'` when the run outlasted the maximum run time. */
export type RunCancel = { type: 'cancel'; reason?: 'timeout' };

/** What a run actor sends back; it receives a RunCancel. */
export type ExecutionActorEvent = Extract<ExecutorEvent, { type: 'run.message' | 'run.finished' }>;

function notProvided(name: string): () => never {
  return () => {
    throw new Error(`actor "${name}" was not provided to the executor machine`);
  };
}

const unique = (xs: string[]) => [...new Set(xs)];

function remember(ctx: ExecutorContext, id: string, entry: HistoryEntry): Pick<ExecutorContext, 'history' | 'historyOrder'> {
  const history = { ...ctx.history, [id]: entry };
  let historyOrder = ctx.historyOrder.includes(id) ? ctx.historyOrder : [...ctx.historyOrder, id];
  while (historyOrder.length > ctx.historySize) {
    const oldest = historyOrder.find((h) => !['queued', 'running'].includes(history[h]!.state));
    if (!oldest) break;
    delete history[oldest];
    historyOrder = historyOrder.filter((h) => h !== oldest);
  }
  return { history, historyOrder };
}

type Enqueue = {
  emit: (e: ExecutorEmitted) => void;
  assign: (a: Partial<ExecutorContext>) => void;
};

/** Sends the new position to every queued execution at or after index `from`. */
function positionsFrom(queue: Execution[], from: number, enqueue: Enqueue): void {
  queue.forEach((e, i) => {
    if (i >= from) enqueue.emit({ type: 'deliver', to: e.subscribers, message: { type: 'queue_position', execution_id: e.id, position: i } });
  });
}

function statusMessage(ctx: ExecutorContext, state: ExecutorState): ExecutorMessage {
  return { type: 'executor_status', executor_id: ctx.executorId, state, execution_id: ctx.current?.id ?? null, queue_length: ctx.queue.length };
}

export const executorMachine = setup({
  types: {} as {
    input: ExecutorInput;
    context: ExecutorContext;
    events: ExecutorEvent;
    emitted: ExecutorEmitted;
  },
  actors: {
    runExecution: fromCallback<RunCancel, ExecutionInput, ExecutionActorEvent>(notProvided('runExecution')),
  },
  delays: {
    drainTimeout: ({ context }) => context.drainTimeoutMs,
    /** Without a limit the timer fires at once and its guard holds it back. */
    maxRunTime: ({ context }) => context.maxRunTimeMs ?? 0,
  },
  guards: {
    hasQueued: ({ context }) => context.queue.length > 0,
    isKnown: ({ context, event }) => event.type === 'execution.requested' && event.executionId in context.history,
    queueFull: ({ context }) => context.queue.length >= context.queueSize,
    isDraining: stateIn({ busy: 'draining' }),
    hasRunTimeLimit: ({ context }) => context.maxRunTimeMs !== null,
  },
  actions: {
    /** A repeat of a known id: the execution's current state, never a second run. */
    replayKnown: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'execution.requested') return;
      const id = event.executionId;
      const entry = context.history[id]!;
      const to = [event.connectionId];
      enqueue.emit({ type: 'deliver', to, message: { type: 'execution_response', execution_id: id } });
      if (entry.terminal) {
        enqueue.emit({ type: 'deliver', to, message: entry.terminal });
        return;
      }
      const attach = (e: Execution): Execution => ({ ...e, subscribers: unique([...e.subscribers, event.connectionId]) });
      if (context.current?.id === id) enqueue.assign({ current: attach(context.current) });
      const at = context.queue.findIndex((e) => e.id === id);
      if (at >= 0) {
        enqueue.assign({ queue: context.queue.map((e, i) => (i === at ? attach(e) : e)) });
        enqueue.emit({ type: 'deliver', to, message: { type: 'queue_position', execution_id: id, position: at } });
      }
    }),
    /** Accepts a request into the queue; a busy executor also tells the position. */
    accept: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'execution.requested') return;
      const execution: Execution = { id: event.executionId, pipeline: event.pipeline, subscribers: [event.connectionId], cancellers: [] };
      const queue = [...context.queue, execution];
      enqueue.assign({ queue, ...remember(context, execution.id, { state: 'queued' }) });
      enqueue.emit({ type: 'deliver', to: [event.connectionId], message: { type: 'execution_response', execution_id: execution.id } });
    }),
    /** After `accept` while another run is active: where the new execution waits. */
    tellPosition: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'execution.requested') return;
      const position = context.queue.findIndex((e) => e.id === event.executionId);
      enqueue.emit({ type: 'deliver', to: [event.connectionId], message: { type: 'queue_position', execution_id: event.executionId, position } });
    }),
    refuseBusy: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'execution.requested') return;
      enqueue.emit({
        type: 'deliver',
        to: [event.connectionId],
        message: busy(event.executionId, context.queueSize === 0
          ? 'executor is busy running another execution (it queues none)'
          : `executor is busy: the queue is full (${context.queue.length} of ${context.queueSize} waiting)`),
      });
    }),
    refuseDraining: enqueueActions(({ event, enqueue }) => {
      if (event.type !== 'execution.requested') return;
      enqueue.emit({
        type: 'deliver',
        to: [event.connectionId],
        message: draining(event.executionId, false),
      });
    }),
    /** Takes the head of the queue as the current execution. */
    startNext: enqueueActions(({ context, enqueue }) => {
      const [next, ...rest] = context.queue;
      if (!next) return;
      enqueue.assign({ current: next, queue: rest, ...remember(context, next.id, { state: 'running' }) });
      positionsFrom(rest, 0, enqueue);
    }),
    cancelQueuedOrUnknown: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'cancel.requested') return;
      const id = event.executionId;
      const at = context.queue.findIndex((e) => e.id === id);
      if (at < 0) {
        enqueue.emit({ type: 'deliver', to: [event.connectionId], message: notCancellable(id, context.history[id]?.state) });
        return;
      }
      const cancelled = context.queue[at]!;
      const queue = context.queue.filter((_, i) => i !== at);
      const terminal: ExecutorMessage = { type: 'cancel_response', execution_id: id };
      enqueue.assign({ queue, ...remember(context, id, { state: 'cancelled', terminal }) });
      enqueue.emit({ type: 'deliver', to: unique([...cancelled.subscribers, event.connectionId]), message: terminal });
      positionsFrom(queue, at, enqueue);
    }),
    requestRunCancel: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'cancel.requested' || !context.current) return;
      enqueue.assign({ current: { ...context.current, cancellers: unique([...context.current.cancellers, event.connectionId]) } });
      enqueue.sendTo('run', { type: 'cancel' });
    }),
    cancelRun: sendTo('run', { type: 'cancel' }),
    /** The run outlasted the maximum run time: cancel it, and remember why for its terminal message. */
    timeOutRun: enqueueActions(({ context, enqueue }) => {
      if (!context.current) return;
      enqueue.assign({ current: { ...context.current, timedOut: true } });
      enqueue.sendTo('run', { type: 'cancel', reason: 'timeout' });
    }),
    /** The submitter's connection closed: its queued executions go, its running one is cancelled. */
    dropConnection: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'connection.closed') return;
      const gone = event.connectionId;
      const without = (e: Execution): Execution => ({ ...e, subscribers: e.subscribers.filter((c) => c !== gone), cancellers: e.cancellers.filter((c) => c !== gone) });
      let history = { history: context.history, historyOrder: context.historyOrder };
      const queue: Execution[] = [];
      let firstChange = -1;
      for (const e of context.queue) {
        const kept = without(e);
        if (kept.subscribers.length === 0) {
          if (firstChange < 0) firstChange = queue.length;
          history = remember({ ...context, ...history }, e.id, { state: 'cancelled', terminal: { type: 'cancel_response', execution_id: e.id } });
        } else {
          queue.push(kept);
        }
      }
      const current = context.current ? without(context.current) : null;
      enqueue.assign({ queue, current, ...history });
      if (firstChange >= 0) positionsFrom(queue, firstChange, enqueue);
      if (context.current && context.current.subscribers.includes(gone) && current && current.subscribers.length === 0) {
        enqueue.sendTo('run', { type: 'cancel' });
      }
    }),
    forwardRunMessage: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'run.message' || !context.current) return;
      enqueue.emit({ type: 'deliver', to: context.current.subscribers, message: event.message });
    }),
    /** Exactly one terminal message per execution, to its subscribers (and cancellers). */
    finishRun: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'run.finished' || !context.current) return;
      const { id, subscribers, cancellers } = context.current;
      const o = event.outcome;
      let terminal: ExecutorMessage;
      let state: ExecutionState;
      if (o.status === 'succeeded') {
        terminal = { type: 'execution_succeeded', execution_id: id };
        state = 'succeeded';
      } else if (o.status === 'failed') {
        terminal = executionError(id, o.code, o.message);
        state = 'failed';
      } else if (context.current.timedOut) {
        terminal = executionError(id, 'AQ_RUN_TIMEOUT',
          `the run took longer than the executor's maximum run time (${(context.maxRunTimeMs ?? 0) / 1000} s) and was cancelled; its destination was left as it was`);
        state = 'failed';
      } else {
        terminal = { type: 'cancel_response', execution_id: id };
        state = 'cancelled';
      }
      enqueue.emit({ type: 'deliver', to: subscribers, message: terminal });
      const others = cancellers.filter((c) => !subscribers.includes(c));
      if (others.length) {
        enqueue.emit({
          type: 'deliver',
          to: others,
          message: state === 'cancelled' ? terminal : finishedBeforeCancel(id, state),
        });
      }
      enqueue.assign({ current: null, ...remember(context, id, { state, terminal }) });
    }),
    /** Queued executions will never run once draining starts: each gets its terminal error. */
    refuseQueued: enqueueActions(({ context, enqueue }) => {
      let history = { history: context.history, historyOrder: context.historyOrder };
      for (const e of context.queue) {
        const terminal = draining(e.id, true);
        enqueue.emit({ type: 'deliver', to: e.subscribers, message: terminal });
        history = remember({ ...context, ...history }, e.id, { state: 'failed', terminal });
      }
      enqueue.assign({ queue: [], ...history });
    }),
    statusIdle: enqueueActions(({ context, enqueue }) => enqueue.emit({ type: 'broadcast', message: statusMessage(context, 'idle') })),
    statusBusy: enqueueActions(({ context, enqueue }) => enqueue.emit({ type: 'broadcast', message: statusMessage(context, 'busy') })),
    statusDraining: enqueueActions(({ context, enqueue }) => enqueue.emit({ type: 'broadcast', message: statusMessage(context, 'draining') })),
    statusTo: enqueueActions(({ context, event, enqueue }, params: { state: ExecutorState }) => {
      if (event.type !== 'connection.opened') return;
      enqueue.emit({ type: 'deliver', to: [event.connectionId], message: statusMessage(context, params.state) });
    }),
  },
}).createMachine({
  id: 'executor',
  context: ({ input }) => ({
    executorId: input.executorId,
    queueSize: input.queueSize,
    drainTimeoutMs: input.drainTimeoutMs,
    historySize: input.historySize ?? 1000,
    maxRunTimeMs: input.maxRunTimeMs ?? null,
    queue: [],
    current: null,
    history: {},
    historyOrder: [],
  }),
  initial: 'idle',
  states: {
    idle: {
      entry: 'statusIdle',
      always: { guard: 'hasQueued', target: 'busy' },
      on: {
        'execution.requested': [{ guard: 'isKnown', actions: 'replayKnown' }, { actions: 'accept' }],
        'cancel.requested': { actions: 'cancelQueuedOrUnknown' },
        'connection.closed': { actions: 'dropConnection' },
        'connection.opened': { actions: { type: 'statusTo', params: { state: 'idle' } } },
        drain: { target: 'stopped', actions: 'statusDraining' },
      },
    },
    busy: {
      entry: ['startNext', 'statusBusy'],
      invoke: {
        id: 'run',
        src: 'runExecution',
        input: ({ context }) => ({ executionId: context.current!.id, pipeline: context.current!.pipeline }),
      },
      after: { maxRunTime: { guard: 'hasRunTimeLimit', actions: 'timeOutRun' } },
      on: {
        'run.message': { actions: 'forwardRunMessage' },
        'run.finished': [
          { guard: 'isDraining', target: 'stopped', actions: 'finishRun' },
          { guard: 'hasQueued', target: 'busy', reenter: true, actions: 'finishRun' },
          { target: 'idle', actions: 'finishRun' },
        ],
        'connection.closed': { actions: 'dropConnection' },
      },
      initial: 'running',
      states: {
        running: {
          on: {
            'execution.requested': [
              { guard: 'isKnown', actions: 'replayKnown' },
              { guard: 'queueFull', actions: 'refuseBusy' },
              { actions: ['accept', 'tellPosition'] },
            ],
            'cancel.requested': [
              { guard: ({ context, event }) => context.current?.id === event.executionId, actions: 'requestRunCancel' },
              { actions: 'cancelQueuedOrUnknown' },
            ],
            'connection.opened': { actions: { type: 'statusTo', params: { state: 'busy' } } },
            drain: { target: 'draining' },
          },
        },
        draining: {
          entry: ['refuseQueued', 'statusDraining'],
          after: { drainTimeout: { actions: 'cancelRun' } },
          on: {
            'execution.requested': [{ guard: 'isKnown', actions: 'replayKnown' }, { actions: 'refuseDraining' }],
            'connection.opened': { actions: { type: 'statusTo', params: { state: 'draining' } } },
            'cancel.requested': [
              { guard: ({ context, event }) => context.current?.id === event.executionId, actions: 'requestRunCancel' },
              { actions: 'cancelQueuedOrUnknown' },
            ],
          },
        },
      },
    },
    stopped: {
      type: 'final',
    },
  },
});

export type ExecutorMachine = typeof executorMachine;
