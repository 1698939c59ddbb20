/**
 * The real executor in managed mode against a SCRIPTED orchestrator (a WebSocket server in this
 * test that plays the orchestrator's side of docs/protocol.md), reached through a TCP proxy the test
 * can cut. Fleet tests with the real orchestrator are in test/integration/fleet.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { loadPipelineText } from '../../src/pipeline/load.js';
import { serializeAqueduct } from '../../src/pipeline/serialize.js';
import { startExecutor, waitForLog } from '../support/executor.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { startPostgres, type PgServer } from '../support/postgres.js';
import { closedGate, ENDLESS_STAGE, type RunGate } from '../support/run-gate.js';

const SECRET = 'fleet-secret-42';

interface Session { ws: WebSocket; frames: Array<Record<string, unknown>>; req: IncomingMessage }

/** A scripted orchestrator: accepts registrations (or refuses them) and records every frame. */
async function scriptedOrchestrator(opts: { refuse?: boolean } = {}) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  const sessions: Session[] = [];
  const attempts: number[] = [];
  let waiters: Array<() => void> = [];
  const wake = () => { for (const w of waiters.splice(0)) w(); };
  wss.on('connection', (ws, req) => {
    attempts.push(Date.now());
    const s: Session = { ws, frames: [], req };
    sessions.push(s);
    ws.on('message', (d) => {
      const f = JSON.parse(String(d)) as Record<string, unknown>;
      s.frames.push(f);
      if (f.type === 'register_executor') {
        const ok = req.headers['x-api-key'] === SECRET && !opts.refuse;
        ws.send(JSON.stringify({ type: 'registration_response', success: ok, message: ok ? 'welcome' : 'invalid executor secret' }));
      }
      wake();
    });
    wake();
  });
  const port = (wss.address() as { port: number }).port;
  return {
    port,
    sessions,
    attempts,
    /** Waits until `predicate` holds over all frames of all sessions. */
    async until(predicate: (frames: Array<Record<string, unknown>>) => boolean, timeoutMs = 30000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(sessions.flatMap((s) => s.frames))) {
        if (Date.now() > deadline) throw new Error(`timed out; frames: ${JSON.stringify(sessions.flatMap((s) => s.frames.map((f) => f.type)))}`);
        await new Promise<void>((r) => { const t = setTimeout(r, 200); waiters.push(() => { clearTimeout(t); r(); }); });
      }
    },
    frames: () => sessions.flatMap((s) => s.frames),
    close: async () => { for (const c of wss.clients) c.terminate(); await new Promise<void>((r) => wss.close(() => r())); },
  };
}

function wire(yaml: string): unknown {
  return JSON.parse(serializeAqueduct(loadPipelineText(yaml, 'yaml', {}, { cwd: '/tmp' }).pipeline));
}

let pg: PgServer;
before(async () => { pg = await startPostgres(); });
after(async () => { await pg?.stop(); });

/** A run that only ends by being cancelled. */
const ENDLESS = { sources: [], stages: [[ENDLESS_STAGE]] };

/** A run of two stages that waits at `gate` (test/support/run-gate.ts) until the test opens it. */
const gated = (gate: RunGate) => ({ sources: [gate.source], stages: [
  [{ name: 'a', query: 'SELECT opened AS c FROM gate', show: 1 }],
  [{ name: 'b', query: 'SELECT c * 2 AS d FROM a', show: 1 }],
] });

const outcome = (fs: Array<Record<string, unknown>>, id: string) => fs.some((f) => f.execution_id === id && ['execution_succeeded', 'execution_error', 'cancel_response'].includes(String(f.type)));

test('managed: registers with the secret and protocol 2, runs what it is sent, serves only health', async () => {
  const orch = await scriptedOrchestrator();
  const ex = await startExecutor(['--mode', 'managed', '--orchestrator-url', `ws://127.0.0.1:${orch.port}/ws/executor/register`, '--api-key', SECRET]);
  try {
    await orch.until((fs) => fs.some((f) => f.type === 'register_executor'));
    const s = orch.sessions[0]!;
    assert.equal(s.req.headers['x-aqueducts-protocol'], '2');
    assert.equal(s.req.url, '/ws/executor/register');
    const reg = s.frames[0]!;
    assert.deepEqual(Object.keys(reg).sort(), ['execution_id', 'executor_id', 'max_memory_gb', 'state', 'type', 'version']);
    assert.deepEqual([reg.state, reg.execution_id, reg.max_memory_gb], ['idle', null, null]);
    const id = '5e1d2c3b-4a59-4687-9abc-def012345678';
    s.ws.send(JSON.stringify({ type: 'execution_request', execution_id: id, pipeline: wire('sources: []\nstages: [[{ name: s, query: "SELECT 1 AS one", show: 1 }]]') }));
    await orch.until((fs) => fs.some((f) => f.type === 'execution_succeeded' && f.execution_id === id));
    const types = s.frames.filter((f) => f.execution_id === id).map((f) => f.type);
    assert.equal(types[0], 'execution_response');
    assert.ok(types.includes('stage_output') && types.includes('progress_update'));
    assert.ok(s.frames.some((f) => f.type === 'executor_status' && f.state === 'busy' && f.execution_id === id));
    // a second request while busy is refused with reason busy (queue size 0 in managed mode)
    s.ws.send(JSON.stringify({ type: 'execution_request', execution_id: '6e1d2c3b-4a59-4687-9abc-def012345678', pipeline: ENDLESS }));
    s.ws.send(JSON.stringify({ type: 'execution_request', execution_id: '7e1d2c3b-4a59-4687-9abc-def012345678', pipeline: ENDLESS }));
    await orch.until((fs) => fs.some((f) => f.type === 'execution_error' && f.execution_id === '7e1d2c3b-4a59-4687-9abc-def012345678'));
    assert.equal(orch.frames().find((f) => f.execution_id === '7e1d2c3b-4a59-4687-9abc-def012345678')!.reason, 'busy');
    // only health is served
    assert.equal((await fetch(`${ex.url}/api/health`)).status, 200);
    const health = await (await fetch(`${ex.url}/api/health`)).json() as { mode: string };
    assert.equal(health.mode, 'managed');
    assert.equal((await fetch(`${ex.url}/ws/connect`, { headers: { 'X-API-Key': SECRET } })).status, 404);
  } finally {
    await ex.stop();
    await orch.close();
  }
});

test('managed: the link cut mid-run does not cancel the run; it re-registers busy and delivers the rest', async () => {
  const orch = await scriptedOrchestrator();
  const proxy = await startTcpProxy(orch.port);
  const ex = await startExecutor(['--mode', 'managed', '--orchestrator-url', `ws://127.0.0.1:${proxy.port}/ws/executor/register`, '--api-key', SECRET]);
  try {
    await orch.until((fs) => fs.some((f) => f.type === 'register_executor'));
    const id = '8e1d2c3b-4a59-4687-9abc-def012345678';
    const gate = await closedGate(pg);
    orch.sessions[0]!.ws.send(JSON.stringify({ type: 'execution_request', execution_id: id, pipeline: gated(gate) }));
    await gate.waitUntilBlocked();
    proxy.cut();
    // restore once the executor has seen the link go down (not after some time)
    const backoff = await waitForLog(ex, (l) => l.msg === 'orchestrator link down; reconnecting after backoff', 60000);
    proxy.restore();
    await orch.until((fs) => fs.filter((f) => f.type === 'register_executor').length === 2, 40000);
    const again = orch.sessions.at(-1)!.frames[0]!;
    assert.deepEqual([again.type, again.state, again.execution_id], ['register_executor', 'busy', id]);
    assert.ok(!outcome(orch.frames(), id), 'the run is still waiting at the gate');
    await gate.open();
    await orch.until((fs) => fs.some((f) => f.type === 'execution_succeeded' && f.execution_id === id), 60000);
    // no cancellation happened, and the first retry after a cut was scheduled within the backoff's first bound (0.5 s)
    assert.ok(!orch.frames().some((f) => f.type === 'cancel_response'));
    assert.ok(Number(backoff.delay_ms) >= 0 && Number(backoff.delay_ms) < 500, String(backoff.delay_ms));
    // the stage outputs of the run all reached the orchestrator, in order, across both sessions
    const outputs = orch.frames().filter((f) => f.type === 'stage_output' && f.execution_id === id).map((f) => `${f.stage_name}:${(f.payload as { type: string }).type}`);
    assert.deepEqual(outputs, ['a:output_start', 'a:output_chunk', 'a:output_end', 'b:output_start', 'b:output_chunk', 'b:output_end']);
  } finally {
    await ex.stop();
    await proxy.close();
    await orch.close();
  }
});

test('managed: a refused secret is retried at the capped delay', async () => {
  const orch = await scriptedOrchestrator({ refuse: true });
  const ex = await startExecutor(['--mode', 'managed', '--orchestrator-url', `ws://127.0.0.1:${orch.port}/ws/executor/register`, '--api-key', 'wrong']);
  try {
    const line = await waitForLog(ex, (l) => l.msg === 'orchestrator link down; reconnecting after backoff');
    assert.equal(line.delay_ms, 30000);
    assert.match(String(line.reason), /invalid executor secret/);
    // the retry is scheduled 30 s later (the delay's schedule itself is tested with simulated time
    // in test/unit/machines); one attempt so far
    assert.equal(orch.attempts.length, 1, 'no retry before the capped delay');
    assert.doesNotMatch(ex.stderr(), /wrong/);
  } finally {
    await ex.stop();
    await orch.close();
  }
});

test('managed: SIGTERM mid-run sends draining, finishes the run, closes with 1001 and exits 0', async () => {
  const orch = await scriptedOrchestrator();
  const ex = await startExecutor(['--mode', 'managed', '--orchestrator-url', `ws://127.0.0.1:${orch.port}/ws/executor/register`, '--api-key', SECRET]);
  try {
    await orch.until((fs) => fs.some((f) => f.type === 'register_executor'));
    const s = orch.sessions[0]!;
    const closed = new Promise<number>((resolve) => s.ws.on('close', (code) => resolve(code)));
    const id = '9e1d2c3b-4a59-4687-9abc-def012345678';
    const gate = await closedGate(pg);
    s.ws.send(JSON.stringify({ type: 'execution_request', execution_id: id, pipeline: gated(gate) }));
    await gate.waitUntilBlocked();
    ex.proc.kill('SIGTERM');
    await orch.until((fs) => fs.some((f) => f.type === 'executor_status' && f.state === 'draining'));
    assert.ok(!outcome(orch.frames(), id), 'the run is still waiting at the gate while the executor drains');
    await gate.open();
    await orch.until((fs) => fs.some((f) => f.type === 'execution_succeeded' && f.execution_id === id), 60000);
    assert.equal(await closed, 1001);
    assert.equal(await ex.exited, 0);
  } finally {
    await ex.stop();
    await orch.close();
  }
});

test('managed: pings keep reaching the orchestrator while a CPU-heavy stage runs', { timeout: 120_000 }, async () => {
  // Only that they arrive while the stage runs: their cadence is tested with a simulated clock
  // (test/unit/machines/orchestrator-connection.machine.test.ts).
  const orch = await scriptedOrchestrator();
  const ex = await startExecutor(['--mode', 'managed', '--orchestrator-url', `ws://127.0.0.1:${orch.port}/ws/executor/register`, '--api-key', SECRET]);
  try {
    await orch.until((fs) => fs.some((f) => f.type === 'register_executor'));
    const s = orch.sessions[0]!;
    const id = 'ae1d2c3b-4a59-4687-9abc-def012345678';
    s.ws.send(JSON.stringify({ type: 'execution_request', execution_id: id, pipeline: wire(`sources: []
stages: [[{ name: heavy, query: "SELECT count(*) FROM range(100000000000) t(x) WHERE md5(x::VARCHAR) LIKE 'fffff%'" }]]`) }));
    await orch.until((fs) => fs.some((f) => f.type === 'progress_update' && (f.event as { type: string }).type === 'stage_started'));
    // two pings after the stage started: at least one whole ping interval passed inside the stage
    // (the wait is bounded so that the executor is stopped below even when no ping comes)
    await new Promise<void>((resolve, reject) => {
      let pings = 0;
      const giveUp = setTimeout(() => reject(new Error(`${pings} ping(s) in 60 s of the stage`)), 60_000);
      s.ws.on('ping', () => { if (++pings === 2) { clearTimeout(giveUp); resolve(); } });
    });
    const outcomes = orch.frames().filter((f) => f.execution_id === id && ['execution_succeeded', 'execution_error'].includes(String(f.type)));
    assert.deepEqual(outcomes, [], 'the stage is still running');
    assert.equal(orch.sessions.length, 1, 'the link stayed up');
  } finally {
    await ex.stop();
    await orch.close();
  }
});
