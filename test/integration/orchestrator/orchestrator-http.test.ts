/**
 * The real orchestrator process: configuration errors, health, authentication of both WebSocket
 * endpoints and of the /api endpoints, executor registration answers. Executors here are
 * SCRIPTED peers (test/support/orchestrator.ts).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Client, refusedUpgrade } from '../../support/executor.js';
import {
  CLIENT_KEY, EXECUTOR_SECRET, ORCHESTRATOR_BIN, ScriptedExecutor, startOrchestrator, type OrchestratorProcess,
} from '../../support/orchestrator.js';

const EX1 = '11111111-1111-4111-8111-111111111111';

let orch: OrchestratorProcess;
const started = startOrchestrator().then((o) => (orch = o));
after(async () => { await orch?.stop(); });

test('invalid configuration: one line on stderr, exit 2, secrets never echoed', () => {
  const run = (args: string[], env: Record<string, string> = {}) => {
    const { CLIENT_API_KEY: _c, EXECUTOR_SECRET: _e, ...rest } = process.env;
    return spawnSync(process.execPath, [ORCHESTRATOR_BIN, ...args], { env: { ...rest, ...env }, encoding: 'utf8' });
  };
  const missing = run([], { EXECUTOR_SECRET: 'x' });
  assert.equal(missing.status, 2);
  assert.equal(missing.stderr, 'error: a client API key is required: set --client-api-key or CLIENT_API_KEY\n');
  const bad = run(['--client-api-key', 'sekrit-client', '--executor-secret', 'sekrit-exec', '--queue-size', 'sekrit-client']);
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, 'error: invalid --queue-size "[redacted]": expected an integer ≥ 0\n');
  const grace = run(['--executor-lost-grace', 'soon'], { CLIENT_API_KEY: 'a-key', EXECUTOR_SECRET: 'b-key' });
  assert.equal(grace.stderr, 'error: invalid --executor-lost-grace "soon": expected a number of seconds between 0 and 86400\n');
});

test('GET /api/health needs no key and gives counts only', async () => {
  await started;
  const res = await fetch(`${orch.url}/api/health`);
  assert.equal(res.status, 200);
  const body = await res.json() as Record<string, unknown>;
  assert.equal(body.status, 'OK');
  assert.equal(typeof body.executors, 'number');
  assert.equal(typeof body.idle, 'number');
  assert.equal(body.queue_length, 0);
  assert.doesNotMatch(JSON.stringify(body), new RegExp(`${CLIENT_KEY}|${EXECUTOR_SECRET}`));
});

test('the /api endpoints need the client key: 401 JSON without it, 404 for unknown ids', async () => {
  await started;
  for (const path of ['/api/executors', '/api/executions/0b9a3c1e-8f5d-4b6a-9c2e-1d3f5a7b9c0d']) {
    for (const headers of [{}, { 'X-API-Key': 'wrong' }, { 'X-API-Key': EXECUTOR_SECRET }] as Array<Record<string, string>>) {
      const res = await fetch(`${orch.url}${path}`, { headers });
      assert.equal(res.status, 401, `${path} ${JSON.stringify(headers)}`);
      assert.deepEqual(await res.json(), { error: 'Authentication failed' });
    }
  }
  const unknown = await fetch(`${orch.url}/api/executions/0b9a3c1e-8f5d-4b6a-9c2e-1d3f5a7b9c0d`, { headers: { 'X-API-Key': CLIENT_KEY } });
  assert.equal(unknown.status, 404);
  assert.equal(((await unknown.json()) as { error: string }).error, 'Unknown execution');
  const list = await fetch(`${orch.url}/api/executors`, { headers: { 'X-API-Key': CLIENT_KEY } });
  assert.equal(list.status, 200);
  assert.ok(Array.isArray(((await list.json()) as { executors: unknown[] }).executors));
});

test('each WebSocket endpoint takes only its own key: 401 JSON before the upgrade otherwise', async () => {
  await started;
  const attempts: Array<[string, Record<string, string>]> = [
    [orch.wsUrl, {}], [orch.wsUrl, { 'X-API-Key': 'wrong' }], [orch.wsUrl, { 'X-API-Key': EXECUTOR_SECRET }],
    [orch.executorUrl, {}], [orch.executorUrl, { 'X-API-Key': 'wrong' }], [orch.executorUrl, { 'X-API-Key': CLIENT_KEY }],
  ];
  for (const [url, headers] of attempts) {
    const r = await refusedUpgrade(url, headers);
    assert.equal(r.status, 401, `${url} ${JSON.stringify(headers)}`);
    assert.deepEqual(JSON.parse(r.body), { error: 'Authentication failed' });
  }
  const other = await refusedUpgrade(orch.url.replace(/^http/, 'ws') + '/ws/elsewhere', { 'X-API-Key': CLIENT_KEY });
  assert.equal(other.status, 404);
  assert.equal((await fetch(`${orch.url}/ws/connect`)).status, 401);
  assert.equal((await fetch(`${orch.url}/ws/executor/register`, { headers: { 'X-API-Key': EXECUTOR_SECRET } })).status, 426);
  const client = await Client.connect(orch.wsUrl, { key: CLIENT_KEY });
  client.close();
  const stderr = orch.stderr();
  assert.ok(!stderr.includes(CLIENT_KEY) && !stderr.includes(EXECUTOR_SECRET), 'keys are never logged');
});

test('registration: success, a duplicate live executor_id refused, a malformed one refused; each closed with 1008', async () => {
  await started;
  const before = Date.now();
  const first = await ScriptedExecutor.register(orch.executorUrl, EX1);
  assert.deepEqual(first.frames[0], { type: 'registration_response', success: true, message: 'registered' });
  const dup = await ScriptedExecutor.connect(orch.executorUrl, EX1);
  const answer = await dup.registerAs();
  assert.equal(answer.success, false);
  assert.match(String(answer.message), /already connected/);
  assert.equal(await dup.closed, 1008);
  const bad = await ScriptedExecutor.connect(orch.executorUrl, 'not-a-uuid');
  const refused = await bad.registerAs();
  assert.deepEqual(refused, { type: 'registration_response', success: false, message: 'register_executor: executor_id must be a UUID' });
  assert.equal(await bad.closed, 1008);
  const early = await ScriptedExecutor.connect(orch.executorUrl, EX1);
  early.send({ type: 'executor_status', executor_id: EX1, state: 'idle', execution_id: null, queue_length: 0 });
  await early.until((fs) => fs.length > 0);
  assert.equal(early.frames[0]!.success, false);
  assert.equal(await early.closed, 1008);
  const list = await (await fetch(`${orch.url}/api/executors`, { headers: { 'X-API-Key': CLIENT_KEY } })).json() as { executors: Array<Record<string, unknown>> };
  const me = list.executors.find((e) => e.executor_id === EX1)!;
  assert.equal(me.state, 'idle');
  assert.equal(me.version, '0.1.0-scripted');
  assert.equal(me.max_memory_gb, 2);
  assert.equal(me.execution_id, null);
  const seen = Date.parse(String(me.last_seen));
  assert.ok(seen >= before && seen <= Date.now(), `last seen ${String(me.last_seen)}: between its registration and now`);
  assert.match(String(me.last_seen), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const health = await (await fetch(`${orch.url}/api/health`)).json() as Record<string, unknown>;
  assert.equal(health.executors, 1);
  assert.equal(health.idle, 1);
  first.close();
});
