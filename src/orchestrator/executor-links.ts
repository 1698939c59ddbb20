/**
 * Executor WebSocket connections (`/ws/executor/register`). Each frame is decoded and becomes one
 * event (a registration, a message, or a sign of life); pongs and pings are signs of life too. The
 * orchestrator pings every executor itself so that a half-open TCP connection goes silent and is
 * found dead by the machine's liveness timer. Frames and closes the machine emits are carried out
 * here. Malformed input is answered here, as for clients; nothing else is decided here.
 */
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import { clientText } from '../core/client-value.js';
import type { Logger } from '../core/log.js';
import { BINARY_FRAME } from '../protocol/decode.js';
import { executorFrame, decodeExecutorFrameText, type ExecutorFrame } from './frames.js';
import type { OrchestratorMessage } from '../protocol/messages.js';
import type { OrchestratorRuntime } from './runtime.js';

export class ExecutorLinks {
  private readonly links = new Map<string, WebSocket>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly runtime: OrchestratorRuntime, private readonly log: Logger, pingEveryMs: number) {
    runtime.onExecutorSend((id, message) => this.send(id, message));
    runtime.onExecutorClose((id, code, reason, terminate) => {
      const ws = this.links.get(id);
      if (!ws) return;
      if (terminate) ws.terminate();
      else ws.close(code, reason);
    });
    this.heartbeat = setInterval(() => {
      for (const ws of this.links.values()) if (ws.readyState === ws.OPEN) ws.ping();
    }, pingEveryMs);
    this.heartbeat.unref();
  }

  add(ws: WebSocket, address: string): string {
    const id = randomUUID();
    const log = this.log.child({ executor_connection: id });
    this.links.set(id, ws);
    log.info({ address }, 'executor connection opened');
    const seen = () => this.runtime.send({ type: 'executor.seen', connectionId: id });
    ws.on('pong', seen);
    ws.on('ping', seen);
    ws.on('message', (data, isBinary) => this.onFrame(id, ws, data, isBinary, log));
    ws.on('close', (code) => {
      this.links.delete(id);
      log.info({ code }, 'executor connection closed');
      this.runtime.send({ type: 'executor.disconnected', connectionId: id });
    });
    ws.on('error', (err) => log.warn({ err: { message: err.message } }, 'executor connection error'));
    this.runtime.send({ type: 'executor.connected', connectionId: id });
    return id;
  }

  get size(): number {
    return this.links.size;
  }

  closeAll(code: number, reason: string): void {
    clearInterval(this.heartbeat);
    for (const ws of this.links.values()) ws.close(code, reason);
  }

  private onFrame(id: string, ws: WebSocket, data: unknown, isBinary: boolean, log: Logger): void {
    try {
      this.handle(id, ws, isBinary ? { kind: 'invalid', reason: BINARY_FRAME, registration: false } : decodeExecutorFrameText(data), log);
    } catch (e) {
      // Decoding never throws; this is the backstop that keeps one frame from ending the process.
      log.error({ code: 'AQ_INTERNAL', error: clientText(e instanceof Error ? e.message : String(e), 500) }, 'executor frame could not be handled');
      this.send(id, { type: 'protocol_error', message: 'the frame could not be handled' });
    }
  }

  private handle(id: string, ws: WebSocket, frame: ExecutorFrame, log: Logger): void {
    switch (frame.kind) {
      case 'register':
        this.runtime.send({ type: 'executor.registering', connectionId: id, registration: frame.registration });
        return;
      case 'message':
        this.runtime.send({ type: 'executor.message', connectionId: id, message: frame.message });
        return;
      case 'skipped':
        log.debug({ type: frame.type }, 'executor frame of an unknown type ignored');
        this.runtime.send({ type: 'executor.seen', connectionId: id });
        return;
      case 'invalid':
        if (frame.registration) {
          log.warn({ code: 'AQ_REGISTRATION_REFUSED', error: frame.reason }, 'registration refused: malformed register_executor');
          this.send(id, { type: 'registration_response', success: false, message: frame.reason });
          ws.close(1008, 'malformed register_executor');
          return;
        }
        log.warn({ code: 'AQ_PROTOCOL_ERROR', error: frame.reason }, 'malformed executor frame ignored');
        this.send(id, { type: 'protocol_error', message: frame.reason });
        this.runtime.send({ type: 'executor.seen', connectionId: id });
    }
  }

  private send(id: string, message: OrchestratorMessage): void {
    const ws = this.links.get(id);
    if (ws && ws.readyState === ws.OPEN) {
      ws.send(executorFrame(message));
      return;
    }
    if (message.type === 'execution_request') {
      this.runtime.send({ type: 'executor.undeliverable', connectionId: id, executionId: message.execution_id });
    }
  }
}
