/**
 * Client WebSocket connections: each frame is decoded and becomes one event for the executor;
 * what the executor emits is written to the connections it names, in the protocol version each
 * connection negotiated. Nothing here decides anything.
 */
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import { clientText } from '../core/client-value.js';
import type { Logger } from '../core/log.js';
import type { ExecutorRuntime } from '../executor/runtime.js';
import { decodeClientMessage } from '../protocol/decode.js';
import { clientRequestEvent } from '../protocol/client-frame.js';
import { deliverableTo, type ExecutorMessage, type ProtocolVersion } from '../protocol/messages.js';

interface Peer {
  ws: WebSocket;
  version: ProtocolVersion;
  address: string;
}

export class ConnectionRegistry {
  private readonly peers = new Map<string, Peer>();

  constructor(
    private readonly runtime: ExecutorRuntime,
    private readonly log: Logger,
    private readonly dataRoot: string,
  ) {
    runtime.onDeliver((to, message) => { for (const id of to) this.send(id, message); });
    runtime.onBroadcast((message) => { for (const id of this.peers.keys()) this.send(id, message); });
  }

  get size(): number {
    return this.peers.size;
  }

  add(ws: WebSocket, version: ProtocolVersion, address: string): string {
    const id = randomUUID();
    const log = this.log.child({ connection: id });
    this.peers.set(id, { ws, version, address });
    log.info({ address, protocol: version }, 'client connected');
    ws.on('message', (data, isBinary) => this.onFrame(id, data, isBinary, log));
    ws.on('close', (code) => {
      this.peers.delete(id);
      log.info({ code }, 'client disconnected');
      this.runtime.send({ type: 'connection.closed', connectionId: id });
    });
    ws.on('error', (err) => log.warn({ err: { message: err.message } }, 'client connection error'));
    this.runtime.send({ type: 'connection.opened', connectionId: id });
    return id;
  }

  /** Closes every connection (drain: 1001 going away). */
  closeAll(code: number, reason: string): void {
    for (const { ws } of this.peers.values()) ws.close(code, reason);
  }

  private onFrame(id: string, data: unknown, isBinary: boolean, log: Logger): void {
    try {
      const event = clientRequestEvent(decodeClientMessage(data, { cwd: this.dataRoot, binary: isBinary }), id, isBinary, log, (reply) => this.send(id, reply));
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
