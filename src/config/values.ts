/**
 * Readers for configuration values shared by the executor's and the orchestrator's options:
 * each takes a setting (its value and where it came from) and returns the typed value or throws
 * a one-line ConfigError naming the flag or variable and the bad value.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { Command, CommanderError } from 'commander';
import { ConfigError, ConfigHelp } from './error.js';
import type { LogLevel } from '../core/log.js';
import { redactQuoted } from '../core/redact.js';
import { VERSION } from '../core/version.js';

/** A configured value and where it came from (`--flag` or `VARIABLE`). */
export interface Setting {
  value: string;
  origin: string;
}

export function invalid(s: Setting, expected: string): ConfigError {
  return new ConfigError(`invalid ${s.origin} ${show(s.value)}: ${expected}`);
}

/** A value quoted on one line (escapes visible), shortened when long. */
export function show(value: string): string {
  return JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}…` : value);
}

export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

export function fsReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT': return 'no such file or directory';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'is a directory';
    case 'ENOTDIR': return 'a parent is not a directory';
    default: return oneLine((e as Error).message);
  }
}

export function readFile(s: Setting): string {
  try {
    return readFileSync(s.value, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read ${s.origin} ${show(s.value)}: ${fsReason(e)}`);
  }
}

/** A key file bigger than this is not a key file (and is not read further). */
export const MAX_SECRET_FILE_BYTES = 64 * 1024;

/**
 * A secret (an API key) read from the file a setting names: its text without trailing line
 * breaks. Unreadable, too big, empty or blank is a ConfigError naming the file, never its content.
 */
export function secretFile(s: Setting, what: string): string {
  const buf = Buffer.alloc(MAX_SECRET_FILE_BYTES + 1);
  let size = 0;
  try {
    const fd = openSync(s.value, 'r');
    try {
      for (let n = -1; n !== 0 && size < buf.length;) {
        n = readSync(fd, buf, size, buf.length - size, null);
        size += n;
      }
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw new ConfigError(`cannot read ${s.origin} ${show(s.value)}: ${fsReason(e)}`);
  }
  if (size > MAX_SECRET_FILE_BYTES) throw new ConfigError(`invalid ${s.origin} ${show(s.value)}: larger than ${MAX_SECRET_FILE_BYTES / 1024} KiB, not a key file`);
  const value = buf.subarray(0, size).toString('utf8').replace(/(?:\r?\n)+$/, '');
  if (value.trim() === '') throw new ConfigError(`${s.origin} ${show(s.value)} is empty: ${what} is required`);
  return value;
}

/**
 * A secret given either directly (`key`, its value as set) or as a file (`file`), never both;
 * undefined when neither is set.
 */
export function secretOrFile(key: Setting | undefined, file: Setting | undefined, what: string): string | undefined {
  if (key && file) throw new ConfigError(`${key.origin} and ${file.origin} are both set: give ${what} or a file holding it, not both`);
  return file ? secretFile(file, what) : key?.value;
}

/**
 * How many connections a server holds at once and how many of them may still be waiting for
 * authentication (at most the first): as set, else the defaults derived from the descriptor limit.
 */
export function connectionLimits(max: Setting | undefined, pending: Setting | undefined, defaults: { maxConnections: number; maxPending: number }): { maxConnections: number; maxPendingConnections: number } {
  const maxConnections = max ? integer(max, 1) : defaults.maxConnections;
  const maxPendingConnections = Math.min(maxConnections, pending ? integer(pending, 1) : defaults.maxPending);
  return { maxConnections, maxPendingConnections };
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** `host:port` or `[ipv6]:port`; port 0 = any free port. */
export function bindAddress(s: Setting): { host: string; port: number } {
  const shape = 'expected host:port or [ipv6]:port';
  const m = /^(?:\[([^\]]*)\]|([^:[\]]+)):(\d{1,5})$/.exec(s.value);
  if (!m) throw invalid(s, shape);
  const host = m[1] ?? m[2] ?? '';
  if (m[1] !== undefined ? !isIPv6(host) : !(isIPv4(host) || (HOSTNAME.test(host) && !/^[\d.]+$/.test(host)))) {
    throw invalid(s, shape);
  }
  const port = Number(m[3]);
  if (port > 65535) throw invalid(s, 'port must be between 0 and 65535');
  return { host, port };
}

export function integer(s: Setting, min: number): number {
  const n = /^\d+$/.test(s.value) ? Number(s.value) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw invalid(s, `expected an integer ≥ ${min}`);
  return n;
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'off'] as const;

function levelName(word: string): LogLevel | undefined {
  const w = word.toLowerCase();
  if (!(LEVELS as readonly string[]).includes(w)) return undefined;
  return w === 'off' ? 'silent' : (w as LogLevel);
}

/**
 * A level (`info`), or Rust env_logger/tracing directives (`warn,<target>=debug`): the directive
 * for `target` wins, then `aqueducts`, then the bare level, then `fallback`. Directives for other
 * targets are accepted and ignored; anything else is undefined (invalid).
 */
export function parseRustLog(spec: string, target: string, fallback: LogLevel): LogLevel | undefined {
  let bare: LogLevel | undefined;
  const targets = new Map<string, LogLevel>();
  for (const raw of spec.split(',')) {
    const d = raw.trim();
    if (d === '') continue;
    const eq = d.indexOf('=');
    const level = levelName(eq === -1 ? d : d.slice(eq + 1).trim());
    if (level === undefined) return undefined;
    if (eq === -1) {
      bare = level;
      continue;
    }
    const name = d.slice(0, eq).trim();
    if (!/^[A-Za-z0-9_.:-]+$/.test(name)) return undefined;
    targets.set(name, level);
  }
  return targets.get(target) ?? targets.get('aqueducts') ?? bare ?? fallback;
}

export function logLevelOf(s: Setting, target: string, fallback: LogLevel): LogLevel {
  const level = parseRustLog(s.value, target, fallback);
  if (level === undefined) throw invalid(s, `expected trace, debug, info, warn, error or off, or directives such as warn,${target}=debug`);
  return level;
}

/** Both files or neither; readable; a PEM certificate and the unencrypted key that belongs to it. */
export function tlsFiles(cert: Setting | undefined, key: Setting | undefined): { cert: string; key: string } | null {
  if (!cert && !key) return null;
  if (!cert) throw new ConfigError(`TLS needs a certificate and a key: ${key!.origin} is set but neither --tls-cert nor TLS_CERT`);
  if (!key) throw new ConfigError(`TLS needs a certificate and a key: ${cert.origin} is set but neither --tls-key nor TLS_KEY`);
  const certPem = readFile(cert);
  const keyPem = readFile(key);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certPem);
  } catch {
    throw invalid(cert, 'not a PEM certificate');
  }
  try {
    if (!x509.checkPrivateKey(createPrivateKey(keyPem))) {
      throw new ConfigError(`${key.origin} ${show(key.value)} is not the private key of the certificate in ${cert.origin} ${show(cert.value)}`);
    }
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw invalid(key, 'not an unencrypted PEM private key');
  }
  return { cert: certPem, key: keyPem };
}

/** One option: its flag, its environment variable, the argument's name and a line of help. */
export interface OptionSpec {
  readonly flag: string;
  readonly env: string;
  /** The argument's name; '' for a switch (the flag alone means true). */
  readonly arg: string;
  readonly help: string;
  /**
   * The flag may be given several times; its values are joined with ':' into one setting, which is
   * also the form of the variable (a list, as PATH is).
   */
  readonly repeatable?: boolean;
}

/**
 * Parses `argv` against `options` (keys are the flags in camelCase, as commander names them).
 * `--help` / `--version` become ConfigHelp; any other commander error a one-line ConfigError that
 * never echoes the value of an `--unknown=value` argument.
 */
export function parseFlags<K extends string>(name: string, description: string, options: Record<K, OptionSpec>, argv: string[]): Partial<Record<K, string>> {
  let out = '';
  const program = new Command(name)
    .description(`${description}\nEvery option can also be set by the environment variable named in brackets; flags win.`)
    .version(VERSION, '-V, --version')
    .helpOption('-h, --help', 'show this help')
    .exitOverride()
    .configureOutput({ writeOut: (s) => { out += s; }, writeErr: () => {} });
  for (const o of Object.values<OptionSpec>(options)) {
    const help = `${o.help} [${o.env}]`;
    if (o.arg === '') program.option(o.flag, help);
    else if (o.repeatable) program.option(`${o.flag} ${o.arg}`, help, (v: string, prev: string[] = []) => [...prev, v]);
    else program.option(`${o.flag} ${o.arg}`, help);
  }
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help') throw new ConfigHelp('help', out);
      if (e.code === 'commander.version') throw new ConfigHelp('version', out);
      const message = e.message.replace(/^error: /, '').replace(/'(--?[^'=\s]+)=[^']*'/g, "'$1'");
      throw new ConfigError(oneLine(message));
    }
    throw e;
  }
  const values = program.opts<Record<string, string | string[] | boolean>>();
  const flags: Partial<Record<K, string>> = {};
  for (const [k, v] of Object.entries(values)) flags[k as K] = Array.isArray(v) ? v.join(':') : v === true ? 'true' : String(v);
  return flags;
}

/** A lookup giving the flag if given, else the variable if set and non-empty, else undefined. */
export function settingLookup<K extends string>(
  options: Record<K, OptionSpec>, flags: Partial<Record<K, string>>, env: Record<string, string | undefined>,
): (name: K) => Setting | undefined {
  return (name) => {
    const o = options[name];
    const flag = flags[name];
    if (flag === '') throw new ConfigError(`${o.flag} is empty`);
    if (flag !== undefined) return { value: flag, origin: o.flag };
    const fromEnv = env[o.env];
    if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, origin: o.env };
    return undefined;
  };
}

/** `host:port`, with brackets around an IPv6 host. */
export function formatBind(bind: { host: string; port: number }): string {
  return bind.host.includes(':') ? `[${bind.host}]:${bind.port}` : `${bind.host}:${bind.port}`;
}

/**
 * Every value the secret options may have been given as (flag, `--flag=value`, variable), read
 * from the raw arguments, so no configuration message can ever carry one even when parsing fails.
 */
function secretValues(argv: string[], env: Record<string, string | undefined>, secrets: readonly OptionSpec[]): string[] {
  const found: Array<string | undefined> = secrets.map((o) => env[o.env]);
  argv.forEach((arg, i) => {
    for (const { flag } of secrets) {
      if (arg === flag) found.push(argv[i + 1]);
      else if (arg.startsWith(`${flag}=`)) found.push(arg.slice(flag.length + 1));
    }
  });
  return found.filter((s): s is string => s !== undefined && s.trim() !== '');
}

/**
 * Parses `argv` against `options` and compiles the result with `compile`; a ConfigError's message
 * never carries the value of an option in `secretOptions`, however it was given.
 */
export function loadOptions<K extends string, T>(
  program: { name: string; description: string },
  options: Record<K, OptionSpec>,
  secretOptions: readonly OptionSpec[],
  argv: string[],
  env: Record<string, string | undefined>,
  compile: (flags: Partial<Record<K, string>>, env: Record<string, string | undefined>) => T,
): T {
  const secrets = secretValues(argv, env, secretOptions);
  try {
    return compile(parseFlags(program.name, program.description, options, argv), env);
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(redactQuoted(e.message, secrets));
    throw e;
  }
}
