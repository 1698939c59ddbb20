/**
 * The answers both machines that own executions give a client (the executor machine for its own
 * connections, the orchestrator machine for the fleet's), written once so they say the same.
 */
import { executionError, type ExecutorMessage } from '../src/protocol/messages.js';

/** A cancel of an id that is not queued or running: unknown, or finished (in `finishedState`). */
export function notCancellable(executionId: string, finishedState?: string): ExecutorMessage {
  return executionError(executionId, 'AQ_UNKNOWN_EXECUTION',
    finishedState === undefined ? `unknown execution ${executionId}` : `execution ${executionId} has already finished (${finishedState})`);
}

/** To a canceller of an execution that ended another way while the cancel was in flight. */
export function finishedBeforeCancel(executionId: string, state: string): ExecutorMessage {
  return executionError(executionId, 'AQ_UNKNOWN_EXECUTION', `execution ${executionId} finished (${state}) before it could be cancelled`);
}

/** A request refused because there is no room for it. */
export function busy(executionId: string, why: string): ExecutorMessage {
  return executionError(executionId, 'AQ_BUSY', why);
}

/** A request refused, or a queued execution ended, because the executor is shutting down. */
export function draining(executionId: string, queued: boolean): ExecutorMessage {
  return executionError(executionId, 'AQ_DRAINING', queued
    ? 'executor is draining (shutting down); this queued execution was not run'
    : 'executor is draining (shutting down) and accepts no new executions');
}
