/**
 * `aqueducts cancel` against a scripted peer (scripted-executor.ts) playing canned executor answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type CancelOptions, cancelAction } from '../../../src/cli/remote/cancel.command.js';
import { FAST, captureIo, startScriptedExecutor } from './scripted-executor.js';

const KEY = 'cancel-key-42';
const ID = '3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c';
const OTHER = '00000000-1111-4222-8333-444444444444';

const opts = (address: string, extra: Partial<CancelOptions> = {}): CancelOptions =>
  ({ executor: address, apiKey: KEY, executionId: ID, ...extra });

test('cancel: sends cancel_request, ignores other executions, prints the confirmation, exit 0', async (t) => {
  const executor = await startScriptedExecutor({
    apiKey: KEY,
    onConnect: (peer) => peer.send({ type: 'executor_status', executor_id: 'e1', state: 'busy', execution_id: ID, queue_length: 0 }),
    onFrame: (f, peer) => {
      peer.send({ type: 'cancel_response', execution_id: OTHER });
      peer.send({ type: 'execution_error', execution_id: OTHER, message: 'not mine' });
      peer.send({ type: 'cancel_response', execution_id: f['execution_id'] });
    },
  });
  t.after(() => executor.stop());
  const io = captureIo();
  assert.equal(await cancelAction(opts(executor.address), io, {}, FAST), 0);
  assert.deepEqual(executor.raw, [`{"type":"cancel_request","execution_id":"${ID}"}`]);
  assert.deepEqual(io.outLines, [`⏹ Execution ${ID} cancelled`]);
  assert.deepEqual(io.errLines, []);
  assert.equal(executor.upgrades[0]!['x-api-key'], KEY);
  assert.equal(executor.upgrades[0]!['x-aqueducts-protocol'], '2');
});

test('cancel: an upper-case id is sent in the canonical lower-case form', async (t) => {
  const executor = await startScriptedExecutor({
    apiKey: KEY, onFrame: (f, peer) => peer.send({ type: 'cancel_response', execution_id: f['execution_id'] }),
  });
  t.after(() => executor.stop());
  const io = captureIo();
  assert.equal(await cancelAction(opts(executor.address, { executionId: ID.toUpperCase() }), io, {}, FAST), 0);
  assert.deepEqual(executor.frames, [{ type: 'cancel_request', execution_id: ID }]);
});

test('cancel of an unknown execution: the executor\'s message, exit 1', async (t) => {
  const executor = await startScriptedExecutor({
    apiKey: KEY,
    onFrame: (f, peer) => peer.send({
      type: 'execution_error', execution_id: f['execution_id'], message: `unknown execution ${ID}`, reason: 'unknown_execution',
    }),
  });
  t.after(() => executor.stop());
  const io = captureIo();
  assert.equal(await cancelAction(opts(executor.address), io, {}, FAST), 1);
  assert.deepEqual(io.errLines, [`❌ Cannot cancel execution ${ID}: unknown execution ${ID}`]);
  assert.deepEqual(io.outLines, []);
});

test('cancel: no answer within the timeout is an error, not a hang', async (t) => {
  const executor = await startScriptedExecutor({ apiKey: KEY });
  t.after(() => executor.stop());
  const io = captureIo();
  assert.equal(await cancelAction(opts(executor.address), io, {}, { ...FAST, answerTimeoutMs: 150 }), 1);
  assert.deepEqual(io.errLines, [`❌ Executor ${executor.wsUrl} did not answer the cancel request for ${ID} within 0.15 s`]);
});

test('cancel: connection closed before the answer', async (t) => {
  const executor = await startScriptedExecutor({ apiKey: KEY, onFrame: (_f, peer) => peer.terminate() });
  t.after(() => executor.stop());
  const io = captureIo();
  assert.equal(await cancelAction(opts(executor.address), io, {}, FAST), 1);
  assert.deepEqual(io.errLines, [`❌ Lost connection to executor ${executor.wsUrl} (code 1006) before it answered the cancel request for ${ID}`]);
});

test('cancel: a wrong API key is an authentication failure and the key is never printed', async (t) => {
  const executor = await startScriptedExecutor({ apiKey: 'another-key' });
  t.after(() => executor.stop());
  const io = captureIo();
  assert.equal(await cancelAction(opts(executor.address), io, {}, FAST), 1);
  assert.deepEqual(io.errLines, ['❌ Authentication failed: the executor rejected the API key']);
  assert.deepEqual(executor.frames, []);
  assert.equal(executor.upgrades[0]!['x-api-key'], KEY);
});

test('cancel: usage errors', async () => {
  const cases: Array<[Partial<CancelOptions>, string]> = [
    [{ executionId: 'abc' }, 'error: --execution-id "abc" is not a UUID (as printed by "Execution id: ...")'],
    [{ apiKey: undefined }, 'error: an API key is required: pass --api-key or set AQUEDUCTS_API_KEY'],
    [{ executor: 'nohost' }, 'error: invalid --executor "nohost": expected HOST:PORT (e.g. localhost:3031) or a ws://, wss://, http:// or https:// URL'],
  ];
  for (const [extra, line] of cases) {
    const io = captureIo();
    assert.equal(await cancelAction(opts('127.0.0.1:1', extra), io, {}, FAST), 2, line);
    assert.deepEqual(io.errLines, [line]);
  }
});
