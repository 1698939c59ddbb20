/**
 * Log lines for refusals that can come in floods (connections over a limit, authentication
 * attempts over budget): the first of a burst is logged at once, the rest are counted and summed
 * up in one line per interval while the burst lasts. However many arrive, a kind of refusal writes
 * at most one line per interval.
 */
import type { Logger } from '../core/log.js';

export const BURST_LOG_INTERVAL_MS = 10_000;

interface Burst {
  fields: Record<string, unknown>;
  msg: string;
  count: number;
  timer: NodeJS.Timeout;
}

export class BurstLog {
  private readonly bursts = new Map<string, Burst>();

  constructor(private readonly log: Logger, private readonly intervalMs = BURST_LOG_INTERVAL_MS) {}

  /** One refusal of kind `key`: logged if it starts a burst, else counted. */
  note(key: string, fields: Record<string, unknown>, msg: string): void {
    const burst = this.bursts.get(key);
    if (burst) {
      burst.count++;
      burst.fields = fields;
      return;
    }
    this.log.warn(fields, msg);
    const timer = setInterval(() => this.tick(key), this.intervalMs);
    timer.unref();
    this.bursts.set(key, { fields, msg, count: 0, timer });
  }

  /** Stops the timers (the server is closing); counts not yet logged are logged now. */
  close(): void {
    for (const key of [...this.bursts.keys()]) {
      this.tick(key);
      this.tick(key);
    }
  }

  private tick(key: string): void {
    const burst = this.bursts.get(key);
    if (!burst) return;
    if (burst.count === 0) {
      clearInterval(burst.timer);
      this.bursts.delete(key);
      return;
    }
    this.log.warn({ ...burst.fields, repeated: burst.count, interval_ms: this.intervalMs }, burst.msg);
    burst.count = 0;
  }
}
