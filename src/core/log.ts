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

/** Removes credentials from text that may echo a connection string or URL. */
export function scrubSecrets(text: string): string {
  return text
    // ODBC passwords may contain spaces and quotes: the value runs to `;`, the end of the line or
    // a following `&name=` (URL query), or is a `{...}` block where `}}` stands for `}`.
    .replace(/\b(pwd|password|passwd)\s*=\s*(\{(?:[^}]|\}\})*\}|(?:(?!&\w+=)[^;\r\n])*)/gi, '$1=***')
    .replace(/\b(pwd|password|passwd|secret|token|key|accountkey|sharedaccesssignature|sig)\s*=\s*(\{[^}]*\}|[^;&\s'"]*)/gi, '$1=***')
    .replace(/(\/\/[^/:@\s]+:)[^@/\s]+@/g, '$1***@');
}
