/**
 * The real executor process over real WebSockets: health, authentication, the exact message
 * sequence (v1 and v2), malformed input, oversized frames, memory, secrets.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadPipelineText } from '../../src/pipeline/load.js';
import { serializeAqueduct } from '../../src/pipeline/serialize.js';
import { tempDir } from '../support/engine.js';
import { API_KEY, Client, refusedUpgrade, startExecutor, waitForLog, type ExecutorProcess } from '../support/executor.js';
import { startPostgres, type PgServer } from '../support/postgres.js';
import { closedGate } from '../support/run-gate.js';

/** The wire form of a pipeline written in YAML. */
export function wire(yaml: string, cwd = '/tmp'): unknown {
  return JSON.parse(serializeAqueduct(loadPipelineText(yaml, 'yaml', {}, { cwd }).pipeline));
}

let ex: ExecutorProcess;
// Test outputs go to fresh temporary directories: allowed besides the data root (the checkout).
const started = startExecutor(['--max-memory', '0.25', '--allow-path', realpathSync(os.tmpdir())]).then((e) => (ex = e));
after(async () => { await ex?.stop(); });
let pg: PgServer;
before(async () => { pg = await startPostgres(); });
after(async () => { await pg?.stop(); });

test('GET /api/health answers 200 OK with the state and nothing secret', async () => {
  await started;
  const res = await fetch(`${ex.url}/api/health`);
  assert.equal(res.status, 200);
  const body = await res.json() as Record<string, unknown>;
  assert.equal(body.status, 'OK');
  assert.equal(body.state, 'idle');
  assert.equal(body.mode, 'standalone');
  assert.doesNotMatch(JSON.stringify(body), new RegExp(API_KEY));
});

test('a missing or wrong API key gets 401 JSON before the upgrade', async () => {
  await started;
  const attempts: Array<Record<string, string>> = [{}, { 'X-API-Key': 'wrong' }, { 'X-API-Key': '' }];
  for (const headers of attempts) {
    const r = await refusedUpgrade(ex.wsUrl, headers);
    assert.equal(r.status, 401);
    assert.deepEqual(JSON.parse(r.body), { error: 'Authentication failed' });
  }
  const plain = await fetch(`${ex.url}/ws/connect`);
  assert.equal(plain.status, 401);
  assert.ok(!ex.stderr().includes(API_KEY), 'the key is never logged');
});

test('v1: a full run sends exactly the v1 sequence, with stage output in chunks', async () => {
  await started;
  const c = await Client.connect(ex.wsUrl);
  c.send({ type: 'execution_request', pipeline: wire(`sources: []
stages:
  - - { name: numbers, query: "SELECT range AS n FROM range(3)", show: 0 }
  - - { name: total, query: "SELECT sum(n) AS s FROM numbers" }`) });
  const id = await c.responseId();
  const end = await c.terminal(id);
  assert.deepEqual(end, { type: 'execution_succeeded', execution_id: id });
  const seq = c.messages.map((m) => (m.type === 'progress_update' ? `progress:${m.event.type}:${m.progress}` : m.type === 'stage_output' ? `output:${m.payload.type}` : m.type));
  assert.deepEqual(seq, [
    'execution_response',
    'progress:started:0',
    'progress:stage_started:20',
    'output:output_start', 'output:output_chunk', 'output:output_end',
    'progress:stage_completed:40',
    'progress:stage_started:60',
    'progress:stage_completed:80',
    'progress:completed:100',
    'execution_succeeded',
  ]);
  const chunk = c.messages.find((m) => m.type === 'stage_output' && m.payload.type === 'output_chunk');
  assert.deepEqual(chunk, {
    type: 'stage_output', execution_id: id, stage_name: 'numbers',
    payload: { type: 'output_chunk', sequence: 0, body: '+---+\n| n |\n+---+\n| 0 |\n| 1 |\n| 2 |\n+---+' },
  });
  const start = c.messages.find((m) => m.type === 'stage_output' && m.payload.type === 'output_start');
  assert.deepEqual(start && start.type === 'stage_output' && start.payload, { type: 'output_start', output_header: '\n📋 Table Data: numbers\n───────────────────────────────────────\n' });
  c.close();
});

test('stage output over 32,000 characters arrives in ordered chunks that reassemble exactly', async () => {
  await started;
  const c = await Client.connect(ex.wsUrl);
  c.send({ type: 'execution_request', pipeline: wire(`sources: []
stages: [[{ name: wide, query: "SELECT range AS n, repeat('x', 200) AS pad FROM range(400)", show: 0 }]]`) });
  const id = await c.responseId();
  await c.terminal(id);
  const chunks = c.messages.flatMap((m) => (m.type === 'stage_output' && m.payload.type === 'output_chunk' ? [m.payload] : []));
  assert.ok(chunks.length >= 3);
  chunks.forEach((ch, i) => { assert.equal(ch.sequence, i); assert.ok(Array.from(ch.body).length <= 32000); });
  const body = chunks.map((ch) => ch.body).join('');
  assert.equal(body.split('\n').filter((l) => l.startsWith('| ')).length, 401);
  c.close();
});

test('v2: executor_status on connect, log lines, and a client-chosen execution_id', async () => {
  await started;
  const dir = await tempDir();
  const c = await Client.connect(ex.wsUrl, { v2: true });
  await c.until((ms) => ms.some((m) => m.type === 'executor_status'));
  assert.deepEqual(c.messages[0], { type: 'executor_status', executor_id: c.messages[0]!.type === 'executor_status' ? c.messages[0]!.executor_id : '', state: 'idle', execution_id: null, queue_length: 0 });
  const id = '0b9a3c1e-8f5d-4b6a-9c2e-1d3f5a7b9c0d';
  c.send({ type: 'execution_request', execution_id: id, pipeline: wire(`sources: []
stages: [[{ name: s, query: "SELECT 1 AS x" }]]
destination: { type: file, name: out, location: ${dir}/o.parquet, format: { type: parquet, options: { created_by: me } } }`) });
  const end = await c.terminal(id);
  assert.equal(end.type, 'execution_succeeded');
  const log = c.messages.find((m) => m.type === 'log');
  assert.ok(log && log.type === 'log');
  assert.equal(log.level, 'warn');
  assert.equal(log.message, 'destination "out": parquet option "created_by" has no equivalent in this engine and is ignored');
  assert.ok(!Number.isNaN(Date.parse(log.time)));
  assert.ok(c.messages.some((m) => m.type === 'executor_status' && m.state === 'busy' && m.execution_id === id));
  // the same id again: answered with its state, not run twice
  const before = c.messages.filter((m) => m.type === 'progress_update').length;
  c.send({ type: 'execution_request', execution_id: id, pipeline: wire('sources: []\nstages: []') });
  await c.until((ms) => ms.filter((m) => m.type === 'execution_succeeded').length === 2);
  assert.equal(c.messages.filter((m) => m.type === 'progress_update').length, before);
  c.close();
});

test('malformed JSON and unknown message types never disturb anyone: v2 gets protocol_error, the connection stays open', async () => {
  await started;
  // the other client's run waits at a gate until the end, so everything below happens during it
  const gate = await closedGate(pg);
  const other = await Client.connect(ex.wsUrl);
  other.send({ type: 'execution_request', pipeline: { sources: [gate.source], stages: [[{ name: 's', query: 'SELECT opened FROM gate', show: 1 }]] } });
  const otherId = await other.responseId();
  await gate.waitUntilBlocked();
  const c = await Client.connect(ex.wsUrl, { v2: true });
  c.send('{not json');
  c.send({ type: 'launch_missiles' });
  c.send({ no_type: true });
  c.send([1, 2]);
  await c.until((ms) => ms.filter((m) => m.type === 'protocol_error').length === 4);
  const errors = c.messages.filter((m) => m.type === 'protocol_error').map((m) => m.type === 'protocol_error' && m.message);
  assert.match(errors[0] as string, /^malformed JSON/);
  assert.equal(errors[1], 'unknown message type "launch_missiles" (expected execution_request or cancel_request)');
  // an invalid pipeline is an execution_error with reason invalid_pipeline, naming the path
  c.send({ type: 'execution_request', pipeline: { sources: [{ type: 'kafka', name: 'k' }], stages: [] } });
  await c.until((ms) => ms.some((m) => m.type === 'execution_error'));
  const err = c.messages.find((m) => m.type === 'execution_error')!;
  assert.equal(err.type === 'execution_error' && err.reason, 'invalid_pipeline');
  assert.match(err.type === 'execution_error' ? err.message : '', /pipeline\.sources\[0\]\.type.*unknown variant `kafka`/);
  // the connection still works, and the other client's run completed normally
  c.send({ type: 'cancel_request', execution_id: '11111111-2222-4333-8444-555555555555' });
  await c.until((ms) => ms.some((m) => m.type === 'execution_error' && m.reason === 'unknown_execution'));
  assert.ok(!other.about(otherId).some((m) => m.type === 'execution_succeeded' || m.type === 'execution_error'), 'the other run is still under way');
  await gate.open();
  assert.equal((await other.terminal(otherId)).type, 'execution_succeeded');
  const v1 = await Client.connect(ex.wsUrl);
  v1.send('{not json');
  v1.send({ type: 'cancel_request', execution_id: '11111111-2222-4333-8444-555555555555' });
  await v1.until((ms) => ms.length === 1);
  assert.equal(v1.messages[0]!.type, 'execution_error', 'v1 peers receive no protocol_error');
  for (const x of [c, other, v1]) x.close();
});

test('a frame over --max-message-bytes closes the connection with 1009; the executor stays healthy', async () => {
  const small = await startExecutor(['--max-message-bytes', '4096']);
  try {
    const c = await Client.connect(small.wsUrl);
    c.send({ type: 'execution_request', pipeline: { sources: [], stages: [[{ name: 's', query: `SELECT '${'x'.repeat(10000)}'` }]] } });
    assert.equal(await c.closed, 1009);
    assert.equal((await fetch(`${small.url}/api/health`)).status, 200);
    const again = await Client.connect(small.wsUrl);
    again.send({ type: 'execution_request', pipeline: wire('sources: []\nstages: [[{ name: s, query: "SELECT 1" }]]') });
    assert.equal((await again.terminal(await again.responseId())).type, 'execution_succeeded');
    again.close();
  } finally {
    await small.stop();
  }
});

test('a pipeline bigger than --max-memory spills and completes; one that cannot fit fails with reason memory', async () => {
  await started;
  const c = await Client.connect(ex.wsUrl);
  c.send({ type: 'execution_request', pipeline: wire(`sources: []
stages:
  - - { name: big, query: "SELECT range AS k, md5(range::VARCHAR) AS v FROM range(6000000)" }
  - - { name: sorted, query: "SELECT count(DISTINCT v) AS n FROM (SELECT v FROM big ORDER BY v)", show: 1 }`) });
  const ok = await c.responseId(0);
  assert.equal((await c.terminal(ok, 120000)).type, 'execution_succeeded');
  c.send({ type: 'execution_request', pipeline: wire(`sources: []\nstages: [[{ name: huge, query: "SELECT list(md5(range::VARCHAR)) AS l FROM range(20000000)" }]]`) });
  const bad = await c.responseId(1);
  const end = await c.terminal(bad);
  assert.equal(end.type, 'execution_error');
  assert.equal(end.type === 'execution_error' && end.reason, 'memory');
  assert.match(end.type === 'execution_error' ? end.message : '', /^stage "huge": out of memory/);
  assert.equal((await fetch(`${ex.url}/api/health`)).status, 200);
  c.close();
});

test('passwords in connection strings never reach clients or logs', async () => {
  await started;
  const c = await Client.connect(ex.wsUrl);
  // The driver name's brace left open swallows the password, and unixODBC's error quotes the name
  // with it (shown for the raw error in test/integration/secrets/executor-secrets.test.ts).
  c.send({ type: 'execution_request', pipeline: { sources: [{ type: 'odbc', name: 'db', connection_string: 'Driver={PostgreSQL Unicode;PWD=hunter2-secret};Server=localhost;UID=u;', load_query: 'SELECT 1' }], stages: [[{ name: 's', query: 'SELECT * FROM db' }]] } });
  const id = await c.responseId();
  const end = await c.terminal(id);
  assert.equal(end.type, 'execution_error');
  assert.match(end.type === 'execution_error' ? end.message : '', /Can't open lib 'PostgreSQL Unicode;PWD=\*\*\*/);
  await waitForLog(ex, (l) => l.msg === 'execution failed' && l.execution_id === id);
  assert.doesNotMatch(JSON.stringify(c.messages), /hunter2/);
  assert.doesNotMatch(ex.stderr(), /hunter2/);
  c.close();
});

test('relative locations resolve against the executor data root', async () => {
  const root = await tempDir();
  await writeFile(path.join(root, 'in.csv'), 'a\n1\n2\n');
  const rooted = await startExecutor(['--data-root', root]);
  try {
    const c = await Client.connect(rooted.wsUrl);
    c.send({ type: 'execution_request', pipeline: {
      sources: [{ type: 'file', name: 'src', location: './in.csv', format: { type: 'csv', options: {} } }],
      stages: [[{ name: 's', query: 'SELECT sum(a) AS total FROM src' }]],
      destination: { type: 'file', name: 'out', location: './out.csv', format: { type: 'csv', options: {} } },
    } });
    assert.equal((await c.terminal(await c.responseId())).type, 'execution_succeeded');
    assert.equal(await readFile(path.join(root, 'out.csv'), 'utf8'), 'total\n3\n');
    c.close();
  } finally {
    await rooted.stop();
  }
});

test('repeated authentication failures from one address are slowed down', async () => {
  await started;
  const failures = () => ex.logs.filter((l) => l.msg === 'authentication failed');
  const before = failures().length;
  for (let i = 0; i < 7; i++) {
    const r = await refusedUpgrade(ex.wsUrl, { 'X-API-Key': `nope-${i}` });
    assert.equal(r.status, 401);
  }
  // the log line of the last refusal may be read a moment after its response
  await waitForLog(ex, () => failures().length >= before + 7);
  const delays = failures().map((l) => Number(l.delay_ms));
  assert.ok(delays.at(-1)! > 0, `delays: ${delays.join(',')}`);
  assert.ok(delays.at(-1)! >= delays.at(-2)!);
});

test('invalid configuration exits 2 with one clear line, and never echoes the key', async () => {
  const { spawnSync } = await import('node:child_process');
  const { EXECUTOR_BIN } = await import('../support/executor.js');
  const run = (args: string[], env: Record<string, string>) => {
    const r = spawnSync(process.execPath, [EXECUTOR_BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 15000 });
    return { code: r.status, err: r.stderr.trim(), out: r.stdout };
  };
  const noKey = run(['--bind-address', '127.0.0.1:0'], {});
  assert.equal(noKey.code, 2);
  assert.equal(noKey.err.split('\n').length, 1);
  assert.match(noKey.err, /^error: .*API_KEY/);
  const badAddr = run(['--bind-address', 'nowhere'], { API_KEY: 'sekrit-value' });
  assert.equal(badAddr.code, 2);
  assert.match(badAddr.err, /^error: .*bind/i);
  const negative = run(['--max-memory', '-1'], { API_KEY: 'sekrit-value' });
  assert.equal(negative.code, 2);
  const halfTls = run(['--tls-cert', '/etc/hostname'], { API_KEY: 'sekrit-value' });
  assert.equal(halfTls.code, 2);
  for (const r of [badAddr, negative, halfTls]) assert.doesNotMatch(r.err, /sekrit-value/);
});

test('at debug, every state transition of the executor and its runs is logged', async () => {
  await started;
  const c = await Client.connect(ex.wsUrl);
  c.send({ type: 'execution_request', pipeline: wire('sources: []\nstages: [[{ name: s, query: "SELECT 1" }]]') });
  const id = await c.responseId();
  await c.terminal(id);
  await waitForLog(ex, (l) => l.msg === 'execution succeeded' && l.execution_id === id && l.level === 30);
  await waitForLog(ex, (l) => l.msg === 'pipeline run state' && l.execution_id === id && JSON.stringify(l.state) === '"succeeded"');
  await waitForLog(ex, (l) => l.msg === 'state' && JSON.stringify(l.state) === '{"busy":"running"}');
  await waitForLog(ex, (l) => l.msg === 'state' && JSON.stringify(l.state) === '"idle"');
  c.close();
});
