/**
 * The client's side of the wire (docs/protocol.md): the frames it sends, and a decoder for executor
 * frames that checks the fields the CLI reads. Unknown message, event and payload types are
 * skipped rather than rejected, so a newer executor keeps working with this CLI.
 */
import { clientText } from '../core/client-value.js';
import type { ClientMessage, ExecutorMessage } from './messages.js';
import { serializeAqueduct } from '../pipeline/serialize.js';
import type { Aqueduct } from '../pipeline/types.js';

/**
 * `execution_request` with the pipeline as the original's canonical JSON. `execution_id` is v2;
 * v1 executors ignore unknown fields and choose their own id.
 */
export function executionRequestFrame(pipeline: Aqueduct, executionId: string): string {
  return `{"type":"execution_request","pipeline":${serializeAqueduct(pipeline)},"execution_id":${JSON.stringify(executionId)}}`;
}

export function cancelRequestFrame(executionId: string): string {
  const message: ClientMessage = { type: 'cancel_request', execution_id: executionId };
  return JSON.stringify(message);
}

export type DecodedFrame =
  | { kind: 'message'; message: ExecutorMessage }
  /** A well-formed frame of a type (or event/payload type) this CLI does not know. */
  | { kind: 'skipped'; type: string }
  | { kind: 'invalid'; reason: string };

type Check = (v: unknown) => boolean;
type Shape = Readonly<Record<string, Check>>;

const isString: Check = (v) => typeof v === 'string';
const isCount: Check = (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isAmount: Check = (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isObject: Check = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNullableString: Check = (v) => v === null || typeof v === 'string';
const isNullableNumber: Check = (v) => v === null || typeof v === 'number';

const MESSAGES: Readonly<Record<string, Shape>> = {
  execution_response: { execution_id: isString },
  queue_position: { execution_id: isString, position: isCount },
  progress_update: { execution_id: isString, progress: isAmount, event: isObject },
  stage_output: { execution_id: isString, stage_name: isString, payload: isObject },
  execution_succeeded: { execution_id: isString },
  execution_error: { execution_id: isString, message: isString },
  cancel_response: { execution_id: isString },
  log: { execution_id: isString, level: isString, message: isString },
  stage_progress: { execution_id: isString, stage_name: isString, percentage: isNullableNumber },
  executor_status: { executor_id: isString, state: isString, execution_id: isNullableString },
  protocol_error: { message: isString },
};

const EVENTS: Readonly<Record<string, Shape>> = {
  started: {},
  source_registered: { name: isString },
  stage_started: { name: isString, position: isCount, sub_position: isCount },
  stage_completed: { name: isString, position: isCount, sub_position: isCount, duration_ms: isAmount },
  destination_completed: {},
  completed: { duration_ms: isAmount },
};

const PAYLOADS: Readonly<Record<string, Shape>> = {
  output_start: { output_header: isString },
  output_chunk: { sequence: isCount, body: isString },
  output_end: { output_footer: isString },
};

/** Checks `value` against the shape its `type` selects; null when it fits. */
function mismatch(value: Record<string, unknown>, shapes: Readonly<Record<string, Shape>>, what: string): DecodedFrame | null {
  const type = value['type'];
  if (typeof type !== 'string') return { kind: 'invalid', reason: `${what} without a string "type"` };
  const shape = Object.hasOwn(shapes, type) ? shapes[type] : undefined;
  // The type is the peer's: only its beginning is kept (it may be logged).
  if (shape === undefined) return { kind: 'skipped', type: what === 'message' ? clientText(type) : `${what} ${clientText(type)}` };
  for (const [field, check] of Object.entries(shape)) {
    if (!check(value[field])) return { kind: 'invalid', reason: `${type}: missing or invalid "${field}"` };
  }
  return null;
}

export function decodeExecutorFrame(text: string): DecodedFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'invalid', reason: 'not valid JSON' };
  }
  return decodeExecutorValue(value);
}

/** `decodeExecutorFrame` for a frame already parsed. */
export function decodeExecutorValue(value: unknown): DecodedFrame {
  if (!isObject(value)) return { kind: 'invalid', reason: 'not a JSON object' };
  const m = value as Record<string, unknown>;
  const bad = mismatch(m, MESSAGES, 'message');
  if (bad) return bad;
  if (m['type'] === 'progress_update') {
    const badEvent = mismatch(m['event'] as Record<string, unknown>, EVENTS, 'event');
    if (badEvent) return badEvent;
  }
  if (m['type'] === 'stage_output') {
    const badPayload = mismatch(m['payload'] as Record<string, unknown>, PAYLOADS, 'payload');
    if (badPayload) return badPayload;
  }
  return { kind: 'message', message: m as unknown as ExecutorMessage };
}
