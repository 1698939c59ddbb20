/**
 * What every server that speaks the client protocol does with a decoded frame it cannot use: an
 * invalid request is answered with `execution_error` (every version understands it), anything
 * malformed with `protocol_error` (v2 peers only; the sender filters by version). Usable
 * requests are returned for the caller to turn into one event.
 */
import type { Logger } from '../core/log.js';
import type { Decoded } from './decode.js';
import type { ClientMessage, ExecutorMessage } from './messages.js';

export function usableRequest(decoded: Decoded, isBinary: boolean, log: Logger, reply: (m: ExecutorMessage) => void): ClientMessage | null {
  if (!decoded.ok) {
    if (decoded.kind === 'invalid_request') {
      log.warn({ execution_id: decoded.executionId, reason: decoded.reason, error: decoded.error }, 'invalid request refused');
      reply({ type: 'execution_error', execution_id: decoded.executionId, message: decoded.error, reason: decoded.reason });
    } else {
      log.warn({ error: decoded.error, binary: isBinary }, 'malformed frame ignored');
      reply({ type: 'protocol_error', message: decoded.error });
    }
    return null;
  }
  const m = decoded.message;
  if (m.type === 'execution_request') for (const w of decoded.warnings) log.warn({ execution_id: m.execution_id, path: w.path }, w.message);
  return m;
}
