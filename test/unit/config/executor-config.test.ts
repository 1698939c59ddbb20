import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ConfigError, ConfigHelp, describeConfig, loadExecutorConfig, parseLogLevel, type ExecutorConfig,
} from '../../../src/config/executor.js';
import { VERSION } from '../../../src/core/version.js';
import { connectionCaps, descriptorLimit } from '../../../src/core/descriptors.js';
import { pathToFileURL } from 'node:url';
import { REPO, TLS } from '../../support/paths.js';
import { reachableTempDir, runUnprivileged } from '../../support/unprivileged.js';

// test/fixtures/tls/config-*.pem: a throwaway self-signed EC certificate for localhost (cert.pem, key.pem), an unrelated
// key (other-key.pem) and the same key encrypted with a passphrase (encrypted-key.pem). Test use only.
const fixtures = TLS;
const CERT = path.join(fixtures, 'config-cert.pem');
const KEY = path.join(fixtures, 'config-key.pem');
const SECRET = 's3cr3t-Key_value';
const ID = '0b8e5f4c-2a1d-4c3e-9f00-1234567890ab';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'aqueducts-config-test-'));
const aFile = path.join(tmp, 'a-file');
writeFileSync(aFile, 'not a directory');

type Env = Record<string, string | undefined>;

const load = (argv: string[], env: Env = {}): ExecutorConfig => loadExecutorConfig(argv, env);

/** Asserts that the configuration is refused with exactly this message. */
function fails(argv: string[], env: Env, message: string): void {
  assert.throws(() => loadExecutorConfig(argv, env), (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    assert.equal(e.message, message);
    assert.equal(e.exitCode, 2);
    assert.ok(!e.message.includes('\n'), 'the message is one line');
    return true;
  });
}

/** The connection caps this process's descriptor limit gives by default. */
const CAPS = connectionCaps(descriptorLimit());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

// ---------------------------------------------------------------------------------------------
// Defaults

test('standalone defaults: only the API key is needed', () => {
  const c = load([], { API_KEY: SECRET });
  const { executorId, ...rest } = c;
  assert.match(executorId, UUID);
  assert.deepEqual(rest, {
    mode: 'standalone',
    apiKey: SECRET,
    apiKeyFile: null,
    maxConnections: CAPS.maxConnections,
    maxPendingConnections: CAPS.maxPending,
    maxRunTimeSeconds: null,
    orchestratorUrl: null,
    bind: { host: '0.0.0.0', port: 3031 },
    maxMemoryGb: null,
    logLevel: 'info',
    queueSize: 16,
    drainTimeoutSeconds: 60,
    maxMessageBytes: 16 * 1024 * 1024,
    tls: null,
    dataRoot: process.cwd(),
    spillDir: path.join(os.tmpdir(), 'aqueducts-spill'),
    allowedRoots: [realpathSync(process.cwd())],
    maxSpillGb: null,
  });
});

test('managed defaults: no queue, and the orchestrator URL kept as given', () => {
  const c = load(['--mode', 'managed', '--orchestrator-url', 'ws://orchestrator:3000/ws/executor/register'], { API_KEY: SECRET });
  assert.equal(c.mode, 'managed');
  assert.equal(c.queueSize, 0);
  assert.equal(c.orchestratorUrl, 'ws://orchestrator:3000/ws/executor/register');
  assert.equal(c.drainTimeoutSeconds, 60);
  assert.deepEqual(c.bind, { host: '0.0.0.0', port: 3031 });
});

test('a new executor id is generated on each load when none is configured', () => {
  assert.notEqual(load([], { API_KEY: SECRET }).executorId, load([], { API_KEY: SECRET }).executorId);
});

// ---------------------------------------------------------------------------------------------
// Every option from a flag, from the environment, and the precedence between them

const spill = path.join(tmp, 'spill-not-yet-created');
const other = path.join(tmp, 'shared-data');
mkdirSync(other);
const link = path.join(tmp, 'shared-link');
symlinkSync(other, link);
const everyFlag = [
  '--mode', 'managed', '--api-key', SECRET, '--orchestrator-url', 'wss://orch.example:8443/ws/executor/register',
  '--bind-address', '127.0.0.1:0', '--max-memory', '0.5', '--executor-id', ID, '--log-level', 'debug',
  '--queue-size', '3', '--drain-timeout', '5', '--max-message-bytes', '2048', '--tls-cert', CERT, '--tls-key', KEY,
  '--data-root', tmp, '--spill-dir', spill, '--allow-path', other, '--allow-path', link, '--max-spill', '2.5',
  '--max-connections', '50', '--max-pending-connections', '7', '--max-run-time', '90.5',
];
const everyVariable: Env = {
  EXECUTOR_MODE: 'managed', API_KEY: SECRET, ORCHESTRATOR_URL: 'wss://orch.example:8443/ws/executor/register',
  BIND_ADDRESS: '127.0.0.1:0', MAX_MEMORY: '0.5', EXECUTOR_ID: ID, RUST_LOG: 'debug', QUEUE_SIZE: '3',
  DRAIN_TIMEOUT: '5', MAX_MESSAGE_BYTES: '2048', TLS_CERT: CERT, TLS_KEY: KEY, DATA_ROOT: tmp, SPILL_DIR: spill,
  ALLOW_PATHS: `${other}:${link}`, MAX_SPILL: '2.5',
  MAX_CONNECTIONS: '50', MAX_PENDING_CONNECTIONS: '7', MAX_RUN_TIME: '90.5',
};
const expectedFromEither: ExecutorConfig = {
  mode: 'managed',
  apiKey: SECRET,
  apiKeyFile: null,
  maxConnections: 50,
  maxPendingConnections: 7,
  maxRunTimeSeconds: 90.5,
  orchestratorUrl: 'wss://orch.example:8443/ws/executor/register',
  bind: { host: '127.0.0.1', port: 0 },
  maxMemoryGb: 0.5,
  executorId: ID,
  logLevel: 'debug',
  queueSize: 3,
  drainTimeoutSeconds: 5,
  maxMessageBytes: 2048,
  tls: { cert: readFileSync(CERT, 'utf8'), key: readFileSync(KEY, 'utf8') },
  dataRoot: tmp,
  spillDir: spill,
  // The data root first; a symbolic link allowed as the directory it points to (no duplicate).
  allowedRoots: [realpathSync(tmp), realpathSync(other)],
  maxSpillGb: 2.5,
};

test('every option can be given as a flag', () => {
  assert.deepEqual(load(everyFlag, {}), expectedFromEither);
});

test('every option can be given as an environment variable', () => {
  assert.deepEqual(load([], everyVariable), expectedFromEither);
});

test('flags override the environment, option by option', () => {
  const cases: Array<[string[], Env, Partial<ExecutorConfig>]> = [
    [['--mode', 'standalone'], { EXECUTOR_MODE: 'managed' }, { mode: 'standalone' }],
    [['--mode', 'managed', '--orchestrator-url', 'ws://a:1'], { EXECUTOR_MODE: 'standalone', ORCHESTRATOR_URL: 'ws://b:2' }, { mode: 'managed', orchestratorUrl: 'ws://a:1' }],
    [['--api-key', 'from-flag'], { API_KEY: 'from-env' }, { apiKey: 'from-flag' }],
    [['--bind-address', 'localhost:1'], { BIND_ADDRESS: '0.0.0.0:2' }, { bind: { host: 'localhost', port: 1 } }],
    [['--max-memory', '0'], { MAX_MEMORY: '4' }, { maxMemoryGb: null }],
    [['--executor-id', ID], { EXECUTOR_ID: 'not-a-uuid' }, { executorId: ID }],
    [['--log-level', 'error'], { RUST_LOG: 'trace' }, { logLevel: 'error' }],
    [['--queue-size', '0'], { QUEUE_SIZE: '9' }, { queueSize: 0 }],
    [['--drain-timeout', '0'], { DRAIN_TIMEOUT: '9' }, { drainTimeoutSeconds: 0 }],
    [['--max-message-bytes', '1024'], { MAX_MESSAGE_BYTES: '4096' }, { maxMessageBytes: 1024 }],
    [['--data-root', tmp], { DATA_ROOT: '/nonexistent-dir' }, { dataRoot: tmp }],
    [['--spill-dir', tmp], { SPILL_DIR: aFile }, { spillDir: tmp }],
  ];
  for (const [argv, env, expected] of cases) {
    const c = load(argv, { API_KEY: SECRET, ...env });
    assert.deepEqual(pick(c, Object.keys(expected) as Array<keyof ExecutorConfig>), expected, argv.join(' '));
  }
});

test('TLS files: flags override the variables', () => {
  const c = load(['--tls-cert', CERT, '--tls-key', KEY], { API_KEY: SECRET, TLS_CERT: '/nonexistent/cert', TLS_KEY: '/nonexistent/key' });
  assert.equal(c.tls?.cert, readFileSync(CERT, 'utf8'));
  // A flag for one half completes the other half from the environment.
  const mixed = load(['--tls-key', KEY], { API_KEY: SECRET, TLS_CERT: CERT });
  assert.equal(mixed.tls?.key, readFileSync(KEY, 'utf8'));
});

test('an empty environment variable counts as unset (API_KEY aside)', () => {
  const empty: Env = Object.fromEntries(Object.keys(everyVariable).filter((k) => k !== 'API_KEY').map((k) => [k, '']));
  const { executorId, ...rest } = load([], { ...empty, API_KEY: SECRET });
  const { executorId: _, ...defaults } = load([], { API_KEY: SECRET });
  assert.match(executorId, UUID);
  assert.deepEqual(rest, defaults);
});

test('an empty flag value is an error', () => {
  fails(['--bind-address', ''], { API_KEY: SECRET }, '--bind-address is empty');
  fails(['--log-level='], { API_KEY: SECRET }, '--log-level is empty');
  fails(['--data-root', ''], { API_KEY: SECRET }, '--data-root is empty');
});

// ---------------------------------------------------------------------------------------------
// Invalid values: one line naming the flag or variable and the value

test('the API key is required and must not be blank', () => {
  fails([], {}, 'an API key is required: set --api-key or API_KEY');
  fails([], { API_KEY: '' }, 'API_KEY is empty: an API key is required');
  fails([], { API_KEY: '   ' }, 'API_KEY is empty: an API key is required');
  fails(['--api-key', ''], { API_KEY: SECRET }, '--api-key is empty: an API key is required');
  fails(['--mode', 'managed', '--orchestrator-url', 'ws://o:1'], {}, 'an API key is required: set --api-key or API_KEY');
  fails(['--api-key'], {}, "option '--api-key <key>' argument missing");
  assert.equal(load(['--api-key', SECRET], { API_KEY: '' }).apiKey, SECRET);
});

test('mode must be standalone or managed', () => {
  fails(['--mode', 'Managed'], { API_KEY: SECRET }, 'invalid --mode "Managed": expected standalone or managed');
  fails([], { API_KEY: SECRET, EXECUTOR_MODE: 'cluster' }, 'invalid EXECUTOR_MODE "cluster": expected standalone or managed');
});

test('managed mode needs a ws:// or wss:// orchestrator URL', () => {
  const needsUrl = 'managed mode needs an orchestrator URL: set --orchestrator-url or ORCHESTRATOR_URL';
  fails(['--mode', 'managed'], { API_KEY: SECRET }, needsUrl);
  fails([], { API_KEY: SECRET, EXECUTOR_MODE: 'managed', ORCHESTRATOR_URL: '' }, needsUrl);
  fails(['--mode', 'managed', '--orchestrator-url', 'http://orch:3000/ws'], { API_KEY: SECRET },
    'invalid --orchestrator-url "http://orch:3000/ws": expected a ws:// or wss:// URL');
  fails([], { API_KEY: SECRET, EXECUTOR_MODE: 'managed', ORCHESTRATOR_URL: 'orchestrator:3000' },
    'invalid ORCHESTRATOR_URL "orchestrator:3000": expected a ws:// or wss:// URL');
  fails(['--orchestrator-url', 'not a url'], { API_KEY: SECRET }, 'invalid --orchestrator-url "not a url": expected a ws:// or wss:// URL');
  // Credentials in a bad URL are not echoed.
  fails(['--orchestrator-url', 'https://user:pa55word@orch/ws'], { API_KEY: SECRET },
    'invalid --orchestrator-url "https://orch/ws": expected a ws:// or wss:// URL');
});

test('an orchestrator URL is allowed (and unused) in standalone mode', () => {
  const c = load([], { API_KEY: SECRET, ORCHESTRATOR_URL: 'ws://orch:3000/ws/executor/register' });
  assert.equal(c.mode, 'standalone');
  assert.equal(c.orchestratorUrl, 'ws://orch:3000/ws/executor/register');
});

test('bind addresses: host:port and [ipv6]:port, port 0 allowed', () => {
  const good: Array<[string, string, number]> = [
    ['0.0.0.0:3031', '0.0.0.0', 3031], ['127.0.0.1:0', '127.0.0.1', 0], ['localhost:8080', 'localhost', 8080],
    ['executor.internal.example:65535', 'executor.internal.example', 65535], ['[::]:3031', '::', 3031],
    ['[::1]:0', '::1', 0], ['[2001:db8::7]:443', '2001:db8::7', 443],
  ];
  for (const [value, host, port] of good) assert.deepEqual(load(['--bind-address', value], { API_KEY: SECRET }).bind, { host, port }, value);
  const shape = 'expected host:port or [ipv6]:port';
  for (const bad of ['3031', ':3031', 'localhost', 'localhost:', '::1:3031', '[::1]', '[::1]3031', '[localhost]:80', '999.1.1.1:80',
    '1.2.3:80', 'host:-1', 'host:abc', 'host:123456', 'a b:80', 'host_name:80', ' localhost:80', 'localhost:80 ', 'http://host:80']) {
    fails(['--bind-address', bad], { API_KEY: SECRET }, `invalid --bind-address ${JSON.stringify(bad)}: ${shape}`);
  }
  fails([], { API_KEY: SECRET, BIND_ADDRESS: '0.0.0.0:65536' }, 'invalid BIND_ADDRESS "0.0.0.0:65536": port must be between 0 and 65535');
});

test('max memory: GB as a number ≥ 0, decimals allowed, 0 = unlimited', () => {
  const good: Array<[string, number | null]> = [['0', null], ['0.0', null], ['4', 4], ['0.5', 0.5], ['.25', 0.25], ['2.', 2], ['16', 16]];
  for (const [value, gb] of good) assert.equal(load(['--max-memory', value], { API_KEY: SECRET }).maxMemoryGb, gb, value);
  const expected = 'expected a number of GB ≥ 0 (0 = unlimited)';
  for (const bad of ['-1', '-0.5', 'abc', '4GB', '1e3', '0x10', 'Infinity', 'NaN', ' 1', '1,5', '.']) {
    fails([], { API_KEY: SECRET, MAX_MEMORY: bad }, `invalid MAX_MEMORY ${JSON.stringify(bad)}: ${expected}`);
  }
  fails(['--max-memory', '-2'], { API_KEY: SECRET }, `invalid --max-memory "-2": ${expected}`);
});

test('executor id: a UUID, stored in lower case', () => {
  assert.equal(load(['--executor-id', ID.toUpperCase()], { API_KEY: SECRET }).executorId, ID);
  const expected = 'expected a UUID such as 123e4567-e89b-12d3-a456-426614174000';
  for (const bad of ['executor-1', '0b8e5f4c2a1d4c3e9f001234567890ab', '{0b8e5f4c-2a1d-4c3e-9f00-1234567890ab}', `${ID}0`, 'g0000000-0000-0000-0000-000000000000']) {
    fails([], { API_KEY: SECRET, EXECUTOR_ID: bad }, `invalid EXECUTOR_ID ${JSON.stringify(bad)}: ${expected}`);
  }
  fails(['--executor-id', 'abc'], { API_KEY: SECRET }, `invalid --executor-id "abc": ${expected}`);
});

test('integers: queue size ≥ 0, drain timeout ≥ 0, max message bytes ≥ 1024', () => {
  fails(['--queue-size', '-1'], { API_KEY: SECRET }, 'invalid --queue-size "-1": expected an integer ≥ 0');
  fails([], { API_KEY: SECRET, QUEUE_SIZE: '1.5' }, 'invalid QUEUE_SIZE "1.5": expected an integer ≥ 0');
  fails([], { API_KEY: SECRET, QUEUE_SIZE: 'ten' }, 'invalid QUEUE_SIZE "ten": expected an integer ≥ 0');
  fails(['--drain-timeout', '30s'], { API_KEY: SECRET }, 'invalid --drain-timeout "30s": expected an integer ≥ 0');
  fails([], { API_KEY: SECRET, DRAIN_TIMEOUT: '-5' }, 'invalid DRAIN_TIMEOUT "-5": expected an integer ≥ 0');
  fails(['--max-message-bytes', '1023'], { API_KEY: SECRET }, 'invalid --max-message-bytes "1023": expected an integer ≥ 1024');
  fails([], { API_KEY: SECRET, MAX_MESSAGE_BYTES: '16MiB' }, 'invalid MAX_MESSAGE_BYTES "16MiB": expected an integer ≥ 1024');
  fails([], { API_KEY: SECRET, MAX_MESSAGE_BYTES: '99999999999999999999' }, 'invalid MAX_MESSAGE_BYTES "99999999999999999999": expected an integer ≥ 1024');
  assert.equal(load([], { API_KEY: SECRET, MAX_MESSAGE_BYTES: '1024' }).maxMessageBytes, 1024);
  assert.equal(load(['--mode', 'managed', '--orchestrator-url', 'ws://o:1', '--queue-size', '2'], { API_KEY: SECRET }).queueSize, 2);
});

// ---------------------------------------------------------------------------------------------
// Log level and RUST_LOG

test('RUST_LOG: a level, or env_logger directives where aqueducts_executor (then aqueducts) wins', () => {
  const cases: Array<[string, string]> = [
    ['info', 'info'], ['TRACE', 'trace'], ['debug', 'debug'], ['warn', 'warn'], ['error', 'error'], ['off', 'silent'],
    ['aqueducts_executor=debug', 'debug'],
    ['aqueducts_executor=debug,tower=warn', 'debug'],
    ['warn,aqueducts_executor=debug', 'debug'],
    ['aqueducts_executor=trace,warn', 'trace'],
    ['error,aqueducts=debug', 'debug'],
    ['aqueducts=warn,aqueducts_executor=debug', 'debug'],
    ['aqueducts_executor=debug,aqueducts=warn', 'debug'],
    ['warn,tower=debug,hyper::proto=trace', 'warn'],
    ['tower=warn', 'info'],
    ['aqueducts_executor::server=trace,error', 'error'],
    [' warn , aqueducts_executor = info ', 'info'],
    ['info,', 'info'],
  ];
  for (const [spec, level] of cases) {
    assert.equal(parseLogLevel(spec), level, spec);
    assert.equal(load([], { API_KEY: SECRET, RUST_LOG: spec }).logLevel, level, spec);
  }
  for (const bad of ['verbose', 'aqueducts_executor=loud', 'aqueducts_executor', '=debug', 'a=b=c', 'warn,tower', 'my crate=info', 'info/foo']) {
    assert.equal(parseLogLevel(bad), undefined, bad);
  }
});

test('an unparseable log level names its source', () => {
  const expected = 'expected trace, debug, info, warn, error or off, or directives such as warn,aqueducts_executor=debug';
  fails([], { API_KEY: SECRET, RUST_LOG: 'verbose' }, `invalid RUST_LOG "verbose": ${expected}`);
  fails([], { API_KEY: SECRET, RUST_LOG: 'aqueducts_executor=loud,tower=warn' }, `invalid RUST_LOG "aqueducts_executor=loud,tower=warn": ${expected}`);
  fails(['--log-level', 'warning'], { API_KEY: SECRET }, `invalid --log-level "warning": ${expected}`);
  // The flag takes the same forms, and wins over a bad RUST_LOG.
  assert.equal(load(['--log-level', 'warn,aqueducts_executor=trace'], { API_KEY: SECRET, RUST_LOG: 'verbose' }).logLevel, 'trace');
});

// ---------------------------------------------------------------------------------------------
// TLS

test('TLS: both files or neither; the config holds their contents', () => {
  const c = load([], { API_KEY: SECRET, TLS_CERT: CERT, TLS_KEY: KEY });
  assert.deepEqual(c.tls, { cert: readFileSync(CERT, 'utf8'), key: readFileSync(KEY, 'utf8') });
  fails(['--tls-cert', CERT], { API_KEY: SECRET }, 'TLS needs a certificate and a key: --tls-cert is set but neither --tls-key nor TLS_KEY');
  fails([], { API_KEY: SECRET, TLS_CERT: CERT }, 'TLS needs a certificate and a key: TLS_CERT is set but neither --tls-key nor TLS_KEY');
  fails([], { API_KEY: SECRET, TLS_KEY: KEY }, 'TLS needs a certificate and a key: TLS_KEY is set but neither --tls-cert nor TLS_CERT');
  fails(['--tls-key', KEY], { API_KEY: SECRET }, 'TLS needs a certificate and a key: --tls-key is set but neither --tls-cert nor TLS_CERT');
});

test('TLS: files that cannot be read are named', () => {
  const missing = path.join(tmp, 'missing.pem');
  fails(['--tls-cert', missing, '--tls-key', KEY], { API_KEY: SECRET }, `cannot read --tls-cert ${JSON.stringify(missing)}: no such file or directory`);
  fails([], { API_KEY: SECRET, TLS_CERT: CERT, TLS_KEY: missing }, `cannot read TLS_KEY ${JSON.stringify(missing)}: no such file or directory`);
  fails([], { API_KEY: SECRET, TLS_CERT: tmp, TLS_KEY: KEY }, `cannot read TLS_CERT ${JSON.stringify(tmp)}: is a directory`);
});

// Permissions do not bind root: the configuration is loaded by a process they bind (test/support/unprivileged.ts).
test('TLS: an unreadable key file is named (loaded by a process that file permissions bind)', () => {
  const dir = reachableTempDir('aqueducts-config-locked-');
  const locked = path.join(dir, 'locked-key.pem');
  const readable = path.join(dir, 'key.pem');
  writeFileSync(locked, readFileSync(KEY));
  writeFileSync(readable, readFileSync(KEY));
  chmodSync(locked, 0o000);
  chmodSync(readable, 0o644);
  const script = `
    import { loadExecutorConfig } from ${JSON.stringify(pathToFileURL(path.join(REPO, 'src/config/executor.ts')).href)};
    try {
      const c = loadExecutorConfig([], JSON.parse(process.argv[1]));
      console.log(JSON.stringify({ tls: c.tls !== null }));
    } catch (e) {
      console.log(JSON.stringify({ error: e.constructor.name, message: e.message, exitCode: e.exitCode }));
    }`;
  const load = (key: string) => JSON.parse(runUnprivileged(script, [JSON.stringify({ API_KEY: SECRET, TLS_CERT: CERT, TLS_KEY: key })])) as unknown;
  // The same user reads the key when its mode allows: the refusal below is the file's mode.
  assert.deepEqual(load(readable), { tls: true });
  assert.equal(readFileSync(locked, 'utf8'), readFileSync(KEY, 'utf8'), 'this process (root, in CI) reads it: only the child is bound');
  assert.deepEqual(load(locked), { error: 'ConfigError', message: `cannot read TLS_KEY ${JSON.stringify(locked)}: permission denied`, exitCode: 2 });
});

test('TLS: contents are checked (PEM certificate, unencrypted key, matching pair)', () => {
  fails([], { API_KEY: SECRET, TLS_CERT: KEY, TLS_KEY: KEY }, `invalid TLS_CERT ${JSON.stringify(KEY)}: not a PEM certificate`);
  fails([], { API_KEY: SECRET, TLS_CERT: CERT, TLS_KEY: CERT }, `invalid TLS_KEY ${JSON.stringify(CERT)}: not an unencrypted PEM private key`);
  const encrypted = path.join(fixtures, 'config-encrypted-key.pem');
  fails([], { API_KEY: SECRET, TLS_CERT: CERT, TLS_KEY: encrypted }, `invalid TLS_KEY ${JSON.stringify(encrypted)}: not an unencrypted PEM private key`);
  const other = path.join(fixtures, 'config-other-key.pem');
  fails(['--tls-key', other], { API_KEY: SECRET, TLS_CERT: CERT },
    `--tls-key ${JSON.stringify(other)} is not the private key of the certificate in TLS_CERT ${JSON.stringify(CERT)}`);
});

// ---------------------------------------------------------------------------------------------
// Directories

test('data root must be an existing directory; relative paths resolve against the working directory', () => {
  assert.equal(load(['--data-root', '.'], { API_KEY: SECRET }).dataRoot, process.cwd());
  assert.equal(load([], { API_KEY: SECRET, DATA_ROOT: 'test/unit' }).dataRoot, path.resolve('test/unit'));
  const missing = path.join(tmp, 'no-such-dir');
  fails([], { API_KEY: SECRET, DATA_ROOT: missing }, `invalid DATA_ROOT ${JSON.stringify(missing)}: no such file or directory`);
  fails(['--data-root', aFile], { API_KEY: SECRET }, `invalid --data-root ${JSON.stringify(aFile)}: not a directory`);
});

test('spill dir may not exist yet, but must not be a file', () => {
  assert.equal(load(['--spill-dir', 'rel/spill'], { API_KEY: SECRET }).spillDir, path.resolve('rel/spill'));
  fails([], { API_KEY: SECRET, SPILL_DIR: aFile }, `invalid SPILL_DIR ${JSON.stringify(aFile)}: not a directory`);
});

// ---------------------------------------------------------------------------------------------
// Help, version, usage errors

test('--help and --version are reported as ConfigHelp with exit code 0, before any validation', () => {
  for (const flag of ['--help', '-h']) {
    assert.throws(() => load([flag], {}), (e: unknown) => {
      assert.ok(e instanceof ConfigHelp && !(e instanceof ConfigError));
      assert.equal(e.kind, 'help');
      assert.equal(e.exitCode, 0);
      assert.match(e.text, /^Usage: aqueducts-executor \[options\]/);
      for (const name of ['--mode', 'EXECUTOR_MODE', '--api-key', 'API_KEY', '--orchestrator-url', 'ORCHESTRATOR_URL',
        '--bind-address', 'BIND_ADDRESS', '--max-memory', 'MAX_MEMORY', '--executor-id', 'EXECUTOR_ID', '--log-level', 'RUST_LOG',
        '--queue-size', 'QUEUE_SIZE', '--drain-timeout', 'DRAIN_TIMEOUT', '--max-message-bytes', 'MAX_MESSAGE_BYTES',
        '--tls-cert', 'TLS_CERT', '--tls-key', 'TLS_KEY', '--data-root', 'DATA_ROOT', '--spill-dir', 'SPILL_DIR']) {
        assert.ok(e.text.includes(name), `help mentions ${name}`);
      }
      return true;
    });
  }
  for (const flag of ['--version', '-V']) {
    assert.throws(() => load([flag], { API_KEY: '' }), (e: unknown) => {
      assert.ok(e instanceof ConfigHelp);
      assert.equal(e.kind, 'version');
      assert.equal(e.text.trim(), VERSION);
      return true;
    });
  }
});

test('unknown options and stray arguments are usage errors', () => {
  fails(['--port', '80'], { API_KEY: SECRET }, "unknown option '--port'");
  fails([SECRET.slice(0, 4)], { API_KEY: SECRET }, 'too many arguments. Expected 0 arguments but got 1.');
});

// ---------------------------------------------------------------------------------------------
// Secrets

test('the API key never appears in an error message', () => {
  const attempts: Array<[string[], Env]> = [
    [['--api-keyy', SECRET], {}],
    [[`--api-keyy=${SECRET}`], {}],
    [[`--apikey=${SECRET}`], { API_KEY: SECRET }],
    [['--api-key', SECRET, SECRET], {}],
    [['--api-key', SECRET, '--mode', SECRET], {}],
    [['--api-key', SECRET, '--bind-address', SECRET], {}],
    [['--api-key', SECRET, '--executor-id', `x${SECRET}`], {}],
    [['--api-key', SECRET, '--orchestrator-url', `ws://u:${SECRET}@orch:1/x?token=${SECRET}`, '--tls-cert', SECRET], {}],
    [['--mode', 'managed', '--orchestrator-url', `http://executor:${SECRET}@orch:1/x`], { API_KEY: SECRET }],
    [[], { API_KEY: SECRET, RUST_LOG: SECRET }],
    [[], { API_KEY: SECRET, MAX_MEMORY: SECRET, EXECUTOR_MODE: 'managed' }],
    [[], { API_KEY: SECRET, DATA_ROOT: `/${SECRET}` }],
    [[], { API_KEY: SECRET, TLS_KEY: `/${SECRET}` }],
  ];
  for (const [argv, env] of attempts) {
    assert.throws(() => loadExecutorConfig(argv, env), (e: unknown) => {
      assert.ok(e instanceof ConfigError, `${argv.join(' ')}: ${String(e)}`);
      assert.ok(!e.message.includes(SECRET), `leaked in: ${e.message}`);
      return true;
    });
  }
});

test('describeConfig is log-safe: no API key, no TLS key, no URL credentials', () => {
  const c = load(['--mode', 'managed', '--orchestrator-url', `wss://executor:${SECRET}@orch.example/ws/executor/register?token=abc`,
    '--tls-cert', CERT, '--tls-key', KEY, '--bind-address', '[::1]:3031', '--executor-id', ID], { API_KEY: SECRET });
  const d = describeConfig(c);
  const text = JSON.stringify(d);
  assert.ok(!text.includes(SECRET));
  assert.ok(!text.includes('PRIVATE KEY'));
  assert.ok(!text.includes('abc'));
  assert.deepEqual(d, {
    mode: 'managed',
    executor_id: ID,
    bind_address: '[::1]:3031',
    orchestrator_url: 'wss://orch.example/ws/executor/register?token=***',
    max_memory_gb: null,
    log_level: 'info',
    queue_size: 0,
    drain_timeout_seconds: 60,
    max_message_bytes: 16777216,
    api_key_file: null,
    max_connections: CAPS.maxConnections,
    max_pending_connections: CAPS.maxPending,
    max_run_time_seconds: null,
    tls: true,
    data_root: process.cwd(),
    spill_dir: path.join(os.tmpdir(), 'aqueducts-spill'),
    allowed_roots: [realpathSync(process.cwd())],
    max_spill_gb: null,
  });
});

// ---------------------------------------------------------------------------------------------
// Frozen

test('the result is frozen, nested objects included', () => {
  const c = load(['--tls-cert', CERT, '--tls-key', KEY], { API_KEY: SECRET });
  assert.ok(Object.isFrozen(c));
  assert.ok(Object.isFrozen(c.bind));
  assert.ok(Object.isFrozen(c.tls));
  assert.throws(() => { (c as { queueSize: number }).queueSize = 1; }, TypeError);
  assert.throws(() => { (c.bind as { port: number }).port = 1; }, TypeError);
});

function pick<T extends object>(o: T, keys: Array<keyof T>): Partial<T> {
  return Object.fromEntries(keys.map((k) => [k, o[k]])) as Partial<T>;
}

test('a short API key is redacted from the values a message quotes, and nowhere else', () => {
  fails(['--queue-size', 'x'], { API_KEY: 'x' }, 'invalid --queue-size "[redacted]": expected an integer ≥ 0');
  fails(['--queue-size', 'axb'], { API_KEY: 'x' }, 'invalid --queue-size "a[redacted]b": expected an integer ≥ 0');
  fails(['--mode', 'e'], { API_KEY: 'e' }, 'invalid --mode "[redacted]": expected standalone or managed');
});

test('path confinement: the data root, every --allow-path; --allow-any-path lifts it; each directory must exist', () => {
  assert.deepEqual(load(['--data-root', tmp], { API_KEY: SECRET }).allowedRoots, [realpathSync(tmp)]);
  assert.equal(load(['--allow-any-path'], { API_KEY: SECRET }).allowedRoots, null);
  assert.equal(load([], { API_KEY: SECRET, ALLOW_ANY_PATH: 'true' }).allowedRoots, null);
  assert.deepEqual(load([], { API_KEY: SECRET, ALLOW_ANY_PATH: 'false' }).allowedRoots, [realpathSync(process.cwd())]);
  fails(['--allow-any-path', '--allow-path', other], { API_KEY: SECRET }, '--allow-path and --allow-any-path contradict each other: give one');
  fails(['--allow-path', path.join(tmp, 'nope')], { API_KEY: SECRET }, `invalid --allow-path ${JSON.stringify(path.join(tmp, 'nope'))}: no such file or directory`);
  fails([], { API_KEY: SECRET, ALLOW_ANY_PATH: 'maybe' }, 'invalid ALLOW_ANY_PATH "maybe": expected true or false');
  fails(['--max-spill', '0'], { API_KEY: SECRET }, 'invalid --max-spill "0": expected a number of GB > 0');
});
