/**
 * Frames and pipelines built to hurt: nested thousands of levels deep, megabytes long, thousands
 * of keys. Decoding never throws and never overflows the stack, and every message it produces
 * shows only a short, marked prefix of what the client sent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BINARY_FRAME, decodeClientMessage, REPLY_FINDINGS, type Decoded } from '../../../src/protocol/decode.js';
import { decodeExecutorFrame } from '../../../src/protocol/wire.js';
import { decodeClientFrame, decodeExecutorFrameText } from '../../../src/orchestrator/frames.js';
import { decodeAqueduct } from '../../../src/pipeline/decode.js';
import { closest } from '../../../src/pipeline/decode-struct.js';
import { tryParseDataType, MAX_TYPE_NESTING } from '../../../src/pipeline/data-type.js';
import { loadPipelineText } from '../../../src/pipeline/load.js';
import { KEPT_FINDINGS } from '../../../src/pipeline/decode-context.js';

const cwd = '/data';
const ID = '0b9a3c1e-8f5d-4b6a-9c2e-1d3f5a7b9c0d';
const DEEP = `${'['.repeat(5000)}"x"${']'.repeat(5000)}`;
const DEEP_OBJECT = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
const HUGE = 'a'.repeat(12_582_912);
/** Longest error text a decode may produce for one value. */
const SHORT = 600;

function errorOf(d: Decoded): string {
  assert.ok(!d.ok, 'expected a refusal');
  return d.error;
}

test('deep values in every field of a client frame are refused with a short message', () => {
  const frames = [
    `{"type":"cancel_request","execution_id":${DEEP}}`,
    `{"type":"cancel_request","execution_id":${DEEP_OBJECT}}`,
    `{"type":${DEEP},"execution_id":"${ID}"}`,
    `{"type":${DEEP_OBJECT}}`,
    `{"type":"execution_request","execution_id":${DEEP},"pipeline":{"sources":[],"stages":[]}}`,
    `{"type":"execution_request","pipeline":${DEEP}}`,
    `{"type":"execution_request","pipeline":{"sources":${DEEP},"stages":${DEEP_OBJECT},"destination":${DEEP}}}`,
    `{"type":"execution_request","pipeline":{"sources":[{"type":${DEEP},"name":${DEEP}}],"stages":[[{"name":${DEEP},"query":${DEEP},"show":${DEEP}}]]}}`,
    DEEP,
  ];
  for (const frame of frames) {
    for (const decode of [(f: string) => decodeClientMessage(f, { cwd }), decodeClientFrame]) {
      const error = errorOf(decode(frame));
      assert.ok(error.length < SHORT * REPLY_FINDINGS, `${error.length}: ${error.slice(0, 200)}`);
      assert.ok(!error.includes('[[[[[['), error.slice(0, 300));
    }
  }
  assert.equal(errorOf(decodeClientMessage(frames[0]!, { cwd })), 'cancel_request needs an execution_id (UUID), got [[[[[…]]]]] (nested deeper than 4)');
  assert.equal(errorOf(decodeClientMessage(frames[2]!, { cwd })), 'unknown message type [[[[[…]]]]] (nested deeper than 4) (expected execution_request or cancel_request)');
});

test('a 12 MB type, execution id, key or value is echoed as a prefix with its length', () => {
  assert.equal(
    errorOf(decodeClientMessage(JSON.stringify({ type: HUGE }), { cwd })),
    `unknown message type "${'a'.repeat(64)}…" (12582912 characters) (expected execution_request or cancel_request)`,
  );
  assert.match(errorOf(decodeClientMessage(JSON.stringify({ type: 'cancel_request', execution_id: HUGE }), { cwd })), /got "a{64}…" \(12582912 characters\)$/);
  assert.match(errorOf(decodeClientMessage(JSON.stringify({ type: 'execution_request', execution_id: HUGE, pipeline: {} }), { cwd })), /got "a{64}…" \(12582912 characters\)$/);
  const pipelines = [
    { sources: [{ type: HUGE, name: 'a' }], stages: [] },
    { sources: [], stages: [[{ name: 's', query: 'SELECT 1', show: HUGE }]] },
    { sources: [], stages: [], destination: { type: 'file', name: 'd', location: 'x', format: { type: HUGE } } },
    { sources: [{ type: 'delta', name: 'd', location: 'x', timestamp: HUGE }], stages: [] },
    { sources: [{ type: 'file', name: 'f', location: 'x', format: { type: 'csv', options: { delimiter: HUGE, schema: [{ name: 'c', data_type: HUGE }] } } }], stages: [] },
    { sources: [{ type: 'in_memory', name: HUGE }, { type: 'in_memory', name: HUGE }], stages: [] },
    { sources: [], stages: [], [HUGE]: 1, storage: { [HUGE]: 2 } },
    { sources: [{ type: 'file', name: 'f', location: 'x', format: { type: 'parquet', options: {} }, storage_config: { [HUGE]: 5 } }], stages: [] },
  ];
  for (const pipeline of pipelines) {
    const d = decodeClientMessage(JSON.stringify({ type: 'execution_request', pipeline }), { cwd });
    const text = d.ok ? d.warnings.map((w) => `${w.path}: ${w.message}`).join('\n') : d.error;
    assert.ok(text.length < SHORT * 2, `${text.length}: ${text.slice(0, 300)}`);
    assert.match(text, /… ?.*\(12582912 characters\)/, text);
  }
  const unknownKey = decodeClientMessage(JSON.stringify({ type: 'execution_request', pipeline: { sources: [], stages: [], [HUGE]: 1 } }), { cwd });
  assert.ok(unknownKey.ok);
  assert.deepEqual(unknownKey.warnings, [{ path: `["${'a'.repeat(64)}…" (12582912 characters)]`, message: `unknown field \`${'a'.repeat(64)}…\` (12582912 characters), ignored` }]);
});

test('the CLI\'s validate diagnostics are bounded too (the same decoder, with positions)', () => {
  const text = `{"sources": [{"type": "${'k'.repeat(1_000_000)}", "name": "a"}], "stages": [], "${'u'.repeat(1_000_000)}": 1}`;
  try {
    loadPipelineText(text, 'json', {}, { cwd });
    assert.fail('expected an invalid pipeline');
  } catch (e) {
    const err = e as { message: string; diagnostics: Array<{ message: string; path: string }> };
    assert.ok(err.message.length < SHORT, err.message.slice(0, 300));
    assert.match(err.message, /unknown variant `k{64}…` \(1000000 characters\)/);
    for (const d of err.diagnostics) assert.ok(d.message.length + d.path.length < SHORT);
  }
});

test('a pipeline with thousands of findings keeps the first ones and counts the rest', () => {
  // 5000 invalid `show` values and 4999 duplicate stage names
  const stages = Array.from({ length: 5000 }, () => [{ name: 's', query: 'q', show: 'x', bogus: 1 }]);
  const d = decodeClientMessage(JSON.stringify({ type: 'execution_request', pipeline: { sources: [], stages } }), { cwd });
  const error = errorOf(d);
  assert.equal(error.split('; ').length, REPLY_FINDINGS);
  assert.match(error, /\(and 9989 more errors\)$/);
  assert.throws(() => decodeAqueduct({ sources: [], stages }, { cwd }), (e) => {
    assert.equal((e as { diagnostics: unknown[] }).diagnostics.length, KEPT_FINDINGS);
    assert.match((e as Error).message, /\(and 9998 more errors\)$/);
    return true;
  });
  const keys: Record<string, number> = { };
  for (let i = 0; i < 200_000; i++) keys[`unknown_${i}`] = i;
  const ok = decodeClientMessage(JSON.stringify({ type: 'execution_request', pipeline: { sources: [], stages: [], ...keys } }), { cwd });
  assert.ok(ok.ok);
  assert.equal(ok.warningCount, 200_000);
  assert.equal(ok.warnings.length, KEPT_FINDINGS + 1);
  assert.deepEqual(ok.warnings.at(-1), { path: '', message: '199900 more warnings not shown' });
});

test('prototype keys are plain keys: nothing is polluted, unknown ones are warnings', () => {
  const frame = '{"type":"execution_request","__proto__":{"type":"cancel_request"},"constructor":{"prototype":{"x":1}},'
    + '"pipeline":{"__proto__":{"sources":[]},"sources":[{"type":"file","name":"f","location":"x","format":{"type":"csv","options":{"__proto__":{"delimiter":";"}}},"storage_config":{"__proto__":"v","constructor":"w"}}],"stages":[]}}';
  const d = decodeClientMessage(frame, { cwd });
  assert.ok(d.ok && d.message.type === 'execution_request');
  const source = d.message.pipeline.sources[0]!;
  assert.ok(source.type === 'file');
  assert.equal(source.format.type === 'csv' && source.format.options.delimiter, ',');
  assert.deepEqual(Object.keys(source.storage_config), ['__proto__', 'constructor']);
  assert.equal(({} as Record<string, unknown>)['x'], undefined);
  assert.deepEqual(d.warnings.map((w) => w.path), ['__proto__', 'sources[0].format.options.__proto__']);
});

test('binary frames are refused unread', () => {
  const frame = Buffer.from(JSON.stringify({ type: 'cancel_request', execution_id: ID }));
  assert.deepEqual(decodeClientMessage(frame, { cwd, binary: true }), { ok: false, kind: 'malformed', error: BINARY_FRAME });
  assert.deepEqual(decodeClientFrame(frame, true), { ok: false, kind: 'malformed', error: BINARY_FRAME });
  assert.ok(decodeClientMessage(frame, { cwd }).ok, 'a text frame arrives as a Buffer too');
});

test('a long key is never compared letter by letter with the field names (no typo suggestion)', () => {
  assert.equal(closest('sorces', ['sources', 'stages']), 'sources');
  assert.equal(closest('s'.repeat(12_000_000), ['sources', 'stages']), undefined);
});

test('data types nested past the limit, or megabytes long, are refused with a short message', () => {
  const ok = tryParseDataType(`${'list<'.repeat(MAX_TYPE_NESTING - 1)}int${'>'.repeat(MAX_TYPE_NESTING - 1)}`);
  assert.ok(ok.ok);
  for (const input of [`${'list<'.repeat(100_000)}int${'>'.repeat(100_000)}`, `struct<${'a:list<'.repeat(50_000)}int${'>'.repeat(50_000)}>`, `map<${'x'.repeat(5_000_000)}, int>`, 'y'.repeat(5_000_000)]) {
    const r = tryParseDataType(input);
    assert.ok(!r.ok);
    assert.ok(r.error.length < SHORT, r.error.slice(0, 300));
  }
  assert.match((tryParseDataType(`${'list<'.repeat(40)}int${'>'.repeat(40)}`) as { error: string }).error, /^data type nested deeper than 32 levels: list<list</);
});

test('the orchestrator refuses executor frames nested deeper than it forwards, and bounds unknown types', () => {
  const deepField = `{"type":"progress_update","execution_id":"${ID}","progress":1,"event":{"type":"started","x":${DEEP}}}`;
  assert.deepEqual(decodeExecutorFrameText(deepField), { kind: 'invalid', reason: 'arrays and objects nested deeper than 32 levels, or too many of them', registration: false });
  const deepRegistration = `{"type":"register_executor","executor_id":${DEEP},"version":"1"}`;
  assert.deepEqual(decodeExecutorFrameText(deepRegistration), { kind: 'invalid', reason: 'register_executor: arrays and objects nested deeper than 32 levels, or too many of them', registration: true });
  for (const field of ['executor_id', 'version', 'max_memory_gb', 'state', 'execution_id']) {
    const r = decodeExecutorFrameText(JSON.stringify({ type: 'register_executor', executor_id: ID, version: '1', [field]: HUGE }));
    assert.ok(r.kind === 'invalid' && r.registration && r.reason.length < 100, JSON.stringify(r).slice(0, 200));
  }
  const skipped = decodeExecutorFrameText(JSON.stringify({ type: HUGE }));
  assert.deepEqual(skipped, { kind: 'skipped', type: `${'a'.repeat(64)}… (12582912 characters)` });
  assert.deepEqual(decodeExecutorFrame(JSON.stringify({ type: 'progress_update', execution_id: ID, progress: 1, event: { type: HUGE } })), { kind: 'skipped', type: `event ${'a'.repeat(64)}… (12582912 characters)` });
  // a real message stays as it was, unknown fields included
  const m = { type: 'execution_error', execution_id: ID, message: 'm', reason: 'stage', extra: { a: [1, { b: 2 }] } };
  assert.deepEqual(decodeExecutorFrameText(JSON.stringify(m)), { kind: 'message', message: m });
});

test('a local document nested deeper than its reader follows is a syntax error, not a stack overflow', () => {
  for (const [format, text] of [
    ['json', `{"sources": [], "stages": [], "x": ${DEEP}}`],
    ['toml', `sources = []\nstages = []\nx = ${'['.repeat(100_000)}${']'.repeat(100_000)}`],
  ] as const) {
    assert.throws(() => loadPipelineText(text, format, {}, { cwd }), (e: Error) => e.name === 'ExecutorError' && /syntax error/.test(e.message) && e.message.length < SHORT);
  }
});
