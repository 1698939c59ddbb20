/**
 * Decoding the frames the orchestrator receives. Never throws.
 *
 * Client frames are decoded exactly as the executor decodes them (src/protocol/decode.ts), except
 * that relative locations in a pipeline are kept as written: the executor that runs it resolves
 * them against its own data root, as it would for a client connected to it directly.
 *
 * Executor frames are `register_executor` or an executor → client message (checked as the CLI
 * checks them, src/protocol/wire.ts), plus `executor_status`.
 */
import { nestedDeeperThan } from '../core/client-value.js';
import { isUuid } from '../core/ids.js';
import { decodeClientMessage, textOf, type Decoded } from '../protocol/decode.js';
import { decodeExecutorValue, executionRequestFrame } from '../protocol/wire.js';
import type { ExecutorMessage, ExecutorState, OrchestratorMessage } from '../protocol/messages.js';
import type { Registration } from '../../machines/orchestrator-fleet.js';

export function decodeClientFrame(raw: unknown, binary = false): Decoded {
  return decodeClientMessage(raw, { cwd: '/', relativeLocations: 'keep', binary });
}

/**
 * Executor messages are passed on to clients with their unknown fields, so they are written out
 * again: a frame nested deeper than this is refused, since serialising it could exhaust the stack.
 * (Real messages are at most three levels deep.)
 */
export const MAX_EXECUTOR_FRAME_NESTING = 32;

export type ExecutorFrame =
  | { kind: 'register'; registration: Registration }
  | { kind: 'message'; message: ExecutorMessage }
  /** A well-formed frame of a type the orchestrator does not know (ignored). */
  | { kind: 'skipped'; type: string }
  | { kind: 'invalid'; reason: string; registration: boolean };

const STATES: readonly ExecutorState[] = ['idle', 'busy', 'draining'];

export function decodeExecutorFrameText(raw: unknown): ExecutorFrame {
  const text = textOf(raw);
  if (text === null) return { kind: 'invalid', reason: 'not a text frame', registration: false };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'invalid', reason: 'not valid JSON', registration: false };
  }
  const isRegistration = typeof value === 'object' && value !== null && !Array.isArray(value) && (value as { type?: unknown }).type === 'register_executor';
  if (nestedDeeperThan(value, MAX_EXECUTOR_FRAME_NESTING)) {
    return { kind: 'invalid', reason: `${isRegistration ? 'register_executor: ' : ''}arrays and objects nested deeper than ${MAX_EXECUTOR_FRAME_NESTING} levels, or too many of them`, registration: isRegistration };
  }
  if (isRegistration) return registration(value as Record<string, unknown>);
  const d = decodeExecutorValue(value);
  if (d.kind === 'skipped') return d;
  if (d.kind === 'invalid') return { kind: 'invalid', reason: d.reason, registration: false };
  // Execution ids are UUIDs in this protocol (they key the orchestrator's records): checked, lower-cased.
  const m = d.message;
  if ('execution_id' in m && m.execution_id !== null) {
    if (!isUuid(m.execution_id)) return { kind: 'invalid', reason: `${m.type}: execution_id must be a UUID`, registration: false };
    return { kind: 'message', message: { ...m, execution_id: m.execution_id.toLowerCase() } };
  }
  return d;
}

/**
 * `register_executor {executor_id, version, max_memory_gb, state, execution_id}`: executor_id a
 * UUID (as the executor's --executor-id), version a string; max_memory_gb a number ≥ 0 or
 * null/absent (unlimited); state idle/busy/draining (absent: idle); execution_id a UUID or null/absent.
 */
function registration(m: Record<string, unknown>): ExecutorFrame {
  const bad = (reason: string): ExecutorFrame => ({ kind: 'invalid', reason: `register_executor: ${reason}`, registration: true });
  if (!isUuid(m.executor_id)) return bad('executor_id must be a UUID');
  if (typeof m.version !== 'string' || m.version.trim() === '' || m.version.length > 100) return bad('version must be a non-empty string');
  const mem = m.max_memory_gb ?? null;
  if (mem !== null && !(typeof mem === 'number' && Number.isFinite(mem) && mem >= 0)) return bad('max_memory_gb must be a number ≥ 0 or null');
  const state = m.state ?? 'idle';
  if (!STATES.includes(state as ExecutorState)) return bad('state must be idle, busy or draining');
  const exec = m.execution_id ?? null;
  if (exec !== null && !isUuid(exec)) return bad('execution_id must be a UUID or null');
  return {
    kind: 'register',
    registration: {
      executorId: m.executor_id.toLowerCase(),
      version: m.version,
      maxMemoryGb: mem as number | null,
      state: state as ExecutorState,
      executionId: exec === null ? null : (exec as string).toLowerCase(),
    },
  };
}

/** The text frame for a message to an executor; the pipeline as the original's canonical JSON. */
export function executorFrame(m: OrchestratorMessage): string {
  return m.type === 'execution_request' ? executionRequestFrame(m.pipeline, m.execution_id) : JSON.stringify(m);
}
