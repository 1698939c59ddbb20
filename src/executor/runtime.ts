/**
 * The executor runtime, shared by standalone and managed mode: the executor machine with the
 * real run actor, XState inspection at debug, lifecycle changes at info, and a small port for
 * whoever carries messages to peers (the WebSocket server, or the orchestrator link). It keeps an
 * engine session prepared for the next run (engine/warm-sessions.ts) from start until the
 * machine stops, and closes it before `stopped` resolves.
 */
import { createActor, type Actor } from 'xstate';
import { executorMachine, type ExecutorEvent } from '../../machines/executor.machine.js';
import type { Logger } from '../core/log.js';
import { WarmSessions } from '../run/warm-sessions.js';
import type { ExecutorMessage, ExecutorState } from '../protocol/messages.js';
import { runExecutionActor, spillBudget, type RunDeps } from './run-execution.actor.js';

export interface ExecutorRuntimeOptions extends RunDeps {
  executorId: string;
  queueSize: number;
  drainTimeoutMs: number;
  /** A run taking longer is cancelled and ends with reason `timeout`; null or absent = no limit. */
  maxRunTimeMs?: number | null;
}

export interface ExecutorRuntime {
  send(event: ExecutorEvent): void;
  /** Messages for specific connections, and for every connection (executor_status). */
  onDeliver(listener: (to: string[], message: ExecutorMessage) => void): void;
  onBroadcast(listener: (message: ExecutorMessage) => void): void;
  /** idle / busy / draining (stopped counts as draining) */
  state(): ExecutorState;
  queueLength(): number;
  currentExecution(): string | null;
  /** Resolves when the machine has stopped (after a drain) and the prepared engine session is closed. */
  stopped: Promise<void>;
  actor: Actor<typeof executorMachine>;
}

function describeState(value: unknown): ExecutorState {
  if (value === 'idle') return 'idle';
  if (value === 'stopped') return 'draining';
  if (value && typeof value === 'object' && (value as Record<string, unknown>).busy === 'draining') return 'draining';
  return 'busy';
}

export function createExecutorRuntime(opts: ExecutorRuntimeOptions): ExecutorRuntime {
  const log = opts.log;
  const machine = executorMachine.provide({ actors: { runExecution: runExecutionActor(opts) } });
  let lastState = '';
  const actor = createActor(machine, {
    input: { executorId: opts.executorId, queueSize: opts.queueSize, drainTimeoutMs: opts.drainTimeoutMs, maxRunTimeMs: opts.maxRunTimeMs ?? null },
    inspect: (ev) => {
      if (ev.type !== '@xstate.snapshot') return;
      const snap = ev.snapshot as { value?: unknown; status?: string };
      const id = ev.actorRef === actor ? 'executor' : (ev.actorRef as { id?: string }).id ?? 'actor';
      log.debug({ actor: id, state: snap.value ?? snap.status }, 'state');
    },
  });
  actor.subscribe((snap) => {
    const state = JSON.stringify(snap.value);
    if (state !== lastState) {
      lastState = state;
      log.info({ state: snap.value, execution_id: snap.context.current?.id ?? null, queue_length: snap.context.queue.length }, 'executor state');
    }
  });
  const warm = WarmSessions.start({ spillRoot: opts.spillRoot, memoryLimitGb: opts.memoryLimitGb, spillBudget: () => spillBudget(opts), log });
  const stopped = new Promise<void>((resolve) => {
    actor.subscribe({ complete: () => resolve(), error: () => resolve() });
  }).then(async () => {
    await warm.close();
  });
  actor.start();
  return {
    send: (event) => actor.send(event),
    onDeliver: (listener) => { actor.on('deliver', (e) => listener(e.to, e.message)); },
    onBroadcast: (listener) => { actor.on('broadcast', (e) => listener(e.message)); },
    state: () => describeState(actor.getSnapshot().value),
    queueLength: () => actor.getSnapshot().context.queue.length,
    currentExecution: () => actor.getSnapshot().context.current?.id ?? null,
    stopped,
    actor,
  };
}
