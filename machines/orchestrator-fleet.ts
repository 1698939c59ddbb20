/**
 * The orchestrator's state as data: executors, executor links (WebSocket connections), execution
 * records and the FIFO queue, plus the events that change it and the events it emits. Pure: no
 * I/O, no clock (every event carries its time `at`, in milliseconds).
 *
 * `Draft` is the working copy one event is applied to (copy-on-write, so a progress message that
 * changes nothing but a last-seen time copies only the small executor map). It collects what the
 * step emits and the timers it sets; the machine turns those into XState actions.
 */
import type { Aqueduct } from '../src/pipeline/types.js';
import type { ClientRequestEvent } from '../src/protocol/client-frame.js';
import type { ExecutorMessage, ExecutorState, OrchestratorMessage } from '../src/protocol/messages.js';

export type FleetExecutionState = 'queued' | 'dispatched' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'executor_lost';
export type FleetExecutorState = 'idle' | 'busy' | 'draining' | 'disconnected';

export const TERMINAL_STATES: ReadonlySet<FleetExecutionState> = new Set(['succeeded', 'failed', 'cancelled', 'executor_lost']);

export interface ExecutionRecord {
  id: string;
  state: FleetExecutionState;
  /** Kept while the execution may still be (re)sent to an executor; dropped once terminal. */
  pipeline: Aqueduct | null;
  /** The executor holding the lease (from dispatch until the end); null while queued. */
  executorId: string | null;
  /** Client connections that receive its messages (the submitter, and re-submitters of the id). */
  subscribers: string[];
  /** Client connections that asked to cancel it and wait for the answer. */
  cancellers: string[];
  cancelRequested: boolean;
  /** The one terminal message, once there is one. */
  terminal: ExecutorMessage | null;
  /** False when the orchestrator learnt of it from an executor (e.g. after an orchestrator restart). */
  submitted: boolean;
  submittedAt: number | null;
  dispatchedAt: number | null;
  /** First message from the executor about it. */
  startedAt: number | null;
  finishedAt: number | null;
  /** The queue position its subscribers were last told (null: none told yet). */
  toldPosition: number | null;
}

export interface ExecutorRecord {
  id: string;
  /** The live link; null while disconnected (within the grace period). */
  connectionId: string | null;
  version: string;
  maxMemoryGb: number | null;
  /** What it runs as far as the orchestrator knows: the execution it holds the lease of, or one it reported. */
  execution: string | null;
  draining: boolean;
  /** It said (or showed, by refusing work) that it is busy with something the orchestrator does not know. */
  reportedBusy: boolean;
  lastSeen: number;
  registeredAt: number;
  disconnectedAt: number | null;
  /** Since when it has had nothing to do: the idle executor waiting longest gets the next execution. */
  idleSince: number;
}

/** One executor WebSocket connection, registered or not yet. */
export interface ExecutorLink {
  connectionId: string;
  executorId: string | null;
  openedAt: number;
  lastSeen: number;
}

export interface FleetSettings {
  /** Executions allowed to wait for an idle executor; beyond that requests are refused as busy. */
  queueSize: number;
  /** Silence after which an executor connection is dead (also the deadline to register). */
  livenessTimeoutMs: number;
  /** How long a disconnected executor may take to come back before its execution is lost. */
  lostGraceMs: number;
  /** Finished executions remembered (idempotent ids, GET /api/executions/:id). */
  historySize: number;
}

export interface FleetContext {
  settings: FleetSettings;
  executors: Readonly<Record<string, ExecutorRecord>>;
  links: Readonly<Record<string, ExecutorLink>>;
  executions: Readonly<Record<string, ExecutionRecord>>;
  /** Ids of queued executions, head first. */
  queue: readonly string[];
  /** Ids of terminal executions, oldest first (the oldest are forgotten beyond historySize). */
  finished: readonly string[];
}

/** What an executor says about itself when it registers. */
export interface Registration {
  executorId: string;
  version: string;
  maxMemoryGb: number | null;
  state: ExecutorState;
  executionId: string | null;
}

type Timed<T> = T & { at: number };

export type FleetEvent = Timed<
  | ClientRequestEvent
  | { type: 'client.disconnected'; connectionId: string }
  | { type: 'executor.connected'; connectionId: string }
  | { type: 'executor.registering'; connectionId: string; registration: Registration }
  | { type: 'executor.message'; connectionId: string; message: ExecutorMessage }
  /** A pong (or any other sign of life that is not a message). */
  | { type: 'executor.seen'; connectionId: string }
  | { type: 'executor.disconnected'; connectionId: string }
  /** An execution request could not be written: the connection was already closing. */
  | { type: 'executor.undeliverable'; connectionId: string; executionId: string }
  // raised by the machine itself, delayed
  | { type: 'executor.silent'; connectionId: string }
  | { type: 'executor.registration_due'; connectionId: string }
  | { type: 'executor.grace_expired'; executorId: string; since: number }
  | { type: 'execution.report_due'; executionId: string; executorId: string }
  | { type: 'shutdown' }
>;

/** An event as a socket handler sends it (the runtime stamps the time). */
export type FleetInput = FleetEvent extends infer E ? E extends FleetEvent ? Omit<E, 'at'> : never : never;

export type NoticeLevel = 'debug' | 'info' | 'warn';

export type FleetEmitted =
  /** Messages for client connections (each written in the protocol version it negotiated). */
  | { type: 'deliver'; to: string[]; message: ExecutorMessage }
  | { type: 'executor.send'; connectionId: string; message: OrchestratorMessage }
  /** Close an executor connection; `terminate` drops it without a closing handshake (it is dead). */
  | { type: 'executor.close'; connectionId: string; code: number; reason: string; terminate: boolean }
  /** The machine's log lines: transitions at debug, lifecycle at info, ignored input at warn. */
  | { type: 'notice'; level: NoticeLevel; msg: string; fields: Record<string, unknown> };

export type Timer =
  | { kind: 'set'; id: string; delayMs: number; event: FleetEvent }
  | { kind: 'cancel'; id: string };

export const timerIds = {
  silent: (connectionId: string) => `silent:${connectionId}`,
  registration: (connectionId: string) => `registration:${connectionId}`,
  lost: (executorId: string) => `lost:${executorId}`,
  report: (executionId: string) => `report:${executionId}`,
};

export function isTerminalState(s: FleetExecutionState): boolean {
  return TERMINAL_STATES.has(s);
}

export function executorState(e: ExecutorRecord): FleetExecutorState {
  if (e.connectionId === null) return 'disconnected';
  if (e.draining) return 'draining';
  if (e.execution !== null || e.reportedBusy) return 'busy';
  return 'idle';
}

export function initialContext(settings: FleetSettings): FleetContext {
  return { settings, executors: {}, links: {}, executions: {}, queue: [], finished: [] };
}

export function newExecution(id: string, fields: Partial<ExecutionRecord>): ExecutionRecord {
  return {
    id, state: 'queued', pipeline: null, executorId: null, subscribers: [], cancellers: [], cancelRequested: false,
    terminal: null, submitted: true, submittedAt: null, dispatchedAt: null, startedAt: null, finishedAt: null,
    toldPosition: null, ...fields,
  };
}

/** A record by id, never an inherited property. */
export function own<T>(map: Readonly<Record<string, T>>, id: string | null | undefined): T | undefined {
  return id != null && Object.hasOwn(map, id) ? map[id] : undefined;
}

export const unique = (xs: string[]): string[] => [...new Set(xs)];

export class Draft {
  readonly out: FleetEmitted[] = [];
  readonly timers: Timer[] = [];
  private executorsW: Record<string, ExecutorRecord> | null = null;
  private linksW: Record<string, ExecutorLink> | null = null;
  private executionsW: Record<string, ExecutionRecord> | null = null;
  private queueW: string[] | null = null;
  private finishedW: string[] | null = null;

  constructor(private readonly base: FleetContext, readonly at: number) {}

  get settings(): FleetSettings { return this.base.settings; }
  get executors(): Readonly<Record<string, ExecutorRecord>> { return this.executorsW ?? this.base.executors; }
  get links(): Readonly<Record<string, ExecutorLink>> { return this.linksW ?? this.base.links; }
  get executions(): Readonly<Record<string, ExecutionRecord>> { return this.executionsW ?? this.base.executions; }
  get queue(): readonly string[] { return this.queueW ?? this.base.queue; }

  executor(id: string | null | undefined): ExecutorRecord | undefined {
    return own(this.executors, id);
  }

  execution(id: string | null | undefined): ExecutionRecord | undefined {
    return own(this.executions, id);
  }

  link(connectionId: string): ExecutorLink | undefined {
    return own(this.links, connectionId);
  }

  /** The executor registered on this link, if any. */
  executorOn(connectionId: string): ExecutorRecord | undefined {
    return this.executor(this.link(connectionId)?.executorId);
  }

  /** The live execution whose lease this executor holds, if any. */
  leaseOf(e: ExecutorRecord): ExecutionRecord | undefined {
    const r = this.execution(e.execution);
    return r && !isTerminalState(r.state) && r.executorId === e.id ? r : undefined;
  }

  /** Stores an executor record; one that becomes idle now is the last in line for new work. */
  setExecutor(record: ExecutorRecord): void {
    const before = this.executors[record.id];
    const from = before ? executorState(before) : null;
    const to = executorState(record);
    const next = to === 'idle' && from !== 'idle' ? { ...record, idleSince: this.at } : record;
    (this.executorsW ??= { ...this.base.executors })[next.id] = next;
    if (from !== to) this.notice('debug', 'executor state', { executor_id: next.id, from, to });
  }

  deleteExecutor(id: string): void {
    const before = this.executors[id];
    if (!before) return;
    delete (this.executorsW ??= { ...this.base.executors })[id];
    this.notice('debug', 'executor state', { executor_id: id, from: executorState(before), to: 'lost' });
  }

  setLink(next: ExecutorLink): void {
    (this.linksW ??= { ...this.base.links })[next.connectionId] = next;
  }

  deleteLink(connectionId: string): void {
    if (this.links[connectionId]) delete (this.linksW ??= { ...this.base.links })[connectionId];
  }

  setExecution(next: ExecutionRecord): void {
    const before = this.executions[next.id];
    (this.executionsW ??= { ...this.base.executions })[next.id] = next;
    if (before?.state !== next.state) {
      this.notice('debug', 'execution state', { execution_id: next.id, from: before?.state ?? null, to: next.state, executor_id: next.executorId });
    }
    if (!before || !isTerminalState(before.state)) {
      if (isTerminalState(next.state)) this.remember(next.id);
    }
  }

  patchExecution(id: string, patch: Partial<ExecutionRecord>): ExecutionRecord {
    const next = { ...this.executions[id]!, ...patch };
    this.setExecution(next);
    return next;
  }

  patchExecutor(id: string, patch: Partial<ExecutorRecord>): ExecutorRecord {
    const next = { ...this.executors[id]!, ...patch };
    this.setExecutor(next);
    return next;
  }

  enqueue(id: string, atHead = false): void {
    const q = (this.queueW ??= [...this.base.queue]);
    if (atHead) q.unshift(id);
    else q.push(id);
  }

  dequeue(id: string): void {
    const at = this.queue.indexOf(id);
    if (at >= 0) (this.queueW ??= [...this.base.queue]).splice(at, 1);
  }

  /** A terminal execution is remembered; beyond historySize the oldest terminal ones are forgotten. */
  private remember(id: string): void {
    const f = (this.finishedW ??= [...this.base.finished]);
    f.push(id);
    while (f.length > this.settings.historySize) {
      const oldest = f.shift()!;
      delete (this.executionsW ??= { ...this.base.executions })[oldest];
    }
  }

  deliver(to: string[], message: ExecutorMessage): void {
    if (to.length > 0) this.out.push({ type: 'deliver', to, message });
  }

  sendToExecutor(connectionId: string | null, message: OrchestratorMessage): void {
    if (connectionId !== null) this.out.push({ type: 'executor.send', connectionId, message });
  }

  closeExecutor(connectionId: string, code: number, reason: string, terminate = false): void {
    this.out.push({ type: 'executor.close', connectionId, code, reason, terminate });
  }

  notice(level: NoticeLevel, msg: string, fields: Record<string, unknown>): void {
    this.out.push({ type: 'notice', level, msg, fields });
  }

  setTimer(id: string, delayMs: number, event: FleetEvent): void {
    this.timers.push({ kind: 'cancel', id }, { kind: 'set', id, delayMs, event });
  }

  cancelTimer(id: string): void {
    this.timers.push({ kind: 'cancel', id });
  }

  /** The changed parts of the context, for `assign`. */
  changes(): Partial<FleetContext> {
    const c: Partial<FleetContext> = {};
    if (this.executorsW) c.executors = this.executorsW;
    if (this.linksW) c.links = this.linksW;
    if (this.executionsW) c.executions = this.executionsW;
    if (this.queueW) c.queue = this.queueW;
    if (this.finishedW) c.finished = this.finishedW;
    return c;
  }
}
