/**
 * `aqueducts run --executor` against a scripted peer (scripted-executor.ts): what is sent, what is
 * printed, the exit codes. The peer plays canned executor messages; it is not the executor.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCommand } from '../../../src/cli/run.command.js';
import { type RemoteRunOptions, remoteRunAction } from '../../../src/cli/remote/remote-run.command.js';
import { executionRequestFrame } from '../../../src/protocol/wire.js';
import { loadPipelineFile } from '../../../src/pipeline/load.js';
import { type Frame, type Peer, FAST, captureIo, startScriptedExecutor } from './scripted-executor.js';

const KEY = 'k3y-s3cr3t-0123456789';

const PIPELINE = `version: v2
sources:
  - type: file
    name: readings
    format: { type: csv, options: {} }
    location: ./data/readings_\${month}.csv
stages:
  - - name: daily
      query: SELECT * FROM readings
      show: 2
destination:
  type: file
  name: out
  location: out/daily.parquet
  format: { type: parquet, options: {} }
`;

async function pipelineFile(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aq-remote-'));
  const file = path.join(dir, 'pipeline.yml');
  await writeFile(file, PIPELINE);
  return file;
}

function options(file: string, address: string, extra: Partial<RemoteRunOptions> = {}): RemoteRunOptions {
  return { file, param: ['month=jan'], executor: address, apiKey: KEY, ...extra };
}

const id = (f: Frame) => String(f['execution_id']);
const progress = (executionId: string, p: number, event: object) => ({ type: 'progress_update', execution_id: executionId, progress: p, event });

/** The happy path the real executor plays for a pipeline with one shown stage. */
function playSuccess(f: Frame, peer: Peer): void {
  const e = id(f);
  peer.send({ type: 'execution_response', execution_id: e });
  peer.send(progress(e, 0, { type: 'started' }));
  peer.send(progress(e, 10, { type: 'source_registered', name: 'readings' }));
  peer.send(progress(e, 20, { type: 'stage_started', name: 'daily', position: 0, sub_position: 0 }));
  peer.send({ type: 'stage_output', execution_id: e, stage_name: 'daily', payload: { type: 'output_start', output_header: '\n📋 Table Data (Preview): daily\n' } });
  peer.send({ type: 'stage_output', execution_id: e, stage_name: 'daily', payload: { type: 'output_chunk', sequence: 0, body: '+---+\n| a |\n' } });
  peer.send({ type: 'stage_output', execution_id: e, stage_name: 'daily', payload: { type: 'output_chunk', sequence: 1, body: '+---+\n| 1' } });
  peer.send({ type: 'stage_output', execution_id: e, stage_name: 'daily', payload: { type: 'output_chunk', sequence: 2, body: ' |\n+---+' } });
  peer.send({ type: 'stage_output', execution_id: e, stage_name: 'daily', payload: { type: 'output_end', output_footer: '' } });
  peer.send(progress(e, 80, { type: 'stage_completed', name: 'daily', position: 0, sub_position: 0, duration_ms: 1234 }));
  peer.send(progress(e, 90, { type: 'destination_completed' }));
  peer.send(progress(e, 100, { type: 'completed', duration_ms: 2500 }));
  peer.send({ type: 'execution_succeeded', execution_id: e });
}

function assertKeyNeverPrinted(io: { outLines: string[]; errLines: string[] }): void {
  for (const line of [...io.outLines, ...io.errLines]) assert.ok(!line.includes(KEY), `API key printed: ${line}`);
}

test('a successful run: request sent as canonical JSON, progress and reassembled output printed, exit 0', async (t) => {
  const executor = await startScriptedExecutor({ apiKey: KEY, onFrame: playSuccess });
  t.after(() => executor.stop());
  const file = await pipelineFile();
  const io = captureIo();
  const code = await remoteRunAction(options(file, executor.address), io, undefined, {}, FAST);

  assert.equal(code, 0);
  const [request] = executor.frames;
  assert.ok(request);
  const executionId = id(request);
  assert.match(executionId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const kept = await loadPipelineFile(file, { month: 'jan' }, { cwd: '/nowhere', relativeLocations: 'keep' });
  assert.deepEqual(executor.raw, [executionRequestFrame(kept.pipeline, executionId)]);
  assert.ok(executor.raw[0]!.startsWith('{"type":"execution_request","pipeline":{"version":"v2","sources":[{"type":"file","name":"readings"'));
  const sent = request['pipeline'] as { sources: Array<{ location: string }>; destination: { location: string } };
  assert.equal(sent.sources[0]!.location, './data/readings_jan.csv');
  assert.equal(sent.destination.location, 'out/daily.parquet');

  assert.deepEqual(io.errLines, [
    `Execution id: ${executionId}`,
    '[  0%] 🚀 Pipeline execution started',
    '[ 10%] 📚 Registered source: readings',
    '[ 20%] ⚙️  Processing stage: daily (position: 0, sub-position: 0)',
    '[ 80%] ✅ Completed stage: daily (took: 1.23s)',
    '[ 90%] 📦 Data successfully written to destination',
    '[100%] 🎉 Pipeline execution completed (total time: 2.50s)',
  ]);
  assert.deepEqual(io.outLines, ['\n📋 Table Data (Preview): daily\n+---+\n| a |\n+---+\n| 1 |\n+---+\n']);

  assert.equal(executor.upgrades.length, 1);
  assert.equal(executor.upgrades[0]!['x-api-key'], KEY);
  assert.equal(executor.upgrades[0]!['x-aqueducts-protocol'], '2');
  assertKeyNeverPrinted(io);
});

test('queue positions and v2 log lines are printed; status, unknown types and other executions are ignored', async (t) => {
  const executor = await startScriptedExecutor({
    apiKey: KEY,
    onConnect: (peer) => peer.send({ type: 'executor_status', executor_id: 'x1', state: 'busy', execution_id: 'other', queue_length: 0 }),
    onFrame: (f, peer) => {
      const e = id(f);
      peer.send({ type: 'execution_response', execution_id: e });
      peer.send({ type: 'queue_position', execution_id: e, position: 1 });
      peer.send({ type: 'queue_position', execution_id: e, position: 0 });
      peer.send({ type: 'a_future_message', execution_id: e, anything: true });
      peer.send(progress(e, 0, { type: 'a_future_event' }));
      peer.send(progress('11111111-2222-4333-8444-555555555555', 50, { type: 'started' }));
      peer.send({ type: 'execution_succeeded', execution_id: '11111111-2222-4333-8444-555555555555' });
      peer.send(progress(e, 0, { type: 'started', extra_field: 1 }));
      peer.send({ type: 'log', execution_id: e, level: 'warn', message: 'option "x" is ignored', time: '2024-01-01T00:00:00Z' });
      peer.send({ type: 'stage_progress', execution_id: e, stage_name: 'daily', percentage: null, rows_processed: 10 });
      peer.sendRaw('this is not json');
      peer.send({ type: 'execution_succeeded', execution_id: e });
    },
  });
  t.after(() => executor.stop());
  const io = captureIo();
  const code = await remoteRunAction(options(await pipelineFile(), executor.address), io, undefined, {}, FAST);
  assert.equal(code, 0);
  const executionId = id(executor.frames[0]!);
  assert.deepEqual(io.errLines, [
    `Execution id: ${executionId}`,
    '⏳ Queued: position 1 (0 = next to run)',
    '⏳ Queued: position 0 (0 = next to run)',
    '[  0%] 🚀 Pipeline execution started',
    'warn: option "x" is ignored',
    '⚠ Ignored a message from the executor: not valid JSON',
  ]);
  assert.deepEqual(io.outLines, []);
});

test('execution_error: the message is printed and the exit code is 1', async (t) => {
  const executor = await startScriptedExecutor({
    apiKey: KEY,
    onFrame: (f, peer) => {
      peer.send({ type: 'execution_response', execution_id: id(f) });
      peer.send(progress(id(f), 0, { type: 'started' }));
      peer.send({ type: 'execution_error', execution_id: id(f), message: 'source "readings": no such file ./data/readings_jan.csv', reason: 'source' });
    },
  });
  t.after(() => executor.stop());
  const io = captureIo();
  const code = await remoteRunAction(options(await pipelineFile(), executor.address), io, undefined, {}, FAST);
  assert.equal(code, 1);
  assert.deepEqual(io.errLines.slice(1), [
    '[  0%] 🚀 Pipeline execution started',
    '❌ Pipeline failed: source "readings": no such file ./data/readings_jan.csv',
  ]);
});

test('a refused request (execution_error before any execution_response) ends the run', async (t) => {
  const executor = await startScriptedExecutor({
    apiKey: KEY,
    onFrame: (_f, peer) => peer.send({ type: 'execution_error', execution_id: '99999999-2222-4333-8444-555555555555', message: 'executor busy: queue is full', reason: 'busy' }),
  });
  t.after(() => executor.stop());
  const io = captureIo();
  assert.equal(await remoteRunAction(options(await pipelineFile(), executor.address), io, undefined, {}, FAST), 1);
  assert.deepEqual(io.errLines, ['❌ Pipeline failed: executor busy: queue is full']);
});

test('a wrong API key: 401 before the upgrade, reported as an authentication failure, nothing sent', async (t) => {
  const executor = await startScriptedExecutor({ apiKey: 'the-right-key', onFrame: playSuccess });
  t.after(() => executor.stop());
  const io = captureIo();
  const code = await remoteRunAction(options(await pipelineFile(), executor.address), io, undefined, {}, FAST);
  assert.equal(code, 1);
  assert.deepEqual(io.errLines, ['❌ Authentication failed: the executor rejected the API key']);
  assert.deepEqual(executor.frames, []);
  assertKeyNeverPrinted(io);
});

test('another HTTP answer to the upgrade: status and body are printed', async (t) => {
  const executor = await startScriptedExecutor({
    apiKey: KEY, reject: { status: 503, statusText: 'Service Unavailable', body: '{"status":"DRAINING"}' },
  });
  t.after(() => executor.stop());
  const io = captureIo();
  assert.equal(await remoteRunAction(options(await pipelineFile(), `http://${executor.address}`), io, undefined, {}, FAST), 1);
  assert.deepEqual(io.errLines, [
    `❌ Executor at ${executor.wsUrl} answered HTTP 503 Service Unavailable instead of opening a WebSocket: {"status":"DRAINING"}`,
  ]);
});

test('connection refused is reported with the URL, never as a hang', async () => {
  const executor = await startScriptedExecutor({ apiKey: KEY });
  const { address, wsUrl } = executor;
  await executor.stop();
  const io = captureIo();
  assert.equal(await remoteRunAction(options(await pipelineFile(), address), io, undefined, {}, FAST), 1);
  assert.deepEqual(io.errLines, [`❌ Cannot connect to executor at ${wsUrl}: connection refused`]);
});

test('the connection dropped mid-run: a clear message naming the execution, exit 1', async (t) => {
  const executor = await startScriptedExecutor({
    apiKey: KEY,
    onFrame: (f, peer) => {
      peer.send({ type: 'execution_response', execution_id: id(f) });
      peer.send(progress(id(f), 0, { type: 'started' }));
      setTimeout(() => peer.terminate(), 20);
    },
  });
  t.after(() => executor.stop());
  const io = captureIo();
  assert.equal(await remoteRunAction(options(await pipelineFile(), executor.address), io, undefined, {}, FAST), 1);
  const executionId = id(executor.frames[0]!);
  assert.deepEqual(io.errLines, [
    `Execution id: ${executionId}`,
    '[  0%] 🚀 Pipeline execution started',
    `❌ Lost connection to executor ${executor.wsUrl} (code 1006): the outcome of execution ${executionId} is unknown`,
  ]);
});

test('the executor closing with a reason: code and reason are shown', async (t) => {
  const executor = await startScriptedExecutor({
    apiKey: KEY,
    onFrame: (f, peer) => {
      peer.send({ type: 'execution_response', execution_id: id(f) });
      peer.close(1001, 'shutting down');
    },
  });
  t.after(() => executor.stop());
  const io = captureIo();
  assert.equal(await remoteRunAction(options(await pipelineFile(), executor.address), io, undefined, {}, FAST), 1);
  const executionId = id(executor.frames[0]!);
  assert.equal(io.errLines.at(-1), `❌ Lost connection to executor ${executor.wsUrl} (code 1001: shutting down): the outcome of execution ${executionId} is unknown`);
});

test('close code 1009: the request was too big, pointing at --max-message-bytes', async (t) => {
  const executor = await startScriptedExecutor({ apiKey: KEY, onFrame: (_f, peer) => peer.close(1009, 'Max payload size exceeded') });
  t.after(() => executor.stop());
  const io = captureIo();
  assert.equal(await remoteRunAction(options(await pipelineFile(), executor.address), io, undefined, {}, FAST), 1);
  assert.deepEqual(io.errLines, [
    `❌ Executor ${executor.wsUrl} closed the connection with code 1009 (message too big): the pipeline request is larger than the executor accepts; raise --max-message-bytes on the executor`,
  ]);
});

test('a silent peer that stops answering pings is detected by the heartbeat', async (t) => {
  const executor = await startScriptedExecutor({
    apiKey: KEY, autoPong: false,
    onFrame: (f, peer) => peer.send({ type: 'execution_response', execution_id: id(f) }),
  });
  t.after(() => executor.stop());
  const io = captureIo();
  const code = await remoteRunAction(options(await pipelineFile(), executor.address), io, undefined, {}, { ...FAST, heartbeatMs: 100 });
  assert.equal(code, 1);
  assert.match(io.errLines.at(-1)!, /^❌ Lost connection to executor .* \(code 1006\): the outcome of execution .* is unknown$/);
});

test('Ctrl+C sends cancel_request for the execution and exits 130 on cancel_response', async (t) => {
  const ac = new AbortController();
  const executor = await startScriptedExecutor({
    apiKey: KEY,
    onFrame: (f, peer) => {
      if (f.type === 'execution_request') {
        peer.send({ type: 'execution_response', execution_id: id(f) });
        peer.send(progress(id(f), 0, { type: 'started' }));
      } else if (f.type === 'cancel_request') {
        peer.send({ type: 'cancel_response', execution_id: id(f) });
      }
    },
  });
  t.after(() => executor.stop());
  const io = captureIo((line) => { if (line.includes('Pipeline execution started')) ac.abort(); });
  const code = await remoteRunAction(options(await pipelineFile(), executor.address), io, ac.signal, {}, FAST);
  assert.equal(code, 130);
  const executionId = id(executor.frames[0]!);
  assert.deepEqual(executor.frames.slice(1), [{ type: 'cancel_request', execution_id: executionId }]);
  assert.equal(executor.raw[1], `{"type":"cancel_request","execution_id":"${executionId}"}`);
  assert.equal(io.errLines.at(-1), '⏹  Pipeline cancelled; nothing was written to the destination');
});

test('Ctrl+C before execution_response: the cancel waits for the id the executor chose (v1 executors choose their own)', async (t) => {
  const ac = new AbortController();
  const theirs = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
  let requestPeer: Peer | undefined;
  const executor = await startScriptedExecutor({
    apiKey: KEY,
    onFrame: (f, peer) => {
      if (f.type === 'execution_request') {
        requestPeer = peer;
        ac.abort(); // the user presses Ctrl+C before the executor has answered
        setTimeout(() => requestPeer?.send({ type: 'execution_response', execution_id: theirs }), 50);
      } else if (f.type === 'cancel_request') {
        peer.send({ type: 'cancel_response', execution_id: id(f) });
      }
    },
  });
  t.after(() => executor.stop());
  const io = captureIo();
  const code = await remoteRunAction(options(await pipelineFile(), executor.address), io, ac.signal, {}, FAST);
  assert.equal(code, 130);
  assert.deepEqual(executor.frames.slice(1), [{ type: 'cancel_request', execution_id: theirs }]);
  assert.deepEqual(io.errLines, [`Execution id: ${theirs}`, '⏹  Pipeline cancelled; nothing was written to the destination']);
});

test('Ctrl+C without an answer: gives up after the cancel timeout, exit 130', async (t) => {
  const ac = new AbortController();
  const executor = await startScriptedExecutor({
    apiKey: KEY,
    onFrame: (f, peer) => { if (f.type === 'execution_request') peer.send({ type: 'execution_response', execution_id: id(f) }); },
  });
  t.after(() => executor.stop());
  const io = captureIo((line) => { if (line.startsWith('Execution id:')) ac.abort(); });
  const code = await remoteRunAction(options(await pipelineFile(), executor.address), io, ac.signal, {}, { ...FAST, cancelTimeoutMs: 150 });
  assert.equal(code, 130);
  const executionId = id(executor.frames[0]!);
  assert.equal(io.errLines.at(-1), `❌ No answer to the cancel request within 0.15 s: the outcome of execution ${executionId} is unknown`);
});

test('Ctrl+C while the run finishes: the terminal message wins', async (t) => {
  const ac = new AbortController();
  const executor = await startScriptedExecutor({
    apiKey: KEY,
    onFrame: (f, peer) => {
      if (f.type === 'execution_request') peer.send({ type: 'execution_response', execution_id: id(f) });
      else peer.send({ type: 'execution_succeeded', execution_id: id(f) });
    },
  });
  t.after(() => executor.stop());
  const io = captureIo((line) => { if (line.startsWith('Execution id:')) ac.abort(); });
  assert.equal(await remoteRunAction(options(await pipelineFile(), executor.address), io, ac.signal, {}, FAST), 0);
});

test('the API key can come from AQUEDUCTS_API_KEY', async (t) => {
  const executor = await startScriptedExecutor({ apiKey: KEY, onFrame: playSuccess });
  t.after(() => executor.stop());
  const io = captureIo();
  const code = await remoteRunAction(options(await pipelineFile(), executor.address, { apiKey: undefined }), io, undefined, { AQUEDUCTS_API_KEY: KEY }, FAST);
  assert.equal(code, 0);
  assert.equal(executor.upgrades[0]!['x-api-key'], KEY);
  assertKeyNeverPrinted(io);
});

test('usage errors exit 2 before anything is loaded or dialled', async () => {
  const file = await pipelineFile();
  const cases: Array<[Partial<RemoteRunOptions>, string]> = [
    [{ maxMemory: 2 }, 'error: --max-memory only applies to local runs; the executor sets its own memory limit'],
    [{ apiKey: undefined }, 'error: an API key is required: pass --api-key or set AQUEDUCTS_API_KEY'],
    [{ apiKey: 'two\nlines' }, 'error: the API key must be printable ASCII without leading or trailing spaces'],
    [{ executor: 'ftp://h:1' }, 'error: invalid --executor "ftp://h:1": unsupported scheme ftp:// (use ws://, wss://, http:// or https://)'],
    [{ caCert: '/nonexistent.pem' }, 'error: --ca-cert only applies to wss:// or https:// executors'],
    [{ executor: 'wss://127.0.0.1:1', caCert: '/nonexistent.pem' }, 'error: cannot read --ca-cert /nonexistent.pem: no such file'],
  ];
  for (const [extra, line] of cases) {
    const io = captureIo();
    assert.equal(await remoteRunAction(options(file, '127.0.0.1:1', extra), io, undefined, {}, FAST), 2, line);
    assert.deepEqual(io.errLines, [line]);
  }
});

test('an invalid pipeline is reported locally, nothing is dialled', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aq-remote-'));
  const file = path.join(dir, 'p.yml');
  await writeFile(file, PIPELINE);
  const io = captureIo();
  const code = await remoteRunAction({ file, param: [], executor: '127.0.0.1:1', apiKey: KEY }, io, undefined, {}, FAST);
  assert.equal(code, 1);
  assert.match(io.errLines[0]!, /^❌ Pipeline failed: .*month/);
});

test('run without --executor refuses remote-only flags', async () => {
  const io = captureIo();
  assert.equal(await runCommand({ file: 'x.yml', param: [], apiKey: KEY }, io, undefined, {}), 2);
  assert.deepEqual(io.errLines, ['error: --api-key and --ca-cert only apply with --executor']);
});
