import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isUuid } from '../../../src/core/ids.js';
import { decodeClientMessage } from '../../../src/protocol/decode.js';
import { chunkByChars, deliverableTo, isTerminal, type ExecutorMessage } from '../../../src/protocol/messages.js';
import { stageOutputMessages } from '../../../src/protocol/stage-output.js';

const cwd = '/data';
const ID = '0b9a3c1e-8f5d-4b6a-9c2e-1d3f5a7b9c0d';

test('an execution_request decodes its pipeline (relative paths against the data root) and gets an id', () => {
  const d = decodeClientMessage(JSON.stringify({ type: 'execution_request', pipeline: { sources: [{ type: 'file', name: 'a', location: './a.csv', format: { type: 'csv', options: {} } }], stages: [] } }), { cwd });
  assert.ok(d.ok);
  assert.equal(d.message.type, 'execution_request');
  if (d.message.type !== 'execution_request') return;
  assert.ok(isUuid(d.message.execution_id));
  assert.equal(d.message.pipeline.sources[0]!.type === 'file' && d.message.pipeline.sources[0]!.location, 'file:///data/a.csv');
});

test('a client-chosen execution_id (v2) is kept, lower-cased; an invalid one is refused', () => {
  const d = decodeClientMessage(JSON.stringify({ type: 'execution_request', execution_id: ID.toUpperCase(), pipeline: { sources: [], stages: [] } }), { cwd });
  assert.ok(d.ok && d.message.type === 'execution_request' && d.message.execution_id === ID);
  const bad = decodeClientMessage(JSON.stringify({ type: 'execution_request', execution_id: 'abc', pipeline: { sources: [], stages: [] } }), { cwd });
  assert.deepEqual(bad.ok === false && [bad.kind, bad.error], ['invalid_request', 'execution_id must be a UUID, got "abc"']);
});

test('an invalid pipeline is an invalid request naming the path under pipeline', () => {
  const d = decodeClientMessage(JSON.stringify({ type: 'execution_request', pipeline: { sources: [{ type: 'file', name: 'a' }], stages: [] } }), { cwd });
  assert.ok(!d.ok && d.kind === 'invalid_request');
  assert.equal(d.code, 'AQ_INVALID_PIPELINE');
  assert.match(d.error, /^invalid pipeline: pipeline\.sources\[0\]/);
  const missing = decodeClientMessage('{"type":"execution_request"}', { cwd });
  assert.ok(!missing.ok && missing.kind === 'invalid_request' && missing.code === 'AQ_INVALID_REQUEST' && missing.error === 'missing field `pipeline`');
});

test('cancel_request needs a UUID', () => {
  const ok = decodeClientMessage(JSON.stringify({ type: 'cancel_request', execution_id: ID }), { cwd });
  assert.deepEqual(ok.ok && ok.message, { type: 'cancel_request', execution_id: ID });
  const bad = decodeClientMessage('{"type":"cancel_request","execution_id":7}', { cwd });
  assert.ok(!bad.ok && bad.kind === 'invalid_request' && bad.code === 'AQ_UNKNOWN_EXECUTION');
});

test('malformed frames: not JSON, not an object, no type, unknown type, binary garbage', () => {
  const cases: Array<[unknown, RegExp]> = [
    ['{nope', /^malformed JSON/],
    ['[1]', /must be a JSON object/],
    ['null', /must be a JSON object/],
    ['{}', /missing field `type`/],
    ['{"type":"hello"}', /unknown message type "hello"/],
    [Buffer.from([0xff, 0xfe, 0x00]), /^malformed JSON/],
    [42, /not text/],
  ];
  for (const [raw, re] of cases) {
    const d = decodeClientMessage(raw, { cwd });
    assert.ok(!d.ok && d.kind === 'malformed', String(raw));
    assert.match(d.error, re);
  }
});

test('v1 peers never receive v2-only messages', () => {
  const v2only: ExecutorMessage[] = [
    { type: 'log', execution_id: ID, level: 'info', message: 'm', time: 't' },
    { type: 'stage_progress', execution_id: ID, stage_name: 's', percentage: null, rows_processed: 0 },
    { type: 'executor_status', executor_id: ID, state: 'idle', execution_id: null, queue_length: 0 },
    { type: 'protocol_error', message: 'x' },
  ];
  for (const m of v2only) { assert.equal(deliverableTo(1, m), false); assert.equal(deliverableTo(2, m), true); }
  assert.equal(deliverableTo(1, { type: 'queue_position', execution_id: ID, position: 0 }), true);
  assert.equal(isTerminal({ type: 'cancel_response', execution_id: ID }), true);
  assert.equal(isTerminal({ type: 'execution_response', execution_id: ID }), false);
});

test('stage output: start, chunks of at most 32,000 characters (code points) in sequence, end', () => {
  const body = '😀'.repeat(70_000);
  const ms = stageOutputMessages(ID, { stageName: 's', kind: 'show', header: 'H', body, footer: '' });
  assert.equal(ms.length, 5);
  assert.deepEqual(ms[0], { type: 'stage_output', execution_id: ID, stage_name: 's', payload: { type: 'output_start', output_header: 'H' } });
  const chunks = ms.slice(1, -1).map((m) => (m.type === 'stage_output' && m.payload.type === 'output_chunk' ? m.payload : null));
  assert.deepEqual(chunks.map((c) => c!.sequence), [0, 1, 2]);
  assert.deepEqual(chunks.map((c) => Array.from(c!.body).length), [32000, 32000, 6000]);
  assert.equal(chunks.map((c) => c!.body).join(''), body);
  assert.deepEqual(ms.at(-1), { type: 'stage_output', execution_id: ID, stage_name: 's', payload: { type: 'output_end', output_footer: '' } });
  assert.deepEqual(chunkByChars(''), []);
});

test('relative locations can be kept as written, for a peer that passes the pipeline on', () => {
  const frame = JSON.stringify({ type: 'execution_request', pipeline: { sources: [{ type: 'file', name: 'a', location: './a.csv', format: { type: 'csv', options: {} } }], stages: [] } });
  const d = decodeClientMessage(frame, { cwd: '/', relativeLocations: 'keep' });
  assert.ok(d.ok && d.message.type === 'execution_request');
  assert.equal(d.message.type === 'execution_request' && d.message.pipeline.sources[0]!.type === 'file' && d.message.pipeline.sources[0]!.location, './a.csv');
});
