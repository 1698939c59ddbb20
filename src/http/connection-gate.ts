/**
 * Connection limits of a server: at most `maxConnections` open at once, of which at most
 * `maxPending` not yet authenticated; a connection that has not authenticated within
 * HANDSHAKE_TIMEOUT_MS is closed. A connection beyond a limit is refused before the HTTP server
 * sees it: over plain HTTP it is answered `503` with a JSON body naming the limit, then closed;
 * over TLS (where nothing can be said before the handshake) it is closed at once. Refusals are
 * logged once per burst (src/http/burst-log.ts).
 *
 * The gate sits in front of the HTTP server by intercepting its `connection` event, the one way
 * Node hands an accepted socket to an HTTP (or TLS) server; a refused socket never reaches it.
 */
import type { Server } from 'node:net';
import type { Socket } from 'node:net';
import type { Logger } from '../core/log.js';
import { BurstLog } from './burst-log.js';

/** A connection that has not authenticated within this time is closed. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;
/** A refused socket is closed once its client has read the answer, or after this long. */
const LINGER_MS = 2_000;
/** Refused sockets allowed to linger for their answer at once; beyond, they are closed unanswered. */
const MAX_LINGERING = 64;

export interface ConnectionLimits {
  maxConnections: number;
  maxPending: number;
}

type LimitName = 'max_connections' | 'max_pending_connections';

interface Tracked {
  socket: Socket;
  authenticated: boolean;
  timer: NodeJS.Timeout | null;
}

/** The 503 body of a refused connection. */
export function refusalBody(limit: LimitName, max: number): Record<string, unknown> {
  const connections = max === 1 ? '1 connection' : `${max} connections`;
  const what = limit === 'max_connections' ? connections : `${connections} waiting for authentication`;
  return { error: `Too many connections: the server already holds ${what}`, limit, max };
}

export class ConnectionGate {
  private readonly tracked = new Set<Tracked>();
  /** The tracked connections by remote address and port, to find a request's connection. */
  private readonly byKey = new Map<string, Tracked>();
  private pendingCount = 0;
  private lingering = 0;
  private readonly refusals: BurstLog;

  constructor(server: Server, private readonly limits: ConnectionLimits, private readonly log: Logger, private readonly tls: boolean) {
    this.refusals = new BurstLog(log);
    const emit = server.emit as (this: Server, event: string | symbol, ...args: unknown[]) => boolean;
    const admit = (socket: Socket) => this.admit(socket);
    server.emit = function (this: Server, event: string | symbol, ...args: unknown[]): boolean {
      if (event === 'connection' && !admit(args[0] as Socket)) return true;
      return emit.call(this, event, ...args);
    } as Server['emit'];
  }

  /** Connections open (admitted and not closed). */
  get open(): number {
    return this.tracked.size;
  }

  /** Admitted connections that have not authenticated yet. */
  get pending(): number {
    return this.pendingCount;
  }

  /**
   * The connection of `socket` (the request's socket; a TLS socket stands for its TCP connection)
   * has authenticated: it no longer counts as pending, and no handshake timeout applies to it.
   */
  authenticated(socket: { remoteAddress?: string; remotePort?: number }): void {
    const t = this.byKey.get(keyOf(socket));
    if (!t || t.authenticated) return;
    t.authenticated = true;
    this.pendingCount--;
    if (t.timer) clearTimeout(t.timer);
    t.timer = null;
  }

  /** Closes the connections that have not authenticated (the server is stopping); stops logging. */
  close(): void {
    for (const t of this.tracked) if (!t.authenticated) t.socket.destroy();
    this.refusals.close();
  }

  private admit(socket: Socket): boolean {
    const limit: LimitName | null = this.tracked.size >= this.limits.maxConnections ? 'max_connections'
      : this.pendingCount >= this.limits.maxPending ? 'max_pending_connections'
      : null;
    if (limit) {
      this.refuse(socket, limit);
      return false;
    }
    const key = keyOf(socket);
    const t: Tracked = { socket, authenticated: false, timer: null };
    t.timer = setTimeout(() => { if (!t.authenticated) socket.destroy(); }, HANDSHAKE_TIMEOUT_MS);
    t.timer.unref();
    this.tracked.add(t);
    this.byKey.set(key, t);
    this.pendingCount++;
    socket.once('close', () => {
      this.tracked.delete(t);
      if (this.byKey.get(key) === t) this.byKey.delete(key);
      if (!t.authenticated) this.pendingCount--;
      if (t.timer) clearTimeout(t.timer);
    });
    return true;
  }

  private refuse(socket: Socket, limit: LimitName): void {
    const max = limit === 'max_connections' ? this.limits.maxConnections : this.limits.maxPending;
    this.refusals.note(limit, { code: 'AQ_TOO_MANY_CONNECTIONS', limit, max, open: this.tracked.size, pending: this.pendingCount, address: socket.remoteAddress ?? 'unknown' },
      'connection refused: too many connections');
    socket.on('error', () => socket.destroy());
    if (this.tls || this.lingering >= MAX_LINGERING) {
      socket.destroy();
      return;
    }
    const body = JSON.stringify(refusalBody(limit, max));
    this.lingering++;
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => {
      this.lingering--;
      clearTimeout(timer);
    });
    // Read and drop what the client sends, so that closing does not reset the connection before the
    // client has read the answer; close once it has hung up (or after LINGER_MS).
    socket.once('end', () => socket.destroy());
    socket.resume();
    socket.end(`HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n${body}`);
  }
}

function keyOf(socket: { remoteAddress?: string; remotePort?: number }): string {
  return `${socket.remoteAddress ?? '?'}|${socket.remotePort ?? '?'}`;
}
