/**
 * The orchestrator machine as a running actor: events from the socket layer are stamped with the
 * time and sent in; its notices become log lines (state transitions at debug, lifecycle at info);
 * what it emits for sockets is handed to whoever listens (src/orchestrator/server.ts).
 */
import { createActor, type Actor } from 'xstate';
import { orchestratorMachine } from '../../machines/orchestrator.machine.js';
import type { Logger } from '../core/log.js';
import type { ExecutorMessage, OrchestratorMessage } from '../protocol/messages.js';
import type { FleetContext, FleetEvent, FleetInput, FleetSettings } from '../../machines/orchestrator-fleet.js';

export interface OrchestratorRuntime {
  send(event: FleetInput): void;
  onDeliver(listener: (to: string[], message: ExecutorMessage) => void): void;
  onExecutorSend(listener: (connectionId: string, message: OrchestratorMessage) => void): void;
  onExecutorClose(listener: (connectionId: string, code: number, reason: string, terminate: boolean) => void): void;
  /** The current state (for the HTTP API). */
  state(): FleetContext;
  /** The orchestrator's clock, in milliseconds since the epoch. */
  now(): number;
  /** Nothing changes after this (sockets closing afterwards must not cancel runs). */
  shutdown(): void;
  actor: Actor<typeof orchestratorMachine>;
}

export function createOrchestratorRuntime(opts: { settings: FleetSettings; log: Logger; now?: () => number }): OrchestratorRuntime {
  const now = opts.now ?? Date.now;
  const log = opts.log.child({ component: 'orchestrator' });
  const actor = createActor(orchestratorMachine, { input: opts.settings });
  actor.on('notice', (n) => log[n.level](n.fields, n.msg));
  actor.subscribe({ error: (err) => log.error({ err }, 'orchestrator machine failed') });
  actor.start();
  return {
    send: (event) => actor.send({ ...event, at: now() } as FleetEvent),
    onDeliver: (listener) => { actor.on('deliver', (e) => listener(e.to, e.message)); },
    onExecutorSend: (listener) => { actor.on('executor.send', (e) => listener(e.connectionId, e.message)); },
    onExecutorClose: (listener) => { actor.on('executor.close', (e) => listener(e.connectionId, e.code, e.reason, e.terminate)); },
    state: () => actor.getSnapshot().context,
    now,
    shutdown: () => {
      actor.send({ type: 'shutdown', at: now() });
      log.info('orchestrator stopped taking events');
    },
    actor,
  };
}
