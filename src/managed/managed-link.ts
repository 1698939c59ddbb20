/**
 * Managed mode: connects the executor runtime to an orchestrator. Requests from the link go to
 * the executor as if from one connection, "orchestrator"; everything the executor delivers goes
 * to the link's outbox. Losing the link never cancels a run: the executor is never told that the
 * orchestrator connection closed.
 */
import { createActor, type Actor } from 'xstate';
import { orchestratorConnectionMachine } from '../../machines/orchestrator-connection.machine.js';
import type { ExecutorRuntime } from '../executor/runtime.js';
import type { Logger } from '../core/log.js';
import { redactSecrets } from '../core/redact.js';
import { linkActor } from './link.actor.js';

export const ORCHESTRATOR_CONNECTION = 'orchestrator';

export interface ManagedLinkOptions {
  url: string;
  secret: string;
  executorId: string;
  version: string;
  maxMemoryGb: number | null;
  maxMessageBytes: number;
  dataRoot: string;
  log: Logger;
  runtime: ExecutorRuntime;
}

export interface ManagedLink {
  actor: Actor<typeof orchestratorConnectionMachine>;
  /** Closes the link with 1001 once what is buffered has been delivered. */
  stop(): Promise<void>;
}

export function startManagedLink(opts: ManagedLinkOptions): ManagedLink {
  const log = opts.log.child({ component: 'orchestrator-link' });
  const runtime = opts.runtime;
  const machine = orchestratorConnectionMachine.provide({
    actors: {
      link: linkActor({
        url: opts.url,
        secret: opts.secret,
        maxMessageBytes: opts.maxMessageBytes,
        dataRoot: opts.dataRoot,
        log,
        connectionId: ORCHESTRATOR_CONNECTION,
        onRequest: (event) => runtime.send(event),
        reply: (message) => actor.send({ type: 'outbound', message }),
      }),
    },
  });
  let lastState = '';
  const actor = createActor(machine, {
    input: { executorId: opts.executorId, version: opts.version, maxMemoryGb: opts.maxMemoryGb },
    inspect: (ev) => {
      if (ev.type === '@xstate.snapshot' && ev.actorRef === actor) log.debug({ state: (ev.snapshot as { value?: unknown }).value }, 'state');
    },
  });
  actor.subscribe((snap) => {
    const top = typeof snap.value === 'string' ? snap.value : Object.keys(snap.value)[0]!;
    if (top !== lastState) {
      lastState = top;
      log.info({ state: top }, 'orchestrator link state');
    }
  });
  actor.on('registered', () => log.info({ url: redactSecrets(opts.url) }, 'registered with the orchestrator'));
  actor.on('backoff', (e) => log.warn({ ...(e.auth ? { code: 'AQ_REGISTRATION_REFUSED' } : {}), delay_ms: e.delay, attempt: e.attempt, reason: actor.getSnapshot().context.lastError }, 'orchestrator link down; reconnecting after backoff'));
  actor.on('dropped', (e) => log.warn({ count: e.count }, 'progress messages dropped while disconnected'));
  runtime.onDeliver((to, message) => {
    if (to.includes(ORCHESTRATOR_CONNECTION)) actor.send({ type: 'outbound', message });
  });
  runtime.onBroadcast((message) => actor.send({ type: 'outbound', message }));
  actor.start();
  // The executor's current status, so the first registration says the truth.
  actor.send({ type: 'outbound', message: { type: 'executor_status', executor_id: opts.executorId, state: runtime.state(), execution_id: runtime.currentExecution(), queue_length: runtime.queueLength() } });
  const done = new Promise<void>((resolve) => actor.subscribe({ complete: () => resolve(), error: () => resolve() }));
  return {
    actor,
    stop: async () => {
      actor.send({ type: 'stop' });
      await done;
    },
  };
}
