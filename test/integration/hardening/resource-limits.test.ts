/**
 * Resource limits against the real processes started under a low descriptor limit
 * (`ulimit -n 256`): connections beyond --max-connections / --max-pending-connections are refused
 * with 503 naming the limit (logged once per burst), so idle unauthenticated sockets cannot take
 * the descriptors a run needs; and when descriptors do run out (limits set too high on purpose),
 * the run fails with AQ_TOO_MANY_OPEN_FILES instead of DuckDB aborting the process.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { tempDir } from '../../support/engine.js';
import { API_KEY, Client, EXECUTOR_BIN, type ExecutorProcess } from '../../support/executor.js';
import { CLIENT_KEY, EXECUTOR_SECRET, ORCHESTRATOR_BIN } from '../../support/orchestrator.js';
import { spawnServer, type ServerProcess } from '../../support/server-process.js';
import { REPO } from '../../support/paths.js';
import type { ExecutorMessage } from '../../../src/protocol/messages.js';

const LIMIT = 256;
/** The built modules, which a child process imports. */
const DIST = path.join(REPO, 'dist/src');
const IDLE = 300;

const started: ServerProcess[] = [];
after(async () => { for (const p of started) await p.stop(); });

async function executorUnderLimit(dataRoot: string, args: string[] = [], level = 'info'): Promise<ExecutorProcess> {
  const server = await spawnServer('aqueducts-executor', EXECUTOR_BIN, ['--bind-address', '127.0.0.1:0', '--data-root', dataRoot, ...args],
    { ...process.env, API_KEY, RUST_LOG: level }, dataRoot, { openFilesLimit: LIMIT });
  started.push(server);
  return { ...server, wsUrl: `${server.url.replace(/^http/, 'ws')}/ws/connect` };
}

/** Idle TCP connections that never send a byte; what each was answered before it closed. */
interface Idle {
  sockets: net.Socket[];
  answers: string[];
  /** How many the server closed. */
  closed(): number;
  destroy(): void;
}

async function openIdle(url: string, n: number): Promise<Idle> {
  const port = Number(new URL(url).port);
  const sockets: net.Socket[] = [];
  const answers: string[] = [];
  let closed = 0;
  let destroyed = false;
  for (let i = 0; i < n; i++) {
    await new Promise<void>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => resolve());
      let text = '';
      s.on('data', (d) => { text += d; });
      s.on('close', () => {
        if (text) answers.push(text);
        if (!destroyed) closed++;
      });
      s.on('error', () => resolve());
      sockets.push(s);
    });
  }
  return { sockets, answers, closed: () => closed, destroy: () => { destroyed = true; for (const s of sockets) s.destroy(); } };
}

async function until(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const pipeline = (name: string) => ({
  version: 'v2',
  sources: [],
  stages: [[{ name: 'q', query: 'SELECT 42 AS answer' }]],
  destination: { type: 'file', name: 'out', location: `./${name}`, format: { type: 'csv', options: {} } },
});

async function run(c: Client, name: string): Promise<ExecutorMessage> {
  const before = c.messages.filter((m) => m.type === 'execution_response').length;
  c.send({ type: 'execution_request', pipeline: pipeline(name) });
  return c.terminal(await c.responseId(before));
}

const PREPARED = 'prepared an engine session for the next run';

const refusalLines = (p: { logs: Array<Record<string, unknown>> }) => p.logs.filter((l) => l.msg === 'connection refused: too many connections');

test('executor under ulimit -n 256: idle sockets beyond the derived limits get 503 naming the limit, and a run still succeeds', async () => {
  const dir = await tempDir('aq-limits-');
  const ex = await executorUnderLimit(dir);
  const client = await Client.connect(ex.wsUrl);
  const idle = await openIdle(ex.url, IDLE);
  try {
    await until(() => idle.answers.length > 0, 'a refusal');
    const [status, body] = idle.answers[0]!.split('\r\n\r\n');
    assert.match(status!, /^HTTP\/1\.1 503 Service Unavailable\r\n/);
    assert.match(status!, /\r\nRetry-After: 1\r\n/);
    const refusal = JSON.parse(body!) as { error: string; limit: string; max: number };
    assert.ok(['max_connections', 'max_pending_connections'].includes(refusal.limit), refusal.limit);
    assert.ok(refusal.max > 0 && refusal.max < LIMIT, String(refusal.max));
    assert.match(refusal.error, /^Too many connections/);
    // The run opens its engine with many sockets still held: the reserve is intact.
    const outcome = await run(client, 'out.csv');
    assert.equal(outcome.type, 'execution_succeeded', JSON.stringify(outcome));
    assert.equal(await readFile(`${dir}/out.csv`, 'utf8'), 'answer\n42\n');
    assert.equal(ex.proc.exitCode, null);
    assert.equal(ex.proc.signalCode, null);
    // Hundreds of refusals, logged once per burst.
    assert.ok(idle.answers.length >= IDLE - LIMIT, `${idle.answers.length} refused`);
    const lines = refusalLines(ex);
    assert.ok(lines.length >= 1 && lines.length <= 3, `${lines.length} log lines`);
    assert.equal(lines[0]!.code, 'AQ_TOO_MANY_CONNECTIONS');
    idle.destroy();
    await until(async () => (await fetch(`${ex.url}/api/health`).catch(() => null))?.status === 200, 'health');
  } finally {
    idle.destroy();
    client.close();
    await ex.stop();
  }
});

test('descriptors exhausted (limits set too high on purpose): the run fails with AQ_TOO_MANY_OPEN_FILES, the process survives and runs again', async () => {
  const dir = await tempDir('aq-limits-');
  const ex = await executorUnderLimit(dir, ['--max-connections', '5000', '--max-pending-connections', '5000'], 'debug');
  const client = await Client.connect(ex.wsUrl);
  // Exhausted once the engine session for the next run is prepared: what happens when the flood
  // comes first is the next test.
  await until(() => ex.logs.some((l) => l.msg === PREPARED), 'the prepared engine session');
  const idle = await openIdle(ex.url, IDLE);
  try {
    // The server has taken every descriptor once it starts closing connections it cannot accept.
    await until(() => idle.closed() > 0, 'the server to run out of descriptors');
    const failed = await run(client, 'never.csv');
    assert.equal(failed.type, 'execution_error', JSON.stringify(failed));
    const error = failed as { reason?: string; code?: string; message: string };
    assert.equal(error.code, 'AQ_TOO_MANY_OPEN_FILES');
    assert.equal(error.reason, 'busy');
    assert.match(error.message, /too few free file descriptors to start the run \(\d+ of 256 free, 32 needed\)/);
    assert.equal(ex.proc.exitCode, null);
    assert.equal(ex.proc.signalCode, null);
    idle.destroy();
    await until(async () => (await fetch(`${ex.url}/api/health`).catch(() => null))?.status === 200, 'health');
    // the server may not have seen every close yet: until it has, a run is refused as above
    let outcome = await run(client, 'out.csv');
    const refused = (m: ExecutorMessage) => m.type === 'execution_error' && (m as { code?: string }).code === 'AQ_TOO_MANY_OPEN_FILES';
    await until(async () => !refused(outcome) || !refused(outcome = await run(client, 'out.csv')), 'the closed sockets to free their descriptors');
    assert.equal(outcome.type, 'execution_succeeded', JSON.stringify(outcome));
    assert.equal(ex.logs.filter((l) => l.msg === 'execution crashed').length, 0);
  } finally {
    idle.destroy();
    client.close();
    await ex.stop();
  }
});

test('with descriptors exhausted before the engine session for the next run is prepared, nothing DuckDB does is started; it is prepared once they are free', async () => {
  // In a process of its own (a fresh module state, its own descriptor limit): before this was
  // guarded, DuckDB aborted the process here (SIGABRT).
  const spillRoot = await tempDir('aq-limits-spill-');
  const script = path.join(await tempDir('aq-limits-script-'), 'warm.mjs');
  await writeFile(script, `
    import { closeSync, openSync, readdirSync } from 'node:fs';
    const { WarmSessions } = await import(${JSON.stringify(`${DIST}/run/warm-sessions.js`)});
    const { EngineSession } = await import(${JSON.stringify(`${DIST}/engine/session.js`)});
    const { createLogger } = await import(${JSON.stringify(`${DIST}/core/log.js`)});
    const log = createLogger('debug');
    const spillRoot = ${JSON.stringify(spillRoot)};
    const held = [];
    try { for (;;) held.push(openSync('/dev/null', 'r')); } catch (e) { if (e.code !== 'EMFILE') throw e; }
    const warm = WarmSessions.start({ spillRoot, log });
    await warm.ready();
    for (const fd of held) closeSync(fd);
    const whileShort = readdirSync(spillRoot);
    const s = await EngineSession.open({ spillRoot, log });
    const reader = await s.main.runAndReadAll("SELECT 42 AS answer");
    await s.close();
    await warm.ready();
    const prepared = readdirSync(spillRoot).filter((d) => !whileShort.includes(d)).length;
    await warm.close();
    console.log(JSON.stringify({ held: held.length, whileShort, answer: reader.getRows()[0][0], prepared }));
  `);
  const child = spawn('bash', ['-c', 'ulimit -n 128 && exec "$0" "$@"', process.execPath, script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d; });
  child.stderr.on('data', (d: Buffer) => { err += d; });
  const [code, signal] = await once(child, 'close') as [number | null, string | null];
  assert.equal(signal, null, err.slice(-2000));
  assert.equal(code, 0, err.slice(-2000));
  const result = JSON.parse(out) as { held: number; whileShort: string[]; answer: number; prepared: number };
  assert.ok(result.held > 64, `only ${result.held} descriptors were held`);
  // Nothing was created while short: no spill directory.
  assert.deepEqual(result.whileShort, []);
  assert.equal(result.answer, 42);
  const lines = err.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  const skipped = lines.filter((l) => l.code === 'AQ_TOO_MANY_OPEN_FILES').map((l) => l.msg);
  assert.deepEqual(skipped, ['too few free file descriptors to prepare an engine session ahead of the next run; the run will start its own']);
  // Once descriptors are free, the next session is prepared.
  assert.ok(lines.some((l) => l.msg === PREPARED), 'no session was prepared after the descriptors were freed');
  assert.equal(result.prepared, 1, 'the prepared session\'s spill directory');
  assert.ok(!lines.some((l) => /could not/.test(String(l.msg))), JSON.stringify(lines.filter((l) => /could not/.test(String(l.msg)))));
});

test('orchestrator under ulimit -n 256: idle sockets beyond the limits get 503, an authenticated client is still served', async () => {
  const orch = await spawnServer('aqueducts-orchestrator', ORCHESTRATOR_BIN, ['--bind-address', '127.0.0.1:0'],
    { ...process.env, CLIENT_API_KEY: CLIENT_KEY, EXECUTOR_SECRET, RUST_LOG: 'info' }, REPO, { openFilesLimit: LIMIT });
  started.push(orch);
  const client = await Client.connect(`${orch.url.replace(/^http/, 'ws')}/ws/connect`, { key: CLIENT_KEY, v2: true });
  const idle = await openIdle(orch.url, IDLE);
  try {
    await until(() => idle.answers.length >= IDLE - LIMIT, 'refusals');
    assert.match(idle.answers[0]!, /^HTTP\/1\.1 503 Service Unavailable\r\n[\s\S]*"limit":"max_(pending_)?connections"/);
    const id = '7c1e3f5a-9b2d-4e6f-8a0c-1d2e3f4a5b6c';
    client.send({ type: 'execution_request', execution_id: id, pipeline: pipeline('x.csv') });
    await client.until((ms) => ms.some((m) => m.type === 'queue_position' && m.execution_id === id));
    assert.equal(orch.proc.exitCode, null);
    const lines = refusalLines(orch);
    assert.ok(lines.length >= 1 && lines.length <= 3, `${lines.length} log lines`);
  } finally {
    idle.destroy();
    client.close();
    await orch.stop();
  }
});

test('a connection that does not authenticate is closed after the handshake timeout, which frees its place', async () => {
  const dir = await tempDir('aq-limits-');
  const ex = await executorUnderLimit(dir, ['--max-pending-connections', '1']);
  try {
    const holder = await openIdle(ex.url, 1);
    const closed = new Promise((r) => holder.sockets[0]!.on('close', r));
    const refused = await openIdle(ex.url, 1);
    await until(() => refused.answers.length === 1, 'the refusal');
    assert.match(refused.answers[0]!, /"limit":"max_pending_connections","max":1/);
    await closed; // by the server: the test never closes it
    assert.equal(holder.answers.length, 0, 'closed without an answer');
    await until(async () => (await fetch(`${ex.url}/api/health`)).status === 200, 'a new connection to be admitted');
  } finally {
    await ex.stop();
  }
});
