/**
 * Flags + environment → the executor a remote command talks to, validated once and frozen.
 * The API key comes from `--api-key` or `AQUEDUCTS_API_KEY`; it is only ever sent as a header.
 */
import { readFile } from 'node:fs/promises';
import { executorUrl } from './executor-url.js';
import { UsageError } from './usage-error.js';

export const API_KEY_ENV = 'AQUEDUCTS_API_KEY';

/** The flags every remote command shares. */
export interface RemoteFlags {
  executor?: string;
  apiKey?: string;
  caCert?: string;
}

export interface ExecutorTarget {
  /** Normalised ws:// or wss:// URL. */
  readonly url: URL;
  readonly apiKey: string;
  /** PEM text of `--ca-cert`, trusted for this connection only. */
  readonly ca?: string;
}

/** Timings of a remote session; tests shorten them. */
export interface RemoteTuning {
  /** Give up connecting (TCP, TLS and HTTP upgrade) after this long. */
  readonly handshakeTimeoutMs: number;
  /** Ping the executor this often; nothing heard (pong or message) for three intervals means the connection is dead. 0 = off. */
  readonly heartbeatMs: number;
  /** After Ctrl+C, wait this long for `cancel_response` (or the terminal message). */
  readonly cancelTimeoutMs: number;
  /** `aqueducts cancel` waits this long for the answer. */
  readonly answerTimeoutMs: number;
  /** Wait this long for the closing handshake before dropping the socket. */
  readonly closeGraceMs: number;
}

export const DEFAULT_TUNING: RemoteTuning = Object.freeze({
  handshakeTimeoutMs: 30_000,
  heartbeatMs: 10_000,
  cancelTimeoutMs: 30_000,
  answerTimeoutMs: 30_000,
  closeGraceMs: 1_000,
});

/** Printable ASCII, no surrounding spaces: what survives an HTTP header unchanged. */
const HEADER_SAFE = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

export async function executorTarget(flags: RemoteFlags, env: NodeJS.ProcessEnv): Promise<ExecutorTarget> {
  if (flags.executor === undefined) throw new UsageError('--executor is required');
  const url = executorUrl(flags.executor);
  const apiKey = flags.apiKey ?? env[API_KEY_ENV];
  if (apiKey === undefined || apiKey === '') {
    throw new UsageError(`an API key is required: pass --api-key or set ${API_KEY_ENV}`);
  }
  if (!HEADER_SAFE.test(apiKey)) {
    throw new UsageError('the API key must be printable ASCII without leading or trailing spaces');
  }
  let ca: string | undefined;
  if (flags.caCert !== undefined) {
    if (url.protocol !== 'wss:') throw new UsageError('--ca-cert only applies to wss:// or https:// executors');
    ca = await readCaCert(flags.caCert);
  }
  return Object.freeze({ url, apiKey, ...(ca === undefined ? {} : { ca }) });
}

async function readCaCert(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    throw new UsageError(`cannot read --ca-cert ${file}: ${reason}`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new UsageError(`--ca-cert ${file} is not a PEM certificate (expected -----BEGIN CERTIFICATE-----)`);
  }
  return text;
}
