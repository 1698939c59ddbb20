/**
 * The orchestrator's configuration, compiled once like the executor's (src/config.ts): flags +
 * environment → one validated, frozen, fully-defaulted OrchestratorConfig. Flags override the
 * environment. Anything invalid is a ConfigError with a one-line message naming the flag or
 * variable and its value, never a secret's value. Nothing here exits or writes output.
 */
import type { LogLevel } from '../core/log.js';
import { ConfigError } from './error.js';
import path from 'node:path';
import { connectionCaps, descriptorLimit } from '../core/descriptors.js';
import { bindAddress, connectionLimits, formatBind, integer, invalid, loadOptions, logLevelOf, parseRustLog, secretOrFile, settingLookup, show, tlsFiles, type Setting } from './values.js';

/**
 * A level, or Rust env_logger directives as for the executor; the directive for
 * `aqueducts_orchestrator` wins, then `aqueducts`, then the bare level, then `info`.
 */
export function parseOrchestratorLogLevel(spec: string): LogLevel | undefined {
  return parseRustLog(spec, 'aqueducts_orchestrator', ORCHESTRATOR_DEFAULTS.logLevel);
}

export { ConfigError, ConfigHelp } from './error.js';


export interface OrchestratorConfig {
  /** Where the HTTP server listens; `host` without brackets; port 0 = ephemeral. */
  readonly bind: { readonly host: string; readonly port: number };
  /** The key clients send as X-API-Key on /ws/connect and the authenticated /api endpoints. */
  readonly clientApiKey: string;
  /** The shared secret executors send as X-API-Key on /ws/executor/register. */
  readonly executorSecret: string;
  /** The files the client key and the executor secret were read from (null: given directly). */
  readonly clientApiKeyFile: string | null;
  readonly executorSecretFile: string | null;
  /** Connections the server holds at once (default derived from the descriptor limit). */
  readonly maxConnections: number;
  /** Of those, connections not yet authenticated (at most maxConnections). */
  readonly maxPendingConnections: number;
  readonly logLevel: LogLevel;
  /** Executions that may wait for an idle executor; beyond that requests are refused as busy. */
  readonly queueSize: number;
  /** Silence after which an executor connection is dead (it is pinged every third of it, at most every 10 s). */
  readonly livenessTimeoutSeconds: number;
  /** How long a disconnected executor may take to register again before its execution is lost. */
  readonly executorLostGraceSeconds: number;
  readonly maxMessageBytes: number;
  /** Finished executions remembered for idempotent ids and GET /api/executions/:id. */
  readonly historySize: number;
  readonly tls: { readonly cert: string; readonly key: string } | null;
}

export const ORCHESTRATOR_DEFAULTS = Object.freeze({
  bindAddress: '0.0.0.0:3000',
  logLevel: 'info' as LogLevel,
  queueSize: 1000,
  livenessTimeoutSeconds: 30,
  /** The grace period defaults to the liveness window plus this (docs/orchestrator.md: 30 s + 60 s). */
  lostGraceExtraSeconds: 60,
  maxMessageBytes: 16 * 1024 * 1024,
  minMessageBytes: 1024,
  historySize: 10_000,
});

const OPTIONS = {
  bindAddress: { flag: '--bind-address', env: 'BIND_ADDRESS', arg: '<host:port>', help: 'address to listen on, host:port or [ipv6]:port (default: 0.0.0.0:3000)' },
  clientApiKey: { flag: '--client-api-key', env: 'CLIENT_API_KEY', arg: '<key>', help: 'key clients send as X-API-Key on /ws/connect and /api (required, or --client-api-key-file)' },
  clientApiKeyFile: { flag: '--client-api-key-file', env: 'CLIENT_API_KEY_FILE', arg: '<file>', help: 'file holding the client key (a trailing newline is ignored), instead of --client-api-key' },
  executorSecret: { flag: '--executor-secret', env: 'EXECUTOR_SECRET', arg: '<secret>', help: 'shared secret executors send as X-API-Key on /ws/executor/register (required, or --executor-secret-file)' },
  executorSecretFile: { flag: '--executor-secret-file', env: 'EXECUTOR_SECRET_FILE', arg: '<file>', help: 'file holding the executor secret (a trailing newline is ignored), instead of --executor-secret' },
  logLevel: { flag: '--log-level', env: 'RUST_LOG', arg: '<level>', help: 'trace, debug, info, warn, error or off; RUST_LOG may use env_logger directives (default: info)' },
  queueSize: { flag: '--queue-size', env: 'QUEUE_SIZE', arg: '<n>', help: 'executions that may wait for an idle executor (default: 1000)' },
  livenessTimeout: { flag: '--liveness-timeout', env: 'LIVENESS_TIMEOUT', arg: '<seconds>', help: 'silence after which an executor connection is dead (default: 30)' },
  executorLostGrace: { flag: '--executor-lost-grace', env: 'EXECUTOR_LOST_GRACE', arg: '<seconds>', help: 'time a disconnected executor has to come back before its execution is lost (default: liveness timeout + 60)' },
  maxMessageBytes: { flag: '--max-message-bytes', env: 'MAX_MESSAGE_BYTES', arg: '<bytes>', help: 'largest WebSocket message accepted, at least 1024 (default: 16777216)' },
  historySize: { flag: '--history-size', env: 'HISTORY_SIZE', arg: '<n>', help: 'finished executions remembered (default: 10000)' },
  maxConnections: { flag: '--max-connections', env: 'MAX_CONNECTIONS', arg: '<n>', help: 'connections held at once; more are refused with 503 (default: derived from the open-files limit)' },
  maxPendingConnections: { flag: '--max-pending-connections', env: 'MAX_PENDING_CONNECTIONS', arg: '<n>', help: 'connections not yet authenticated held at once; more are refused with 503 (default: half of --max-connections, at most 256)' },
  tlsCert: { flag: '--tls-cert', env: 'TLS_CERT', arg: '<file>', help: 'PEM certificate (chain) to serve HTTPS/WSS; needs --tls-key' },
  tlsKey: { flag: '--tls-key', env: 'TLS_KEY', arg: '<file>', help: 'PEM private key (unencrypted) of --tls-cert' },
} as const;

type OptionName = keyof typeof OPTIONS;
/** Every option (flag, variable, help); docs/operations.md is checked against them. */
export { OPTIONS as ORCHESTRATOR_OPTIONS };

export function loadOrchestratorConfig(argv: string[], env: Record<string, string | undefined>): OrchestratorConfig {
  const program = { name: 'aqueducts-orchestrator', description: 'Dispatches Aqueducts pipelines from clients to a fleet of managed executors.' };
  return loadOptions(program, OPTIONS, [OPTIONS.clientApiKey, OPTIONS.executorSecret], argv, env, compile);
}

function compile(flags: Partial<Record<OptionName, string>>, env: Record<string, string | undefined>): OrchestratorConfig {
  const get = settingLookup(OPTIONS, flags, env);

  const clientKeyFile = get('clientApiKeyFile');
  const secretFile = get('executorSecretFile');
  const clientApiKey = secret(get('clientApiKey'), clientKeyFile, 'a client API key', 'a client API key is required: set --client-api-key or CLIENT_API_KEY');
  const executorSecret = secret(get('executorSecret'), secretFile, 'an executor secret', 'an executor secret is required: set --executor-secret or EXECUTOR_SECRET');
  const { maxConnections, maxPendingConnections } = connectionLimits(get('maxConnections'), get('maxPendingConnections'), connectionCaps(descriptorLimit()));
  const bindSetting = get('bindAddress');
  const bind = bindAddress(bindSetting ?? { value: ORCHESTRATOR_DEFAULTS.bindAddress, origin: 'default' });
  const levelSetting = get('logLevel');
  const logLevel = levelSetting ? logLevelOf(levelSetting, 'aqueducts_orchestrator', ORCHESTRATOR_DEFAULTS.logLevel) : ORCHESTRATOR_DEFAULTS.logLevel;
  const queueSetting = get('queueSize');
  const queueSize = queueSetting ? integer(queueSetting, 0) : ORCHESTRATOR_DEFAULTS.queueSize;
  const livenessSetting = get('livenessTimeout');
  const livenessTimeoutSeconds = livenessSetting ? seconds(livenessSetting, 1) : ORCHESTRATOR_DEFAULTS.livenessTimeoutSeconds;
  const graceSetting = get('executorLostGrace');
  const executorLostGraceSeconds = graceSetting ? seconds(graceSetting, 0) : livenessTimeoutSeconds + ORCHESTRATOR_DEFAULTS.lostGraceExtraSeconds;
  const bytesSetting = get('maxMessageBytes');
  const maxMessageBytes = bytesSetting ? integer(bytesSetting, ORCHESTRATOR_DEFAULTS.minMessageBytes) : ORCHESTRATOR_DEFAULTS.maxMessageBytes;
  const historySetting = get('historySize');
  const historySize = historySetting ? integer(historySetting, 0) : ORCHESTRATOR_DEFAULTS.historySize;
  const tls = tlsFiles(get('tlsCert'), get('tlsKey'));

  return Object.freeze({
    bind: Object.freeze(bind),
    clientApiKey,
    executorSecret,
    clientApiKeyFile: clientKeyFile ? path.resolve(clientKeyFile.value) : null,
    executorSecretFile: secretFile ? path.resolve(secretFile.value) : null,
    maxConnections,
    maxPendingConnections,
    logLevel,
    queueSize,
    livenessTimeoutSeconds,
    executorLostGraceSeconds,
    maxMessageBytes,
    historySize,
    tls: tls && Object.freeze(tls),
  });
}

/** A log-safe view of the configuration: no keys. */
export function describeOrchestratorConfig(c: OrchestratorConfig): Record<string, unknown> {
  return {
    bind_address: formatBind(c.bind),
    log_level: c.logLevel,
    queue_size: c.queueSize,
    liveness_timeout_seconds: c.livenessTimeoutSeconds,
    executor_lost_grace_seconds: c.executorLostGraceSeconds,
    max_message_bytes: c.maxMessageBytes,
    history_size: c.historySize,
    client_api_key_file: c.clientApiKeyFile,
    executor_secret_file: c.executorSecretFile,
    max_connections: c.maxConnections,
    max_pending_connections: c.maxPendingConnections,
    tls: c.tls !== null,
  };
}

// ---------------------------------------------------------------------------------------------

/** A secret given directly or as a file (never both); blank is an error. */
function secret(s: Setting | undefined, file: Setting | undefined, what: string, missing: string): string {
  if (s && !file && s.value.trim() === '') throw new ConfigError(`${s.origin} is empty`);
  const value = secretOrFile(s, file, what);
  if (value === undefined) throw new ConfigError(missing);
  return value;
}

/** Seconds, decimals allowed (`0.5`), at least `min`, at most a day. */
function seconds(s: Setting, min: number): number {
  const n = /^(?:\d+(?:\.\d*)?|\.\d+)$/.test(s.value) ? Number(s.value) : NaN;
  if (!Number.isFinite(n) || n < min || n > 86_400) throw invalid(s, `expected a number of seconds between ${min} and 86400`);
  return n;
}

