/**
 * The real executor's lifecycle: queueing, cancellation from other connections, submitter
 * disconnect, draining on SIGTERM, TLS. No partial destination is ever left behind. Runs that
 * must still be running when the test acts either run until cancelled or wait at a gate the test
 * opens (test/support/run-gate.ts), so a fast machine cannot finish them first.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadPipelineText } from '../../src/pipeline/load.js';
import { serializeAqueduct } from '../../src/pipeline/serialize.js';
import { tempDir } from '../support/engine.js';
import { Client, startExecutor, waitForLog } from '../support/executor.js';
import { startPostgres, type PgServer } from '../support/postgres.js';
import { closedGate, ENDLESS_STAGE, type RunGate } from '../support/run-gate.js';

function wire(yaml: string): unknown {
  return JSON.parse(serializeAqueduct(loadPipelineText(yaml, 'yaml', {}, { cwd: '/tmp' }).pipeline));
}

let pg: PgServer;
before(async () => { pg = await startPostgres(); });
after(async () => { await pg?.stop(); });

const destination = (dir: string) => ({ type: 'file', name: 'out', location: `${dir}/out.csv`, format: { type: 'csv', options: {} } });

/** A run that only ends by being cancelled, writing to `dir/out.csv`. */
const endless = (dir: string) => ({ sources: [], stages: [[ENDLESS_STAGE]], destination: destination(dir) });

/** A run that waits at `gate` until the test opens it, then writes `dir/out.csv`. */
const gated = (dir: string, gate: RunGate) => ({ sources: [gate.source], stages: [[{ name: 'g', query: 'SELECT opened FROM gate' }]], destination: destination(dir) });

/** Whether the execution has ended, as far as the client has heard. */
const ended = (c: Client, id: string) => c.about(id).some((m) => ['execution_succeeded', 'execution_error', 'cancel_response'].includes(m.type));

const quick = (dir: string, name = 'quick.csv') => wire(`sources: []
stages: [[{ name: q, query: "SELECT 42 AS answer" }]]
destination: { type: file, name: out, location: ${dir}/${name}, format: { type: csv, options: {} } }`);

test('a second client is queued at position 0 and runs after the first; never two at once', async () => {
  const dir = await tempDir();
  const ex = await startExecutor(['--data-root', dir]);
  try {
    const a = await Client.connect(ex.wsUrl);
    const b = await Client.connect(ex.wsUrl);
    const gate = await closedGate(pg);
    a.send({ type: 'execution_request', pipeline: gated(dir, gate) });
    const idA = await a.responseId();
    await gate.waitUntilBlocked();
    b.send({ type: 'execution_request', pipeline: quick(dir) });
    const idB = await b.responseId();
    await b.until((ms) => ms.some((m) => m.type === 'queue_position'));
    assert.deepEqual(b.messages.slice(0, 2), [{ type: 'execution_response', execution_id: idB }, { type: 'queue_position', execution_id: idB, position: 0 }]);
    assert.ok(!ended(a, idA) && !b.about(idB).some((m) => m.type === 'progress_update'), 'A still runs, B waits');
    await gate.open();
    assert.equal((await a.terminal(idA)).type, 'execution_succeeded');
    assert.equal((await b.terminal(idB)).type, 'execution_succeeded');
    const aDone = a.messages.findIndex((m) => m.type === 'execution_succeeded');
    assert.ok(aDone >= 0);
    // B's run started only after A's finished (B's first progress follows A's terminal in the executor log)
    await waitForLog(ex, (l) => l.msg === 'execution succeeded' && l.execution_id === idB);
    const states = ex.logs.filter((l) => l.msg === 'execution started' || l.msg === 'execution succeeded').map((l) => `${l.msg}:${l.execution_id}`);
    assert.deepEqual(states, [`execution started:${idA}`, `execution succeeded:${idA}`, `execution started:${idB}`, `execution succeeded:${idB}`]);
    a.close(); b.close();
  } finally {
    await ex.stop();
  }
});

test('cancel from another connection while running and while queued; no partial destination', async () => {
  const dir = await tempDir();
  const ex = await startExecutor(['--data-root', dir]);
  try {
    const a = await Client.connect(ex.wsUrl);
    const b = await Client.connect(ex.wsUrl);
    const admin = await Client.connect(ex.wsUrl);
    a.send({ type: 'execution_request', pipeline: endless(dir) });
    const idA = await a.responseId();
    b.send({ type: 'execution_request', pipeline: quick(dir) });
    const idB = await b.responseId();
    await a.until((ms) => ms.some((m) => m.type === 'progress_update' && m.event.type === 'stage_started'));
    admin.send({ type: 'cancel_request', execution_id: idB });
    await admin.until((ms) => ms.some((m) => m.type === 'cancel_response' && m.execution_id === idB));
    assert.deepEqual(await b.terminal(idB), { type: 'cancel_response', execution_id: idB });
    admin.send({ type: 'cancel_request', execution_id: idA });
    assert.deepEqual(await a.terminal(idA, 20000), { type: 'cancel_response', execution_id: idA });
    await admin.until((ms) => ms.some((m) => m.type === 'cancel_response' && m.execution_id === idA));
    assert.deepEqual(await readdir(dir), []);
    // exactly one terminal message each
    for (const [c, id] of [[a, idA], [b, idB]] as const) {
      assert.equal(c.about(id).filter((m) => ['execution_succeeded', 'execution_error', 'cancel_response'].includes(m.type)).length, 1);
    }
    // the executor is free again
    admin.send({ type: 'execution_request', pipeline: quick(dir) });
    assert.equal((await admin.terminal(await admin.responseId())).type, 'execution_succeeded');
    assert.equal(await readFile(path.join(dir, 'quick.csv'), 'utf8'), 'answer\n42\n');
    for (const c of [a, b, admin]) c.close();
  } finally {
    await ex.stop();
  }
});

test('when the submitter disconnects, its running execution is cancelled and leaves nothing', async () => {
  const dir = await tempDir();
  const ex = await startExecutor(['--data-root', dir]);
  try {
    const watcher = await Client.connect(ex.wsUrl, { v2: true });
    const a = await Client.connect(ex.wsUrl);
    a.send({ type: 'execution_request', pipeline: endless(dir) });
    const id = await a.responseId();
    await a.until((ms) => ms.some((m) => m.type === 'progress_update' && m.event.type === 'stage_started'));
    a.ws.terminate();
    // idle again after having been busy with this execution
    const idleAfterBusy = (ms: typeof watcher.messages) => {
      const busy = ms.findIndex((m) => m.type === 'executor_status' && m.execution_id === id);
      return busy >= 0 && ms.slice(busy + 1).some((m) => m.type === 'executor_status' && m.state === 'idle');
    };
    try {
      await watcher.until(idleAfterBusy, 30000);
    } catch (e) {
      throw new Error(`${(e as Error).message}\nexecutor log tail:\n${ex.stderr().split('\n').slice(-15).join('\n')}`);
    }
    await waitForLog(ex, (l) => l.msg === 'execution cancelled' && l.execution_id === id);
    assert.deepEqual(await readdir(dir), []);
    watcher.close();
  } finally {
    await ex.stop();
  }
});

test('SIGTERM drains: health turns 503, new requests are refused, the running execution finishes, exit 0', async () => {
  const dir = await tempDir();
  const ex = await startExecutor(['--data-root', dir, '--drain-timeout', '60']);
  try {
    const a = await Client.connect(ex.wsUrl);
    const gate = await closedGate(pg);
    a.send({ type: 'execution_request', pipeline: gated(dir, gate) });
    const id = await a.responseId();
    await gate.waitUntilBlocked();
    ex.proc.kill('SIGTERM');
    let health = 0;
    for (let i = 0; i < 50 && health !== 503; i++) {
      health = (await fetch(`${ex.url}/api/health`)).status;
      if (health !== 503) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(health, 503);
    const body = await (await fetch(`${ex.url}/api/health`)).json() as { status: string };
    assert.equal(body.status, 'DRAINING');
    const late = await Client.connect(ex.wsUrl);
    late.send({ type: 'execution_request', pipeline: quick(dir) });
    await late.until((ms) => ms.some((m) => m.type === 'execution_error'));
    const refused = late.messages.find((m) => m.type === 'execution_error')!;
    assert.equal(refused.type === 'execution_error' && refused.reason, 'busy');
    assert.match(refused.type === 'execution_error' ? refused.message : '', /draining/);
    assert.ok(!ended(a, id), 'the run is still waiting at the gate while the executor drains');
    await gate.open();
    assert.equal((await a.terminal(id, 60000)).type, 'execution_succeeded');
    assert.equal(await ex.exited, 0);
    assert.equal(a.closeCode ?? (await a.closed), 1001);
    assert.deepEqual(await readdir(dir), ['out.csv']);
  } finally {
    await ex.stop();
  }
});

test('SIGTERM with a short drain timeout cancels the running execution, then exits 0', async () => {
  const dir = await tempDir();
  const ex = await startExecutor(['--data-root', dir, '--drain-timeout', '1']);
  try {
    const a = await Client.connect(ex.wsUrl);
    a.send({ type: 'execution_request', pipeline: endless(dir) });
    const id = await a.responseId();
    await a.until((ms) => ms.some((m) => m.type === 'progress_update' && m.event.type === 'stage_started'));
    ex.proc.kill('SIGTERM');
    assert.deepEqual(await a.terminal(id, 30000), { type: 'cancel_response', execution_id: id });
    assert.equal(await ex.exited, 0);
    assert.deepEqual(await readdir(dir), []);
  } finally {
    await ex.stop();
  }
});

test('TLS with a self-signed certificate: the URL is https://, a pipeline runs over wss://, plain ws:// to the TLS port is refused', async () => {
  const dir = await tempDir();
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const ex = await startExecutor(['--data-root', dir, '--tls-cert', cert, '--tls-key', key]);
  try {
    assert.match(ex.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = await readFile(cert, 'utf8');
    const c = await Client.connect(ex.wsUrl, { ca });
    c.send({ type: 'execution_request', pipeline: quick(dir) });
    assert.equal((await c.terminal(await c.responseId())).type, 'execution_succeeded');
    c.close();
    // plain ws:// to the TLS port does not get through
    await assert.rejects(Client.connect(ex.wsUrl.replace('wss://', 'ws://')));
  } finally {
    await ex.stop();
  }
});
