/** Decoding what clients and executors send the orchestrator, and the frames it sends executors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeClientFrame, decodeExecutorFrameText, executorFrame } from '../../../src/orchestrator/frames.js';
import { pipeline } from './harness.js';

const ID = '0B9A3C1E-8F5D-4B6A-9C2E-1D3F5A7B9C0D';
const EX = '11111111-1111-4111-8111-111111111111';

test('client frames decode as for the executor, but relative locations stay as written', () => {
  const frame = JSON.stringify({
    type: 'execution_request', execution_id: ID,
    pipeline: { sources: [{ type: 'file', name: 'r', format: { type: 'csv', options: {} }, location: './data/r.csv' }, { type: 'file', name: 'a', format: { type: 'csv', options: {} }, location: '/abs/a.csv' }], stages: [[{ name: 's', query: 'SELECT 1' }]] },
  });
  const d = decodeClientFrame(Buffer.from(frame));
  assert.ok(d.ok && d.message.type === 'execution_request');
  assert.equal(d.message.execution_id, ID.toLowerCase());
  const sources = d.message.pipeline.sources as Array<{ location: string }>;
  assert.deepEqual(sources.map((s) => s.location), ['./data/r.csv', 'file:///abs/a.csv']);
  const bad = decodeClientFrame('{"type":"execution_request","pipeline":{"stages":[]}}');
  assert.ok(!bad.ok && bad.kind === 'invalid_request' && bad.code === 'AQ_INVALID_PIPELINE');
  const junk = decodeClientFrame('nope');
  assert.ok(!junk.ok && junk.kind === 'malformed');
  const cancel = decodeClientFrame(JSON.stringify({ type: 'cancel_request', execution_id: ID }));
  assert.ok(cancel.ok && cancel.message.type === 'cancel_request' && cancel.message.execution_id === ID.toLowerCase());
});

test('register_executor: checked field by field; absent optional fields take their defaults', () => {
  const reg = (fields: Record<string, unknown>) => decodeExecutorFrameText(JSON.stringify({ type: 'register_executor', ...fields }));
  assert.deepEqual(reg({ executor_id: EX.toUpperCase(), version: '0.1.0', max_memory_gb: 4, state: 'busy', execution_id: ID }), {
    kind: 'register', registration: { executorId: EX, version: '0.1.0', maxMemoryGb: 4, state: 'busy', executionId: ID.toLowerCase() },
  });
  assert.deepEqual(reg({ executor_id: EX, version: 'v' }), {
    kind: 'register', registration: { executorId: EX, version: 'v', maxMemoryGb: null, state: 'idle', executionId: null },
  });
  const refusals: Array<[Record<string, unknown>, string]> = [
    [{ executor_id: 'ex-1', version: 'v' }, 'executor_id must be a UUID'],
    [{ executor_id: EX }, 'version must be a non-empty string'],
    [{ executor_id: EX, version: 'v', max_memory_gb: -1 }, 'max_memory_gb must be a number ≥ 0 or null'],
    [{ executor_id: EX, version: 'v', state: 'sleeping' }, 'state must be idle, busy or draining'],
    [{ executor_id: EX, version: 'v', execution_id: 42 }, 'execution_id must be a UUID or null'],
  ];
  for (const [fields, reason] of refusals) assert.deepEqual(reg(fields), { kind: 'invalid', reason: `register_executor: ${reason}`, registration: true });
});

test('executor messages: the executor → client set plus executor_status; unknown types skipped, malformed ones invalid', () => {
  const status = { type: 'executor_status', executor_id: EX, state: 'idle', execution_id: null, queue_length: 0 };
  assert.deepEqual(decodeExecutorFrameText(JSON.stringify(status)), { kind: 'message', message: status });
  const progress = { type: 'progress_update', execution_id: ID, progress: 5, event: { type: 'started' } };
  assert.deepEqual(decodeExecutorFrameText(Buffer.from(JSON.stringify(progress))), { kind: 'message', message: { ...progress, execution_id: ID.toLowerCase() } });
  assert.deepEqual(decodeExecutorFrameText('{"type":"heartbeat"}'), { kind: 'skipped', type: 'heartbeat' });
  assert.deepEqual(decodeExecutorFrameText('{"type":"execution_succeeded"}'), { kind: 'invalid', reason: 'execution_succeeded: missing or invalid "execution_id"', registration: false });
  assert.deepEqual(decodeExecutorFrameText('{'), { kind: 'invalid', reason: 'not valid JSON', registration: false });
  // execution ids key the orchestrator's records: UUIDs only, lower-cased
  assert.deepEqual(decodeExecutorFrameText(JSON.stringify({ type: 'execution_succeeded', execution_id: '__proto__' })), { kind: 'invalid', reason: 'execution_succeeded: execution_id must be a UUID', registration: false });
  assert.deepEqual(decodeExecutorFrameText(JSON.stringify({ type: 'execution_succeeded', execution_id: ID })), { kind: 'message', message: { type: 'execution_succeeded', execution_id: ID.toLowerCase() } });
});

test('frames to executors: the v2 execution_request with the canonical pipeline JSON', () => {
  assert.equal(executorFrame({ type: 'execution_request', execution_id: 'e', pipeline }),
    '{"type":"execution_request","pipeline":{"version":"v2","sources":[],"stages":[],"destination":null},"execution_id":"e"}');
  assert.equal(executorFrame({ type: 'registration_response', success: true, message: 'registered' }), '{"type":"registration_response","success":true,"message":"registered"}');
});
