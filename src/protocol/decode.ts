/**
 * Decoding client frames. Never throws: a frame is either a valid message, an invalid request
 * (answered with `execution_error`, which every protocol version understands), or malformed
 * (answered with `protocol_error` to v2 peers, logged otherwise).
 */
import { randomUUID } from 'node:crypto';
import { clientText, clientValue } from '../core/client-value.js';
import { formatDiagnostic, isExecutorError, type Diagnostic } from '../core/errors.js';
import { isUuid } from '../core/ids.js';
import { InvalidPipelineError, decodeAqueduct } from '../pipeline/decode.js';
import type { ClientMessage, ExecutionErrorCode } from './messages.js';

/** A decoded client message: an execution request always has its id (the client's, or a new one). */
export type DecodedClientMessage =
  | (Extract<ClientMessage, { type: 'execution_request' }> & { execution_id: string })
  | Extract<ClientMessage, { type: 'cancel_request' }>;

export type Decoded =
  /** `warnings`: the first ones found (each bounded); `warningCount`: all of them. */
  | { ok: true; message: DecodedClientMessage; warnings: Diagnostic[]; warningCount: number }
  | { ok: false; kind: 'malformed'; error: string }
  | { ok: false; kind: 'invalid_request'; executionId: string; code: ExecutionErrorCode; error: string };

/** Findings of an invalid pipeline named in the reply; the rest are counted. */
export const REPLY_FINDINGS = 10;

/** The text of a WebSocket frame (string, Buffer, Buffer[] or ArrayBuffer); null otherwise. */
export function textOf(raw: unknown): string | null {
  if (typeof raw === 'string') return raw;
  if (Buffer.isBuffer(raw)) return raw.toString('utf8');
  if (Array.isArray(raw)) return Buffer.concat(raw as Buffer[]).toString('utf8');
  if (raw instanceof ArrayBuffer) return Buffer.from(raw).toString('utf8');
  return null;
}

/** The answer to a binary frame: messages are text (docs/protocol.md, "Transport"). */
export const BINARY_FRAME = 'messages are text frames';

/**
 * `cwd` is where relative locations in a submitted pipeline resolve (the executor's data root);
 * `relativeLocations: 'keep'` leaves them as written, for a peer that only passes the pipeline on.
 * `binary`: the frame came as a binary WebSocket frame, which is refused unread.
 */
export function decodeClientMessage(raw: unknown, opts: { cwd: string; relativeLocations?: 'resolve' | 'keep'; binary?: boolean }): Decoded {
  if (opts.binary) return { ok: false, kind: 'malformed', error: BINARY_FRAME };
  const text = textOf(raw);
  if (text === null) return { ok: false, kind: 'malformed', error: 'frame is not text' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    // V8's message quotes the beginning of the input.
    return { ok: false, kind: 'malformed', error: `malformed JSON: ${clientText((e as Error).message, 200)}` };
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
          return { ok: false, kind: 'invalid_request', executionId, code: 'AQ_INVALID_REQUEST', error: `execution_id must be a UUID, got ${clientValue(m.execution_id)}` };
        }
        executionId = m.execution_id.toLowerCase();
      }
      if (!('pipeline' in m)) return { ok: false, kind: 'invalid_request', executionId, code: 'AQ_INVALID_REQUEST', error: 'missing field `pipeline`' };
      try {
        const { pipeline, warnings, warningCount } = decodeAqueduct(m.pipeline, { cwd: opts.cwd, relativeLocations: opts.relativeLocations });
        return { ok: true, message: { type: 'execution_request', pipeline, execution_id: executionId }, warnings, warningCount };
      } catch (e) {
        return { ok: false, kind: 'invalid_request', executionId, code: 'AQ_INVALID_PIPELINE', error: `invalid pipeline: ${findings(e)}` };
      }
    }
    case 'cancel_request':
      if (!isUuid(m.execution_id)) {
        return { ok: false, kind: 'invalid_request', executionId: randomUUID(), code: 'AQ_UNKNOWN_EXECUTION', error: `cancel_request needs an execution_id (UUID), got ${clientValue(m.execution_id ?? null)}` };
      }
      return { ok: true, message: { type: 'cancel_request', execution_id: m.execution_id.toLowerCase() }, warnings: [], warningCount: 0 };
    case undefined:
      return { ok: false, kind: 'malformed', error: 'missing field `type`' };
    default:
      return { ok: false, kind: 'malformed', error: `unknown message type ${clientValue(m.type)} (expected execution_request or cancel_request)` };
  }
}

/** What was wrong with a pipeline: its first findings with their paths, and how many more there were. */
function findings(e: unknown): string {
  if (!isExecutorError(e) || e.diagnostics.length === 0) return clientText(e instanceof Error ? e.message : String(e), 1000);
  const all = e.diagnostics;
  const total = Math.max(e instanceof InvalidPipelineError ? e.findings : all.length, all.length);
  const shown = all.slice(0, REPLY_FINDINGS).map((d) => formatDiagnostic({ ...d, path: d.path ? `pipeline.${d.path}` : 'pipeline' }));
  const more = total - shown.length;
  return `${shown.join('; ')}${more > 0 ? ` (and ${more} more error${more === 1 ? '' : 's'})` : ''}`;
}
