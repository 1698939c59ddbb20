/**
 * API key checks: constant-time comparison (of SHA-256 digests, so lengths leak nothing), and a
 * per-address limit on guesses. Each address has a bucket of attempts that refills slowly; an
 * attempt takes one when it arrives and gives it back if the key was right, so only failures use
 * the budget and a success never wipes the record of recent failures. With the bucket empty an
 * attempt is refused (429) without checking the key, however many arrive in parallel. Checked
 * failures are also answered later and later (0 ms for the first few, then doubling).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export function keyMatches(expected: string, given: string | string[] | undefined): boolean {
  if (typeof given !== 'string' || given.length === 0) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

export interface AuthLimitSettings {
  burst: number;
  refillMs: number;
  freeFailures: number;
  windowMs: number;
  maxDelayMs: number;
  maxAddresses: number;
}

export const AUTH_LIMIT_DEFAULTS: Readonly<AuthLimitSettings> = Object.freeze({
  /** Attempts one address may make at once. */
  burst: 20,
  /** One more attempt every this many milliseconds (20 a minute). */
  refillMs: 3_000,
  /** Failures in the window answered at once; later ones are delayed. */
  freeFailures: 5,
  windowMs: 60_000,
  maxDelayMs: 5_000,
  /** Addresses tracked at most (the least recently seen are forgotten first). */
  maxAddresses: 10_000,
});

export type AuthLimitOptions = Partial<AuthLimitSettings>;

export type Admission = { admitted: true } | { admitted: false; retryAfterSeconds: number };

interface AddressRecord {
  tokens: number;
  refilledAt: number;
  failures: number;
  firstFailure: number;
}

/** The per-address budget of authentication attempts, and the delay of answers to failures. */
export class AuthLimiter {
  private readonly records = new Map<string, AddressRecord>();
  private readonly o: AuthLimitSettings;

  constructor(opts: AuthLimitOptions = {}) {
    this.o = { ...AUTH_LIMIT_DEFAULTS, ...opts };
  }

  /** Takes one attempt from the address's bucket (when it has one): call before checking the key. */
  admit(address: string, now = Date.now()): Admission {
    const r = this.record(address, now);
    if (r.tokens >= 1) {
      r.tokens -= 1;
      return { admitted: true };
    }
    return { admitted: false, retryAfterSeconds: Math.max(1, Math.ceil(((1 - r.tokens) * this.o.refillMs) / 1000)) };
  }

  /** The key was right: the attempt is given back. Recent failures stay recorded. */
  succeeded(address: string, now = Date.now()): void {
    const r = this.record(address, now);
    r.tokens = Math.min(this.o.burst, r.tokens + 1);
  }

  /** The key was wrong: records the failure and returns how long to wait before answering it. */
  failed(address: string, now = Date.now()): number {
    const r = this.record(address, now);
    if (r.failures === 0 || now - r.firstFailure > this.o.windowMs) {
      r.failures = 0;
      r.firstFailure = now;
    }
    r.failures++;
    const over = r.failures - this.o.freeFailures;
    return over <= 0 ? 0 : Math.min(this.o.maxDelayMs, 100 * 2 ** (over - 1));
  }

  /** The address's record, refilled up to now and made the most recently seen. */
  private record(address: string, now: number): AddressRecord {
    let r = this.records.get(address);
    if (r) {
      this.records.delete(address);
      const refill = Math.max(0, now - r.refilledAt) / this.o.refillMs;
      r.tokens = Math.min(this.o.burst, r.tokens + refill);
      r.refilledAt = Math.max(r.refilledAt, now);
    } else {
      r = { tokens: this.o.burst, refilledAt: now, failures: 0, firstFailure: now };
    }
    this.records.set(address, r);
    if (this.records.size > this.o.maxAddresses) this.records.delete(this.records.keys().next().value!);
    return r;
  }
}

export const AUTH_FAILED = { error: 'Authentication failed' };
export const AUTH_RATE_LIMITED = { error: 'Too many authentication attempts' };

/** What to answer to one authentication attempt. */
export type AuthVerdict =
  | { ok: true }
  | { ok: false; status: 401; delayMs: number }
  | { ok: false; status: 429; retryAfterSeconds: number };

/** One attempt: admitted by the limiter first, then the key compared; the limiter learns the result. */
export function checkKey(limiter: AuthLimiter, expected: string, given: string | string[] | undefined, address: string): AuthVerdict {
  const admission = limiter.admit(address);
  if (!admission.admitted) return { ok: false, status: 429, retryAfterSeconds: admission.retryAfterSeconds };
  if (keyMatches(expected, given)) {
    limiter.succeeded(address);
    return { ok: true };
  }
  return { ok: false, status: 401, delayMs: limiter.failed(address) };
}
