/**
 * The orchestrator machine with simulated time and recording listeners: what each client
 * connection was sent, what each executor connection was sent, which connections were closed,
 * and the notices (log lines). No sockets.
 */
import { createActor, SimulatedClock } from 'xstate';
import { orchestratorMachine } from '../../../machines/orchestrator.machine.js';
import type { FleetInput, FleetSettings, Registration } from '../../../machines/orchestrator-fleet.js';
import type { Aqueduct } from '../../../src/pipeline/types.js';
import type { ExecutorMessage, ExecutorState, OrchestratorMessage } from '../../../src/protocol/messages.js';

export const pipeline: Aqueduct = { version: 'v2', sources: [], stages: [], destination: null };

export const DEFAULT_SETTINGS: FleetSettings = { queueSize: 1000, livenessTimeoutMs: 30_000, lostGraceMs: 90_000, historySize: 10_000 };

export function harness(settings: Partial<FleetSettings> = {}) {
  const clock = new SimulatedClock();
  const actor = createActor(orchestratorMachine, { input: { ...DEFAULT_SETTINGS, ...settings }, clock });
  const toClients: Array<{ to: string; message: ExecutorMessage }> = [];
  const toExecutors: Array<{ to: string; message: OrchestratorMessage }> = [];
  const closed: Array<{ connectionId: string; code: number; terminate: boolean }> = [];
  const notices: Array<{ level: string; msg: string; fields: Record<string, unknown> }> = [];
  actor.on('deliver', (e) => { for (const to of e.to) toClients.push({ to, message: e.message }); });
  actor.on('executor.send', (e) => toExecutors.push({ to: e.connectionId, message: e.message }));
  actor.on('executor.close', (e) => closed.push({ connectionId: e.connectionId, code: e.code, terminate: e.terminate }));
  actor.on('notice', (e) => notices.push({ level: e.level, msg: e.msg, fields: e.fields }));
  actor.start();

  const send = (e: FleetInput) => actor.send({ ...e, at: clock.now() } as Parameters<typeof actor.send>[0]);
  const ctx = () => actor.getSnapshot().context;

  const h = {
    actor, clock, toClients, toExecutors, closed, notices, send, ctx,
    advance: (ms: number) => clock.increment(ms),
    submit: (connectionId: string, executionId: string) => send({ type: 'execution.requested', connectionId, executionId, pipeline }),
    cancel: (connectionId: string, executionId: string) => send({ type: 'cancel.requested', connectionId, executionId }),
    clientGone: (connectionId: string) => send({ type: 'client.disconnected', connectionId }),
    /** Opens executor link `link` and registers executor `id` on it. */
    register(link: string, id: string, state: ExecutorState = 'idle', executionId: string | null = null, open = true): void {
      if (open) send({ type: 'executor.connected', connectionId: link });
      const registration: Registration = { executorId: id, version: '0.1.0', maxMemoryGb: null, state, executionId };
      send({ type: 'executor.registering', connectionId: link, registration });
    },
    /** A message from the executor on `link`. */
    from: (link: string, message: ExecutorMessage) => send({ type: 'executor.message', connectionId: link, message }),
    linkClosed: (link: string) => send({ type: 'executor.disconnected', connectionId: link }),
    /** Messages a client connection received. */
    to: (c: string) => toClients.filter((s) => s.to === c).map((s) => s.message),
    /** Short forms: `type:id` or `queue_position:id@n`. */
    brief: (c: string) => h.to(c).map(short),
    /** Messages an executor link received, short forms. */
    sentTo: (link: string) => toExecutors.filter((s) => s.to === link).map((s) => s.message),
    briefExec: (link: string) => h.sentTo(link).map((m) => (m.type === 'registration_response' ? `${m.type}:${m.success}` : 'execution_id' in m ? `${m.type}:${m.execution_id}` : m.type)),
    executionState: (id: string) => ctx().executions[id]?.state,
    executor: (id: string) => ctx().executors[id],
    notice: (msg: string) => notices.filter((n) => n.msg === msg),
  };
  return h;
}

export function short(m: ExecutorMessage): string {
  if (m.type === 'queue_position') return `${m.type}:${m.execution_id}@${m.position}`;
  if (m.type === 'execution_error') return `${m.type}:${m.execution_id}:${m.reason ?? ''}`;
  return 'execution_id' in m ? `${m.type}:${m.execution_id}` : m.type;
}

export const progress = (id: string, p = 0): ExecutorMessage => ({ type: 'progress_update', execution_id: id, progress: p, event: { type: 'started' } });
export const succeeded = (id: string): ExecutorMessage => ({ type: 'execution_succeeded', execution_id: id });
export const response = (id: string): ExecutorMessage => ({ type: 'execution_response', execution_id: id });
export const status = (executorId: string, state: ExecutorState, executionId: string | null = null): ExecutorMessage =>
  ({ type: 'executor_status', executor_id: executorId, state, execution_id: executionId, queue_length: 0 });
