/**
 * One WebSocket connection to an executor's `/ws/connect`. Connecting either opens the socket or
 * fails with a ConnectError that says why (unreachable, API key refused, another HTTP answer,
 * aborted); an open connection reports decoded messages and exactly one close. A heartbeat ping
 * turns a silently dead peer into a close (code 1006) instead of a hang: nothing heard for three
 * heartbeats ends the connection.
 */
import WebSocket from 'ws';
import type { ExecutorMessage } from '../../protocol/messages.js';
import { ExecutorError } from '../../core/errors.js';
import { VERSION } from '../../core/version.js';
import type { ExecutorTarget, RemoteTuning } from './target.js';
import { decodeExecutorFrame } from '../../protocol/wire.js';

export const API_KEY_HEADER = 'X-API-Key';
/** Asks for v2 messages (`log`, ...); the original executor ignores it. */
export const PROTOCOL_HEADER = 'X-Aqueducts-Protocol';

export type ConnectFailure =
  | { kind: 'unreachable'; reason: string }
  | { kind: 'unauthorized' }
  | { kind: 'refused'; status: number; statusText: string; body: string }
  | { kind: 'aborted' };

export class ConnectError extends ExecutorError {
  constructor(readonly failure: ConnectFailure) {
    super('AQ_EXECUTOR_UNREACHABLE', `cannot connect: ${failure.kind}`);
    this.name = 'ConnectError';
  }
}

export interface ConnectionHandlers {
  message(m: ExecutorMessage): void;
  /** A frame that is not a valid executor message (it is skipped). */
  invalid(reason: string): void;
  /** The connection is gone; called once, after it was open. */
  closed(code: number, reason: string): void;
}

export interface ExecutorConnection {
  send(frame: string): void;
  /** Closes normally (1000); drops the socket if the peer does not answer within the grace time. */
  close(): Promise<void>;
}

/** Nothing heard (no pong, no message) for this many heartbeats: the peer is dead (as docs/protocol.md's 10 s / 30 s). */
const HEARTBEATS_BEFORE_DEAD = 3;

/** Characters of an HTTP error body kept for the message. */
const BODY_LIMIT = 2_000;

const UNTRUSTED_CERT = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED',
]);

const REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed (temporary DNS failure)',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

function errorCode(err: Error): string | undefined {
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== undefined) return code;
  if (err instanceof AggregateError) return (err.errors[0] as NodeJS.ErrnoException | undefined)?.code;
  return undefined;
}

function describeConnectError(err: Error, tuning: RemoteTuning): string {
  const code = errorCode(err);
  if (code !== undefined && Object.hasOwn(REASONS, code)) return REASONS[code]!;
  if (code !== undefined && UNTRUSTED_CERT.has(code)) {
    return `${err.message} (for a private CA or a self-signed certificate pass --ca-cert <pem file> or set NODE_EXTRA_CA_CERTS)`;
  }
  if (err.message === 'Opening handshake has timed out') return `no answer within ${tuning.handshakeTimeoutMs / 1000} s`;
  return err.message;
}

export function connectToExecutor(
  target: ExecutorTarget, tuning: RemoteTuning, handlers: ConnectionHandlers, signal?: AbortSignal,
): Promise<ExecutorConnection> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new ConnectError({ kind: 'aborted' }));
      return;
    }
    const ws = new WebSocket(target.url, {
      headers: { [API_KEY_HEADER]: target.apiKey, [PROTOCOL_HEADER]: '2', 'User-Agent': `aqueducts-cli/${VERSION}` },
      handshakeTimeout: tuning.handshakeTimeoutMs,
      followRedirects: false,
      ...(target.ca === undefined ? {} : { ca: target.ca }),
    });
    let settled = false;
    let opened = false;
    let lastHeard = Date.now();
    let heartbeat: NodeJS.Timeout | undefined;

    const onAbort = () => fail({ kind: 'aborted' });
    signal?.addEventListener('abort', onAbort, { once: true });

    function fail(failure: ConnectFailure): void {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      reject(new ConnectError(failure));
      ws.terminate();
    }

    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      const done = () => {
        clearTimeout(timer);
        const status = res.statusCode ?? 0;
        fail(status === 401
          ? { kind: 'unauthorized' }
          : { kind: 'refused', status, statusText: res.statusMessage ?? '', body: body.trim().slice(0, BODY_LIMIT) });
      };
      const timer = setTimeout(done, tuning.closeGraceMs);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { if (body.length < BODY_LIMIT) body += chunk; });
      res.on('end', done);
      res.on('error', done);
      res.on('close', done);
    });

    ws.on('error', (err) => {
      if (!opened) fail({ kind: 'unreachable', reason: describeConnectError(err, tuning) });
      // After opening, 'close' follows every error and reports the end of the connection.
    });

    ws.on('open', () => {
      if (settled) return;
      settled = true;
      opened = true;
      signal?.removeEventListener('abort', onAbort);
      if (tuning.heartbeatMs > 0) {
        heartbeat = setInterval(() => {
          if (Date.now() - lastHeard > HEARTBEATS_BEFORE_DEAD * tuning.heartbeatMs) {
            ws.terminate();
            return;
          }
          ws.ping();
        }, tuning.heartbeatMs);
        heartbeat.unref();
      }
      resolve({
        send: (frame) => ws.send(frame),
        close: () => closeSocket(ws, tuning.closeGraceMs),
      });
    });

    ws.on('pong', () => { lastHeard = Date.now(); });

    ws.on('message', (data, isBinary) => {
      lastHeard = Date.now();
      if (isBinary) {
        handlers.invalid('a binary frame');
        return;
      }
      const decoded = decodeExecutorFrame(String(data));
      if (decoded.kind === 'message') handlers.message(decoded.message);
      else if (decoded.kind === 'invalid') handlers.invalid(decoded.reason);
    });

    ws.on('close', (code, reason) => {
      clearInterval(heartbeat);
      if (opened) handlers.closed(code, reason.toString());
      else fail({ kind: 'unreachable', reason: 'the connection closed during the handshake' });
    });
  });
}

function closeSocket(ws: WebSocket, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) {
      resolve();
      return;
    }
    const timer = setTimeout(() => ws.terminate(), graceMs);
    ws.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    if (ws.readyState === WebSocket.OPEN) ws.close(1000);
  });
}
