/**
 * The orchestrator's keys and a managed executor's secret through the real processes, both
 * logging at `trace`: registration over a URL that carries a password, a run, refused keys that
 * contain the right ones, and an orderly shutdown. No reply, API answer or log line carries them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, refusedUpgrade, startExecutor } from '../../support/executor.js';
import { CLIENT_KEY, EXECUTOR_SECRET, startOrchestrator } from '../../support/orchestrator.js';

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('the client key, the executor secret and a password in the orchestrator URL appear in no reply and no log line at trace', { timeout: 120_000 }, async () => {
  const urlPassword = 'Url-Userinfo-Pw-6604';
  const orch = await startOrchestrator([], { RUST_LOG: 'trace' });
  // user info in the URL: the WebSocket client sends it as Basic credentials, the orchestrator ignores them
  const url = orch.executorUrl.replace('ws://', `ws://link-user:${urlPassword}@`);
  const ex = await startExecutor(['--mode', 'managed', '--orchestrator-url', url], { API_KEY: EXECUTOR_SECRET, RUST_LOG: 'trace' });
  const answers: string[] = [];
  const executors = async () => {
    const body = await (await fetch(`${orch.url}/api/executors`, { headers: { 'X-API-Key': CLIENT_KEY } })).text();
    answers.push(body);
    return (JSON.parse(body) as { executors: unknown[] }).executors;
  };
  try {
    await until(async () => (await executors()).length === 1, 'registration');
    // the orchestrator lists the executor before the executor has read its acknowledgement: wait for its line
    await until(async () => ex.logs.some((l) => l.msg === 'registered with the orchestrator'), 'the registration line, which names the URL');
    const c = await Client.connect(orch.wsUrl, { key: CLIENT_KEY, v2: true });
    c.send({ type: 'execution_request', pipeline: { sources: [], stages: [[{ name: 's', query: 'SELECT 1 AS one', show: 1 }]] } });
    assert.equal((await c.terminal(await c.responseId())).type, 'execution_succeeded');
    // refused keys that contain the right ones: logging the attempted key would show them
    assert.equal((await refusedUpgrade(orch.wsUrl, { 'X-API-Key': `${CLIENT_KEY}x` })).status, 401);
    assert.equal((await refusedUpgrade(orch.executorUrl, { 'X-API-Key': `x${EXECUTOR_SECRET}` })).status, 401);
    answers.push(await (await fetch(`${orch.url}/api/health`)).text());
    c.close();
    ex.proc.kill('SIGTERM');
    assert.equal(await ex.exited, 0);
    assert.equal(await orch.signal('SIGTERM'), 0);
    for (const p of [orch, ex]) assert.ok(p.logs.some((l) => l.level === 20), 'debug lines were written');
    const everything = [...c.messages.map((m) => JSON.stringify(m)), ...answers, ...orch.stderr().split('\n'), ...ex.stderr().split('\n')];
    for (const secret of [CLIENT_KEY, EXECUTOR_SECRET, urlPassword]) {
      for (const text of everything) assert.ok(!text.includes(secret), `${secret} appears in: ${text}`);
    }
  } finally {
    await ex.stop();
    await orch.stop();
  }
});
