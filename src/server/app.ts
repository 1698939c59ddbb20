/**
 * The standalone HTTP(S) server: `GET /api/health`, and `GET /ws/connect` upgraded to a
 * WebSocket after the API key is checked (401 JSON before the upgrade otherwise, 429 for an
 * address over its budget of attempts); connections are limited (503 beyond the limits).
 */
import type { FastifyInstance } from 'fastify';
import { WebSocketServer } from 'ws';
import type { Logger } from '../core/log.js';
import type { ExecutorRuntime } from '../executor/runtime.js';
import type { AuthLimiter } from '../http/auth.js';
import { Authenticator } from '../http/authenticate.js';
import type { ConnectionLimits } from '../http/connection-gate.js';
import { createHttpApp, guardUpgrades, limitConnections, listen, protocolVersion, type TlsFiles } from '../http/server.js';
import { ConnectionRegistry } from './connections.js';

export interface StandaloneServerOptions {
  apiKey: string;
  host: string;
  port: number;
  tls: TlsFiles;
  maxMessageBytes: number;
  dataRoot: string;
  executorId: string;
  version: string;
  mode: 'standalone' | 'managed';
  log: Logger;
  runtime: ExecutorRuntime;
  /** Connections open at once, and of those not yet authenticated. */
  limits: ConnectionLimits;
  limiter?: AuthLimiter;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:3031 */
  url: string;
  port: number;
  app: FastifyInstance;
  /** Closes client connections (code 1001) and the listener. */
  close(): Promise<void>;
}

export async function startServer(opts: StandaloneServerOptions): Promise<RunningServer> {
  const log = opts.log.child({ component: 'server' });
  const app = createHttpApp(log, opts.tls);
  const gate = limitConnections(app, opts.limits, log, opts.tls);
  const auth = new Authenticator(log, opts.limiter, gate);
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
      if (!(await auth.route(req, reply, opts.apiKey))) return reply;
      return reply.code(426).header('Upgrade', 'websocket').send({ error: 'WebSocket upgrade required' });
    });
  }

  guardUpgrades(app, {
    auth,
    keyFor: (path) => (standalone && path === '/ws/connect' ? opts.apiKey : null),
    accept: (req, socket, head, _path, address) => wss.handleUpgrade(req, socket, head, (ws) => registry!.add(ws, protocolVersion(req), address)),
  });

  const { url, port } = await listen(app, opts.host, opts.port, opts.tls);
  return {
    url,
    port,
    app,
    close: async () => {
      registry?.closeAll(1001, 'executor shutting down');
      gate.close();
      auth.close();
      const deadline = Date.now() + 1000;
      while ([...wss.clients].some((ws) => ws.readyState !== ws.CLOSED) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await app.close();
    },
  };
}
