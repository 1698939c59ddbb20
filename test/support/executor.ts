/**
 * Starts the real `aqueducts-executor` (the built dist/ program) on a loopback port, and talks
 * to it with real WebSocket clients. Every test stops what it starts.
 */
import type { ChildProcess } from 'node:child_process';
import { spawnServer } from './server-process.js';
import path from 'node:path';
import { once } from 'node:events';
import WebSocket from 'ws';
import { REPO } from './paths.js';
import type { ExecutorMessage } from '../../src/protocol/messages.js';

export const EXECUTOR_BIN = path.join(REPO, 'dist/src/cli/aqueducts-executor.js');
export const CLI_BIN = path.join(REPO, 'dist/src/cli/aqueducts.js');
export const API_KEY = 'test-key-9f8e7d';

export interface ExecutorProcess {
  url: string;
  wsUrl: string;
  proc: ChildProcess;
  /** Every log line (parsed JSON) so far. */
  logs: Array<Record<string, unknown>>;
  stderr: () => string;
  stop(): Promise<number | null>;
  exited: Promise<number | null>;
}

export async function startExecutor(args: string[] = [], env: Record<string, string> = {}, cwd = REPO): Promise<ExecutorProcess> {
  const server = await spawnServer('aqueducts-executor', EXECUTOR_BIN, ['--bind-address', '127.0.0.1:0', ...args], { ...process.env, API_KEY, RUST_LOG: 'debug', ...env }, cwd);
  return { ...server, wsUrl: `${server.url.replace(/^http/, 'ws')}/ws/connect` };
}

/** A WebSocket client that records every message it receives. */
export class Client {
  readonly messages: ExecutorMessage[] = [];
  private waiters: Array<() => void> = [];
  closeCode: number | null = null;
  readonly closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      this.messages.push(JSON.parse(String(d)) as ExecutorMessage);
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code) => { this.closeCode = code; for (const w of this.waiters.splice(0)) w(); resolve(code); }));
  }

  static async connect(wsUrl: string, opts: { key?: string | null; v2?: boolean; ca?: string } = {}): Promise<Client> {
    const headers: Record<string, string> = {};
    if (opts.key !== null) headers['X-API-Key'] = opts.key ?? API_KEY;
    if (opts.v2) headers['X-Aqueducts-Protocol'] = '2';
    const ws = new WebSocket(wsUrl, { headers, ...(opts.ca ? { ca: opts.ca } : {}) });
    const client = new Client(ws);
    await once(ws, 'open');
    return client;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Waits until `predicate` holds for the messages received so far. */
  async until(predicate: (ms: ExecutorMessage[]) => boolean, timeoutMs = 30000): Promise<ExecutorMessage[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.messages)) {
      if (this.closeCode !== null) throw new Error(`connection closed (${this.closeCode}) while waiting; got ${JSON.stringify(this.messages.map((m) => m.type))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; got ${JSON.stringify(this.messages.map((m) => m.type))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
    return this.messages;
  }

  /** Messages about one execution. */
  about(id: string): ExecutorMessage[] {
    return this.messages.filter((m) => 'execution_id' in m && m.execution_id === id);
  }

  async terminal(id: string, timeoutMs = 60000): Promise<ExecutorMessage> {
    await this.until(() => this.about(id).some(isTerminalMessage), timeoutMs);
    return this.about(id).find(isTerminalMessage)!;
  }

  /** The id of the n-th execution_response received (0-based). */
  async responseId(n = 0): Promise<string> {
    await this.until((ms) => ms.filter((m) => m.type === 'execution_response').length > n);
    return (this.messages.filter((m) => m.type === 'execution_response')[n] as { execution_id: string }).execution_id;
  }

  close(): void {
    this.ws.close();
  }
}

export function isTerminalMessage(m: ExecutorMessage): boolean {
  return m.type === 'execution_succeeded' || m.type === 'execution_error' || m.type === 'cancel_response';
}

/** Upgrade attempt that is expected to be refused: the HTTP status and body. */
export function refusedUpgrade(wsUrl: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, { headers });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('open', () => { ws.close(); reject(new Error('upgrade unexpectedly accepted')); });
    ws.on('error', () => { /* reported through unexpected-response */ });
  });
}

/** Waits until a log line matching `predicate` has been written by the executor. */
export async function waitForLog(ex: ExecutorProcess, predicate: (l: Record<string, unknown>) => boolean, timeoutMs = 10000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = ex.logs.find(predicate);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error('log line not found');
    await new Promise((r) => setTimeout(r, 20));
  }
}
