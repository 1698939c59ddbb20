/**
 * The orchestrator's HTTP(S) server: `GET /api/health` (open), `GET /api/executors` and
 * `GET /api/executions/:id` (client key), and two WebSocket endpoints checked before the upgrade
 * (401 JSON otherwise): `/ws/connect` for clients (client key) and `/ws/executor/register` for
 * executors (executor secret). Keys are compared in constant time; repeated failures from one
 * address are slowed down, and an address over its budget of attempts gets 429 without its key
 * being checked. Connections are limited (503 beyond the limits).
 */
import type { FastifyInstance } from 'fastify';
import { WebSocketServer } from 'ws';
import type { Logger } from '../core/log.js';
import type { AuthLimiter } from '../http/auth.js';
import { Authenticator } from '../http/authenticate.js';
import type { ConnectionGate, ConnectionLimits } from '../http/connection-gate.js';
import { createHttpApp, guardUpgrades, limitConnections, listen, protocolVersion, type TlsFiles } from '../http/server.js';
import { executionBody, executorsBody, healthBody } from './api.js';
import { ClientLinks } from './client-links.js';
import { ExecutorLinks } from './executor-links.js';
import type { OrchestratorRuntime } from './runtime.js';

export interface OrchestratorServerOptions {
  clientApiKey: string;
  executorSecret: string;
  host: string;
  port: number;
  tls: TlsFiles;
  maxMessageBytes: number;
  livenessTimeoutMs: number;
  version: string;
  log: Logger;
  runtime: OrchestratorRuntime;
  /** Connections open at once, and of those not yet authenticated. */
  limits: ConnectionLimits;
  limiter?: AuthLimiter;
}

export interface RunningOrchestrator {
  /** e.g. http://127.0.0.1:3000 */
  url: string;
  port: number;
  app: FastifyInstance;
  /** Closes every connection (code 1001) and the listener. */
  close(): Promise<void>;
}

export const CLIENT_PATH = '/ws/connect';
export const EXECUTOR_PATH = '/ws/executor/register';
type AppOptions = Pick<OrchestratorServerOptions, 'clientApiKey' | 'executorSecret' | 'tls' | 'version' | 'log' | 'runtime' | 'limiter'>;

/** The HTTP routes, without listening and without connection limits (tests use `inject`). */
export function createOrchestratorApp(opts: AppOptions): FastifyInstance {
  return buildApp(opts, null).app;
}

function buildApp(opts: AppOptions, limits: ConnectionLimits | null): { app: FastifyInstance; auth: Authenticator; gate: ConnectionGate | null } {
  const log = opts.log.child({ component: 'server' });
  const app = createHttpApp(log, opts.tls);
  const gate = limits && limitConnections(app, limits, log, opts.tls);
  const auth = new Authenticator(log, opts.limiter, gate);

  app.get('/api/health', async (_req, reply) => reply.send(healthBody(opts.runtime.state(), opts.version)));

  app.get('/api/executors', async (req, reply) => {
    if (!(await auth.route(req, reply, opts.clientApiKey))) return reply;
    return reply.send(executorsBody(opts.runtime.state()));
  });

  app.get<{ Params: { id: string } }>('/api/executions/:id', async (req, reply) => {
    if (!(await auth.route(req, reply, opts.clientApiKey))) return reply;
    const body = executionBody(opts.runtime.state(), req.params.id);
    if (!body) return reply.code(404).send({ error: 'Unknown execution', execution_id: req.params.id });
    return reply.send(body);
  });

  // A plain GET (no upgrade) is answered like the upgrade would be: 401 without the right key.
  for (const [path, key] of [[CLIENT_PATH, opts.clientApiKey], [EXECUTOR_PATH, opts.executorSecret]] as const) {
    app.get(path, async (req, reply) => {
      if (!(await auth.route(req, reply, key))) return reply;
      return reply.code(426).header('Upgrade', 'websocket').send({ error: 'WebSocket upgrade required' });
    });
  }
  return { app, auth, gate };
}

export async function startOrchestratorServer(opts: OrchestratorServerOptions): Promise<RunningOrchestrator> {
  const log = opts.log.child({ component: 'server' });
  const { app, auth, gate } = buildApp(opts, opts.limits);
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxMessageBytes, perMessageDeflate: false });
  const heartbeatMs = Math.min(10_000, opts.livenessTimeoutMs / 3);
  const clients = new ClientLinks(opts.runtime, log, heartbeatMs);
  const executors = new ExecutorLinks(opts.runtime, log, heartbeatMs);

  guardUpgrades(app, {
    auth,
    keyFor: (path) => (path === CLIENT_PATH ? opts.clientApiKey : path === EXECUTOR_PATH ? opts.executorSecret : null),
    accept: (req, socket, head, path, address) =>
      wss.handleUpgrade(req, socket, head, (ws) => {
        if (path === CLIENT_PATH) clients.add(ws, protocolVersion(req), address);
        else executors.add(ws, address);
      }),
  });

  const { url, port } = await listen(app, opts.host, opts.port, opts.tls);
  return {
    url,
    port,
    app,
    close: async () => {
      clients.closeAll(1001, 'orchestrator shutting down');
      executors.closeAll(1001, 'orchestrator shutting down');
      gate?.close();
      auth.close();
      const deadline = Date.now() + 1000;
      while ([...wss.clients].some((ws) => ws.readyState !== ws.CLOSED) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await app.close();
    },
  };
}
