/**
 * The root logger. One pino instance is created at start-up and passed down; runs and actors use
 * children (`log.child({ execution_id })`). Credentials are never put in bindings, and the paths
 * below are redacted as a second line of defence.
 */
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

export const REDACT_PATHS = [
  'api_key', 'apiKey', 'password', 'connection_string', 'connectionString', 'storage_config',
  '*.api_key', '*.apiKey', '*.password', '*.connection_string', '*.connectionString', '*.storage_config',
  'headers["x-api-key"]', 'req.headers["x-api-key"]',
];

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export function createLogger(level: LogLevel = 'info', destination?: DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: undefined }, destination ?? pino.destination(2));
}

/** A logger that discards everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
