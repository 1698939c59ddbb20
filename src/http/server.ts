/**
 * The HTTP(S) parts the executor's and the orchestrator's servers share: the Fastify instance,
 * WebSocket upgrades checked before they happen (404 for other paths, 401 JSON for a wrong key,
 * slowed down for repeated failures from one address), the protocol version a client asks for,
 * and listening.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from '../core/log.js';
import type { ProtocolVersion } from '../protocol/messages.js';
import { keyMatches, type FailureThrottle } from './auth.js';

export const AUTH_FAILED = { error: 'Authentication failed' };

export type TlsFiles = { cert: string; key: string } | null;

/** A Fastify instance logging through `log` (without per-request lines), over HTTPS with `tls`. */
export function createHttpApp(log: Logger, tls: TlsFiles): FastifyInstance {
  return Fastify({
    loggerInstance: log,
    logController: new LogController({ disableRequestLogging: true }),
    ...(tls ? { https: { cert: tls.cert, key: tls.key } } : {}),
  }) as unknown as FastifyInstance;
}

/** Version 2 when asked for by header (`X-Aqueducts-Protocol: 2`) or query (`?protocol=2`). */
export function protocolVersion(req: IncomingMessage): ProtocolVersion {
  const header = req.headers['x-aqueducts-protocol'];
  if (typeof header === 'string' && header.trim() === '2') return 2;
  return new URL(req.url ?? '/', 'http://x').searchParams.get('protocol') === '2' ? 2 : 1;
}

function rawResponse(socket: Duplex, status: string, body: unknown): void {
  const text = JSON.stringify(body);
  socket.end(`HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
}

export interface UpgradeGuard {
  log: Logger;
  throttle: FailureThrottle;
  /** The key a path's upgrade must present, or null: the path takes no upgrade (404). */
  keyFor(path: string): string | null;
  /** Called for an upgrade that presented the right key. */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, path: string, address: string): void;
}

/** Checks every WebSocket upgrade on the app's server before it happens. */
export function guardUpgrades(app: FastifyInstance, guard: UpgradeGuard): void {
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const key = guard.keyFor(path);
    if (key === null) return rawResponse(socket, '404 Not Found', { error: 'Not found' });
    const address = req.socket.remoteAddress ?? 'unknown';
    if (!keyMatches(key, req.headers['x-api-key'])) {
      const delay = guard.throttle.fail(address);
      guard.log.warn({ code: 'AQ_AUTH_FAILED', address, delay_ms: delay, path }, 'authentication failed');
      setTimeout(() => rawResponse(socket, '401 Unauthorized', AUTH_FAILED), delay).unref();
      return;
    }
    guard.throttle.succeed(address);
    guard.accept(req, socket, head, path, address);
  });
}

/** Listens and returns the server's URL (IPv6 hosts in brackets) and port (the real one for port 0). */
export async function listen(app: FastifyInstance, host: string, port: number, tls: TlsFiles): Promise<{ url: string; port: number }> {
  await app.listen({ host, port });
  const addr = app.server.address();
  const actual = typeof addr === 'object' && addr ? addr.port : port;
  const hostForUrl = host.includes(':') ? `[${host}]` : host;
  return { url: `${tls ? 'https' : 'http'}://${hostForUrl}:${actual}`, port: actual };
}
