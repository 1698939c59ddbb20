/**
 * The socket of the orchestrator link: dials out with the shared secret and protocol 2, turns
 * frames into events for the connection machine, and forwards execution and cancel requests to
 * the executor. Stopping the actor closes the socket.
 */
import WebSocket from 'ws';
import { fromCallback } from 'xstate';
import type { ConnectionEvent, LinkCommand } from '../../machines/orchestrator-connection.machine.js';
import { clientText, clientValue } from '../core/client-value.js';
import type { Logger } from '../core/log.js';
import { redactSecrets } from '../core/redact.js';
import { BINARY_FRAME, decodeClientMessage } from '../protocol/decode.js';
import { clientRequestEvent, type ClientRequestEvent } from '../protocol/client-frame.js';
import type { ExecutorMessage } from '../protocol/messages.js';

export interface LinkDeps {
  url: string;
  secret: string;
  maxMessageBytes: number;
  dataRoot: string;
  log: Logger;
  /** The executor's name for the orchestrator's connection, in the events requests become. */
  connectionId: string;
  /** An execution or cancel request from the orchestrator, as the executor's event. */
  onRequest: (event: ClientRequestEvent) => void;
  /** The answer to a request that could not be used (it goes out through the outbox). */
  reply: (message: ExecutorMessage) => void;
}

export function linkActor(deps: LinkDeps) {
  return fromCallback<LinkCommand, undefined, ConnectionEvent>(({ sendBack, receive }) => {
    const log = deps.log;
    const ws = new WebSocket(deps.url, {
      headers: { 'X-API-Key': deps.secret, 'X-Aqueducts-Protocol': '2' },
      maxPayload: deps.maxMessageBytes,
      perMessageDeflate: false,
      handshakeTimeout: 15_000,
    });
    let done = false;
    const finish = (e: ConnectionEvent) => {
      if (done) return;
      done = true;
      sendBack(e);
    };
    ws.on('open', () => sendBack({ type: 'link.open' }));
    ws.on('unexpected-response', (_req, res) => {
      const auth = res.statusCode === 401 || res.statusCode === 403;
      finish({ type: 'link.failed', auth, error: `the orchestrator answered HTTP ${res.statusCode}${auth ? ' (the executor secret was refused)' : ''}` });
      res.resume();
      ws.terminate();
    });
    ws.on('error', (err) => finish({ type: 'link.failed', auth: false, error: redactSecrets(err.message) }));
    ws.on('close', (code, reason) => finish({ type: 'link.closed', code, reason: reason.toString() }));
    ws.on('ping', () => sendBack({ type: 'link.activity' }));
    ws.on('pong', () => sendBack({ type: 'link.activity' }));
    ws.on('message', (data, isBinary) => {
      sendBack({ type: 'link.activity' });
      try {
        onFrame(data, isBinary);
      } catch (e) {
        // Decoding never throws; this is the backstop that keeps one frame from ending the process.
        log.error({ code: 'AQ_INTERNAL', error: clientText(e instanceof Error ? e.message : String(e), 500) }, 'frame from the orchestrator could not be handled');
      }
    });
    const onFrame = (data: WebSocket.RawData, isBinary: boolean): void => {
      if (isBinary) {
        log.warn({ code: 'AQ_PROTOCOL_ERROR', error: BINARY_FRAME, binary: true }, 'malformed frame from the orchestrator ignored');
        deps.reply({ type: 'protocol_error', message: BINARY_FRAME });
        return;
      }
      let frame: { type?: unknown; success?: unknown; message?: unknown };
      try {
        frame = JSON.parse(String(data)) as typeof frame;
      } catch {
        log.warn({ code: 'AQ_PROTOCOL_ERROR' }, 'malformed frame from the orchestrator ignored');
        return;
      }
      if (typeof frame !== 'object' || frame === null) {
        log.warn({ code: 'AQ_PROTOCOL_ERROR' }, 'malformed frame from the orchestrator ignored');
        return;
      }
      if (frame.type === 'registration_response') {
        // The message is the orchestrator's text; it is logged when the link backs off.
        sendBack({ type: 'registration.response', success: frame.success === true, message: typeof frame.message === 'string' ? clientText(frame.message, 1000) : '' });
        return;
      }
      if (frame.type === 'execution_request' || frame.type === 'cancel_request') {
        const event = clientRequestEvent(decodeClientMessage(data, { cwd: deps.dataRoot }), deps.connectionId, false, log, deps.reply);
        if (event) deps.onRequest(event);
        return;
      }
      log.debug({ type: clientValue(frame.type) }, 'orchestrator message ignored');
    };
    receive((cmd) => {
      if (ws.readyState !== WebSocket.OPEN) return;
      if (cmd.type === 'send') ws.send(JSON.stringify(cmd.message));
      else if (cmd.type === 'ping') ws.ping();
      else ws.close(cmd.code, cmd.reason);
    });
    return () => {
      done = true;
      if (ws.readyState === WebSocket.OPEN) {
        ws.close(1001, 'executor shutting down');
        setTimeout(() => ws.terminate(), 1000).unref();
      } else {
        ws.terminate();
      }
    };
  });
}
