/**
 * The orchestrator: a fleet of registered executors, a FIFO queue of client executions, and one
 * record per execution. Socket handlers only decode frames and send events here; every reply, every
 * frame to an executor and every log line is an emitted event (see src/orchestrator/fleet.ts).
 *
 * Rules (docs/orchestrator.md; the decisions it leaves open are marked *):
 * - Dispatch is FIFO to an idle registered executor (*the one idle longest*), one execution per
 *   executor; the record's lease starts at dispatch. While none is idle, queued executions get
 *   `queue_position`, and again whenever their position changes.
 * - A record accepts messages only from the executor holding its lease, and once terminal it never
 *   changes: late or foreign messages are logged (notices), not applied.
 * - `execution_error {reason: "busy"}` for an execution just dispatched puts it back at the head of
 *   the queue (the client is not told it failed); the executor counts as busy until it says idle.
 *   So does a request that could not be written because the connection was already closing.
 * - An executor's own `execution_response` is not forwarded (the client had one from the
 *   orchestrator) nor its `queue_position` (positions are the orchestrator's).
 * - Liveness: any frame or pong is a sign of life; `livenessTimeoutMs` of silence and the
 *   connection is terminated. A new connection must register within the same time.
 * - *A second live connection registering an executor_id already connected is refused*
 *   (`success: false`, closed with 1008); the executor retries with backoff, and by then a
 *   half-open old connection has been found dead.
 * - A disconnected executor has `lostGraceMs` to register again. Re-registering `busy` with the
 *   execution it holds re-attaches it; *re-registering without an execution while holding one
 *   sends the same request again*: an executor that knows the id answers with its state and never
 *   runs it twice; one that never received it runs it now. Not back in time: its execution ends
 *   with `executor_lost` and the executor is forgotten.
 * - *Executions an executor reports that the orchestrator does not know (it was restarted) are
 *   adopted*: recorded with that executor, outcome included, even when no client waits.
 * - A client disconnecting cancels the executions it alone was waiting for (as standalone).
 */
import { enqueueActions, setup } from 'xstate';
import {
  Draft, initialContext, isTerminalState, newExecution, own, timerIds, unique, executorState,
  type ExecutionRecord, type FleetExecutionState, type ExecutorRecord, type FleetContext, type FleetEmitted,
  type FleetEvent, type FleetSettings,
} from './orchestrator-fleet.js';
import { executionError, isTerminal, type ExecutorMessage } from '../src/protocol/messages.js';
import { busy, finishedBeforeCancel, notCancellable } from './replies.js';

export type { FleetContext, FleetEmitted, FleetEvent, FleetSettings } from './orchestrator-fleet.js';

/** The part of XState's `enqueue` a rule's result is written with. */
interface Enqueue {
  assign(changes: Partial<FleetContext>): void;
  emit(e: FleetEmitted): void;
  raise(e: FleetEvent, options: { delay: number; id: string }): void;
  cancel(id: string): void;
}

type EventOf<T extends FleetEvent['type']> = Extract<FleetEvent, { type: T }>;
type Rule<T extends FleetEvent['type']> = (d: Draft, e: EventOf<T>) => void;

/** An action applying `rule` to a working copy of the context, then writing the result. */
function apply<T extends FleetEvent['type']>(types: T | readonly T[], rule: Rule<T>) {
  const accepted: readonly string[] = Array.isArray(types) ? types : [types];
  return enqueueActions<FleetContext, FleetEvent, undefined, FleetEvent, never, never, never, never, FleetEmitted>(({ context, event, enqueue }) => {
    const out: Enqueue = enqueue;
    if (!accepted.includes(event.type)) return;
    const d = new Draft(context, event.at);
    rule(d, event as EventOf<T>);
    const changes = d.changes();
    if (Object.keys(changes).length > 0) out.assign(changes);
    for (const t of d.timers) {
      if (t.kind === 'cancel') out.cancel(t.id);
      else out.raise(t.event, { delay: t.delayMs, id: t.id });
    }
    for (const e of d.out) out.emit(e);
  });
}

/** For rules that follow any event (dispatch, positions). */
const ANY = [
  'execution.requested', 'cancel.requested', 'client.disconnected', 'executor.registering',
  'executor.message', 'executor.undeliverable', 'executor.grace_expired', 'execution.report_due',
] as const;

// ---------------------------------------------------------------------------------------------
// Helpers shared by the rules

function terminalState(m: ExecutorMessage): FleetExecutionState {
  if (m.type === 'execution_succeeded') return 'succeeded';
  if (m.type === 'cancel_response') return 'cancelled';
  return 'failed';
}

/** Ends a live execution: its one terminal message to its subscribers, an answer to other cancellers. */
function finish(d: Draft, r: ExecutionRecord, terminal: ExecutorMessage, state: FleetExecutionState, alsoCancelling: string[] = []): void {
  d.deliver(r.subscribers, terminal);
  const others = unique([...r.cancellers, ...alsoCancelling]).filter((c) => !r.subscribers.includes(c));
  d.deliver(others, state === 'cancelled' ? terminal : finishedBeforeCancel(r.id, state));
  d.setExecution({ ...r, state, terminal, pipeline: null, finishedAt: d.at, subscribers: [], cancellers: [], toldPosition: null });
  const holder = d.executor(r.executorId);
  if (holder && holder.execution === r.id) d.patchExecutor(holder.id, { execution: null });
  d.notice('info', 'execution finished', {
    execution_id: r.id, state, executor_id: r.executorId,
    ...(terminal.type === 'execution_error' ? { reason: terminal.reason ?? null, message: terminal.message } : {}),
  });
}

function lostMessage(id: string, why: string): ExecutorMessage {
  return executionError(id, 'AQ_EXECUTOR_LOST', why);
}

function idleExecutor(d: Draft): ExecutorRecord | undefined {
  let best: ExecutorRecord | undefined;
  for (const e of Object.values(d.executors)) {
    if (executorState(e) !== 'idle') continue;
    if (!best || e.idleSince < best.idleSince || (e.idleSince === best.idleSince && e.id < best.id)) best = e;
  }
  return best;
}

/** Back to the head of the queue: it never started on the executor it was sent to. */
function requeue(d: Draft, r: ExecutionRecord, why: string): void {
  if (r.cancelRequested || r.subscribers.length === 0) {
    finish(d, r, { type: 'cancel_response', execution_id: r.id }, 'cancelled');
    return;
  }
  const holder = d.executor(r.executorId);
  if (holder && holder.execution === r.id) d.patchExecutor(holder.id, { execution: null });
  d.patchExecution(r.id, { state: 'queued', executorId: null, dispatchedAt: null, toldPosition: null });
  d.enqueue(r.id, true);
  d.notice('info', `${why}: back at the head of the queue`, { execution_id: r.id, executor_id: r.executorId });
}

/** Asks the executor holding the lease to cancel (now, or when it registers again). */
function requestCancel(d: Draft, r: ExecutionRecord, patch: Partial<ExecutionRecord>): void {
  const holder = d.executor(r.executorId);
  d.patchExecution(r.id, { ...patch, cancelRequested: true });
  if (r.cancelRequested) return;
  d.sendToExecutor(holder?.connectionId ?? null, { type: 'cancel_request', execution_id: r.id });
  d.notice('info', holder?.connectionId ? 'cancel forwarded to the executor' : 'cancel noted: forwarded when the executor registers again', { execution_id: r.id, executor_id: r.executorId });
}

/** Forgets a connection; a registered executor on it starts its grace period. */
function loseLink(d: Draft, connectionId: string, why: string): void {
  const link = d.link(connectionId);
  if (!link) return;
  d.deleteLink(connectionId);
  d.cancelTimer(timerIds.silent(connectionId));
  d.cancelTimer(timerIds.registration(connectionId));
  const ex = d.executor(link.executorId);
  if (!ex || ex.connectionId !== connectionId) return;
  const grace = d.settings.lostGraceMs;
  d.patchExecutor(ex.id, { connectionId: null, disconnectedAt: d.at });
  d.setTimer(timerIds.lost(ex.id), grace, { type: 'executor.grace_expired', executorId: ex.id, since: d.at, at: d.at + grace });
  d.notice('info', 'executor disconnected', { executor_id: ex.id, why, execution_id: ex.execution, grace_seconds: grace / 1000 });
}

function armSilence(d: Draft, connectionId: string): void {
  const t = d.settings.livenessTimeoutMs;
  d.setTimer(timerIds.silent(connectionId), t, { type: 'executor.silent', connectionId, at: d.at + t });
}

/** An execution the orchestrator did not know, reported by an executor: recorded as that executor's. */
function adopt(d: Draft, ex: ExecutorRecord, id: string, m: ExecutorMessage | null): void {
  const terminal = m !== null && isTerminal(m) ? m : null;
  d.setExecution(newExecution(id, {
    state: terminal ? terminalState(terminal) : 'running', executorId: ex.id, submitted: false,
    startedAt: d.at, finishedAt: terminal ? d.at : null, terminal,
  }));
  if (!terminal && d.executor(ex.id)!.execution === null) d.patchExecutor(ex.id, { execution: id });
  d.notice('info', 'execution adopted: reported by an executor, not submitted here', { execution_id: id, executor_id: ex.id, state: d.execution(id)?.state ?? null });
}

function applyStatus(d: Draft, ex: ExecutorRecord, m: Extract<ExecutorMessage, { type: 'executor_status' }>): void {
  const lease = d.leaseOf(ex);
  if (m.state === 'draining') {
    if (!ex.draining) d.notice('info', 'executor draining: no more work is sent to it', { executor_id: ex.id });
    d.patchExecutor(ex.id, { draining: true });
    return;
  }
  if (m.state === 'busy') {
    d.patchExecutor(ex.id, { draining: false });
    if (m.execution_id === null) {
      if (!lease && ex.execution === null) d.patchExecutor(ex.id, { reportedBusy: true });
    } else if (lease && lease.id !== m.execution_id) {
      d.notice('warn', 'executor reports running another execution than the one it holds', { executor_id: ex.id, reported: m.execution_id, execution_id: lease.id });
    } else if (ex.execution === null) {
      d.patchExecutor(ex.id, { execution: m.execution_id });
      if (!d.execution(m.execution_id)) adopt(d, d.executor(ex.id)!, m.execution_id, null);
    }
    return;
  }
  // idle: with a lease outstanding this status predates the request (or the re-sent request)
  if (lease) {
    d.notice('debug', 'idle status ignored: the executor holds an execution', { executor_id: ex.id, execution_id: lease.id });
    return;
  }
  d.patchExecutor(ex.id, { execution: null, reportedBusy: false, draining: false });
}

// ---------------------------------------------------------------------------------------------
// The machine

export const orchestratorMachine = setup({
  types: {} as {
    input: FleetSettings;
    context: FleetContext;
    events: FleetEvent;
    emitted: FleetEmitted;
  },
  guards: {
    isKnownExecution: ({ context, event }) => event.type === 'execution.requested' && own(context.executions, event.executionId) !== undefined,
    queueFull: ({ context }) => context.queue.length >= context.settings.queueSize
      && !Object.values(context.executors).some((e) => executorState(e) === 'idle'),
    isQueued: ({ context, event }) => event.type === 'cancel.requested' && own(context.executions, event.executionId)?.state === 'queued',
    isLeased: ({ context, event }) => {
      if (event.type !== 'cancel.requested') return false;
      const s = own(context.executions, event.executionId)?.state;
      return s === 'dispatched' || s === 'running';
    },
    linkUnknown: ({ context, event }) => 'connectionId' in event && own(context.links, event.connectionId) === undefined,
    linkRegistered: ({ context, event }) => 'connectionId' in event && (own(context.links, event.connectionId)?.executorId ?? null) !== null,
    linkUnregistered: ({ context, event }) => 'connectionId' in event && own(context.links, event.connectionId)?.executorId === null,
    connectedElsewhere: ({ context, event }) => {
      if (event.type !== 'executor.registering') return false;
      const ex = own(context.executors, event.registration.executorId);
      return ex !== undefined && ex.connectionId !== null && ex.connectionId !== event.connectionId;
    },
    stillGone: ({ context, event }) => {
      if (event.type !== 'executor.grace_expired') return false;
      const ex = own(context.executors, event.executorId);
      return ex !== undefined && ex.connectionId === null && ex.disconnectedAt === event.since;
    },
  },
  actions: {
    // --- clients -----------------------------------------------------------------------------
    /** A repeat of a known id: its current state, never a second dispatch. */
    replayKnown: apply('execution.requested', (d, e) => {
      const r = d.execution(e.executionId)!;
      const to = [e.connectionId];
      d.deliver(to, { type: 'execution_response', execution_id: r.id });
      d.notice('info', 'known execution id submitted again: answered with its state', { execution_id: r.id, state: r.state, connection: e.connectionId });
      if (r.terminal) {
        d.deliver(to, r.terminal);
        return;
      }
      d.patchExecution(r.id, { subscribers: unique([...r.subscribers, e.connectionId]) });
      const at = d.queue.indexOf(r.id);
      if (at >= 0) d.deliver(to, { type: 'queue_position', execution_id: r.id, position: at });
    }),
    refuseQueueFull: apply('execution.requested', (d, e) => {
      d.deliver([e.connectionId], busy(e.executionId, `no executor is idle and the orchestrator's queue is full (${d.queue.length} of ${d.settings.queueSize} waiting)`));
      d.notice('warn', 'execution refused: queue full', { execution_id: e.executionId, queue_length: d.queue.length });
    }),
    accept: apply('execution.requested', (d, e) => {
      d.setExecution(newExecution(e.executionId, { pipeline: e.pipeline, subscribers: [e.connectionId], submittedAt: d.at }));
      d.enqueue(e.executionId);
      d.deliver([e.connectionId], { type: 'execution_response', execution_id: e.executionId });
      d.notice('info', 'execution accepted', { execution_id: e.executionId, connection: e.connectionId });
    }),
    cancelQueued: apply('cancel.requested', (d, e) => {
      const r = d.execution(e.executionId)!;
      d.dequeue(r.id);
      finish(d, r, { type: 'cancel_response', execution_id: r.id }, 'cancelled', [e.connectionId]);
    }),
    cancelOnExecutor: apply('cancel.requested', (d, e) => {
      const r = d.execution(e.executionId)!;
      requestCancel(d, r, { cancellers: unique([...r.cancellers, e.connectionId]) });
    }),
    refuseCancel: apply('cancel.requested', (d, e) => {
      const r = d.execution(e.executionId);
      d.deliver([e.connectionId], notCancellable(e.executionId, r?.state));
    }),
    /** The executions this client alone waited for are cancelled. */
    dropClient: apply('client.disconnected', (d, e) => {
      const gone = e.connectionId;
      for (const r of Object.values(d.executions)) {
        if (isTerminalState(r.state)) continue;
        const subscribed = r.subscribers.includes(gone);
        if (!subscribed && !r.cancellers.includes(gone)) continue;
        const kept = { subscribers: r.subscribers.filter((c) => c !== gone), cancellers: r.cancellers.filter((c) => c !== gone) };
        if (!subscribed || kept.subscribers.length > 0) {
          d.patchExecution(r.id, kept);
        } else if (r.state === 'queued') {
          d.dequeue(r.id);
          finish(d, { ...r, ...kept }, { type: 'cancel_response', execution_id: r.id }, 'cancelled');
        } else {
          requestCancel(d, r, kept);
        }
      }
    }),

    // --- dispatch and positions --------------------------------------------------------------
    dispatch: apply(ANY, (d) => {
      for (;;) {
        const head = d.queue[0];
        const ex = head === undefined ? undefined : idleExecutor(d);
        if (head === undefined || !ex) return;
        const r = d.execution(head)!;
        d.dequeue(head);
        d.patchExecution(head, { state: 'dispatched', executorId: ex.id, dispatchedAt: d.at, toldPosition: null });
        d.patchExecutor(ex.id, { execution: head });
        d.sendToExecutor(ex.connectionId, { type: 'execution_request', execution_id: head, pipeline: r.pipeline! });
        d.notice('info', 'execution dispatched', { execution_id: head, executor_id: ex.id });
      }
    }),
    tellPositions: apply(ANY, (d) => {
      d.queue.forEach((id, position) => {
        const r = d.execution(id)!;
        if (r.toldPosition === position) return;
        d.deliver(r.subscribers, { type: 'queue_position', execution_id: id, position });
        d.patchExecution(id, { toldPosition: position });
      });
    }),

    // --- executor links ----------------------------------------------------------------------
    openLink: apply('executor.connected', (d, e) => {
      // until it registers, the registration deadline is its only timer
      d.setLink({ connectionId: e.connectionId, executorId: null, openedAt: d.at, lastSeen: d.at });
      const t = d.settings.livenessTimeoutMs;
      d.setTimer(timerIds.registration(e.connectionId), t, { type: 'executor.registration_due', connectionId: e.connectionId, at: d.at + t });
    }),
    markSeen: apply(['executor.seen', 'executor.message'], (d, e) => {
      const link = d.link(e.connectionId);
      if (!link) return;
      d.setLink({ ...link, lastSeen: d.at });
      const ex = d.executor(link.executorId);
      if (!ex || ex.connectionId !== e.connectionId) return;
      d.patchExecutor(ex.id, { lastSeen: d.at });
      armSilence(d, e.connectionId);
    }),
    dropLink: apply('executor.disconnected', (d, e) => loseLink(d, e.connectionId, 'connection closed')),
    terminateSilent: apply('executor.silent', (d, e) => {
      if (!d.link(e.connectionId)) return;
      const seconds = d.settings.livenessTimeoutMs / 1000;
      d.closeExecutor(e.connectionId, 1001, `no sign of life for ${seconds} s`, true);
      d.notice('warn', 'executor connection silent: terminated', { connection: e.connectionId, executor_id: d.link(e.connectionId)!.executorId, seconds });
      loseLink(d, e.connectionId, 'silent');
    }),
    closeUnregistered: apply('executor.registration_due', (d, e) => {
      d.closeExecutor(e.connectionId, 1008, 'register_executor expected');
      d.notice('warn', 'executor connection closed: it did not register in time', { connection: e.connectionId });
      loseLink(d, e.connectionId, 'not registered');
    }),
    refuseUnregistered: apply('executor.message', (d, e) => {
      d.sendToExecutor(e.connectionId, { type: 'registration_response', success: false, message: `register_executor expected first, got ${e.message.type}` });
      d.closeExecutor(e.connectionId, 1008, 'register_executor expected');
      d.notice('warn', 'executor connection closed: message before registration', { connection: e.connectionId, type: e.message.type });
      loseLink(d, e.connectionId, 'not registered');
    }),

    // --- registration ------------------------------------------------------------------------
    refuseSecondRegistration: apply('executor.registering', (d, e) => {
      const link = d.link(e.connectionId)!;
      d.sendToExecutor(e.connectionId, { type: 'protocol_error', message: `this connection is already registered as executor ${link.executorId}` });
    }),
    refuseDuplicate: apply('executor.registering', (d, e) => {
      const id = e.registration.executorId;
      d.sendToExecutor(e.connectionId, {
        type: 'registration_response', success: false,
        message: `executor ${id} is already connected on another connection; a second registration of the same executor_id is refused`,
      });
      d.closeExecutor(e.connectionId, 1008, 'executor_id already connected');
      d.notice('warn', 'registration refused: executor already connected', { executor_id: id, connection: e.connectionId });
      loseLink(d, e.connectionId, 'refused');
    }),
    register: apply('executor.registering', (d, e) => {
      const reg = e.registration;
      const before = d.executor(reg.executorId);
      d.cancelTimer(timerIds.registration(e.connectionId));
      d.cancelTimer(timerIds.lost(reg.executorId));
      d.setLink({ ...d.link(e.connectionId)!, executorId: reg.executorId, lastSeen: d.at });
      armSilence(d, e.connectionId);
      d.setExecutor({
        id: reg.executorId, connectionId: e.connectionId, version: reg.version, maxMemoryGb: reg.maxMemoryGb,
        execution: before?.execution ?? null, draining: reg.state === 'draining',
        reportedBusy: reg.state === 'busy' && reg.executionId === null,
        lastSeen: d.at, registeredAt: d.at, disconnectedAt: null, idleSince: before?.idleSince ?? d.at,
      });
      d.sendToExecutor(e.connectionId, { type: 'registration_response', success: true, message: before ? 'registered again' : 'registered' });
      d.notice('info', before ? 'executor registered again' : 'executor registered', {
        executor_id: reg.executorId, version: reg.version, max_memory_gb: reg.maxMemoryGb, state: reg.state, execution_id: reg.executionId,
      });
    }),
    /** After a registration: what the executor says it runs, against the lease it holds. */
    reattach: apply('executor.registering', (d, e) => {
      const reg = e.registration;
      const ex = d.executor(reg.executorId)!;
      const lease = d.leaseOf(ex);
      const reported = reg.executionId;
      if (lease && reported === lease.id) {
        d.notice('info', 'execution re-attached', { execution_id: lease.id, executor_id: ex.id });
        if (lease.cancelRequested) d.sendToExecutor(ex.connectionId, { type: 'cancel_request', execution_id: lease.id });
        return;
      }
      if (lease && reported === null) {
        if (lease.pipeline === null) {
          // adopted (never submitted here): it cannot be sent again; its outcome may still be flushed
          const t = d.settings.livenessTimeoutMs;
          d.setTimer(timerIds.report(lease.id), t, { type: 'execution.report_due', executionId: lease.id, executorId: ex.id, at: d.at + t });
          return;
        }
        d.patchExecution(lease.id, { state: 'dispatched' });
        d.sendToExecutor(ex.connectionId, { type: 'execution_request', execution_id: lease.id, pipeline: lease.pipeline });
        if (lease.cancelRequested) d.sendToExecutor(ex.connectionId, { type: 'cancel_request', execution_id: lease.id });
        d.notice('info', 'execution sent again to the executor that registered again without it', { execution_id: lease.id, executor_id: ex.id });
        return;
      }
      if (lease) finish(d, lease, lostMessage(lease.id, `executor ${ex.id} came back running another execution (${reported})`), 'executor_lost');
      if (reported === null) {
        d.patchExecutor(ex.id, { execution: null });
        return;
      }
      d.patchExecutor(ex.id, { execution: reported });
      const known = d.execution(reported);
      if (!known) adopt(d, d.executor(ex.id)!, reported, null);
      else d.notice('warn', 'executor runs an execution that is not leased to it here', { executor_id: ex.id, execution_id: reported, state: known.state, holder: known.executorId });
    }),
    reportDue: apply('execution.report_due', (d, e) => {
      const r = d.execution(e.executionId);
      if (!r || isTerminalState(r.state) || r.executorId !== e.executorId) return;
      finish(d, r, lostMessage(r.id, `executor ${e.executorId} registered again without reporting this execution's outcome`), 'executor_lost');
    }),

    // --- executor messages -------------------------------------------------------------------
    applyMessage: apply('executor.message', (d, e) => {
      const ex = d.executorOn(e.connectionId)!;
      const m = e.message;
      if (m.type === 'executor_status') return applyStatus(d, ex, m);
      if (m.type === 'protocol_error') {
        d.notice('warn', 'the executor did not understand a frame', { executor_id: ex.id, message: m.message });
        return;
      }
      const id = m.execution_id;
      const r = d.execution(id);
      const ends = isTerminal(m);
      /** The executor's own bookkeeping: it is done with what it reports the end of. */
      const release = () => { if (ends && d.executor(ex.id)!.execution === id) d.patchExecutor(ex.id, { execution: null }); };
      if (!r) {
        const refusal = m.type === 'execution_error' && (m.reason === 'unknown_execution' || m.reason === 'busy');
        if (!refusal) adopt(d, ex, id, m);
        release();
        return;
      }
      if (r.executorId !== ex.id) {
        d.notice('warn', 'message ignored: the execution is not leased to this executor', { execution_id: id, executor_id: ex.id, holder: r.executorId, type: m.type });
        release();
        return;
      }
      if (isTerminalState(r.state)) {
        d.notice(ends ? 'warn' : 'debug', ends ? 'late outcome ignored: the execution has already ended' : 'late message ignored: the execution has already ended',
          { execution_id: id, executor_id: ex.id, state: r.state, type: m.type, ...(m.type === 'execution_error' ? { reason: m.reason ?? null } : {}) });
        release();
        return;
      }
      if (m.type === 'execution_error' && m.reason === 'busy' && r.state === 'dispatched') {
        d.patchExecutor(ex.id, { execution: null, reportedBusy: true });
        requeue(d, r, 'executor refused the execution as busy');
        return;
      }
      if (ends) {
        finish(d, r, m, terminalState(m));
        return;
      }
      if (r.state === 'dispatched') d.patchExecution(id, { state: 'running', startedAt: r.startedAt ?? d.at });
      if (m.type === 'execution_response' || m.type === 'queue_position') return;
      d.deliver(r.subscribers, m);
    }),

    /** The request never left: the connection was closing (the close event follows). */
    requeueUndelivered: apply('executor.undeliverable', (d, e) => {
      const r = d.execution(e.executionId);
      const ex = d.executorOn(e.connectionId);
      if (r && ex && r.state === 'dispatched' && r.executorId === ex.id) requeue(d, r, 'the execution request could not be written to the executor');
      loseLink(d, e.connectionId, 'closing');
    }),

    /** Not back within the grace period: its executions end with executor_lost; it is forgotten. */
    loseExecutor: apply('executor.grace_expired', (d, e) => {
      const seconds = d.settings.lostGraceMs / 1000;
      for (const r of Object.values(d.executions)) {
        if (r.executorId !== e.executorId || isTerminalState(r.state)) continue;
        finish(d, r, lostMessage(r.id, `executor ${e.executorId} was lost: it did not reconnect within ${seconds} s`), 'executor_lost');
      }
      d.deleteExecutor(e.executorId);
      d.notice('info', 'executor lost: not back within the grace period', { executor_id: e.executorId, grace_seconds: seconds });
    }),
  },
}).createMachine({
  id: 'orchestrator',
  context: ({ input }) => initialContext(input),
  initial: 'serving',
  states: {
    serving: {
      on: {
        'execution.requested': [
          { guard: 'isKnownExecution', actions: 'replayKnown' },
          { guard: 'queueFull', actions: 'refuseQueueFull' },
          { actions: ['accept', 'dispatch', 'tellPositions'] },
        ],
        'cancel.requested': [
          { guard: 'isQueued', actions: ['cancelQueued', 'tellPositions'] },
          { guard: 'isLeased', actions: 'cancelOnExecutor' },
          { actions: 'refuseCancel' },
        ],
        'client.disconnected': { actions: ['dropClient', 'tellPositions'] },
        'executor.connected': { actions: 'openLink' },
        'executor.registering': [
          { guard: 'linkUnknown' },
          { guard: 'linkRegistered', actions: 'refuseSecondRegistration' },
          { guard: 'connectedElsewhere', actions: 'refuseDuplicate' },
          { actions: ['register', 'reattach', 'dispatch', 'tellPositions'] },
        ],
        'executor.message': [
          { guard: 'linkUnknown' },
          { guard: 'linkUnregistered', actions: 'refuseUnregistered' },
          { actions: ['markSeen', 'applyMessage', 'dispatch', 'tellPositions'] },
        ],
        'executor.seen': { actions: 'markSeen' },
        'executor.disconnected': { actions: 'dropLink' },
        'executor.undeliverable': { actions: ['requeueUndelivered', 'dispatch', 'tellPositions'] },
        'executor.silent': { actions: 'terminateSilent' },
        'executor.registration_due': { guard: 'linkUnregistered', actions: 'closeUnregistered' },
        'executor.grace_expired': { guard: 'stillGone', actions: 'loseExecutor' },
        'execution.report_due': { actions: ['reportDue', 'dispatch', 'tellPositions'] },
        shutdown: { target: 'stopped' },
      },
    },
    /** Shut down: nothing changes any more (closing sockets must not cancel runs on executors). */
    stopped: {
      type: 'final',
    },
  },
});

export type OrchestratorMachine = typeof orchestratorMachine;
