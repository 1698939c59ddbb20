/**
 * The standalone HTTP(S) server: `GET /api/health`, and `GET /ws/connect` upgraded to a
 * WebSocket after the API key is checked (401 JSON before the upgrade otherwise).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { WebSocketServer } from 'ws';
import type { Logger } from '../log.js';
import type { ExecutorRuntime } from '../executor/runtime.js';
import type { ProtocolVersion } from '../protocol/messages.js';
import { FailureThrottle, keyMatches } from './auth.js';
import { ConnectionRegistry } from './connections.js';

export interface StandaloneServerOptions {
  apiKey: string;
  host: string;
  port: number;
  tls: { cert: string; key: string } | null;
  maxMessageBytes: number;
  dataRoot: string;
  executorId: string;
  version: string;
  mode: 'standalone' | 'managed';
  log: Logger;
  runtime: ExecutorRuntime;
  throttle?: FailureThrottle;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:3031 */
  url: string;
  port: number;
  app: FastifyInstance;
  /** Closes client connections (code 1001) and the listener. */
  close(): Promise<void>;
}

const AUTH_FAILED = JSON.stringify({ error: 'Authentication failed' });

function protocolVersion(req: IncomingMessage): ProtocolVersion {
  const header = req.headers['x-aqueducts-protocol'];
  if (typeof header === 'string' && header.trim() === '2') return 2;
  const q = new URL(req.url ?? '/', 'http://x').searchParams.get('protocol');
  return q === '2' ? 2 : 1;
}

function rawResponse(socket: Duplex, status: string, body: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

export async function startServer(opts: StandaloneServerOptions): Promise<RunningServer> {
  const log = opts.log.child({ component: 'server' });
  const throttle = opts.throttle ?? new FailureThrottle();
  const app = Fastify({
    loggerInstance: log,
    logController: new LogController({ disableRequestLogging: true }),
    ...(opts.tls ? { https: { cert: opts.tls.cert, key: opts.tls.key } } : {}),
  }) as unknown as FastifyInstance;
  const standalone = opts.mode === 'standalone';
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxMessageBytes, perMessageDeflate: false });
  const registry = standalone ? new ConnectionRegistry(opts.runtime, log, opts.dataRoot) : null;

  app.get('/api/health', async (_req, reply) => {
    const state = opts.runtime.state();
    const body = { status: state === 'draining' ? 'DRAINING' : 'OK', state, mode: opts.mode, executor_id: opts.executorId, version: opts.version };
    return reply.code(state === 'draining' ? 503 : 200).send(body);
  });

  if (standalone) {
    // A plain GET (no upgrade) is answered like the upgrade would be: 401 without a valid key.
    app.get('/ws/connect', async (req, reply) => {
      if (!keyMatches(opts.apiKey, req.headers['x-api-key'])) return reply.code(401).send({ error: 'Authentication failed' });
      return reply.code(426).header('Upgrade', 'websocket').send({ error: 'WebSocket upgrade required' });
    });
  }

  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (!standalone || path !== '/ws/connect') return rawResponse(socket, '404 Not Found', JSON.stringify({ error: 'Not found' }));
    const address = req.socket.remoteAddress ?? 'unknown';
    if (!keyMatches(opts.apiKey, req.headers['x-api-key'])) {
      const delay = throttle.fail(address);
      log.warn({ address, delay_ms: delay }, 'authentication failed');
      setTimeout(() => rawResponse(socket, '401 Unauthorized', AUTH_FAILED), delay).unref();
      return;
    }
    throttle.succeed(address);
    wss.handleUpgrade(req, socket, head, (ws) => registry!.add(ws, protocolVersion(req), address));
  });

  await app.listen({ host: opts.host, port: opts.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const scheme = opts.tls ? 'https' : 'http';
  const hostForUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `${scheme}://${hostForUrl}:${port}`,
    port,
    app,
    close: async () => {
      registry?.closeAll(1001, 'executor shutting down');
      const deadline = Date.now() + 1000;
      while ([...wss.clients].some((ws) => ws.readyState !== ws.CLOSED) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await app.close();
    },
  };
}
