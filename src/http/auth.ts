/**
 * API key checks: constant-time comparison (of SHA-256 digests, so lengths leak nothing), and a
 * per-address throttle that slows repeated failures down.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export function keyMatches(expected: string, given: string | string[] | undefined): boolean {
  if (typeof given !== 'string' || given.length === 0) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

export interface ThrottleOptions {
  /** Failures allowed in the window before answers are delayed. */
  freeFailures?: number;
  windowMs?: number;
  maxDelayMs?: number;
  /** Addresses tracked at most (the oldest are forgotten first). */
  maxAddresses?: number;
}

/** Delays answers to an address that keeps failing: 0 ms for the first few, then doubling. */
export class FailureThrottle {
  private readonly failures = new Map<string, { count: number; first: number }>();
  private readonly free: number;
  private readonly windowMs: number;
  private readonly maxDelayMs: number;
  private readonly maxAddresses: number;

  constructor(opts: ThrottleOptions = {}) {
    this.free = opts.freeFailures ?? 5;
    this.windowMs = opts.windowMs ?? 60_000;
    this.maxDelayMs = opts.maxDelayMs ?? 5_000;
    this.maxAddresses = opts.maxAddresses ?? 10_000;
  }

  /** Records a failure and returns how long to wait before answering it. */
  fail(address: string, now = Date.now()): number {
    let f = this.failures.get(address);
    if (!f || now - f.first > this.windowMs) f = { count: 0, first: now };
    f.count++;
    this.failures.delete(address);
    this.failures.set(address, f);
    if (this.failures.size > this.maxAddresses) this.failures.delete(this.failures.keys().next().value!);
    const over = f.count - this.free;
    return over <= 0 ? 0 : Math.min(this.maxDelayMs, 100 * 2 ** (over - 1));
  }

  succeed(address: string): void {
    this.failures.delete(address);
  }
}
