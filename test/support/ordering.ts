/**
 * Waiting on order instead of on the clock. A test that must show that something did NOT happen
 * (no second outcome, no termination, no loss) waits for an event that can only come after it
 * would have happened, then asserts:
 *
 * - `delivered(ws)`: a ping round trip on a WebSocket. The peer writes its pong after every frame
 *   it had already written on that socket, so once the pong is back, those frames have arrived.
 * - timers of the same length fire in the order they were set (Node keeps one FIFO list per
 *   duration), so a second, identical timer started later is a witness for the first: when the
 *   second has fired, the first has too. The orchestrator's grace and liveness timers are such
 *   timers; the failover tests start a witness executor to observe them.
 */
import { once } from 'node:events';
import type WebSocket from 'ws';

/** Resolves once every frame the peer wrote on `ws` before it answered a ping has been received. */
export async function delivered(ws: WebSocket, timeoutMs = 30_000): Promise<void> {
  const pong = once(ws, 'pong', { signal: AbortSignal.timeout(timeoutMs) });
  ws.ping();
  await pong;
}
