/**
 * The wire protocol (docs/protocol.md). Version 1 is byte-compatible with the original Aqueducts 0.11
 * executor and CLI; version 2 adds messages only for peers that ask for them.
 */
import { ErrorCodes, type ErrorCode } from '../core/errors.js';
import type { Aqueduct } from '../pipeline/types.js';
import type { ProgressEvent, RunLogLevel } from '../core/run-events.js';

export type ProtocolVersion = 1 | 2;

export type ErrorReason =
  | 'invalid_pipeline' | 'busy' | 'source' | 'stage' | 'destination' | 'memory' | 'unknown_execution'
  | 'internal' | 'executor_lost' | 'timeout';

export type StageOutputPayload =
  | { type: 'output_start'; output_header: string }
  | { type: 'output_chunk'; sequence: number; body: string }
  | { type: 'output_end'; output_footer: string };

export type ClientMessage =
  | { type: 'execution_request'; pipeline: Aqueduct; execution_id?: string }
  | { type: 'cancel_request'; execution_id: string };

export type ExecutorState = 'idle' | 'busy' | 'draining';

export type ExecutorMessage =
  | { type: 'execution_response'; execution_id: string }
  | { type: 'queue_position'; execution_id: string; position: number }
  | { type: 'progress_update'; execution_id: string; progress: number; event: ProgressEvent }
  | { type: 'stage_output'; execution_id: string; stage_name: string; payload: StageOutputPayload }
  | { type: 'execution_succeeded'; execution_id: string }
  | { type: 'execution_error'; execution_id: string; message: string; reason?: ErrorReason; code?: ErrorCode }
  | { type: 'cancel_response'; execution_id: string }
  // v2 only
  | { type: 'log'; execution_id: string; level: RunLogLevel; message: string; time: string }
  | { type: 'stage_progress'; execution_id: string; stage_name: string; percentage: number | null; rows_processed: number }
  | { type: 'executor_status'; executor_id: string; state: ExecutorState; execution_id: string | null; queue_length: number }
  | { type: 'protocol_error'; message: string };

// Managed mode (docs/protocol.md): the executor dials out to an orchestrator and sends it every
// executor → client message above, after registering.

/** Executor → orchestrator, first on every connection. */
export interface RegisterExecutor {
  type: 'register_executor';
  executor_id: string;
  version: string;
  /** null: no limit. */
  max_memory_gb: number | null;
  state: ExecutorState;
  /** The execution it is running (a re-registration during a run), else null. */
  execution_id: string | null;
}

/** Orchestrator → executor. The pipeline of a request is serialised as the original's canonical JSON. */
export type OrchestratorMessage =
  | { type: 'registration_response'; success: boolean; message: string }
  | { type: 'execution_request'; execution_id: string; pipeline: Aqueduct }
  | { type: 'cancel_request'; execution_id: string }
  | { type: 'protocol_error'; message: string };

const V2_ONLY = new Set<ExecutorMessage['type']>(['log', 'stage_progress', 'executor_status', 'protocol_error']);

/** Whether a peer speaking `version` may receive this message. */
export function deliverableTo(version: ProtocolVersion, m: ExecutorMessage): boolean {
  return version === 2 || !V2_ONLY.has(m.type);
}

/** The codes that end or refuse an execution: those with a protocol reason. */
export type ExecutionErrorCode = { [K in ErrorCode]: (typeof ErrorCodes)[K]['reason'] extends ErrorReason ? K : never }[ErrorCode];

/** `execution_error` for a code of the registry: its reason, and the code itself (an extra field v1 peers ignore). */
export function executionError(executionId: string, code: ExecutionErrorCode, message: string): ExecutorMessage {
  return { type: 'execution_error', execution_id: executionId, message, reason: ErrorCodes[code].reason as ErrorReason, code };
}

/** Terminal messages: exactly one ends every accepted execution. */
export function isTerminal(m: ExecutorMessage): boolean {
  return m.type === 'execution_succeeded' || m.type === 'execution_error' || m.type === 'cancel_response';
}

/** A stage output body chunk is at most this many characters (docs/protocol.md). */
export const MAX_CHUNK_CHARS = 32_000;

/** Splits text into chunks of at most `max` characters (code points, as the original counts). */
export function chunkByChars(text: string, max = MAX_CHUNK_CHARS): string[] {
  const chars = Array.from(text);
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += max) out.push(chars.slice(i, i + max).join(''));
  return out;
}
