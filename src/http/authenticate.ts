/**
 * One authentication attempt as both servers handle it, for WebSocket upgrades and HTTP routes
 * alike: the address's budget first (429 with Retry-After, the key not checked), then the key
 * (401, answered after the failure delay), and on success the connection stops counting as one
 * waiting for authentication. Each checked failure is logged (the budget bounds them); refusals
 * over budget are logged once per burst.
 */
import type { Duplex } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../core/log.js';
import { AUTH_FAILED, AUTH_RATE_LIMITED, AuthLimiter, checkKey, type AuthVerdict } from './auth.js';
import { BurstLog } from './burst-log.js';
import type { ConnectionGate } from './connection-gate.js';

export class Authenticator {
  private readonly rateLog: BurstLog;

  constructor(private readonly log: Logger, readonly limiter = new AuthLimiter(), private readonly gate: ConnectionGate | null = null) {
    this.rateLog = new BurstLog(log);
  }

  /** Checks the key `given` on the connection of `socket` against `expected`. */
  check(expected: string, given: string | string[] | undefined, socket: { remoteAddress?: string; remotePort?: number }, path: string): AuthVerdict {
    const address = socket.remoteAddress ?? 'unknown';
    const verdict = checkKey(this.limiter, expected, given, address);
    if (verdict.ok) this.gate?.authenticated(socket);
    else if (verdict.status === 401) this.log.warn({ code: 'AQ_AUTH_FAILED', address, delay_ms: verdict.delayMs, path }, 'authentication failed');
    else this.rateLog.note('auth', { code: 'AQ_AUTH_RATE_LIMITED', address, retry_after_s: verdict.retryAfterSeconds, path }, 'authentication refused: too many attempts');
    return verdict;
  }

  /** Checks a route's request; answers 401/429 itself and returns false when it fails. */
  async route(req: FastifyRequest, reply: FastifyReply, expected: string): Promise<boolean> {
    const verdict = this.check(expected, req.headers['x-api-key'], req.socket, req.url.split('?')[0]!);
    if (verdict.ok) return true;
    if (verdict.status === 429) {
      await reply.code(429).header('Retry-After', String(verdict.retryAfterSeconds)).send(AUTH_RATE_LIMITED);
      return false;
    }
    if (verdict.delayMs > 0) await new Promise((r) => setTimeout(r, verdict.delayMs));
    await reply.code(401).send(AUTH_FAILED);
    return false;
  }

  close(): void {
    this.rateLog.close();
  }
}

/** Answers a refused WebSocket upgrade on its raw socket: 401 after the delay, or 429 at once. */
export function refuseUpgrade(socket: Duplex, verdict: Exclude<AuthVerdict, { ok: true }>): void {
  if (verdict.status === 429) {
    rawResponse(socket, '429 Too Many Requests', AUTH_RATE_LIMITED, { 'Retry-After': String(verdict.retryAfterSeconds) });
    return;
  }
  setTimeout(() => rawResponse(socket, '401 Unauthorized', AUTH_FAILED), verdict.delayMs).unref();
}

export function rawResponse(socket: Duplex, status: string, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(`HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n${extra}Connection: close\r\n\r\n${text}`);
}
