/**
 * Connection limits of both servers (--max-connections, --max-pending-connections, derived by
 * default from the open-files limit) and the executor's --max-run-time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadExecutorConfig } from '../../../src/config/executor.js';
import { loadOrchestratorConfig } from '../../../src/config/orchestrator.js';
import { connectionCaps, descriptorLimit } from '../../../src/core/descriptors.js';

const KEY = { API_KEY: 'k' };
const KEYS = { CLIENT_API_KEY: 'c', EXECUTOR_SECRET: 'e' };

function refused(load: () => unknown, message: string): void {
  assert.throws(load, (e: unknown) => e instanceof ConfigError && e.message === message);
}

test('both servers derive their connection limits from the open-files limit by default', () => {
  const caps = connectionCaps(descriptorLimit());
  const ex = loadExecutorConfig([], KEY);
  const orch = loadOrchestratorConfig([], KEYS);
  assert.deepEqual([ex.maxConnections, ex.maxPendingConnections], [caps.maxConnections, caps.maxPending]);
  assert.deepEqual([orch.maxConnections, orch.maxPendingConnections], [caps.maxConnections, caps.maxPending]);
});

test('connection limits as flags or variables; pending connections never exceed the connections', () => {
  const ex = loadExecutorConfig(['--max-connections', '40', '--max-pending-connections', '5'], KEY);
  assert.deepEqual([ex.maxConnections, ex.maxPendingConnections], [40, 5]);
  const orch = loadOrchestratorConfig([], { ...KEYS, MAX_CONNECTIONS: '30', MAX_PENDING_CONNECTIONS: '3' });
  assert.deepEqual([orch.maxConnections, orch.maxPendingConnections], [30, 3]);
  assert.equal(loadExecutorConfig(['--max-connections', '4', '--max-pending-connections', '100'], KEY).maxPendingConnections, 4);
  assert.equal(loadExecutorConfig(['--max-connections', '2'], KEY).maxPendingConnections, 2);
  refused(() => loadExecutorConfig(['--max-connections', '0'], KEY), 'invalid --max-connections "0": expected an integer ≥ 1');
  refused(() => loadOrchestratorConfig([], { ...KEYS, MAX_PENDING_CONNECTIONS: 'many' }), 'invalid MAX_PENDING_CONNECTIONS "many": expected an integer ≥ 1');
});

test('max run time: seconds, decimals allowed; none by default and with 0', () => {
  assert.equal(loadExecutorConfig([], KEY).maxRunTimeSeconds, null);
  assert.equal(loadExecutorConfig(['--max-run-time', '0'], KEY).maxRunTimeSeconds, null);
  assert.equal(loadExecutorConfig(['--max-run-time', '1.5'], KEY).maxRunTimeSeconds, 1.5);
  assert.equal(loadExecutorConfig([], { ...KEY, MAX_RUN_TIME: '3600' }).maxRunTimeSeconds, 3600);
  for (const bad of ['-1', '1h', '2000001']) {
    refused(() => loadExecutorConfig(['--max-run-time', bad], KEY), `invalid --max-run-time ${JSON.stringify(bad)}: expected a number of seconds between 0 (no limit) and 2000000`);
  }
});
