/**
 * The `--executor` address: `HOST:PORT` or a ws://, wss://, http:// or https:// URL, normalised
 * to the WebSocket URL the CLI dials (http → ws, https → wss, `/ws/connect` when no path is given).
 */
import { UsageError } from './usage-error.js';

/** The executor's client endpoint (docs/protocol.md), used when the address has no path. */
export const CONNECT_PATH = '/ws/connect';

const SCHEMES: Record<string, 'ws:' | 'wss:'> = { 'ws:': 'ws:', 'wss:': 'wss:', 'http:': 'ws:', 'https:': 'wss:' };

const HAS_SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
/** `host:port`, `[v6]:port`, optionally followed by a path or query. */
const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[^\s:/?#@[\]]+):(\d+)([/?].*)?$/;

const EXPECTED = 'expected HOST:PORT (e.g. localhost:3031) or a ws://, wss://, http:// or https:// URL';

function invalid(input: string, why: string): UsageError {
  return new UsageError(`invalid --executor ${JSON.stringify(input)}: ${why}`);
}

/** Normalises an `--executor` value; throws a UsageError naming what is wrong. */
export function executorUrl(input: string): URL {
  const text = input.trim();
  if (text === '') throw invalid(input, EXPECTED);
  if (/\s/.test(text)) throw invalid(input, 'it contains white space');
  const scheme = HAS_SCHEME.exec(text)?.[1];
  if (scheme === undefined && !HOST_PORT.test(text)) throw invalid(input, EXPECTED);
  let url: URL;
  try {
    url = new URL(scheme === undefined ? `ws://${text}` : text);
  } catch {
    throw invalid(input, `not a valid address (${EXPECTED})`);
  }
  const protocol = Object.hasOwn(SCHEMES, url.protocol) ? SCHEMES[url.protocol] : undefined;
  if (protocol === undefined) throw invalid(input, `unsupported scheme ${url.protocol}// (use ws://, wss://, http:// or https://)`);
  if (url.hostname === '') throw invalid(input, 'it has no host');
  if (url.port === '0') throw invalid(input, 'port 0 cannot be dialled');
  if (url.hash !== '' || text.includes('#')) throw invalid(input, 'a URL fragment (#...) is not allowed');
  url.protocol = protocol;
  if (url.pathname === '/' || url.pathname === '') url.pathname = CONNECT_PATH;
  return url;
}

/** The URL as printed in messages: without user name or password. */
export function displayUrl(url: URL): string {
  if (url.username === '' && url.password === '') return url.href;
  const shown = new URL(url.href);
  shown.username = '';
  shown.password = '';
  return shown.href;
}
