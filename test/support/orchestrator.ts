/**
 * Starts the real `aqueducts-orchestrator` (the built dist/ program) on a loopback port, and a
 * SCRIPTED executor peer to drive it: a WebSocket client that registers at
 * /ws/executor/register and plays whatever executor messages a test tells it to. It runs nothing;
 * fleet tests with real executors use startExecutor (test/support/executor.ts) in managed mode.
 * Clients are the `Client` of test/support/executor.ts with `key: CLIENT_KEY`.
 */
import type { ChildProcess } from 'node:child_process';
import { spawnServer } from './server-process.js';
import { once } from 'node:events';
import path from 'node:path';
import WebSocket from 'ws';
import { REPO } from './paths.js';

export const ORCHESTRATOR_BIN = path.join(REPO, 'dist/src/cli/aqueducts-orchestrator.js');
export const CLIENT_KEY = 'orchestrator-client-key-4d2a';
export const EXECUTOR_SECRET = 'orchestrator-executor-secret-8b1c';

export interface OrchestratorProcess {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** The client endpoint, ws://…/ws/connect */
  wsUrl: string;
  /** The executor endpoint, ws://…/ws/executor/register (an executor's --orchestrator-url) */
  executorUrl: string;
  proc: ChildProcess;
  /** Every log line (parsed JSON) so far. */
  logs: Array<Record<string, unknown>>;
  stderr: () => string;
  exited: Promise<number | null>;
  /** SIGKILL (if still running); resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Sends a signal (SIGTERM: orderly shutdown) and resolves with the exit code. */
  signal(sig: NodeJS.Signals): Promise<number | null>;
  /** Waits until a log line matching `predicate` has been written. */
  waitForLog(predicate: (l: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/**
 * `args` are added after `--bind-address 127.0.0.1:0`; the keys come from the environment
 * (CLIENT_API_KEY, EXECUTOR_SECRET; `env` may override them) and RUST_LOG is debug.
 */
export async function startOrchestrator(args: string[] = [], env: Record<string, string> = {}): Promise<OrchestratorProcess> {
  const server = await spawnServer('aqueducts-orchestrator', ORCHESTRATOR_BIN, ['--bind-address', '127.0.0.1:0', ...args],
    { ...process.env, CLIENT_API_KEY: CLIENT_KEY, EXECUTOR_SECRET, RUST_LOG: 'debug', ...env }, REPO);
  const { url, proc, logs, exited } = server;
  const ws = url.replace(/^http/, 'ws');
  return {
    ...server,
    wsUrl: `${ws}/ws/connect`,
    executorUrl: `${ws}/ws/executor/register`,
    signal: async (sig) => {
      proc.kill(sig);
      return exited;
    },
    waitForLog: async (predicate, timeoutMs = 10000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = logs.find(predicate);
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error('log line not found');
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

export type Frame = Record<string, unknown> & { type: string };

export interface ScriptedExecutorOptions {
  /** The X-API-Key sent; null sends none. Default: EXECUTOR_SECRET. */
  secret?: string | null;
  /** false: never answer the orchestrator's pings (with no frames sent, the link looks dead). */
  autoPong?: boolean;
}

/**
 * A SCRIPTED EXECUTOR: registers with the orchestrator and sends exactly the messages the test
 * scripts; it records every frame the orchestrator sends it (execution requests, cancels).
 */
export class ScriptedExecutor {
  readonly frames: Frame[] = [];
  closeCode: number | null = null;
  readonly closed: Promise<number>;
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket, readonly executorId: string) {
    ws.on('message', (d) => {
      this.frames.push(JSON.parse(String(d)) as Frame);
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code) => {
      this.closeCode = code;
      for (const w of this.waiters.splice(0)) w();
      resolve(code);
    }));
  }

  /** Opens the connection (not registered yet). */
  static async connect(executorUrl: string, executorId: string, opts: ScriptedExecutorOptions = {}): Promise<ScriptedExecutor> {
    const headers: Record<string, string> = { 'X-Aqueducts-Protocol': '2' };
    if (opts.secret !== null) headers['X-API-Key'] = opts.secret ?? EXECUTOR_SECRET;
    const ws = new WebSocket(executorUrl, { headers, autoPong: opts.autoPong ?? true });
    const peer = new ScriptedExecutor(ws, executorId);
    await once(ws, 'open');
    return peer;
  }

  /** Connects and registers; resolves once the orchestrator has answered. */
  static async register(executorUrl: string, executorId: string, state: 'idle' | 'busy' | 'draining' = 'idle', executionId: string | null = null, opts: ScriptedExecutorOptions = {}): Promise<ScriptedExecutor> {
    const peer = await ScriptedExecutor.connect(executorUrl, executorId, opts);
    const answer = await peer.registerAs(state, executionId);
    if (answer['success'] !== true) throw new Error(`registration refused: ${String(answer['message'])}`);
    return peer;
  }

  /** Sends register_executor and waits for the registration_response. */
  async registerAs(state: 'idle' | 'busy' | 'draining' = 'idle', executionId: string | null = null): Promise<Frame> {
    const before = this.frames.filter((f) => f.type === 'registration_response').length;
    this.send({ type: 'register_executor', executor_id: this.executorId, version: '0.1.0-scripted', max_memory_gb: 2, state, execution_id: executionId });
    await this.until((fs) => fs.filter((f) => f.type === 'registration_response').length > before);
    return this.frames.filter((f) => f.type === 'registration_response')[before]!;
  }

  send(message: object | string): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Sends each message in order. */
  play(messages: object[]): void {
    for (const m of messages) this.send(m);
  }

  async until(predicate: (fs: Frame[]) => boolean, timeoutMs = 15000): Promise<Frame[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.frames)) {
      if (this.closeCode !== null) throw new Error(`scripted executor closed (${this.closeCode}) while waiting; got ${JSON.stringify(this.frames.map((f) => f.type))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`scripted executor timed out; got ${JSON.stringify(this.frames.map((f) => f.type))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
    return this.frames;
  }

  /** The n-th execution_request received (0-based), once it has arrived. */
  async request(n = 0, timeoutMs = 15000): Promise<Frame & { execution_id: string; pipeline: Record<string, unknown> }> {
    await this.until((fs) => fs.filter((f) => f.type === 'execution_request').length > n, timeoutMs);
    return this.frames.filter((f) => f.type === 'execution_request')[n] as Frame & { execution_id: string; pipeline: Record<string, unknown> };
  }

  close(code = 1000): void {
    this.ws.close(code);
  }

  /** Drops the TCP connection without a closing handshake. */
  terminate(): void {
    this.ws.terminate();
  }
}

/** What the real executor sends for a run with one shown stage, ending in success. */
export function successScript(executionId: string, stage = 'daily'): object[] {
  const id = executionId;
  return [
    { type: 'execution_response', execution_id: id },
    { type: 'progress_update', execution_id: id, progress: 0, event: { type: 'started' } },
    { type: 'progress_update', execution_id: id, progress: 33, event: { type: 'stage_started', name: stage, position: 0, sub_position: 0 } },
    { type: 'stage_output', execution_id: id, stage_name: stage, payload: { type: 'output_start', output_header: `\n📋 Table Data: ${stage}\n───────────────────────────────────────\n` } },
    { type: 'stage_output', execution_id: id, stage_name: stage, payload: { type: 'output_chunk', sequence: 0, body: '+---+\n| n |\n+---+\n| 7 |\n+---+' } },
    { type: 'stage_output', execution_id: id, stage_name: stage, payload: { type: 'output_end', output_footer: '' } },
    { type: 'log', execution_id: id, level: 'warn', message: 'a warning from the run', time: new Date().toISOString() },
    { type: 'progress_update', execution_id: id, progress: 66, event: { type: 'stage_completed', name: stage, position: 0, sub_position: 0, duration_ms: 3 } },
    { type: 'progress_update', execution_id: id, progress: 100, event: { type: 'completed', duration_ms: 5 } },
    { type: 'execution_succeeded', execution_id: id },
  ];
}
