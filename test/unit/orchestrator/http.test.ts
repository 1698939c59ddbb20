/** The orchestrator's HTTP API through fastify's inject (no sockets), over a runtime fed events directly. */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../../src/core/log.js';
import { AuthLimiter } from '../../../src/http/auth.js';
import { createOrchestratorRuntime } from '../../../src/orchestrator/runtime.js';
import { createOrchestratorApp } from '../../../src/orchestrator/server.js';
import { DEFAULT_SETTINGS, pipeline } from './harness.js';

const T0 = Date.parse('2026-01-02T03:04:05.000Z');
const EX = '11111111-1111-4111-8111-111111111111';
const A = '0b9a3c1e-8f5d-4b6a-9c2e-1d3f5a7b9c0d';
const B = '0b9a3c1e-8f5d-4b6a-9c2e-1d3f5a7b9c0e';

function setup(t: TestContext) {
  let now = T0;
  const runtime = createOrchestratorRuntime({ settings: DEFAULT_SETTINGS, log: silentLogger(), now: () => now });
  t.after(() => runtime.shutdown()); // its timers end with it
  const app = createOrchestratorApp({
    clientApiKey: 'client-key', executorSecret: 'executor-secret', tls: null, version: '9.9.9', log: silentLogger(), runtime,
    limiter: new AuthLimiter({ freeFailures: 1000 }),
  });
  return { runtime, app, tick: (ms: number) => { now += ms; } };
}

const auth = { 'x-api-key': 'client-key' };

test('health: counts only, no authentication', async (t) => {
  const { runtime, app } = setup(t);
  runtime.send({ type: 'executor.connected', connectionId: 'L1' });
  runtime.send({ type: 'executor.registering', connectionId: 'L1', registration: { executorId: EX, version: '0.1.0', maxMemoryGb: 4, state: 'idle', executionId: null } });
  runtime.send({ type: 'execution.requested', connectionId: 'c1', executionId: A, pipeline });
  runtime.send({ type: 'execution.requested', connectionId: 'c1', executionId: B, pipeline });
  const res = await app.inject({ method: 'GET', url: '/api/health' });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { status: 'OK', mode: 'orchestrator', version: '9.9.9', executors: 1, idle: 0, busy: 1, draining: 0, disconnected: 0, queue_length: 1 });
});

test('executors and executions: RFC 3339 times, states, outcomes; 401 without the key; 404 for unknown ids', async (t) => {
  const { runtime, app, tick } = setup(t);
  runtime.send({ type: 'executor.connected', connectionId: 'L1' });
  runtime.send({ type: 'executor.registering', connectionId: 'L1', registration: { executorId: EX, version: '0.1.0', maxMemoryGb: 4, state: 'idle', executionId: null } });
  tick(1000);
  runtime.send({ type: 'execution.requested', connectionId: 'c1', executionId: A, pipeline });
  runtime.send({ type: 'execution.requested', connectionId: 'c1', executionId: B, pipeline });
  tick(1000);
  runtime.send({ type: 'executor.message', connectionId: 'L1', message: { type: 'execution_response', execution_id: A } });
  const executors = await app.inject({ method: 'GET', url: '/api/executors', headers: auth });
  assert.deepEqual(executors.json(), {
    executors: [{
      executor_id: EX, state: 'busy', execution_id: A, last_seen: '2026-01-02T03:04:07.000Z', version: '0.1.0', max_memory_gb: 4,
      registered_at: '2026-01-02T03:04:05.000Z', disconnected_at: null,
    }],
  });
  const queued = await app.inject({ method: 'GET', url: `/api/executions/${B}`, headers: auth });
  assert.equal(queued.json().state, 'queued');
  assert.equal(queued.json().queue_position, 0);
  tick(500);
  runtime.send({ type: 'executor.message', connectionId: 'L1', message: { type: 'execution_error', execution_id: A, reason: 'stage', message: 'boom' } });
  const done = await app.inject({ method: 'GET', url: `/api/executions/${A.toUpperCase()}`, headers: auth });
  assert.deepEqual(done.json(), {
    execution_id: A, state: 'failed', executor_id: EX, queue_position: null,
    outcome: { type: 'execution_error', execution_id: A, reason: 'stage', message: 'boom' },
    submitted: true, submitted_at: '2026-01-02T03:04:06.000Z', dispatched_at: '2026-01-02T03:04:06.000Z',
    started_at: '2026-01-02T03:04:07.000Z', finished_at: '2026-01-02T03:04:07.500Z', cancel_requested: false, subscribers: 0,
  });
  for (const url of ['/api/executors', `/api/executions/${A}`]) {
    for (const headers of [{}, { 'x-api-key': 'executor-secret' }]) {
      const r = await app.inject({ method: 'GET', url, headers });
      assert.equal(r.statusCode, 401);
      assert.deepEqual(r.json(), { error: 'Authentication failed' });
    }
  }
  const unknown = await app.inject({ method: 'GET', url: '/api/executions/nope', headers: auth });
  assert.equal(unknown.statusCode, 404);
  assert.deepEqual(unknown.json(), { error: 'Unknown execution', execution_id: 'nope' });
  for (const inherited of ['constructor', '__proto__', 'toString']) {
    assert.equal((await app.inject({ method: 'GET', url: `/api/executions/${inherited}`, headers: auth })).statusCode, 404, inherited);
  }
});
