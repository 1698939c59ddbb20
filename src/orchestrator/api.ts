/**
 * The JSON bodies of the orchestrator's HTTP API, from its state. Times are RFC 3339 (UTC).
 * Nothing here reveals pipelines or keys.
 */
import { executorState, isTerminalState, own, type FleetContext } from '../../machines/orchestrator-fleet.js';

const time = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** `GET /api/health` (no authentication): counts only. */
export function healthBody(ctx: FleetContext, version: string): Record<string, unknown> {
  const counts = { idle: 0, busy: 0, draining: 0, disconnected: 0 };
  for (const e of Object.values(ctx.executors)) counts[executorState(e)]++;
  return {
    status: 'OK',
    mode: 'orchestrator',
    version,
    executors: counts.idle + counts.busy + counts.draining,
    ...counts,
    queue_length: ctx.queue.length,
  };
}

/** `GET /api/executors`: every executor known, connected or within its grace period. */
export function executorsBody(ctx: FleetContext): Record<string, unknown> {
  const executors = Object.values(ctx.executors)
    .sort((a, b) => a.registeredAt - b.registeredAt || (a.id < b.id ? -1 : 1))
    .map((e) => ({
      executor_id: e.id,
      state: executorState(e),
      execution_id: e.execution,
      last_seen: time(e.lastSeen),
      version: e.version,
      max_memory_gb: e.maxMemoryGb,
      registered_at: time(e.registeredAt),
      disconnected_at: time(e.disconnectedAt),
    }));
  return { executors };
}

/** `GET /api/executions/:id`; null when the id is unknown (or forgotten). */
export function executionBody(ctx: FleetContext, id: string): Record<string, unknown> | null {
  const r = own(ctx.executions, id.toLowerCase());
  if (!r) return null;
  const position = r.state === 'queued' ? ctx.queue.indexOf(r.id) : -1;
  return {
    execution_id: r.id,
    state: r.state,
    executor_id: r.executorId,
    queue_position: position >= 0 ? position : null,
    /** The terminal message sent to the clients (null until the execution has ended). */
    outcome: isTerminalState(r.state) ? r.terminal : null,
    submitted: r.submitted,
    submitted_at: time(r.submittedAt),
    dispatched_at: time(r.dispatchedAt),
    started_at: time(r.startedAt),
    finished_at: time(r.finishedAt),
    cancel_requested: r.cancelRequested,
    subscribers: r.subscribers.length,
  };
}
