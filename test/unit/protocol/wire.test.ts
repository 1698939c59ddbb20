import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StageOutputAssembler } from '../../../src/cli/remote/stage-output.js';
import { cancelRequestFrame, decodeExecutorFrame, executionRequestFrame } from '../../../src/protocol/wire.js';
import { serializeAqueduct } from '../../../src/pipeline/serialize.js';
import type { Aqueduct } from '../../../src/pipeline/types.js';

const ID = '0b7e3a52-8f6d-4c1e-9a3b-2d4f6e8a0c1b';

test('client frames: field order type, pipeline (canonical JSON), execution_id', () => {
  const pipeline: Aqueduct = { version: 'v2', sources: [], stages: [], destination: null };
  assert.equal(executionRequestFrame(pipeline, ID),
    `{"type":"execution_request","pipeline":${serializeAqueduct(pipeline)},"execution_id":"${ID}"}`);
  assert.equal(executionRequestFrame(pipeline, ID),
    `{"type":"execution_request","pipeline":{"version":"v2","sources":[],"stages":[],"destination":null},"execution_id":"${ID}"}`);
  assert.equal(cancelRequestFrame(ID), `{"type":"cancel_request","execution_id":"${ID}"}`);
});

test('executor frames: known messages decode, extra fields are kept and ignored', () => {
  const frames = [
    { type: 'execution_response', execution_id: ID },
    { type: 'queue_position', execution_id: ID, position: 3 },
    { type: 'progress_update', execution_id: ID, progress: 40, event: { type: 'stage_started', name: 's', position: 1, sub_position: 0 } },
    { type: 'stage_output', execution_id: ID, stage_name: 's', payload: { type: 'output_chunk', sequence: 0, body: 'x' } },
    { type: 'execution_succeeded', execution_id: ID },
    { type: 'execution_error', execution_id: ID, message: 'm', reason: 'stage', extra: 1 },
    { type: 'cancel_response', execution_id: ID },
    { type: 'log', execution_id: ID, level: 'info', message: 'hi', time: '2024-01-01T00:00:00Z' },
    { type: 'executor_status', executor_id: 'e', state: 'idle', execution_id: null, queue_length: 0 },
    { type: 'protocol_error', message: 'bad frame' },
  ];
  for (const f of frames) assert.deepEqual(decodeExecutorFrame(JSON.stringify(f)), { kind: 'message', message: f });
});

test('executor frames: unknown types are skipped, malformed ones reported', () => {
  assert.deepEqual(decodeExecutorFrame('{"type":"new_thing","x":1}'), { kind: 'skipped', type: 'new_thing' });
  assert.deepEqual(decodeExecutorFrame(`{"type":"progress_update","execution_id":"${ID}","progress":1,"event":{"type":"new_event"}}`),
    { kind: 'skipped', type: 'event new_event' });
  assert.deepEqual(decodeExecutorFrame(`{"type":"stage_output","execution_id":"${ID}","stage_name":"s","payload":{"type":"new_payload"}}`),
    { kind: 'skipped', type: 'payload new_payload' });
  assert.deepEqual(decodeExecutorFrame('nope'), { kind: 'invalid', reason: 'not valid JSON' });
  assert.deepEqual(decodeExecutorFrame('[1]'), { kind: 'invalid', reason: 'not a JSON object' });
  assert.deepEqual(decodeExecutorFrame('{"x":1}'), { kind: 'invalid', reason: 'message without a string "type"' });
  assert.deepEqual(decodeExecutorFrame('{"type":"queue_position","execution_id":"a","position":-1}'),
    { kind: 'invalid', reason: 'queue_position: missing or invalid "position"' });
  assert.deepEqual(decodeExecutorFrame(`{"type":"progress_update","execution_id":"${ID}","progress":1,"event":{"type":"source_registered"}}`),
    { kind: 'invalid', reason: 'source_registered: missing or invalid "name"' });
  assert.deepEqual(decodeExecutorFrame('{"type":"execution_error","execution_id":"a"}'),
    { kind: 'invalid', reason: 'execution_error: missing or invalid "message"' });
});

test('stage outputs: chunks concatenated in sequence order, per stage', () => {
  const a = new StageOutputAssembler();
  assert.equal(a.accept('one', { type: 'output_start', output_header: 'H1\n' }), null);
  assert.equal(a.accept('two', { type: 'output_start', output_header: 'H2\n' }), null);
  assert.equal(a.accept('one', { type: 'output_chunk', sequence: 0, body: 'ab' }), null);
  assert.equal(a.accept('two', { type: 'output_chunk', sequence: 0, body: 'xy' }), null);
  assert.equal(a.accept('one', { type: 'output_chunk', sequence: 2, body: 'ef' }), null);
  assert.equal(a.accept('one', { type: 'output_chunk', sequence: 1, body: 'cd' }), null);
  assert.deepEqual(a.accept('one', { type: 'output_end', output_footer: 'F1' }), { stageName: 'one', header: 'H1\n', body: 'abcdef', footer: 'F1' });
  assert.deepEqual(a.accept('two', { type: 'output_end', output_footer: '' }), { stageName: 'two', header: 'H2\n', body: 'xy', footer: '' });
  // The same stage name again starts afresh.
  a.accept('one', { type: 'output_start', output_header: 'again\n' });
  assert.deepEqual(a.accept('one', { type: 'output_end', output_footer: '' }), { stageName: 'one', header: 'again\n', body: '', footer: '' });
});
