/**
 * The executor's link to its orchestrator (managed mode): `connecting` → `registered` →
 * (`backoff` → `connecting`)…, with the liveness timers and the full-jitter exponential backoff
 * as delayed transitions, and an outbox for what the executor produces while disconnected.
 *
 * `linked` invokes the socket actor; inside it three parallel regions run: the session
 * (opening → registering → registered), a pinger (a ping every PING_INTERVAL), and a liveness
 * watch (no frame for LIVENESS_TIMEOUT = dead). Leaving `linked` closes the socket.
 */
import { assign, enqueueActions, fromCallback, setup } from 'xstate';
import type { ExecutorMessage, ExecutorState, RegisterExecutor } from '../src/protocol/messages.js';

export const PING_INTERVAL_MS = 10_000;
export const LIVENESS_TIMEOUT_MS = 30_000;
export const BACKOFF_BASE_MS = 500;
export const BACKOFF_CAP_MS = 30_000;
export const REGISTRATION_TIMEOUT_MS = 15_000;
/** Progress-type messages kept while disconnected; terminal and lifecycle messages are always kept. */
export const OUTBOX_DROPPABLE_CAP = 1000;

/** Who the executor is, as every `register_executor` it sends says. */
export interface ExecutorIdentity {
  executorId: string;
  version: string;
  maxMemoryGb: number | null;
}

export interface ConnectionInput extends ExecutorIdentity {
  /** Injected so the machine stays pure and tests are deterministic; default Math.random. */
  random?: () => number;
  outboxCap?: number;
}

export interface ConnectionContext extends ExecutorIdentity {
  random: () => number;
  outboxCap: number;
  /** Failed attempts since the last successful registration. */
  attempt: number;
  /** The delay of the current backoff. */
  delay: number;
  /** The last refusal was an authentication failure: back off at the cap. */
  authRefused: boolean;
  outbox: ExecutorMessage[];
  dropped: number;
  /** The executor's lifecycle, as its executor_status messages say, for re-registration. */
  executorState: ExecutorState;
  executionId: string | null;
  lastError: string | null;
}

export type ConnectionEvent =
  | { type: 'link.open' }
  | { type: 'link.activity' }
  | { type: 'link.closed'; code: number; reason: string }
  | { type: 'link.failed'; error: string; auth: boolean }
  | { type: 'registration.response'; success: boolean; message: string }
  | { type: 'outbound'; message: ExecutorMessage }
  | { type: 'stop' };

export type LinkCommand =
  | { type: 'send'; message: ExecutorMessage | RegisterExecutor }
  | { type: 'ping' }
  | { type: 'close'; code: number; reason: string };

export type ConnectionEmitted =
  | { type: 'registered'; attempt: number }
  | { type: 'disconnected'; reason: string }
  | { type: 'backoff'; delay: number; attempt: number; auth: boolean }
  | { type: 'dropped'; count: number };

/** Terminal and lifecycle messages are never dropped from the outbox. */
export function isDroppable(m: ExecutorMessage): boolean {
  return m.type === 'progress_update' || m.type === 'stage_output' || m.type === 'log' || m.type === 'stage_progress' || m.type === 'queue_position';
}

/** Full jitter: random(0, min(cap, base × 2^attempt)). */
export function backoffDelay(attempt: number, random: () => number): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/** Drain: close with 1001, then stop once the socket has closed (or after a short wait). */
const CLOSING = {
  entry: 'closeGoingAway',
  on: { 'link.closed': '#orchestratorConnection.stopped' },
  after: { closeTimeout: '#orchestratorConnection.stopped' },
} as const;

function notProvided(name: string): () => never {
  return () => {
    throw new Error(`actor "${name}" was not provided to the orchestrator-connection machine`);
  };
}

export const orchestratorConnectionMachine = setup({
  types: {} as {
    input: ConnectionInput;
    context: ConnectionContext;
    events: ConnectionEvent;
    emitted: ConnectionEmitted;
  },
  actors: {
    link: fromCallback<LinkCommand, undefined, ConnectionEvent>(notProvided('link')),
  },
  delays: {
    pingInterval: PING_INTERVAL_MS,
    livenessTimeout: LIVENESS_TIMEOUT_MS,
    registrationTimeout: REGISTRATION_TIMEOUT_MS,
    closeTimeout: 5_000,
    backoff: ({ context }) => context.delay,
  },
  guards: {
    accepted: ({ event }) => event.type === 'registration.response' && event.success,
    outboxEmpty: ({ context }) => context.outbox.length === 0,
  },
  actions: {
    register: enqueueActions(({ context, enqueue }) => {
      const message: RegisterExecutor = {
        type: 'register_executor',
        executor_id: context.executorId,
        version: context.version,
        max_memory_gb: context.maxMemoryGb,
        state: context.executorState,
        execution_id: context.executionId,
      };
      enqueue.sendTo('link', { type: 'send', message });
    }),
    ping: enqueueActions(({ enqueue }) => enqueue.sendTo('link', { type: 'ping' })),
    /** Sends what waited while disconnected, in order. */
    flush: enqueueActions(({ context, enqueue }) => {
      for (const message of context.outbox) enqueue.sendTo('link', { type: 'send', message });
      if (context.dropped > 0) enqueue.emit({ type: 'dropped', count: context.dropped });
      enqueue.assign({ outbox: [], dropped: 0 });
    }),
    sendNow: enqueueActions(({ event, enqueue }) => {
      if (event.type === 'outbound') enqueue.sendTo('link', { type: 'send', message: event.message });
    }),
    /** Buffers a message; beyond the cap the oldest droppable message goes first. */
    buffer: assign(({ context, event }) => {
      if (event.type !== 'outbound') return {};
      const outbox = [...context.outbox, event.message];
      let dropped = context.dropped;
      while (outbox.filter(isDroppable).length > context.outboxCap) {
        outbox.splice(outbox.findIndex(isDroppable), 1);
        dropped++;
      }
      return { outbox, dropped };
    }),
    track: assign(({ event }) => {
      if (event.type !== 'outbound' || event.message.type !== 'executor_status') return {};
      return { executorState: event.message.state, executionId: event.message.execution_id };
    }),
    registered: enqueueActions(({ context, enqueue }) => {
      enqueue.emit({ type: 'registered', attempt: context.attempt });
      enqueue.assign({ attempt: 0, authRefused: false, lastError: null });
    }),
    recordRefusal: assign(({ event }) => {
      if (event.type === 'registration.response') return { lastError: `registration refused: ${event.message}`, authRefused: /auth|secret|key/i.test(event.message) };
      if (event.type === 'link.failed') return { lastError: event.error, authRefused: event.auth };
      if (event.type === 'link.closed') return { lastError: `connection closed (${event.code}${event.reason ? `: ${event.reason}` : ''})`, authRefused: false };
      return { lastError: 'no sign of life from the orchestrator', authRefused: false };
    }),
    recordTimeout: assign({ lastError: () => 'no sign of life from the orchestrator', authRefused: () => false }),
    planBackoff: enqueueActions(({ context, enqueue }) => {
      const delay = context.authRefused ? BACKOFF_CAP_MS : backoffDelay(context.attempt, context.random);
      enqueue.assign({ delay, attempt: context.attempt + 1 });
      enqueue.emit({ type: 'disconnected', reason: context.lastError ?? 'disconnected' });
      enqueue.emit({ type: 'backoff', delay, attempt: context.attempt + 1, auth: context.authRefused });
    }),
    closeGoingAway: enqueueActions(({ enqueue }) => enqueue.sendTo('link', { type: 'close', code: 1001, reason: 'executor shutting down' })),
  },
}).createMachine({
  id: 'orchestratorConnection',
  context: ({ input }) => ({
    executorId: input.executorId,
    version: input.version,
    maxMemoryGb: input.maxMemoryGb,
    random: input.random ?? Math.random,
    outboxCap: input.outboxCap ?? OUTBOX_DROPPABLE_CAP,
    attempt: 0,
    delay: 0,
    authRefused: false,
    outbox: [],
    dropped: 0,
    executorState: 'idle',
    executionId: null,
    lastError: null,
  }),
  initial: 'linked',
  on: {
    outbound: { actions: ['track', 'buffer'] },
  },
  states: {
    linked: {
      invoke: { id: 'link', src: 'link' },
      on: {
        'link.closed': { target: 'backoff', actions: 'recordRefusal' },
        'link.failed': { target: 'backoff', actions: 'recordRefusal' },
      },
      type: 'parallel',
      states: {
        session: {
          initial: 'connecting',
          states: {
            connecting: {
              on: { 'link.open': 'registering' },
            },
            registering: {
              entry: 'register',
              after: { registrationTimeout: { target: '#orchestratorConnection.backoff', actions: 'recordTimeout' } },
              on: {
                'registration.response': [
                  { guard: 'accepted', target: 'registered', actions: ['registered', 'flush'] },
                  { target: '#orchestratorConnection.backoff', actions: 'recordRefusal' },
                ],
              },
            },
            registered: {
              on: {
                outbound: { actions: ['track', 'sendNow'] },
                stop: 'closing',
              },
            },
            closing: CLOSING,
          },
        },
        pinger: {
          initial: 'waiting',
          states: {
            waiting: {
              after: { pingInterval: { target: 'waiting', reenter: true, actions: 'ping' } },
            },
          },
        },
        liveness: {
          initial: 'alive',
          states: {
            alive: {
              after: { livenessTimeout: { target: '#orchestratorConnection.backoff', actions: 'recordTimeout' } },
              on: {
                'link.activity': { target: 'alive', reenter: true },
                'link.open': { target: 'alive', reenter: true },
                'registration.response': { target: 'alive', reenter: true },
              },
            },
          },
        },
      },
    },
    backoff: {
      entry: 'planBackoff',
      after: { backoff: 'linked' },
      on: {
        stop: 'stopping.waiting',
      },
    },
    /** Draining while disconnected: reconnect to deliver what is buffered, then close. */
    stopping: {
      initial: 'waiting',
      states: {
        waiting: {
          after: { backoff: 'linked' },
        },
        linked: {
          invoke: { id: 'link', src: 'link' },
          initial: 'registering',
          on: {
            'link.closed': { target: 'waiting', actions: ['recordRefusal', 'planBackoff'] },
            'link.failed': { target: 'waiting', actions: ['recordRefusal', 'planBackoff'] },
          },
          states: {
            registering: {
              on: {
                'link.open': { actions: 'register' },
                'registration.response': [
                  { guard: 'accepted', target: 'closing', actions: ['registered', 'flush'] },
                  { target: '#orchestratorConnection.stopping.waiting', actions: ['recordRefusal', 'planBackoff'] },
                ],
              },
              after: { registrationTimeout: { target: '#orchestratorConnection.stopping.waiting', actions: ['recordTimeout', 'planBackoff'] } },
            },
            closing: CLOSING,
          },
        },
      },
    },
    stopped: {
      type: 'final',
    },
  },
});

export type OrchestratorConnectionMachine = typeof orchestratorConnectionMachine;
