/**
 * No frame ends a server process, and no client value reaches a log line or a reply whole: the
 * real executor, the real orchestrator (both endpoints) and a real managed executor, each sent
 * values nested 5,000 levels deep and 12 MB long while a bystander's execution runs. Binary frames
 * are refused as the protocol says (messages are text), and the connection stays open.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { API_KEY, startExecutor, type ExecutorProcess } from '../../support/executor.js';
import { CLIENT_KEY, EXECUTOR_SECRET, ScriptedExecutor, startOrchestrator, type OrchestratorProcess } from '../../support/orchestrator.js';
import { alive, deepArray, deepObject, logShape, Peer, scriptedOrchestrator, slowPipeline } from '../../support/hostile.js';

const DEEP = deepArray(5000);
const HUGE = 'a'.repeat(12_582_912);
/** Longest log line or reply message these frames may produce. */
const LINE_LIMIT = 4096;

const stops: Array<() => Promise<unknown>> = [];
after(async () => { for (const stop of stops.reverse()) await stop(); });

async function executor(args: string[] = [], env: Record<string, string> = {}): Promise<ExecutorProcess> {
  const ex = await startExecutor(args, env);
  stops.push(() => ex.stop());
  return ex;
}

async function orchestrator(): Promise<OrchestratorProcess> {
  const orch = await startOrchestrator();
  stops.push(() => orch.stop());
  return orch;
}

async function healthy(url: string): Promise<void> {
  const res = await fetch(`${url}/api/health`);
  assert.equal(res.status, 200);
}

/** The frames that used to end the process, and the 12 MB ones that became 12 MB log lines. */
const HOSTILE_CLIENT_FRAMES = [
  `{"type":"cancel_request","execution_id":${DEEP}}`,
  `{"type":${DEEP}}`,
  `{"type":${deepObject(5000)},"execution_id":${DEEP}}`,
  `{"type":"execution_request","execution_id":${DEEP},"pipeline":${DEEP}}`,
  `{"type":"execution_request","pipeline":{"sources":[{"type":${DEEP},"name":"a"}],"stages":[[{"name":"s","query":"SELECT 1","show":${DEEP}}]]}}`,
  JSON.stringify({ type: HUGE }),
  JSON.stringify({ type: 'cancel_request', execution_id: HUGE }),
  JSON.stringify({ type: 'execution_request', pipeline: { sources: [{ type: HUGE, name: 'a' }], stages: [] } }),
  JSON.stringify({ type: 'execution_request', pipeline: { sources: [], stages: [], [HUGE]: 1 } }),
  JSON.stringify({ type: 'execution_request', pipeline: { sources: [], stages: [[{ name: 's', query: 'SELECT 1', show: HUGE }]] } }),
];

/** Sends the hostile frames on a v2 connection and checks every answer is short. */
async function sendHostile(url: string, key: string): Promise<void> {
  const peer = await Peer.connect(url, { 'X-API-Key': key, 'X-Aqueducts-Protocol': '2' });
  const before = peer.frames.length;
  for (const f of HOSTILE_CLIENT_FRAMES) await peer.send(f);
  // one answer per frame (the pipeline whose only fault is a 12 MB unknown key is accepted: its warning is logged)
  const answers = (fs: Array<Record<string, unknown>>) => fs.slice(before).filter((f) => ['protocol_error', 'execution_error', 'execution_response'].includes(String(f['type'])));
  await peer.until((fs) => answers(fs).length >= HOSTILE_CLIENT_FRAMES.length, 60000);
  for (const a of answers(peer.frames)) assert.ok(String(a['message'] ?? '').length < LINE_LIMIT, String(a['message']).slice(0, 300));
  const texts = answers(peer.frames).map((a) => String(a['message']));
  assert.ok(texts.includes('cancel_request needs an execution_id (UUID), got [[[[[…]]]]] (nested deeper than 4)'), texts.join('\n'));
  assert.ok(texts.includes(`unknown message type "${'a'.repeat(64)}…" (12582912 characters) (expected execution_request or cancel_request)`), texts.join('\n'));
  assert.ok(peer.open, 'the connection stays open');
  peer.close();
}

function assertBoundedLog(stderr: string): void {
  const shape = logShape(stderr);
  assert.ok(shape.longest < LINE_LIMIT, `a log line of ${shape.longest} bytes`);
  assert.ok(shape.bytes < 1_000_000, `${shape.bytes} bytes of log`);
}

test('executor: deep and huge frames are answered briefly, the process lives on, a running execution is untouched', { timeout: 120_000 }, async () => {
  const ex = await executor();
  const bystander = await Peer.connect(ex.wsUrl, { 'X-API-Key': API_KEY, 'X-Aqueducts-Protocol': '2' });
  const id = randomUUID();
  await bystander.send(JSON.stringify({ type: 'execution_request', execution_id: id, pipeline: slowPipeline() }));
  await bystander.until((fs) => fs.some((f) => f['type'] === 'progress_update' && (f['event'] as { type: string }).type === 'stage_started'));
  await sendHostile(ex.wsUrl, API_KEY);
  assert.ok(alive(ex.proc), `the executor died: ${ex.stderr().slice(-500)}`);
  await healthy(ex.url);
  await bystander.until((fs) => fs.some((f) => f['execution_id'] === id && ['execution_succeeded', 'execution_error', 'cancel_response'].includes(String(f['type']))), 120000);
  assert.ok(bystander.frames.some((f) => f['type'] === 'execution_succeeded' && f['execution_id'] === id));
  assertBoundedLog(ex.stderr());
  bystander.close();
});

test('orchestrator: deep and huge frames on both endpoints are answered briefly, and it lives on', { timeout: 120_000 }, async () => {
  const orch = await orchestrator();
  // the client endpoint, as the executor's
  await sendHostile(orch.wsUrl, CLIENT_KEY);
  assert.ok(alive(orch.proc), `the orchestrator died: ${orch.stderr().slice(-500)}`);
  // the executor endpoint: a registration nested deep, a 12 MB version
  const reg = await Peer.connect(orch.executorUrl, { 'X-API-Key': EXECUTOR_SECRET, 'X-Aqueducts-Protocol': '2' });
  await reg.send(`{"type":"register_executor","executor_id":${DEEP},"version":${DEEP}}`);
  assert.ok([1008].includes(await reg.closed));
  assert.ok(String(reg.frames[0]?.['message']).length < 200);
  const big = await Peer.connect(orch.executorUrl, { 'X-API-Key': EXECUTOR_SECRET, 'X-Aqueducts-Protocol': '2' });
  await big.send(JSON.stringify({ type: 'register_executor', executor_id: randomUUID(), version: HUGE }));
  assert.equal(await big.closed, 1008);
  // a registered executor whose messages carry deep and huge values, about an execution it runs
  const scripted = await ScriptedExecutor.register(orch.executorUrl, randomUUID());
  const client = await Peer.connect(orch.wsUrl, { 'X-API-Key': CLIENT_KEY, 'X-Aqueducts-Protocol': '2' });
  const id = randomUUID();
  await client.send(JSON.stringify({ type: 'execution_request', execution_id: id, pipeline: { sources: [], stages: [[{ name: 's', query: 'SELECT 1' }]] } }));
  await scripted.request(0);
  scripted.send({ type: 'execution_response', execution_id: id });
  scripted.send(`{"type":"progress_update","execution_id":"${id}","progress":0,"event":{"type":"started","extra":${DEEP}}}`);
  scripted.send(`{"type":${DEEP}}`);
  scripted.send(JSON.stringify({ type: HUGE }));
  scripted.send(JSON.stringify({ type: 'protocol_error', message: HUGE }));
  scripted.send(JSON.stringify({ type: 'execution_error', execution_id: id, message: HUGE, reason: 'stage' }));
  await client.until((fs) => fs.some((f) => f['type'] === 'execution_error' && f['execution_id'] === id));
  await scripted.until((fs) => fs.filter((f) => f.type === 'protocol_error').length >= 2);
  const refusals = scripted.frames.filter((f) => f.type === 'protocol_error').map((f) => String(f['message']));
  assert.deepEqual(refusals, Array(2).fill('arrays and objects nested deeper than 32 levels, or too many of them'));
  // the deep progress_update was refused, not forwarded; the outcome was forwarded whole
  assert.ok(!client.frames.some((f) => f['type'] === 'progress_update'));
  assert.equal(String(client.frames.find((f) => f['type'] === 'execution_error')!['message']).length, HUGE.length);
  assert.ok(alive(orch.proc), `the orchestrator died: ${orch.stderr().slice(-500)}`);
  await healthy(orch.url);
  assertBoundedLog(orch.stderr());
  for (const p of [client, reg, big]) p.close();
  scripted.close();
});

test('managed executor: deep and huge frames from its orchestrator are answered briefly, and it lives on', { timeout: 120_000 }, async () => {
  const secret = 'managed-hostile-secret';
  const orch = await scriptedOrchestrator(secret);
  stops.push(() => orch.close());
  const ex = await executor(['--mode', 'managed', '--orchestrator-url', orch.url, '--api-key', secret]);
  await orch.registered();
  await orch.send('null');
  await orch.send('"just a string"');
  for (const f of HOSTILE_CLIENT_FRAMES) await orch.send(f);
  // every execution_request and cancel_request among them is answered; the other frames are logged
  await orch.until((fs) => fs.filter((f) => f['type'] === 'execution_error').length >= 6, 60000);
  assert.equal(orch.frames.filter((f) => f['type'] === 'register_executor').length, 1, 'the link was never dropped');
  await orch.until((fs) => fs.some((f) => f['type'] === 'execution_succeeded'), 60000); // the one valid request
  for (const f of orch.frames) assert.ok(JSON.stringify(f).length < LINE_LIMIT);
  // still linked, still working
  const id = randomUUID();
  await orch.send(JSON.stringify({ type: 'execution_request', execution_id: id, pipeline: { version: 'v2', sources: [], stages: [[{ name: 's', query: 'SELECT 1 AS one' }]] } }));
  await orch.until((fs) => fs.some((f) => f['type'] === 'execution_succeeded' && f['execution_id'] === id));
  assert.ok(alive(ex.proc), `the executor died: ${ex.stderr().slice(-500)}`);
  await healthy(ex.url);
  assertBoundedLog(ex.stderr());
});

test('binary frames are refused everywhere: protocol_error to v2 peers, dropped for v1, never run; the connection stays open', { timeout: 120_000 }, async () => {
  const ex = await executor();
  const orch = await orchestrator();
  const request = (id: string) => JSON.stringify({ type: 'execution_request', execution_id: id, pipeline: { version: 'v2', sources: [], stages: [[{ name: 's', query: 'SELECT 1 AS one' }]] } });
  for (const [url, key] of [[ex.wsUrl, API_KEY], [orch.wsUrl, CLIENT_KEY]] as const) {
    const v2 = await Peer.connect(url, { 'X-API-Key': key, 'X-Aqueducts-Protocol': '2' });
    const v1 = await Peer.connect(url, { 'X-API-Key': key });
    const [id2, id1] = [randomUUID(), randomUUID()];
    await v2.send(Buffer.from(request(id2)), true);
    await v1.send(Buffer.from(request(id1)), true);
    await v2.until((fs) => fs.some((f) => f['type'] === 'protocol_error'));
    assert.deepEqual(v2.frames.find((f) => f['type'] === 'protocol_error'), { type: 'protocol_error', message: 'messages are text frames' });
    // both connections are open and answer the next text frame; nothing was run or queued
    const probe = randomUUID();
    for (const p of [v1, v2]) {
      await p.send(JSON.stringify({ type: 'cancel_request', execution_id: probe }));
      await p.until((fs) => fs.some((f) => f['type'] === 'execution_error' && f['reason'] === 'unknown_execution'));
      assert.ok(!p.frames.some((f) => f['type'] === 'execution_response'), JSON.stringify(p.frames));
    }
    assert.ok(!v1.frames.some((f) => f['type'] === 'protocol_error'));
    v1.close();
    v2.close();
  }
  // the orchestrator's executor endpoint
  const scripted = await ScriptedExecutor.register(orch.executorUrl, randomUUID());
  scripted.ws.send(Buffer.from(JSON.stringify({ type: 'executor_status', executor_id: scripted.executorId, state: 'draining', execution_id: null, queue_length: 0 })), { binary: true });
  await scripted.until((fs) => fs.some((f) => f.type === 'protocol_error'));
  assert.deepEqual(scripted.frames.find((f) => f.type === 'protocol_error'), { type: 'protocol_error', message: 'messages are text frames' });
  assert.equal(scripted.closeCode, null);
  scripted.close();
  // a managed executor's link
  const secret = 'managed-binary-secret';
  const fake = await scriptedOrchestrator(secret);
  stops.push(() => fake.close());
  const managed = await executor(['--mode', 'managed', '--orchestrator-url', fake.url, '--api-key', secret]);
  await fake.registered();
  const id = randomUUID();
  await fake.send(Buffer.from(request(id)), true);
  await fake.until((fs) => fs.some((f) => f['type'] === 'protocol_error'));
  assert.deepEqual(fake.frames.find((f) => f['type'] === 'protocol_error'), { type: 'protocol_error', message: 'messages are text frames' });
  const next = randomUUID();
  await fake.send(request(next));
  await fake.until((fs) => fs.some((f) => f['type'] === 'execution_succeeded' && f['execution_id'] === next));
  assert.ok(!fake.frames.some((f) => f['execution_id'] === id), 'the binary request was not run');
  for (const p of [ex, orch, managed]) assert.ok(alive(p.proc));
});
