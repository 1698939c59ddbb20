/**
 * The executor's configuration, compiled once: flags + environment → one validated, frozen,
 * fully-defaulted ExecutorConfig. Flags override the environment. Anything invalid is a
 * ConfigError with a one-line message naming the flag or variable at fault and its value (never
 * the API key's). `--help` and `--version` end parsing with a ConfigHelp carrying the text.
 *
 * Nothing here exits the process or writes output; the entry point maps ConfigError to exit 2.
 */
import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isUuid } from '../core/ids.js';
import type { LogLevel } from '../core/log.js';
import { redactSecrets } from '../core/redact.js';
import { ConfigError } from './error.js';
import { bindAddress, fsReason, integer, invalid, logLevelOf, loadOptions, parseRustLog, formatBind, settingLookup, show, tlsFiles, type Setting } from './values.js';

export { ConfigError, ConfigHelp } from './error.js';

export type ExecutorMode = 'standalone' | 'managed';


export interface ExecutorConfig {
  readonly mode: ExecutorMode;
  /** Standalone: the key clients send as X-API-Key. Managed: the orchestrator's shared secret. */
  readonly apiKey: string;
  /** ws:// or wss:// URL exactly as given; always set in managed mode, unused in standalone. */
  readonly orchestratorUrl: string | null;
  /** Where the HTTP server listens; `host` has no brackets (IPv6 as `::1`); port 0 = ephemeral. */
  readonly bind: { readonly host: string; readonly port: number };
  /** Engine memory limit per run in GB (decimals allowed); null = unlimited (flag value 0 or unset). */
  readonly maxMemoryGb: number | null;
  /** Lower-case UUID; generated when not configured. */
  readonly executorId: string;
  readonly logLevel: LogLevel;
  /** Executions allowed to wait behind the running one (standalone default 16, managed 0). */
  readonly queueSize: number;
  /** How long a drain waits for the running execution before cancelling it. */
  readonly drainTimeoutSeconds: number;
  /** Largest WebSocket frame accepted (bigger ones close the connection with 1009). */
  readonly maxMessageBytes: number;
  /** PEM contents of the certificate (chain) and private key; null = plain HTTP/WS. */
  readonly tls: { readonly cert: string; readonly key: string } | null;
  /** Absolute directory that relative pipeline locations resolve against (exists). */
  readonly dataRoot: string;
  /** Absolute parent directory of the per-run spill directories (created on first use). */
  readonly spillDir: string;
}

export const DEFAULTS = Object.freeze({
  mode: 'standalone' as ExecutorMode,
  bindAddress: '0.0.0.0:3031',
  logLevel: 'info' as LogLevel,
  queueSize: { standalone: 16, managed: 0 } as Readonly<Record<ExecutorMode, number>>,
  drainTimeoutSeconds: 60,
  maxMessageBytes: 16 * 1024 * 1024,
  minMessageBytes: 1024,
});

/** Each option: its flag, its environment variable, the commander spec and help line. */
const OPTIONS = {
  mode: { flag: '--mode', env: 'EXECUTOR_MODE', arg: '<mode>', help: 'standalone or managed (default: standalone)' },
  apiKey: { flag: '--api-key', env: 'API_KEY', arg: '<key>', help: 'API key clients must send; in managed mode the orchestrator shared secret (required)' },
  orchestratorUrl: { flag: '--orchestrator-url', env: 'ORCHESTRATOR_URL', arg: '<url>', help: 'ws:// or wss:// URL of the orchestrator (required in managed mode)' },
  bindAddress: { flag: '--bind-address', env: 'BIND_ADDRESS', arg: '<host:port>', help: 'address to listen on, host:port or [ipv6]:port (default: 0.0.0.0:3031)' },
  maxMemory: { flag: '--max-memory', env: 'MAX_MEMORY', arg: '<GB>', help: 'engine memory limit per run in GB, decimals allowed (default: 0 = unlimited)' },
  executorId: { flag: '--executor-id', env: 'EXECUTOR_ID', arg: '<uuid>', help: 'UUID of this executor (default: a new random UUID)' },
  logLevel: { flag: '--log-level', env: 'RUST_LOG', arg: '<level>', help: 'trace, debug, info, warn, error or off; RUST_LOG may use env_logger directives (default: info)' },
  queueSize: { flag: '--queue-size', env: 'QUEUE_SIZE', arg: '<n>', help: 'executions that may wait behind the running one (default: 16 standalone, 0 managed)' },
  drainTimeout: { flag: '--drain-timeout', env: 'DRAIN_TIMEOUT', arg: '<seconds>', help: 'on SIGTERM/SIGINT, wait this long for the running execution before cancelling it (default: 60)' },
  maxMessageBytes: { flag: '--max-message-bytes', env: 'MAX_MESSAGE_BYTES', arg: '<bytes>', help: 'largest WebSocket message accepted, at least 1024 (default: 16777216)' },
  tlsCert: { flag: '--tls-cert', env: 'TLS_CERT', arg: '<file>', help: 'PEM certificate (chain) to serve HTTPS/WSS; needs --tls-key' },
  tlsKey: { flag: '--tls-key', env: 'TLS_KEY', arg: '<file>', help: 'PEM private key (unencrypted) of --tls-cert' },
  dataRoot: { flag: '--data-root', env: 'DATA_ROOT', arg: '<dir>', help: 'directory relative pipeline locations resolve against (default: the working directory)' },
  spillDir: { flag: '--spill-dir', env: 'SPILL_DIR', arg: '<dir>', help: 'parent directory of per-run spill directories (default: <tmp>/aqueducts-spill)' },
} as const;

type OptionName = keyof typeof OPTIONS;
/** Every option (flag, variable, help); docs/operations.md is checked against them. */
export { OPTIONS as EXECUTOR_OPTIONS };

export function loadExecutorConfig(argv: string[], env: Record<string, string | undefined>): ExecutorConfig {
  const program = { name: 'aqueducts-executor', description: 'Executes Aqueducts pipelines next to the data (standalone server or managed by an orchestrator).' };
  return loadOptions(program, OPTIONS, [OPTIONS.apiKey], argv, env, compile);
}

function compile(flags: Partial<Record<OptionName, string>>, env: Record<string, string | undefined>): ExecutorConfig {
  const get = settingLookup(OPTIONS, flags, env);

  const modeSetting = get('mode');
  const mode = modeSetting ? oneOf(modeSetting, ['standalone', 'managed'] as const) : DEFAULTS.mode;

  const apiKey = readApiKey(flags.apiKey, env.API_KEY);

  const urlSetting = get('orchestratorUrl');
  const orchestratorUrl = urlSetting ? wsUrl(urlSetting) : null;
  if (mode === 'managed' && orchestratorUrl === null) {
    throw new ConfigError('managed mode needs an orchestrator URL: set --orchestrator-url or ORCHESTRATOR_URL');
  }

  const bindSetting = get('bindAddress');
  const bind = bindSetting ? bindAddress(bindSetting) : bindAddress({ value: DEFAULTS.bindAddress, origin: 'default' });

  const memSetting = get('maxMemory');
  const maxMemory = memSetting ? gigabytes(memSetting) : 0;

  const idSetting = get('executorId');
  const executorId = idSetting ? uuid(idSetting) : randomUUID();

  const levelSetting = get('logLevel');
  const logLevel = levelSetting ? logLevelOf(levelSetting, 'aqueducts_executor', DEFAULTS.logLevel) : DEFAULTS.logLevel;

  const queueSetting = get('queueSize');
  const queueSize = queueSetting ? integer(queueSetting, 0) : DEFAULTS.queueSize[mode];
  const drainSetting = get('drainTimeout');
  const drainTimeoutSeconds = drainSetting ? integer(drainSetting, 0) : DEFAULTS.drainTimeoutSeconds;
  const bytesSetting = get('maxMessageBytes');
  const maxMessageBytes = bytesSetting ? integer(bytesSetting, DEFAULTS.minMessageBytes) : DEFAULTS.maxMessageBytes;

  const tls = tlsFiles(get('tlsCert'), get('tlsKey'));

  const rootSetting = get('dataRoot');
  const dataRoot = rootSetting ? existingDirectory(rootSetting) : process.cwd();
  const spillSetting = get('spillDir');
  const spillDir = spillSetting ? spillDirectory(spillSetting) : path.join(os.tmpdir(), 'aqueducts-spill');

  return Object.freeze({
    mode,
    apiKey,
    orchestratorUrl,
    bind: Object.freeze(bind),
    maxMemoryGb: maxMemory === 0 ? null : maxMemory,
    executorId,
    logLevel,
    queueSize,
    drainTimeoutSeconds,
    maxMessageBytes,
    tls: tls && Object.freeze(tls),
    dataRoot,
    spillDir,
  });
}

/** A log-safe view of the configuration: no API key, no TLS key, no credentials in the URL. */
export function describeConfig(c: ExecutorConfig): Record<string, unknown> {
  return {
    mode: c.mode,
    executor_id: c.executorId,
    bind_address: formatBind(c.bind),
    orchestrator_url: c.orchestratorUrl === null ? null : safeUrl(c.orchestratorUrl),
    max_memory_gb: c.maxMemoryGb,
    log_level: c.logLevel,
    queue_size: c.queueSize,
    drain_timeout_seconds: c.drainTimeoutSeconds,
    max_message_bytes: c.maxMessageBytes,
    tls: c.tls !== null,
    data_root: c.dataRoot,
    spill_dir: c.spillDir,
  };
}

// ---------------------------------------------------------------------------------------------
// Flags

// ---------------------------------------------------------------------------------------------
// Values

function readApiKey(flag: string | undefined, fromEnv: string | undefined): string {
  const origin = flag !== undefined ? '--api-key' : 'API_KEY';
  const value = flag ?? fromEnv;
  if (value === undefined) throw new ConfigError('an API key is required: set --api-key or API_KEY');
  if (value.trim() === '') throw new ConfigError(`${origin} is empty: an API key is required`);
  return value;
}

function oneOf<T extends string>(s: Setting, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(s.value)) return s.value as T;
  throw invalid(s, `expected ${allowed.join(' or ')}`);
}

function wsUrl(s: Setting): string {
  let url: URL;
  try {
    url = new URL(s.value);
  } catch {
    throw new ConfigError(`invalid ${s.origin} ${show(safeUrl(s.value))}: expected a ws:// or wss:// URL`);
  }
  if ((url.protocol !== 'ws:' && url.protocol !== 'wss:') || url.hostname === '') {
    throw new ConfigError(`invalid ${s.origin} ${show(safeUrl(s.value))}: expected a ws:// or wss:// URL`);
  }
  return s.value;
}

function gigabytes(s: Setting): number {
  if (!/^(?:\d+(?:\.\d*)?|\.\d+)$/.test(s.value)) throw invalid(s, 'expected a number of GB ≥ 0 (0 = unlimited)');
  const n = Number(s.value);
  if (!Number.isFinite(n)) throw invalid(s, 'expected a number of GB ≥ 0 (0 = unlimited)');
  return n;
}

/**
 * A level (`info`), or Rust env_logger/tracing directives (`warn,aqueducts_executor=debug`): the
 * directive for `aqueducts_executor` wins, then `aqueducts`, then the bare level, then `info`.
 * Directives for other targets are accepted and ignored.
 */
export function parseLogLevel(spec: string): LogLevel | undefined {
  return parseRustLog(spec, 'aqueducts_executor', DEFAULTS.logLevel);
}

function uuid(s: Setting): string {
  if (!isUuid(s.value)) throw invalid(s, 'expected a UUID such as 123e4567-e89b-12d3-a456-426614174000');
  return s.value.toLowerCase();
}

function existingDirectory(s: Setting): string {
  const dir = path.resolve(s.value);
  try {
    if (!statSync(dir).isDirectory()) throw invalid(s, 'not a directory');
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw invalid(s, fsReason(e));
  }
  return dir;
}

/** The spill parent may not exist yet (the engine creates it), but must not be a file. */
function spillDirectory(s: Setting): string {
  const dir = path.resolve(s.value);
  const st = statSync(dir, { throwIfNoEntry: false });
  if (st && !st.isDirectory()) throw invalid(s, 'not a directory');
  return dir;
}

// ---------------------------------------------------------------------------------------------
// Messages

/** The URL without user name, password, or secret-looking query parameters. */
function safeUrl(text: string): string {
  try {
    const url = new URL(text);
    url.username = '';
    url.password = '';
    return redactSecrets(url.toString());
  } catch {
    return redactSecrets(text.replace(/\/\/[^/@\s]*@/, '//'));
  }
}

