/**
 * Client WebSocket connections to the orchestrator (`/ws/connect`). Each frame is decoded and
 * becomes one event; what the orchestrator emits for a connection is written in the protocol
 * version it negotiated. A heartbeat ping finds half-open connections (their executions are then
 * cancelled like any disconnected client's). Nothing here decides anything.
 */
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import { clientText } from '../core/client-value.js';
import type { Logger } from '../core/log.js';
import { deliverableTo, type ExecutorMessage, type ProtocolVersion } from '../protocol/messages.js';
import { decodeClientFrame } from './frames.js';
import { clientRequestEvent } from '../protocol/client-frame.js';
import type { OrchestratorRuntime } from './runtime.js';

interface Peer {
  ws: WebSocket;
  version: ProtocolVersion;
  /** Heard from since the last heartbeat. */
  alive: boolean;
}

export class ClientLinks {
  private readonly peers = new Map<string, Peer>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly runtime: OrchestratorRuntime, private readonly log: Logger, heartbeatMs: number) {
    runtime.onDeliver((to, message) => { for (const id of to) this.send(id, message); });
    this.heartbeat = setInterval(() => this.beat(), heartbeatMs);
    this.heartbeat.unref();
  }

  add(ws: WebSocket, version: ProtocolVersion, address: string): string {
    const id = randomUUID();
    const log = this.log.child({ connection: id });
    const peer: Peer = { ws, version, alive: true };
    this.peers.set(id, peer);
    log.info({ address, protocol: version }, 'client connected');
    ws.on('message', (data, isBinary) => {
      peer.alive = true;
      this.onFrame(id, data, isBinary, log);
    });
    ws.on('pong', () => { peer.alive = true; });
    ws.on('ping', () => { peer.alive = true; });
    ws.on('close', (code) => {
      this.peers.delete(id);
      log.info({ code }, 'client disconnected');
      this.runtime.send({ type: 'client.disconnected', connectionId: id });
    });
    ws.on('error', (err) => log.warn({ err: { message: err.message } }, 'client connection error'));
    return id;
  }

  get size(): number {
    return this.peers.size;
  }

  closeAll(code: number, reason: string): void {
    clearInterval(this.heartbeat);
    for (const { ws } of this.peers.values()) ws.close(code, reason);
  }

  private beat(): void {
    for (const [id, peer] of this.peers) {
      if (!peer.alive) {
        this.log.warn({ connection: id }, 'client connection silent: terminated');
        peer.ws.terminate();
        continue;
      }
      peer.alive = false;
      if (peer.ws.readyState === peer.ws.OPEN) peer.ws.ping();
    }
  }

  private onFrame(id: string, data: unknown, isBinary: boolean, log: Logger): void {
    try {
      const event = clientRequestEvent(decodeClientFrame(data, isBinary), id, isBinary, log, (reply) => this.send(id, reply));
      if (event) this.runtime.send(event);
    } catch (e) {
      // Decoding never throws; this is the backstop that keeps one frame from ending the process.
      log.error({ code: 'AQ_INTERNAL', error: clientText(e instanceof Error ? e.message : String(e), 500) }, 'frame could not be handled');
      this.send(id, { type: 'protocol_error', message: 'the frame could not be handled' });
    }
  }

  private send(id: string, message: ExecutorMessage): void {
    const peer = this.peers.get(id);
    if (!peer || peer.ws.readyState !== peer.ws.OPEN || !deliverableTo(peer.version, message)) return;
    peer.ws.send(JSON.stringify(message));
  }
}
