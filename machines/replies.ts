/**
 * The answers both machines that own executions give a client (the executor machine for its own
 * connections, the orchestrator machine for the fleet's), written once so they say the same.
 */
import type { ExecutorMessage } from '../src/protocol/messages.js';

/** A cancel of an id that is not queued or running: unknown, or finished (in `finishedState`). */
export function notCancellable(executionId: string, finishedState?: string): ExecutorMessage {
  return {
    type: 'execution_error',
    execution_id: executionId,
    reason: 'unknown_execution',
    message: finishedState === undefined ? `unknown execution ${executionId}` : `execution ${executionId} has already finished (${finishedState})`,
  };
}

/** To a canceller of an execution that ended another way while the cancel was in flight. */
export function finishedBeforeCancel(executionId: string, state: string): ExecutorMessage {
  return { type: 'execution_error', execution_id: executionId, reason: 'unknown_execution', message: `execution ${executionId} finished (${state}) before it could be cancelled` };
}
