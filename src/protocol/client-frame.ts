/**
 * What every server that speaks the client protocol (the standalone executor, the managed
 * executor's orchestrator link, the orchestrator's client endpoint) does with a decoded frame: a
 * usable request becomes the one event it means to the machine that owns executions; an invalid
 * request is answered with `execution_error` (every version understands it), anything malformed
 * with `protocol_error` (v2 peers only; the sender filters by version).
 */
import type { Logger } from '../core/log.js';
import type { Aqueduct } from '../pipeline/types.js';
import type { Decoded } from './decode.js';
import { executionError, type ExecutorMessage } from './messages.js';

/** Warnings about one submitted pipeline written to the log; the rest are counted in one line. */
export const LOGGED_WARNINGS = 10;

/** A client's request, as the executor machine and the orchestrator machine both receive it. */
export type ClientRequestEvent =
  | { type: 'execution.requested'; connectionId: string; executionId: string; pipeline: Aqueduct }
  | { type: 'cancel.requested'; connectionId: string; executionId: string };

export function clientRequestEvent(
  decoded: Decoded, connectionId: string, isBinary: boolean, log: Logger, reply: (m: ExecutorMessage) => void,
): ClientRequestEvent | null {
  if (!decoded.ok) {
    if (decoded.kind === 'invalid_request') {
      log.warn({ execution_id: decoded.executionId, code: decoded.code, error: decoded.error }, 'invalid request refused');
      reply(executionError(decoded.executionId, decoded.code, decoded.error));
    } else {
      log.warn({ code: 'AQ_PROTOCOL_ERROR', error: decoded.error, binary: isBinary }, 'malformed frame ignored');
      reply({ type: 'protocol_error', message: decoded.error });
    }
    return null;
  }
  const m = decoded.message;
  if (m.type === 'cancel_request') return { type: 'cancel.requested', connectionId, executionId: m.execution_id };
  const logged = decoded.warnings.slice(0, Math.min(LOGGED_WARNINGS, decoded.warningCount));
  for (const w of logged) log.warn({ execution_id: m.execution_id, path: w.path }, w.message);
  if (decoded.warningCount > logged.length) {
    log.warn({ execution_id: m.execution_id, count: decoded.warningCount - logged.length }, 'more pipeline warnings not logged');
  }
  return { type: 'execution.requested', connectionId, executionId: m.execution_id, pipeline: m.pipeline };
}
