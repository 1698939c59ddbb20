/**
 * The real orchestrator process between real WebSocket clients and SCRIPTED executor peers
 * (test/support/orchestrator.ts: they register and play canned executor messages; they run
 * nothing). Dispatch, forwarding in order, v1/v2 delivery, queue positions, cancel routing,
 * idempotent ids, the /api views of it all.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadPipelineText } from '../../../src/pipeline/load.js';
import { serializeAqueduct } from '../../../src/pipeline/serialize.js';
import type { ExecutorMessage } from '../../../src/protocol/messages.js';
import { Client } from '../../support/executor.js';
import {
  CLIENT_KEY, ScriptedExecutor, startOrchestrator, successScript, type OrchestratorProcess,
} from '../../support/orchestrator.js';

/** A pipeline as a client sends it: relative locations kept as written (as the CLI does). */
const PIPELINE = JSON.parse(serializeAqueduct(loadPipelineText(`sources:
  - { type: file, name: readings, format: { type: csv, options: {} }, location: ./data/readings.csv }
stages: [[{ name: daily, query: "SELECT * FROM readings", show: 0 }]]`, 'yaml', {}, { cwd: '/nowhere', relativeLocations: 'keep' }).pipeline)) as unknown;

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

let orch: OrchestratorProcess;
const started = startOrchestrator().then((o) => (orch = o));
after(async () => { await orch?.stop(); });

const connect = (v2 = false) => Client.connect(orch.wsUrl, { key: CLIENT_KEY, v2 });
const api = async (path: string) => (await fetch(`${orch.url}${path}`, { headers: { 'X-API-Key': CLIENT_KEY } })).json() as Promise<Record<string, unknown>>;
/** Closes a scripted executor and waits until the orchestrator has seen it go. */
async function leave(...peers: ScriptedExecutor[]): Promise<void> {
  for (const ex of peers) {
    const from = orch.logs.length;
    ex.close();
    await orch.waitForLog((l) => l.msg === 'executor disconnected' && l.executor_id === ex.executorId && orch.logs.indexOf(l) >= from);
  }
}

const kinds = (ms: ExecutorMessage[]) => ms.map((m) => (m.type === 'queue_position' ? `queue_position@${m.position}` : m.type));

test('a run is dispatched to the scripted executor as a v2 request and its messages reach the client in order', async () => {
  await started;
  const ex = await ScriptedExecutor.register(orch.executorUrl, uuid(1));
  const v2 = await connect(true);
  const id = uuid(101);
  v2.send({ type: 'execution_request', pipeline: PIPELINE, execution_id: id });
  const req = await ex.request(0);
  assert.equal(req.execution_id, id);
  assert.deepEqual(req.pipeline, PIPELINE, 'the pipeline arrives as sent: relative locations stay relative');
  assert.equal((req.pipeline as { sources: Array<{ location: string }> }).sources[0]!.location, './data/readings.csv');
  const script = successScript(id);
  ex.play(script);
  assert.deepEqual(await v2.terminal(id), { type: 'execution_succeeded', execution_id: id });
  assert.deepEqual(kinds(v2.messages), [
    'execution_response', 'progress_update', 'progress_update', 'stage_output', 'stage_output', 'stage_output', 'log',
    'progress_update', 'progress_update', 'execution_succeeded',
  ]);
  assert.deepEqual(v2.messages.slice(1), script.slice(1), 'forwarded unchanged; the executor\'s execution_response is not repeated');
  const record = await api(`/api/executions/${id}`);
  assert.equal(record.state, 'succeeded');
  assert.equal(record.executor_id, uuid(1));
  assert.deepEqual(record.outcome, { type: 'execution_succeeded', execution_id: id });
  for (const t of ['submitted_at', 'dispatched_at', 'started_at', 'finished_at']) assert.ok(!Number.isNaN(Date.parse(String(record[t]))), t);
  // a v1 client gets no v2-only messages, and its id is chosen by the orchestrator
  const v1 = await connect(false);
  v1.send({ type: 'execution_request', pipeline: PIPELINE });
  const id1 = await v1.responseId();
  const req1 = await ex.request(1);
  assert.equal(req1.execution_id, id1);
  ex.play(successScript(id1));
  await v1.terminal(id1);
  assert.ok(!v1.messages.some((m) => m.type === 'log'));
  // the same id again: its state, not a second dispatch
  v2.send({ type: 'execution_request', pipeline: PIPELINE, execution_id: id });
  await v2.until((ms) => ms.filter((m) => m.type === 'execution_succeeded').length === 2);
  assert.equal(ex.frames.filter((f) => f.type === 'execution_request').length, 2);
  v1.close(); v2.close();
  await leave(ex);
});

test('with no idle executor, clients wait in FIFO order with queue positions; each run goes to the next free executor', async () => {
  await started;
  const a = await connect();
  const b = await connect();
  a.send({ type: 'execution_request', pipeline: PIPELINE, execution_id: uuid(201) });
  await a.until((ms) => ms.some((m) => m.type === 'queue_position'));
  b.send({ type: 'execution_request', pipeline: PIPELINE, execution_id: uuid(202) });
  await b.until((ms) => ms.some((m) => m.type === 'queue_position'));
  assert.deepEqual(kinds(a.messages), ['execution_response', 'queue_position@0']);
  assert.deepEqual(kinds(b.messages), ['execution_response', 'queue_position@1']);
  assert.equal((await api('/api/health')).queue_length, 2);
  assert.equal((await api(`/api/executions/${uuid(202)}`)).queue_position, 1);
  const ex = await ScriptedExecutor.register(orch.executorUrl, uuid(2));
  assert.equal((await ex.request(0)).execution_id, uuid(201));
  await b.until((ms) => ms.some((m) => m.type === 'queue_position' && m.position === 0));
  assert.equal(ex.frames.filter((f) => f.type === 'execution_request').length, 1, 'one at a time');
  const listed = (await api('/api/executors')).executors as Array<Record<string, unknown>>;
  assert.deepEqual(listed.filter((e) => e.executor_id === uuid(2)).map((e) => [e.state, e.execution_id]), [['busy', uuid(201)]]);
  ex.play(successScript(uuid(201)));
  assert.equal((await ex.request(1)).execution_id, uuid(202));
  ex.play(successScript(uuid(202)));
  assert.equal((await b.terminal(uuid(202))).type, 'execution_succeeded');
  assert.equal((await a.terminal(uuid(201))).type, 'execution_succeeded');
  a.close(); b.close();
  await leave(ex);
});

test('cancel from any connection: a queued one is removed, a running one is routed to its executor, an unknown one is refused', async () => {
  await started;
  const ex = await ScriptedExecutor.register(orch.executorUrl, uuid(3));
  const submitter = await connect();
  const admin = await connect();
  submitter.send({ type: 'execution_request', pipeline: PIPELINE, execution_id: uuid(301) });
  submitter.send({ type: 'execution_request', pipeline: PIPELINE, execution_id: uuid(302) });
  await ex.request(0);
  ex.send({ type: 'execution_response', execution_id: uuid(301) });
  await submitter.until((ms) => ms.some((m) => m.type === 'queue_position'));
  admin.send({ type: 'cancel_request', execution_id: uuid(302) });
  assert.equal((await admin.terminal(uuid(302))).type, 'cancel_response');
  assert.equal((await submitter.terminal(uuid(302))).type, 'cancel_response');
  admin.send({ type: 'cancel_request', execution_id: uuid(301) });
  await ex.until((fs) => fs.some((f) => f.type === 'cancel_request'));
  assert.deepEqual(ex.frames.find((f) => f.type === 'cancel_request'), { type: 'cancel_request', execution_id: uuid(301) });
  ex.send({ type: 'cancel_response', execution_id: uuid(301) });
  assert.equal((await submitter.terminal(uuid(301))).type, 'cancel_response');
  assert.equal((await admin.terminal(uuid(301))).type, 'cancel_response');
  admin.send({ type: 'cancel_request', execution_id: uuid(399) });
  const unknown = await admin.terminal(uuid(399));
  assert.deepEqual(unknown, { type: 'execution_error', execution_id: uuid(399), reason: 'unknown_execution', message: `unknown execution ${uuid(399)}`, code: 'AQ_UNKNOWN_EXECUTION' });
  assert.equal(ex.frames.filter((f) => f.type === 'execution_request').length, 1, 'the cancelled queued one never reached an executor');
  assert.equal((await api(`/api/executions/${uuid(301)}`)).state, 'cancelled');
  submitter.close(); admin.close();
  await leave(ex);
});

test('a busy refusal puts the execution back in the queue; the client never sees it; another executor runs it', async () => {
  await started;
  const busy = await ScriptedExecutor.register(orch.executorUrl, uuid(4));
  const c = await connect();
  c.send({ type: 'execution_request', pipeline: PIPELINE, execution_id: uuid(401) });
  await busy.request(0);
  busy.send({ type: 'execution_error', execution_id: uuid(401), reason: 'busy', message: 'executor is busy running another execution (it queues none)' });
  await c.until((ms) => ms.some((m) => m.type === 'queue_position'));
  const free = await ScriptedExecutor.register(orch.executorUrl, uuid(5));
  assert.equal((await free.request(0)).execution_id, uuid(401));
  free.play(successScript(uuid(401)));
  assert.equal((await c.terminal(uuid(401))).type, 'execution_succeeded');
  assert.ok(!c.messages.some((m) => m.type === 'execution_error'));
  c.close();
  await leave(busy, free);
});

test('a client that disconnects cancels its running execution on the executor; the outcome is still recorded', async () => {
  await started;
  const ex = await ScriptedExecutor.register(orch.executorUrl, uuid(6));
  const c = await connect();
  c.send({ type: 'execution_request', pipeline: PIPELINE, execution_id: uuid(601) });
  await ex.request(0);
  c.close();
  await ex.until((fs) => fs.some((f) => f.type === 'cancel_request'));
  ex.send({ type: 'cancel_response', execution_id: uuid(601) });
  await orch.waitForLog((l) => l.msg === 'execution finished' && l.execution_id === uuid(601));
  assert.equal((await api(`/api/executions/${uuid(601)}`)).state, 'cancelled');
  await leave(ex);
});

test('every state transition is logged at debug, lifecycle at info', async () => {
  await started;
  await orch.waitForLog((l) => l.msg === 'execution state' && l.execution_id === uuid(101) && l.to === 'succeeded');
  const transitions = orch.logs.filter((l) => l.msg === 'execution state' && l.execution_id === uuid(101)).map((l) => `${String(l.from)}->${String(l.to)}`);
  assert.deepEqual(transitions, ['null->queued', 'queued->dispatched', 'dispatched->running', 'running->succeeded']);
  assert.ok(orch.logs.every((l) => l.msg !== 'execution state' || l.level === 20));
  assert.ok(orch.logs.some((l) => l.msg === 'executor registered' && l.level === 30 && l.executor_id === uuid(1)));
});
