/**
 * The HTTP(S) parts the executor's and the orchestrator's servers share: the Fastify instance
 * with its connection limits (src/http/connection-gate.ts), WebSocket upgrades checked before they
 * happen (404 for other paths; 401 JSON for a wrong key, slowed down for repeated failures; 429
 * for an address over its budget of attempts), the protocol version a client asks for, and
 * listening.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from '../core/log.js';
import type { ProtocolVersion } from '../protocol/messages.js';
import { rawResponse, refuseUpgrade, type Authenticator } from './authenticate.js';
import { ConnectionGate, type ConnectionLimits } from './connection-gate.js';

export { AUTH_FAILED } from './auth.js';
export type TlsFiles = { cert: string; key: string } | null;

/** A Fastify instance logging through `log` (without per-request lines), over HTTPS with `tls`. */
export function createHttpApp(log: Logger, tls: TlsFiles): FastifyInstance {
  return Fastify({
    loggerInstance: log,
    logController: new LogController({ disableRequestLogging: true }),
    ...(tls ? { https: { cert: tls.cert, key: tls.key } } : {}),
  }) as unknown as FastifyInstance;
}

/** Puts the connection limits in front of the app's server (before it listens). */
export function limitConnections(app: FastifyInstance, limits: ConnectionLimits, log: Logger, tls: TlsFiles): ConnectionGate {
  return new ConnectionGate(app.server, limits, log, tls !== null);
}

/** Version 2 when asked for by header (`X-Aqueducts-Protocol: 2`) or query (`?protocol=2`). */
export function protocolVersion(req: IncomingMessage): ProtocolVersion {
  const header = req.headers['x-aqueducts-protocol'];
  if (typeof header === 'string' && header.trim() === '2') return 2;
  return new URL(req.url ?? '/', 'http://x').searchParams.get('protocol') === '2' ? 2 : 1;
}

export interface UpgradeGuard {
  auth: Authenticator;
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
    const verdict = guard.auth.check(key, req.headers['x-api-key'], req.socket, path);
    if (!verdict.ok) return refuseUpgrade(socket, verdict);
    guard.accept(req, socket, head, path, req.socket.remoteAddress ?? 'unknown');
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
