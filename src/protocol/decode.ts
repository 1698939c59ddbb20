/**
 * Decoding client frames. Never throws: a frame is either a valid message, an invalid request
 * (answered with `execution_error`, which every protocol version understands), or malformed
 * (answered with `protocol_error` to v2 peers, logged otherwise).
 */
import { randomUUID } from 'node:crypto';
import { formatDiagnostic, isExecutorError, type Diagnostic } from '../core/errors.js';
import { isUuid } from '../core/ids.js';
import { decodeAqueduct } from '../pipeline/decode.js';
import type { ClientMessage, ExecutionErrorCode } from './messages.js';

/** A decoded client message: an execution request always has its id (the client's, or a new one). */
export type DecodedClientMessage =
  | (Extract<ClientMessage, { type: 'execution_request' }> & { execution_id: string })
  | Extract<ClientMessage, { type: 'cancel_request' }>;

export type Decoded =
  | { ok: true; message: DecodedClientMessage; warnings: Diagnostic[] }
  | { ok: false; kind: 'malformed'; error: string }
  | { ok: false; kind: 'invalid_request'; executionId: string; code: ExecutionErrorCode; error: string };

/** The text of a WebSocket frame (string, Buffer, Buffer[] or ArrayBuffer); null otherwise. */
export function textOf(raw: unknown): string | null {
  if (typeof raw === 'string') return raw;
  if (Buffer.isBuffer(raw)) return raw.toString('utf8');
  if (Array.isArray(raw)) return Buffer.concat(raw as Buffer[]).toString('utf8');
  if (raw instanceof ArrayBuffer) return Buffer.from(raw).toString('utf8');
  return null;
}

/**
 * `cwd` is where relative locations in a submitted pipeline resolve (the executor's data root);
 * `relativeLocations: 'keep'` leaves them as written, for a peer that only passes the pipeline on.
 */
export function decodeClientMessage(raw: unknown, opts: { cwd: string; relativeLocations?: 'resolve' | 'keep' }): Decoded {
  const text = textOf(raw);
  if (text === null) return { ok: false, kind: 'malformed', error: 'frame is not text' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, kind: 'malformed', error: `malformed JSON: ${(e as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, kind: 'malformed', error: 'a message must be a JSON object with a "type"' };
  }
  const m = value as Record<string, unknown>;
  switch (m.type) {
    case 'execution_request': {
      let executionId: string = randomUUID();
      if (m.execution_id !== undefined && m.execution_id !== null) {
        if (!isUuid(m.execution_id)) {
          return { ok: false, kind: 'invalid_request', executionId, code: 'AQ_INVALID_REQUEST', error: `execution_id must be a UUID, got ${JSON.stringify(m.execution_id)}` };
        }
        executionId = m.execution_id.toLowerCase();
      }
      if (!('pipeline' in m)) return { ok: false, kind: 'invalid_request', executionId, code: 'AQ_INVALID_REQUEST', error: 'missing field `pipeline`' };
      try {
        const { pipeline, warnings } = decodeAqueduct(m.pipeline, { cwd: opts.cwd, relativeLocations: opts.relativeLocations });
        return { ok: true, message: { type: 'execution_request', pipeline, execution_id: executionId }, warnings };
      } catch (e) {
        const detail = isExecutorError(e) && e.diagnostics.length ? e.diagnostics.map((d) => formatDiagnostic({ ...d, path: d.path ? `pipeline.${d.path}` : 'pipeline' })).join('; ') : (e as Error).message;
        return { ok: false, kind: 'invalid_request', executionId, code: 'AQ_INVALID_PIPELINE', error: `invalid pipeline: ${detail}` };
      }
    }
    case 'cancel_request':
      if (!isUuid(m.execution_id)) {
        return { ok: false, kind: 'invalid_request', executionId: randomUUID(), code: 'AQ_UNKNOWN_EXECUTION', error: `cancel_request needs an execution_id (UUID), got ${JSON.stringify(m.execution_id ?? null)}` };
      }
      return { ok: true, message: { type: 'cancel_request', execution_id: m.execution_id.toLowerCase() }, warnings: [] };
    case undefined:
      return { ok: false, kind: 'malformed', error: 'missing field `type`' };
    default:
      return { ok: false, kind: 'malformed', error: `unknown message type ${JSON.stringify(m.type)} (expected execution_request or cancel_request)` };
  }
}
