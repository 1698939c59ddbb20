/** The orchestrator's configuration: defaults, flags over environment, one-line errors, no secrets. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  ConfigError, ConfigHelp, describeOrchestratorConfig, loadOrchestratorConfig, parseOrchestratorLogLevel,
} from '../../../src/config/orchestrator.js';
import { TLS } from '../../support/paths.js';
import { connectionCaps, descriptorLimit } from '../../../src/core/descriptors.js';

const fixtures = TLS;
const KEYS = { CLIENT_API_KEY: 'client-s3cret', EXECUTOR_SECRET: 'executor-s3cret' };
type Env = Record<string, string | undefined>;

function fails(argv: string[], env: Env, message: string): void {
  assert.throws(() => loadOrchestratorConfig(argv, env), (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    assert.equal(e.message, message);
    assert.equal(e.exitCode, 2);
    return true;
  });
}

test('defaults: only the two keys are needed; the grace period is the liveness timeout plus 60 s', () => {
  const c = loadOrchestratorConfig([], KEYS);
  assert.deepEqual(c, {
    bind: { host: '0.0.0.0', port: 3000 },
    clientApiKey: 'client-s3cret',
    executorSecret: 'executor-s3cret',
    clientApiKeyFile: null,
    executorSecretFile: null,
    maxConnections: connectionCaps(descriptorLimit()).maxConnections,
    maxPendingConnections: connectionCaps(descriptorLimit()).maxPending,
    logLevel: 'info',
    queueSize: 1000,
    livenessTimeoutSeconds: 30,
    executorLostGraceSeconds: 90,
    maxMessageBytes: 16 * 1024 * 1024,
    historySize: 10_000,
    tls: null,
  });
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.bind));
  assert.equal(loadOrchestratorConfig(['--liveness-timeout', '10'], KEYS).executorLostGraceSeconds, 70);
});

test('flags override the environment; every setting has both', () => {
  const env: Env = {
    ...KEYS, BIND_ADDRESS: '127.0.0.1:0', RUST_LOG: 'warn', QUEUE_SIZE: '5', LIVENESS_TIMEOUT: '2', EXECUTOR_LOST_GRACE: '0.5',
    MAX_MESSAGE_BYTES: '2048', HISTORY_SIZE: '3',
  };
  const fromEnv = loadOrchestratorConfig([], env);
  assert.deepEqual([fromEnv.bind, fromEnv.logLevel, fromEnv.queueSize, fromEnv.livenessTimeoutSeconds, fromEnv.executorLostGraceSeconds, fromEnv.maxMessageBytes, fromEnv.historySize],
    [{ host: '127.0.0.1', port: 0 }, 'warn', 5, 2, 0.5, 2048, 3]);
  const c = loadOrchestratorConfig(['--bind-address', '[::1]:4000', '--client-api-key', 'k1', '--executor-secret', 'k2', '--queue-size', '0', '--log-level', 'debug'], env);
  assert.deepEqual([c.bind, c.clientApiKey, c.executorSecret, c.queueSize, c.logLevel], [{ host: '::1', port: 4000 }, 'k1', 'k2', 0, 'debug']);
});

test('RUST_LOG directives: aqueducts_orchestrator, then aqueducts, then the bare level', () => {
  assert.equal(parseOrchestratorLogLevel('warn,aqueducts_orchestrator=debug'), 'debug');
  assert.equal(parseOrchestratorLogLevel('aqueducts_executor=trace,aqueducts=error'), 'error');
  assert.equal(parseOrchestratorLogLevel('aqueducts_executor=trace'), 'info');
  assert.equal(parseOrchestratorLogLevel('off'), 'silent');
  assert.equal(parseOrchestratorLogLevel('loud'), undefined);
});

test('invalid values: one line naming the flag or variable; secrets never appear', () => {
  fails([], { EXECUTOR_SECRET: 'x' }, 'a client API key is required: set --client-api-key or CLIENT_API_KEY');
  fails([], { CLIENT_API_KEY: 'x' }, 'an executor secret is required: set --executor-secret or EXECUTOR_SECRET');
  fails(['--client-api-key', ' '], KEYS, '--client-api-key is empty');
  fails(['--bind-address', 'localhost'], KEYS, 'invalid --bind-address "localhost": expected host:port or [ipv6]:port');
  fails([], { ...KEYS, QUEUE_SIZE: '-1' }, 'invalid QUEUE_SIZE "-1": expected an integer ≥ 0');
  fails(['--liveness-timeout', '0.5'], KEYS, 'invalid --liveness-timeout "0.5": expected a number of seconds between 1 and 86400');
  fails(['--executor-lost-grace', '1e3'], KEYS, 'invalid --executor-lost-grace "1e3": expected a number of seconds between 0 and 86400');
  fails(['--max-message-bytes', '10'], KEYS, 'invalid --max-message-bytes "10": expected an integer ≥ 1024');
  fails(['--log-level', 'loud'], KEYS, 'invalid --log-level "loud": expected trace, debug, info, warn, error or off, or directives such as warn,aqueducts_orchestrator=debug');
  fails(['--tls-cert', path.join(fixtures, 'config-cert.pem')], KEYS, 'TLS needs a certificate and a key: --tls-cert is set but neither --tls-key nor TLS_KEY');
  fails(['--history-size', 'executor-s3cret'], KEYS, 'invalid --history-size "[redacted]": expected an integer ≥ 0');
  fails(['--client-api-key=abc123', '--executor-secret', 'x', '--nope=abc123'], {}, "unknown option '--nope'");
});

test('TLS: both files, read and checked at start-up', () => {
  const c = loadOrchestratorConfig(['--tls-cert', path.join(fixtures, 'config-cert.pem'), '--tls-key', path.join(fixtures, 'config-key.pem')], KEYS);
  assert.match(c.tls!.cert, /BEGIN CERTIFICATE/);
  assert.equal(describeOrchestratorConfig(c).tls, true);
  assert.throws(() => loadOrchestratorConfig(['--tls-cert', path.join(fixtures, 'config-cert.pem'), '--tls-key', path.join(fixtures, 'config-other-key.pem')], KEYS), /is not the private key/);
});

test('the log-safe description has no keys; --help and --version are not errors', () => {
  const text = JSON.stringify(describeOrchestratorConfig(loadOrchestratorConfig([], KEYS)));
  assert.ok(!text.includes('s3cret'));
  assert.throws(() => loadOrchestratorConfig(['--help'], {}), (e: unknown) => e instanceof ConfigHelp && e.kind === 'help' && e.text.includes('--executor-lost-grace'));
  assert.throws(() => loadOrchestratorConfig(['--version'], {}), (e: unknown) => e instanceof ConfigHelp && e.kind === 'version');
});

test('a secret is redacted from the values a message quotes, even a short one, and nowhere else', () => {
  fails(['--queue-size', 'x'], { CLIENT_API_KEY: 'k', EXECUTOR_SECRET: 'x' }, 'invalid --queue-size "[redacted]": expected an integer ≥ 0');
  fails(['--queue-size', 'axb'], { CLIENT_API_KEY: 'k', EXECUTOR_SECRET: 'x' }, 'invalid --queue-size "a[redacted]b": expected an integer ≥ 0');
});
