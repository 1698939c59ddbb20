/**
 * The real orchestrator process when executors come and go, with short timings
 * (--liveness-timeout 4, --executor-lost-grace 4). Executors are SCRIPTED peers
 * (test/support/orchestrator.ts) that register and play canned messages; cutting a link is
 * `terminate()` (no closing handshake). Fleet tests with real executors are separate.
 *
 * Nothing here is timed: how long the grace period and the liveness window last is tested with a
 * simulated clock (test/unit/orchestrator/executors.test.ts). Here a WITNESS executor, cut or
 * silenced after the executor under test, shows that the same timer has run out for the latter
 * (test/support/ordering.ts), and a ping round trip shows that nothing more was sent to a client.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadPipelineText } from '../../../src/pipeline/load.js';
import { serializeAqueduct } from '../../../src/pipeline/serialize.js';
import { Client } from '../../support/executor.js';
import { delivered } from '../../support/ordering.js';
import { TLS } from '../../support/paths.js';
import {
  CLIENT_KEY, ScriptedExecutor, startOrchestrator, successScript, type OrchestratorProcess,
} from '../../support/orchestrator.js';

const PIPELINE = JSON.parse(serializeAqueduct(loadPipelineText('sources: []\nstages: [[{ name: daily, query: "SELECT 7 AS n", show: 0 }]]', 'yaml', {}, { cwd: '/tmp' }).pipeline)) as unknown;
const uuid = (n: number) => `00000000-0000-4000-9000-${String(n).padStart(12, '0')}`;

let orch: OrchestratorProcess;
const started = startOrchestrator(['--liveness-timeout', '4', '--executor-lost-grace', '4']).then((o) => (orch = o));
after(async () => { await orch?.stop(); });

const api = async (p: string) => (await fetch(`${orch.url}${p}`, { headers: { 'X-API-Key': CLIENT_KEY } })).json() as Promise<Record<string, unknown>>;

/** Drops the executor's TCP connection and waits until the orchestrator has noticed. */
async function cut(ex: ScriptedExecutor): Promise<void> {
  const from = orch.logs.length;
  ex.terminate();
  await orch.waitForLog((l) => l.msg === 'executor disconnected' && l.executor_id === ex.executorId && orch.logs.indexOf(l) >= from);
}

/**
 * Waits until every grace period started so far has run out: an idle witness executor cut now is
 * forgotten only after them (grace timers all have the same length and fire in order).
 */
async function graceRunOut(witnessId: string): Promise<void> {
  const witness = await ScriptedExecutor.register(orch.executorUrl, witnessId);
  await cut(witness);
  await orch.waitForLog((l) => l.msg === 'executor lost: not back within the grace period' && l.executor_id === witnessId, 60_000);
}

/**
 * Waits until the liveness window of every connection last seen before now has run out: a
 * witness that never answers pings, registered now, is terminated only after them.
 */
async function silenceRunOut(witnessId: string): Promise<void> {
  const witness = await ScriptedExecutor.register(orch.executorUrl, witnessId, 'idle', null, { autoPong: false });
  assert.equal(await witness.closed, 1006);
  await orch.waitForLog((l) => l.msg === 'executor connection silent: terminated' && l.executor_id === witnessId, 60_000);
}

const lostLines = (exId: string) => orch.logs.filter((l) => l.msg === 'executor lost: not back within the grace period' && l.executor_id === exId);
const silentLines = (exId: string) => orch.logs.filter((l) => l.msg === 'executor connection silent: terminated' && l.executor_id === exId);

test('an executor cut off mid-run that registers again (busy, same execution) within the grace period is re-attached: the client gets the rest', async () => {
  await started;
  const exId = uuid(1);
  const first = await ScriptedExecutor.register(orch.executorUrl, exId);
  const client = await Client.connect(orch.wsUrl, { key: CLIENT_KEY, v2: true });
  const id = uuid(101);
  client.send({ type: 'execution_request', pipeline: PIPELINE, execution_id: id });
  await first.request(0);
  const script = successScript(id);
  first.play(script.slice(0, 3));
  await client.until((ms) => ms.length >= 3);
  await cut(first);
  const second = await ScriptedExecutor.register(orch.executorUrl, exId, 'busy', id);
  assert.equal(second.frames.filter((f) => f.type === 'execution_request').length, 0, 'nothing is sent again');
  second.play(script.slice(3));
  assert.deepEqual(await client.terminal(id), { type: 'execution_succeeded', execution_id: id });
  assert.deepEqual(client.messages.slice(1), script.slice(1), 'every message, in order, once');
  await graceRunOut(uuid(11)); // the grace period of the first disconnect is over
  assert.deepEqual(lostLines(exId), [], 'not lost: it came back in time');
  assert.equal((await api(`/api/executions/${id}`)).state, 'succeeded');
  const listed = (await api('/api/executors')).executors as Array<Record<string, unknown>>;
  assert.equal(listed.find((e) => e.executor_id === exId)?.state, 'idle');
  await orch.waitForLog((l) => l.msg === 'execution re-attached' && l.execution_id === id);
  client.close();
  await cut(second);
});

test('an executor that registers again without its execution is sent the same request; a replayed outcome reaches the client once', async () => {
  await started;
  const exId = uuid(2);
  const first = await ScriptedExecutor.register(orch.executorUrl, exId);
  const client = await Client.connect(orch.wsUrl, { key: CLIENT_KEY });
  const id = uuid(201);
  client.send({ type: 'execution_request', pipeline: PIPELINE, execution_id: id });
  await first.request(0);
  await cut(first);
  const second = await ScriptedExecutor.register(orch.executorUrl, exId, 'idle', null);
  const again = await second.request(0);
  assert.equal(again.execution_id, id);
  assert.deepEqual(again.pipeline, PIPELINE);
  // what the real executor answers for an id it has already run: its state
  second.play([{ type: 'execution_response', execution_id: id }, { type: 'execution_succeeded', execution_id: id }, { type: 'execution_succeeded', execution_id: id }]);
  await client.terminal(id);
  await orch.waitForLog((l) => l.msg === 'late outcome ignored: the execution has already ended' && l.execution_id === id);
  await delivered(client.ws); // whatever the repeats led to has reached the client
  assert.deepEqual(client.messages.map((m) => m.type), ['execution_response', 'execution_succeeded']);
  client.close();
  await cut(second);
});

test('an executor that does not come back within the grace period: executor_lost for its execution, forgotten; a late success is logged, not applied', async () => {
  await started;
  const exId = uuid(3);
  const ex = await ScriptedExecutor.register(orch.executorUrl, exId);
  const client = await Client.connect(orch.wsUrl, { key: CLIENT_KEY });
  const id = uuid(301);
  client.send({ type: 'execution_request', pipeline: PIPELINE, execution_id: id });
  await ex.request(0);
  ex.send({ type: 'execution_response', execution_id: id });
  await cut(ex);
  const end = await client.terminal(id, 60_000);
  assert.deepEqual(end, { type: 'execution_error', execution_id: id, reason: 'executor_lost', message: `executor ${exId} was lost: it did not reconnect within 4 s`, code: 'AQ_EXECUTOR_LOST' });
  const lost = await orch.waitForLog((l) => lostLines(exId).includes(l));
  const disconnected = orch.logs.findIndex((l) => l.msg === 'executor disconnected' && l.executor_id === exId);
  assert.ok(disconnected >= 0 && disconnected < orch.logs.indexOf(lost), 'lost after its disconnect');
  const record = await api(`/api/executions/${id}`);
  assert.equal(record.state, 'executor_lost');
  assert.equal(record.executor_id, exId);
  const listed = (await api('/api/executors')).executors as Array<Record<string, unknown>>;
  assert.ok(!listed.some((e) => e.executor_id === exId), 'forgotten');
  // it comes back after all, still running it, and reports success: recorded nowhere
  const late = await ScriptedExecutor.register(orch.executorUrl, exId, 'busy', id);
  late.send({ type: 'execution_succeeded', execution_id: id });
  await orch.waitForLog((l) => l.msg === 'late outcome ignored: the execution has already ended' && l.execution_id === id);
  assert.equal((await api(`/api/executions/${id}`)).state, 'executor_lost');
  await delivered(client.ws);
  assert.equal(client.messages.filter((m) => m.type === 'execution_error' || m.type === 'execution_succeeded').length, 1);
  client.close();
  await cut(late);
});

test('a silent executor connection (no frames, no pongs) is terminated after the liveness timeout', async () => {
  await started;
  const exId = uuid(4);
  const mute = await ScriptedExecutor.register(orch.executorUrl, exId, 'idle', null, { autoPong: false });
  assert.equal(await mute.closed, 1006, 'dropped without a closing handshake');
  await orch.waitForLog((l) => l.msg === 'executor connection silent: terminated' && l.executor_id === exId);
  // an executor that answers pings stays connected however quiet it is
  const quiet = await ScriptedExecutor.register(orch.executorUrl, uuid(5));
  await silenceRunOut(uuid(12)); // the liveness window of the quiet executor's registration is over
  assert.deepEqual(silentLines(uuid(5)), []);
  assert.equal(quiet.closeCode, null);
  await cut(quiet);
});

test('SIGTERM: clients and executors are closed with 1001, exit 0; runs on executors are not cancelled', async () => {
  const o = await startOrchestrator();
  const ex = await ScriptedExecutor.register(o.executorUrl, uuid(6));
  const client = await Client.connect(o.wsUrl, { key: CLIENT_KEY });
  client.send({ type: 'execution_request', pipeline: PIPELINE, execution_id: uuid(601) });
  await ex.request(0);
  const code = await o.signal('SIGTERM');
  assert.equal(code, 0);
  assert.equal(await client.closed, 1001);
  assert.equal(await ex.closed, 1001);
  assert.ok(!ex.frames.some((f) => f.type === 'cancel_request'));
});

test('TLS: wss:// for clients and executors, https:// for the API', async () => {
  const fixtures = TLS;
  const ca = readFileSync(path.join(fixtures, 'localhost-cert.pem'), 'utf8');
  const o = await startOrchestrator(['--tls-cert', path.join(fixtures, 'localhost-cert.pem'), '--tls-key', path.join(fixtures, 'localhost-key.pem')]);
  try {
    assert.match(o.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const client = await Client.connect(o.wsUrl, { key: CLIENT_KEY, ca });
    client.send({ type: 'execution_request', pipeline: PIPELINE });
    const id = await client.responseId();
    assert.equal((await client.until((ms) => ms.some((m) => m.type === 'queue_position')))[1]!.type, 'queue_position');
    client.send({ type: 'cancel_request', execution_id: id });
    assert.equal((await client.terminal(id)).type, 'cancel_response');
    client.close();
  } finally {
    await o.stop();
  }
});
