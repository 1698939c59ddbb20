/**
 * A managed fleet of REAL processes on loopback: the real orchestrator, real executors in managed
 * mode, real CLI clients. Faults are real too: a TCP proxy cut, SIGKILL, an orchestrator restart.
 * A fault meant to land mid-run lands while the run waits at a gate the test opens afterwards, or
 * on a run that only ends by being cancelled (test/support/run-gate.ts), whatever the machine's speed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadPipelineText } from '../../../src/pipeline/load.js';
import { serializeAqueduct } from '../../../src/pipeline/serialize.js';
import { tempDir } from '../../support/engine.js';
import { CLI_BIN, Client, startExecutor, waitForLog, type ExecutorProcess } from '../../support/executor.js';
import { CLIENT_KEY, EXECUTOR_SECRET, startOrchestrator, type OrchestratorProcess } from '../../support/orchestrator.js';
import { startTcpProxy } from '../../support/tcp-proxy.js';
import { freePort, startPostgres, type PgServer } from '../../support/postgres.js';
import { closedGate, ENDLESS_STAGE } from '../../support/run-gate.js';

function wire(yaml: string): unknown {
  return JSON.parse(serializeAqueduct(loadPipelineText(yaml, 'yaml', {}, { cwd: '/tmp' }).pipeline));
}

/** A run of a few seconds. */
const WORK = (rows: number) => `sources: []
stages: [[{ name: work, query: "SELECT count(*) AS c FROM range(${rows}) t(x) WHERE md5(x::VARCHAR) LIKE 'ff%'", show: 1 }]]
`;

let pg: PgServer;
before(async () => { pg = await startPostgres(); });
after(async () => { await pg?.stop(); });

/** Whether the execution has ended, as far as the client has heard. */
const ended = (c: Client, id: string) => c.about(id).some((m) => ['execution_succeeded', 'execution_error', 'cancel_response'].includes(m.type));

function managed(orchestratorUrl: string, extra: string[] = [], secret = EXECUTOR_SECRET): Promise<ExecutorProcess> {
  return startExecutor(['--mode', 'managed', '--orchestrator-url', orchestratorUrl, ...extra], { API_KEY: secret });
}

async function executors(orch: OrchestratorProcess): Promise<Array<{ executor_id: string; state: string; execution_id: string | null }>> {
  const res = await fetch(`${orch.url}/api/executors`, { headers: { 'X-API-Key': CLIENT_KEY } });
  return ((await res.json()) as { executors: Array<{ executor_id: string; state: string; execution_id: string | null }> }).executors;
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 30000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function cli(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, AQUEDUCTS_API_KEY: CLIENT_KEY } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('three executors, more runs than executors from CLI clients: all complete, none twice, never two at once on one executor', { timeout: 240_000 }, async () => {
  const orch = await startOrchestrator();
  const fleet = await Promise.all([0, 1, 2].map(() => managed(orch.executorUrl)));
  try {
    await until(async () => (await executors(orch)).length === 3, 30000, 'three registered executors');
    const dir = await tempDir();
    await writeFile(path.join(dir, 'work.yml'), WORK(8_000_000));
    const runs = await Promise.all(Array.from({ length: 7 }, () => cli(['run', '--executor', orch.wsUrl, '--file', 'work.yml'], dir)));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const ids = runs.map((r) => /Execution id: ([0-9a-f-]{36})/.exec(r.stderr)?.[1]);
    assert.equal(new Set(ids).size, 7);
    for (const ex of fleet) await waitForLog(ex, () => true);
    // every execution ran exactly once, on exactly one executor
    await until(() => ids.every((id) => fleet.some((ex) => ex.logs.some((l) => l.msg === 'execution succeeded' && l.execution_id === id))), 10000, 'executor logs');
    for (const id of ids) {
      const starts = fleet.flatMap((ex) => ex.logs.filter((l) => l.msg === 'execution started' && l.execution_id === id));
      assert.equal(starts.length, 1, `execution ${id} started ${starts.length} times`);
    }
    // on each executor, runs never overlap: started/finished strictly alternate
    let used = 0;
    for (const ex of fleet) {
      const seq = ex.logs.filter((l) => l.msg === 'execution started' || String(l.msg).startsWith('execution succeeded')).map((l) => l.msg);
      seq.forEach((m, i) => assert.equal(m, i % 2 === 0 ? 'execution started' : 'execution succeeded'));
      if (seq.length) used++;
    }
    assert.ok(used >= 2, 'the work was spread over the fleet');
  } finally {
    await Promise.all(fleet.map((e) => e.stop()));
    await orch.stop();
  }
});

test('the executor link cut mid-run and restored: the run goes on and the waiting client gets the rest and the outcome', { timeout: 120_000 }, async () => {
  const orch = await startOrchestrator();
  const proxy = await startTcpProxy(Number(new URL(orch.url).port));
  const ex = await managed(orch.executorUrl.replace(/:\d+\//, `:${proxy.port}/`));
  try {
    await until(async () => (await executors(orch)).length === 1, 30000, 'registration');
    const c = await Client.connect(orch.wsUrl, { key: CLIENT_KEY, v2: true });
    const gate = await closedGate(pg);
    c.send({ type: 'execution_request', pipeline: { sources: [gate.source], stages: [
      [{ name: 'a', query: 'SELECT opened AS c FROM gate', show: 1 }],
      [{ name: 'b', query: 'SELECT c + 1 AS d FROM a', show: 1 }],
    ] } });
    const id = await c.responseId();
    await gate.waitUntilBlocked();
    proxy.cut();
    assert.ok(!ended(c, id), 'the run is under way when the link is cut');
    // the run goes on while the link is down, and ends before it is restored
    await gate.open();
    await waitForLog(ex, (l) => l.msg === 'execution succeeded' && l.execution_id === id, 60000);
    assert.ok(!ended(c, id), 'the outcome could not cross the cut link');
    proxy.restore();
    assert.equal((await c.terminal(id, 90000)).type, 'execution_succeeded');
    assert.ok(!c.messages.some((m) => m.type === 'cancel_response' || (m.type === 'execution_error')));
    // the client saw the later stage's output and the last progress events, delivered after the reconnection
    assert.ok(c.about(id).some((m) => m.type === 'stage_output' && m.stage_name === 'b'));
    assert.ok(c.about(id).some((m) => m.type === 'progress_update' && m.event.type === 'completed'));
    await until(() => ex.logs.filter((l) => l.msg === 'registered with the orchestrator').length >= 2, 10000, 'the re-registration log line');
    const first = await waitForLog(ex, (l) => l.msg === 'orchestrator link down; reconnecting after backoff');
    assert.ok(Number(first.delay_ms) < 500, `first backoff ${first.delay_ms} ms (bound: 0.5 s)`);
    c.close();
  } finally {
    await ex.stop();
    await proxy.close();
    await orch.stop();
  }
});

test('an executor killed with SIGKILL mid-run: its execution ends with executor_lost and the fleet keeps serving', { timeout: 120_000 }, async () => {
  const orch = await startOrchestrator(['--executor-lost-grace', '2']);
  const a = await managed(orch.executorUrl);
  try {
    await until(async () => (await executors(orch)).length === 1, 30000, 'registration');
    const c = await Client.connect(orch.wsUrl, { key: CLIENT_KEY });
    c.send({ type: 'execution_request', pipeline: { sources: [], stages: [[ENDLESS_STAGE]] } });
    const id = await c.responseId();
    await c.until((ms) => ms.some((m) => m.type === 'progress_update' && m.event.type === 'stage_started'));
    a.proc.kill('SIGKILL');
    const end = await c.terminal(id, 60000);
    assert.equal(end.type, 'execution_error');
    assert.equal(end.type === 'execution_error' && end.reason, 'executor_lost');
    // another executor joins and the fleet serves the next run
    const b = await managed(orch.executorUrl);
    try {
      c.send({ type: 'execution_request', pipeline: wire(WORK(1_000_000)) });
      const next = await c.responseId(1);
      assert.equal((await c.terminal(next, 60000)).type, 'execution_succeeded');
      const res = await fetch(`${orch.url}/api/executions/${id}`, { headers: { 'X-API-Key': CLIENT_KEY } });
      assert.equal(((await res.json()) as { state: string }).state, 'executor_lost');
    } finally {
      await b.stop();
    }
    c.close();
  } finally {
    await a.stop();
    await orch.stop();
  }
});

test('the orchestrator restarted: all twenty executors come back, spread out; an outcome reached while it was away is recorded', { timeout: 240_000 }, async () => {
  const port = await freePort();
  const bind = ['--bind-address', `127.0.0.1:${port}`];
  let orch = await startOrchestrator(bind);
  const fleet: ExecutorProcess[] = [];
  try {
    for (let i = 0; i < 20; i++) fleet.push(await managed(orch.executorUrl));
    await until(async () => (await executors(orch)).length === 20, 60000, 'twenty registrations');
    const c = await Client.connect(orch.wsUrl, { key: CLIENT_KEY });
    const gate = await closedGate(pg);
    c.send({ type: 'execution_request', pipeline: { sources: [gate.source], stages: [[{ name: 'g', query: 'SELECT opened FROM gate', show: 1 }]] } });
    const id = await c.responseId();
    await gate.waitUntilBlocked();
    await orch.stop(); // SIGKILL: the orchestrator vanishes while the run waits at the gate
    await until(() => fleet.some((ex) => ex.logs.some((l) => l.msg === 'execution started' && l.execution_id === id)), 10000, 'the runner\'s log line');
    const runner = fleet.find((ex) => ex.logs.some((l) => l.msg === 'execution started' && l.execution_id === id))!;
    assert.ok(!runner.logs.some((l) => l.execution_id === id && String(l.msg).startsWith('execution succeeded')), 'the run had not ended when the orchestrator went away');
    await gate.open();
    await waitForLog(runner, (l) => l.msg === 'execution succeeded' && l.execution_id === id, 120000);
    const restartAt = Date.now();
    orch = await startOrchestrator(bind);
    await until(async () => (await executors(orch)).length === 20, 90000, 'twenty re-registrations');
    // the outcome reached while the orchestrator was away was reported to the new one
    await until(async () => {
      const res = await fetch(`${orch.url}/api/executions/${id}`, { headers: { 'X-API-Key': CLIENT_KEY } });
      return res.status === 200 && ((await res.json()) as { state: string }).state === 'succeeded';
    }, 30000, 'the adopted outcome');
    // reconnections were spread out (full jitter), not a thundering herd. The orchestrator counts an
    // executor as soon as it acknowledges it; the executor's own log line may be read a moment later.
    const reRegisteredAt = (ex: ExecutorProcess) =>
      ex.logs.filter((l) => l.msg === 'registered with the orchestrator' && Number(l.time) >= restartAt).map((l) => Number(l.time));
    await until(() => fleet.every((ex) => reRegisteredAt(ex).length > 0), 30000, 'every executor logging its re-registration');
    const times = fleet.map((ex) => Math.min(...reRegisteredAt(ex)));
    const spread = Math.max(...times) - Math.min(...times);
    assert.ok(spread > 100, `re-registrations spread over ${spread} ms`);
    // and every backoff stayed within its bounds
    for (const ex of fleet) {
      for (const l of ex.logs.filter((x) => x.msg === 'orchestrator link down; reconnecting after backoff')) {
        assert.ok(Number(l.delay_ms) >= 0 && Number(l.delay_ms) < Math.min(30000, 500 * 2 ** (Number(l.attempt) - 1)) + 1, JSON.stringify(l));
      }
    }
    c.close();
  } finally {
    await Promise.all(fleet.map((e) => e.stop()));
    await orch.stop();
  }
});

test('SIGTERM drains a managed executor mid-run without losing the run', { timeout: 120_000 }, async () => {
  const orch = await startOrchestrator();
  const ex = await managed(orch.executorUrl);
  try {
    await until(async () => (await executors(orch)).length === 1, 30000, 'registration');
    const c = await Client.connect(orch.wsUrl, { key: CLIENT_KEY });
    const gate = await closedGate(pg);
    c.send({ type: 'execution_request', pipeline: { sources: [gate.source], stages: [[{ name: 'g', query: 'SELECT opened FROM gate', show: 1 }]] } });
    const id = await c.responseId();
    await gate.waitUntilBlocked();
    ex.proc.kill('SIGTERM');
    await waitForLog(ex, (l) => l.msg === 'draining');
    assert.ok(!ended(c, id), 'the run is under way while the executor drains');
    await gate.open();
    assert.equal((await c.terminal(id, 90000)).type, 'execution_succeeded');
    assert.equal(await ex.exited, 0);
    c.close();
  } finally {
    await ex.stop();
    await orch.stop();
  }
});

test('a wrong executor secret is refused by the orchestrator and retried at the capped delay', { timeout: 60_000 }, async () => {
  const orch = await startOrchestrator();
  const ex = await managed(orch.executorUrl, [], 'not-the-secret');
  try {
    const line = await waitForLog(ex, (l) => l.msg === 'orchestrator link down; reconnecting after backoff', 20000);
    assert.equal(line.delay_ms, 30000);
    assert.equal((await executors(orch)).length, 0);
    assert.doesNotMatch(ex.stderr() + orch.stderr(), /not-the-secret/);
  } finally {
    await ex.stop();
    await orch.stop();
  }
});
