/**
 * The executor's configuration, compiled once: flags + environment → one validated, frozen,
 * fully-defaulted ExecutorConfig. Flags override the environment. Anything invalid is a
 * ConfigError with a one-line message naming the flag or variable at fault and its value (never
 * the API key's). `--help` and `--version` end parsing with a ConfigHelp carrying the text.
 *
 * Nothing here exits the process or writes output; the entry point maps ConfigError to exit 2.
 */
import { randomUUID } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isUuid } from '../core/ids.js';
import type { LogLevel } from '../core/log.js';
import { redactSecrets } from '../core/redact.js';
import { ConfigError } from './error.js';
import { bindAddress, connectionLimits, fsReason, integer, invalid, logLevelOf, loadOptions, parseRustLog, formatBind, secretOrFile, settingLookup, show, tlsFiles, type Setting } from './values.js';
import { connectionCaps, descriptorLimit } from '../core/descriptors.js';

export { ConfigError, ConfigHelp } from './error.js';

export type ExecutorMode = 'standalone' | 'managed';


export interface ExecutorConfig {
  readonly mode: ExecutorMode;
  /** Standalone: the key clients send as X-API-Key. Managed: the orchestrator's shared secret. */
  readonly apiKey: string;
  /** The file the API key was read from (--api-key-file), or null when it was given directly. */
  readonly apiKeyFile: string | null;
  /** Connections the server holds at once (default derived from the descriptor limit). */
  readonly maxConnections: number;
  /** Of those, connections not yet authenticated (at most maxConnections). */
  readonly maxPendingConnections: number;
  /** A run taking longer is cancelled and ends with reason "timeout"; null = no limit. */
  readonly maxRunTimeSeconds: number | null;
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
  /**
   * Directories (symbolic links resolved) that local locations of remote runs must lie in: the
   * data root and every --allow-path; null with --allow-any-path (no confinement).
   */
  readonly allowedRoots: readonly string[] | null;
  /** Disk one run may spill to, in GB; null = half the free space of the spill directory's disk when the run starts. */
  readonly maxSpillGb: number | null;
}

/** The longest --max-run-time: a timer cannot be set much further ahead (2^31 ms). */
const MAX_RUN_TIME_SECONDS = 2_000_000;

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
  apiKey: { flag: '--api-key', env: 'API_KEY', arg: '<key>', help: 'API key clients must send; in managed mode the orchestrator shared secret (required, or --api-key-file)' },
  apiKeyFile: { flag: '--api-key-file', env: 'API_KEY_FILE', arg: '<file>', help: 'file holding the API key (a trailing newline is ignored), instead of --api-key' },
  orchestratorUrl: { flag: '--orchestrator-url', env: 'ORCHESTRATOR_URL', arg: '<url>', help: 'ws:// or wss:// URL of the orchestrator (required in managed mode)' },
  bindAddress: { flag: '--bind-address', env: 'BIND_ADDRESS', arg: '<host:port>', help: 'address to listen on, host:port or [ipv6]:port (default: 0.0.0.0:3031)' },
  maxMemory: { flag: '--max-memory', env: 'MAX_MEMORY', arg: '<GB>', help: 'engine memory limit per run in GB, decimals allowed (default: 0 = unlimited)' },
  executorId: { flag: '--executor-id', env: 'EXECUTOR_ID', arg: '<uuid>', help: 'UUID of this executor (default: a new random UUID)' },
  logLevel: { flag: '--log-level', env: 'RUST_LOG', arg: '<level>', help: 'trace, debug, info, warn, error or off; RUST_LOG may use env_logger directives (default: info)' },
  queueSize: { flag: '--queue-size', env: 'QUEUE_SIZE', arg: '<n>', help: 'executions that may wait behind the running one (default: 16 standalone, 0 managed)' },
  drainTimeout: { flag: '--drain-timeout', env: 'DRAIN_TIMEOUT', arg: '<seconds>', help: 'on SIGTERM/SIGINT, wait this long for the running execution before cancelling it (default: 60)' },
  maxMessageBytes: { flag: '--max-message-bytes', env: 'MAX_MESSAGE_BYTES', arg: '<bytes>', help: 'largest WebSocket message accepted, at least 1024 (default: 16777216)' },
  maxConnections: { flag: '--max-connections', env: 'MAX_CONNECTIONS', arg: '<n>', help: 'connections held at once; more are refused with 503 (default: derived from the open-files limit)' },
  maxPendingConnections: { flag: '--max-pending-connections', env: 'MAX_PENDING_CONNECTIONS', arg: '<n>', help: 'connections not yet authenticated held at once; more are refused with 503 (default: half of --max-connections, at most 256)' },
  maxRunTime: { flag: '--max-run-time', env: 'MAX_RUN_TIME', arg: '<seconds>', help: 'cancel a run that takes longer, ending it with reason "timeout" (default: 0 = no limit)' },
  tlsCert: { flag: '--tls-cert', env: 'TLS_CERT', arg: '<file>', help: 'PEM certificate (chain) to serve HTTPS/WSS; needs --tls-key' },
  tlsKey: { flag: '--tls-key', env: 'TLS_KEY', arg: '<file>', help: 'PEM private key (unencrypted) of --tls-cert' },
  dataRoot: { flag: '--data-root', env: 'DATA_ROOT', arg: '<dir>', help: 'directory relative pipeline locations resolve against (default: the working directory)' },
  spillDir: { flag: '--spill-dir', env: 'SPILL_DIR', arg: '<dir>', help: 'parent directory of per-run spill directories (default: <tmp>/aqueducts-spill)' },
  allowPath: { flag: '--allow-path', env: 'ALLOW_PATHS', arg: '<dir>', repeatable: true, help: 'a directory remote pipelines may read and write besides the data root; repeatable (the variable takes a :-separated list)' },
  allowAnyPath: { flag: '--allow-any-path', env: 'ALLOW_ANY_PATH', arg: '', help: 'let remote pipelines use any local path the executor can reach, as the original did (default: only the data root and --allow-path)' },
  maxSpill: { flag: '--max-spill', env: 'MAX_SPILL', arg: '<GB>', help: 'disk one run may spill to, in GB, decimals allowed (default: half the free space of the spill directory\'s disk)' },
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

  const keyFileSetting = get('apiKeyFile');
  const apiKey = readApiKey(flags.apiKey, env.API_KEY, keyFileSetting);

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

  const { maxConnections, maxPendingConnections } = connectionLimits(get('maxConnections'), get('maxPendingConnections'), connectionCaps(descriptorLimit()));
  const runTimeSetting = get('maxRunTime');
  const maxRunTime = runTimeSetting ? runTimeSeconds(runTimeSetting) : 0;

  const tls = tlsFiles(get('tlsCert'), get('tlsKey'));

  const rootSetting = get('dataRoot');
  const dataRoot = rootSetting ? existingDirectory(rootSetting) : process.cwd();
  const spillSetting = get('spillDir');
  const spillDir = spillSetting ? spillDirectory(spillSetting) : path.join(os.tmpdir(), 'aqueducts-spill');

  const anySetting = get('allowAnyPath');
  const anyPath = anySetting ? boolean(anySetting) : false;
  const allowSetting = get('allowPath');
  if (anyPath && allowSetting) throw new ConfigError(`${allowSetting.origin} and ${anySetting!.origin} contradict each other: give one`);
  const allowedRoots = anyPath ? null : Object.freeze([...new Set([realDirectory(dataRoot), ...allowedDirectories(allowSetting)])]);
  const spillLimit = get('maxSpill');
  const maxSpillGb = spillLimit ? positiveGigabytes(spillLimit) : null;

  return Object.freeze({
    mode,
    apiKey,
    apiKeyFile: keyFileSetting ? path.resolve(keyFileSetting.value) : null,
    maxConnections,
    maxPendingConnections,
    maxRunTimeSeconds: maxRunTime === 0 ? null : maxRunTime,
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
    allowedRoots,
    maxSpillGb,
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
    api_key_file: c.apiKeyFile,
    max_connections: c.maxConnections,
    max_pending_connections: c.maxPendingConnections,
    max_run_time_seconds: c.maxRunTimeSeconds,
    tls: c.tls !== null,
    data_root: c.dataRoot,
    spill_dir: c.spillDir,
    allowed_roots: c.allowedRoots,
    max_spill_gb: c.maxSpillGb,
  };
}

// ---------------------------------------------------------------------------------------------
// Flags

// ---------------------------------------------------------------------------------------------
// Values

/** The key as given (an empty API_KEY counts as given, and is an error), or read from its file; never both. */
function readApiKey(flag: string | undefined, fromEnv: string | undefined, file: Setting | undefined): string {
  const origin = flag !== undefined ? '--api-key' : 'API_KEY';
  const value = flag ?? fromEnv;
  const fromFile = secretOrFile(value === undefined ? undefined : { value, origin }, file, 'an API key');
  if (fromFile === undefined) throw new ConfigError('an API key is required: set --api-key or API_KEY');
  if (fromFile.trim() === '') throw new ConfigError(`${origin} is empty: an API key is required`);
  return fromFile;
}

/** Seconds a run may take: decimals allowed, 0 = no limit, at most 2,000,000 (about 23 days; the timer's range). */
function runTimeSeconds(s: Setting): number {
  const n = /^(?:\d+(?:\.\d*)?|\.\d+)$/.test(s.value) ? Number(s.value) : NaN;
  if (!Number.isFinite(n) || n > MAX_RUN_TIME_SECONDS) throw invalid(s, `expected a number of seconds between 0 (no limit) and ${MAX_RUN_TIME_SECONDS}`);
  return n;
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

function boolean(s: Setting): boolean {
  if (/^(true|1|yes)$/i.test(s.value)) return true;
  if (/^(false|0|no)$/i.test(s.value)) return false;
  throw invalid(s, 'expected true or false');
}

function positiveGigabytes(s: Setting): number {
  const n = gigabytes(s);
  if (n <= 0) throw invalid(s, 'expected a number of GB > 0');
  return n;
}

/** The directory's real path (symbolic links resolved). */
function realDirectory(dir: string): string {
  return realpathSync(dir);
}

/** Each directory of a `:`-separated list: existing, absolute, links resolved. */
function allowedDirectories(s: Setting | undefined): string[] {
  if (!s) return [];
  return s.value.split(':').filter((d) => d !== '').map((d) => realDirectory(existingDirectory({ value: d, origin: s.origin })));
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

