/**
 * Authentication guesses are bounded per address, not only slowed down: against the real executor
 * and orchestrator, 300 parallel wrong keys from one address are mostly refused with 429 (with
 * Retry-After) without their key being checked. What counts is how many were checked: the 401
 * answers and the `authentication failed` log lines, never how long anything took.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startExecutor, type ExecutorProcess } from '../../support/executor.js';
import { startOrchestrator, type OrchestratorProcess } from '../../support/orchestrator.js';
import WebSocket from 'ws';

const PARALLEL = 300;
/** The budget of one address (AUTH_LIMIT_DEFAULTS.burst), plus what refills while the test runs. */
const CHECKED_AT_MOST = 20 + 10;

const started: Array<ExecutorProcess | OrchestratorProcess> = [];
after(async () => { for (const p of started) await p.stop(); });

interface Answer { status: number; retryAfter: string | null; body: string }

/** One WebSocket upgrade that is expected to be refused: its status, Retry-After and body. */
function upgrade(url: string, key: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { 'X-API-Key': key } });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: (res.headers['retry-after'] as string | undefined) ?? null, body }));
    });
    ws.on('open', () => { ws.close(); reject(new Error('upgrade unexpectedly accepted')); });
    ws.on('error', () => { /* reported through unexpected-response */ });
  });
}

async function get(url: string, key: string): Promise<Answer> {
  const res = await fetch(url, { headers: { 'X-API-Key': key } });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() };
}

function split(answers: Answer[]): { checked: number; limited: Answer[] } {
  const other = answers.filter((a) => a.status !== 401 && a.status !== 429);
  assert.deepEqual(other, [], 'only 401 and 429');
  return { checked: answers.filter((a) => a.status === 401).length, limited: answers.filter((a) => a.status === 429) };
}

function checkLimited(limited: Answer[]): void {
  for (const a of limited) {
    assert.deepEqual(JSON.parse(a.body), { error: 'Too many authentication attempts' });
    assert.match(a.retryAfter ?? '', /^[1-9]\d*$/);
  }
}

test('executor: 300 parallel wrong keys from one address, at most the budget is checked, the rest get 429', async () => {
  // Room for every attempt to wait for its answer (delayed 401s hold their connection a while).
  const ex = await startExecutor(['--max-pending-connections', '1000']);
  started.push(ex);
  // Every tenth attempt is a plain GET of /ws/connect, which draws on the same budget.
  const answers = await Promise.all(Array.from({ length: PARALLEL }, (_, i) => (i % 10 === 9 ? get(ex.url + '/ws/connect', `guess-${i}`) : upgrade(ex.wsUrl, `guess-${i}`))));
  const { checked, limited } = split(answers);
  assert.ok(checked >= 1 && checked <= CHECKED_AT_MOST, `${checked} keys checked`);
  assert.equal(limited.length, PARALLEL - checked);
  checkLimited(limited);
  // Every checked attempt is logged; the refusals once per burst.
  const failures = ex.logs.filter((l) => l.msg === 'authentication failed');
  assert.equal(failures.length, checked);
  const refusals = ex.logs.filter((l) => l.msg === 'authentication refused: too many attempts');
  assert.ok(refusals.length >= 1 && refusals.length <= 3, `${refusals.length} refusal lines`);
  assert.equal(refusals[0]!.code, 'AQ_AUTH_RATE_LIMITED');
  assert.ok(answers.some((a, i) => i % 10 === 9 && a.status === 429));
  await ex.stop();
});

test('orchestrator: one budget per address across the client, executor and API endpoints', async () => {
  const orch = await startOrchestrator(['--max-pending-connections', '1000']);
  started.push(orch);
  const attempts = Array.from({ length: PARALLEL }, (_, i) => {
    switch (i % 4) {
      case 0: return upgrade(orch.wsUrl, `guess-${i}`);
      case 1: return upgrade(orch.executorUrl, `guess-${i}`);
      case 2: return get(`${orch.url}/api/executors`, `guess-${i}`);
      default: return get(`${orch.url}/api/executions/0b9a3c1e-8f5d-4b6a-9c2e-1d3f5a7b9c0d`, `guess-${i}`);
    }
  });
  const answers = await Promise.all(attempts);
  const { checked, limited } = split(answers);
  assert.ok(checked >= 1 && checked <= CHECKED_AT_MOST, `${checked} keys checked`);
  checkLimited(limited);
  await orch.waitForLog(() => orch.logs.filter((l) => l.msg === 'authentication failed').length === checked);
  assert.equal(orch.logs.filter((l) => l.msg === 'authentication failed').length, checked);
  // Every kind of endpoint drew on the one budget.
  for (let kind = 0; kind < 4; kind++) assert.ok(answers.some((a, i) => i % 4 === kind && a.status === 429), `endpoint kind ${kind}`);
  await orch.stop();
});
