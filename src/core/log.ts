/**
 * The root logger. One pino instance is created at start-up and passed down; runs and actors use
 * children (`log.child({ execution_id })`). Credentials are never put in bindings, and the paths
 * below are redacted as a second line of defence.
 */
import { createRequire } from 'node:module';
import type { Logger, DestinationStream } from 'pino';
import type * as Pino from 'pino';
import { clientText, clientValue } from './client-value.js';

/** pino, required when a real logger is made: a local run (silentLogger) does not load it (about 20 ms). */
const requirePino = (): typeof Pino => createRequire(import.meta.url)('pino') as typeof Pino;

export type { Logger } from 'pino';

export const REDACT_PATHS = [
  'api_key', 'apiKey', 'password', 'connection_string', 'connectionString', 'storage_config',
  '*.api_key', '*.apiKey', '*.password', '*.connection_string', '*.connectionString', '*.storage_config',
  'headers["x-api-key"]', 'req.headers["x-api-key"]',
];

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export function createLogger(level: LogLevel = 'info', destination?: DestinationStream): Logger {
  const { pino } = requirePino();
  return pino({
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: undefined,
    hooks: {
      logMethod(args, method) {
        method.apply(this, boundLogArguments(args) as typeof args);
      },
    },
  // Written synchronously: a line logged just before the process ends (a second signal, a fatal
  // error) is on stderr before it ends.
  }, destination ?? pino.destination({ dest: 2, sync: true }));
}

/** Longest string a log line carries in one field (or as its message); longer ones are cut. */
export const LOG_STRING_CHARS = 2000;
/** Longest stack trace a log line carries. */
const LOG_STACK_CHARS = 8000;
/** Levels of a logged object kept as they are; deeper values are shown as `clientValue` does. */
const LOG_DEPTH = 4;
/** Items of a logged array kept. */
const LOG_ITEMS = 50;

/**
 * The arguments of a log call with every string cut to LOG_STRING_CHARS, objects kept to
 * LOG_DEPTH levels and errors to a bounded message and stack. Values from clients are bounded
 * where they are used; this keeps a line bounded whatever reaches the logger.
 */
export function boundLogArguments(args: readonly unknown[]): unknown[] {
  return args.map((a) => bound(a, 0));
}

function bound(v: unknown, level: number): unknown {
  if (typeof v === 'string') return v.length > LOG_STRING_CHARS ? clientText(v, LOG_STRING_CHARS) : v;
  if (typeof v !== 'object' || v === null) return v;
  if (v instanceof Error) return boundError(v);
  if (level >= LOG_DEPTH) return clientValue(v);
  if (Array.isArray(v)) {
    const kept = v.slice(0, LOG_ITEMS).map((x) => bound(x, level + 1));
    return v.length > LOG_ITEMS ? [...kept, `… ${v.length - LOG_ITEMS} more`] : kept;
  }
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const k in v) {
    if (!Object.hasOwn(v, k)) continue;
    if (++n > LOG_ITEMS) {
      out['…'] = 'more fields not logged';
      break;
    }
    Object.defineProperty(out, clientText(k), { value: bound((v as Record<string, unknown>)[k], level + 1), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** An error as it is (pino serialises it) when short enough, else its name, cut message and stack. */
function boundError(e: Error): unknown {
  let long = false;
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur instanceof Error; i++, cur = cur.cause) {
    if (cur.message.length > LOG_STRING_CHARS || (cur.stack?.length ?? 0) > LOG_STACK_CHARS) long = true;
  }
  if (!long) return e;
  const code = (e as { code?: unknown }).code;
  return {
    type: e.name,
    message: clientText(e.message, LOG_STRING_CHARS),
    stack: clientText(e.stack ?? '', LOG_STACK_CHARS),
    ...(typeof code === 'string' ? { code } : {}),
  };
}

const discard = (): void => {};

/**
 * A logger that discards everything (local runs, tests, library use): pino's logging methods,
 * `child` and the `silent` level, without loading pino.
 */
export function silentLogger(): Logger {
  const logger = {
    level: 'silent',
    fatal: discard, error: discard, warn: discard, info: discard, debug: discard, trace: discard, silent: discard,
    child: () => logger,
    isLevelEnabled: () => false,
  };
  return logger as unknown as Logger;
}
