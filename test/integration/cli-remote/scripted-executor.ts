/**
 * A SCRIPTED PEER standing in for an executor in the CLI client tests: a `ws` server on
 * 127.0.0.1:0 that checks `X-API-Key` like the real one (401 JSON before the upgrade) and answers
 * each client frame with whatever the test scripts. It plays canned messages; it runs nothing.
 * Tests against the real executor are integration tests that belong with the server.
 */
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { CliIo } from '../../../src/cli/io.js';

export interface Peer {
  /** Sends one message as JSON text. */
  send(message: object): void;
  sendRaw(text: string): void;
  close(code?: number, reason?: string): void;
  /** Drops the TCP connection without a closing handshake (the client sees code 1006). */
  terminate(): void;
}

export type Frame = Record<string, unknown> & { type?: string };

export interface ScriptOptions {
  apiKey: string;
  /** Called for every text frame the client sends. */
  onFrame?: (frame: Frame, peer: Peer) => void;
  /** Called when a client connection opens. */
  onConnect?: (peer: Peer) => void;
  /** Replaces authentication: answer the upgrade request with this status and body instead. */
  reject?: { status: number; statusText: string; body: string };
  /** false: never answer pings (a silently dead peer). */
  autoPong?: boolean;
  /** Serve wss:// with this key and certificate (PEM). */
  tls?: { key: string; cert: string };
}

export interface ScriptedExecutor {
  /** `127.0.0.1:<port>`, as a user passes it to --executor. */
  readonly address: string;
  /** The normalised URL the CLI prints. */
  readonly wsUrl: string;
  /** Headers of every upgrade request, accepted or not. */
  readonly upgrades: IncomingHttpHeaders[];
  /** Every text frame received, raw. */
  readonly raw: string[];
  readonly frames: Frame[];
  stop(): Promise<void>;
}

export async function startScriptedExecutor(opts: ScriptOptions): Promise<ScriptedExecutor> {
  const wss = new WebSocketServer({ noServer: true, autoPong: opts.autoPong ?? true });
  const notFound = (_req: unknown, res: { writeHead(status: number): { end(): void } }) => res.writeHead(404).end();
  const server: Server = opts.tls ? createTlsServer(opts.tls, notFound) : createServer(notFound);
  const upgrades: IncomingHttpHeaders[] = [];
  const raw: string[] = [];
  const frames: Frame[] = [];

  server.on('upgrade', (req, socket: Duplex, head) => {
    upgrades.push(req.headers);
    const refuse = (status: number, statusText: string, body: string) => {
      socket.end(`HTTP/1.1 ${status} ${statusText}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    };
    if (opts.reject) return refuse(opts.reject.status, opts.reject.statusText, opts.reject.body);
    if (req.headers['x-api-key'] !== opts.apiKey) return refuse(401, 'Unauthorized', '{"error":"Authentication failed"}');
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const peer: Peer = {
        send: (m) => ws.send(JSON.stringify(m)),
        sendRaw: (t) => ws.send(t),
        close: (code, reason) => ws.close(code, reason),
        terminate: () => ws.terminate(),
      };
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        const text = String(data);
        raw.push(text);
        const frame = JSON.parse(text) as Frame;
        frames.push(frame);
        opts.onFrame?.(frame, peer);
      });
      opts.onConnect?.(peer);
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    wsUrl: `${opts.tls ? 'wss' : 'ws'}://127.0.0.1:${port}/ws/connect`,
    upgrades, raw, frames,
    stop: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A CliIo that records lines; `onErr` lets a test react to a line (e.g. press Ctrl+C). */
export function captureIo(onErr?: (line: string) => void): CliIo & { outLines: string[]; errLines: string[] } {
  const outLines: string[] = [];
  const errLines: string[] = [];
  return {
    outLines, errLines,
    out: (t) => { outLines.push(t); },
    err: (t) => { errLines.push(t); onErr?.(t); },
  };
}

/** Timings short enough for tests (the defaults are tens of seconds). */
export const FAST = { handshakeTimeoutMs: 2_000, heartbeatMs: 0, cancelTimeoutMs: 2_000, answerTimeoutMs: 2_000, closeGraceMs: 200 };
