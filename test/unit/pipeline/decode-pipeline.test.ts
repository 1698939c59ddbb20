import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAqueduct } from '../../../src/pipeline/decode.js';
import { CWD, decode, decodeError, errorsOf, warningsOf, withDestination, withSource, withStage } from './helpers.js';

test('the smallest pipeline gets the defaults', () => {
  assert.deepEqual(decode({ sources: [], stages: [] }), {
    pipeline: { version: 'v2', sources: [], stages: [], destination: null },
    warnings: [],
    warningCount: 0,
  });
});

test('version is any string, kept as is', () => {
  assert.equal(decode({ version: 'v1', sources: [], stages: [] }).pipeline.version, 'v1');
  assert.deepEqual(errorsOf({ version: 2, sources: [], stages: [] }), [['version', 'invalid type: integer `2`, expected a string']]);
  assert.deepEqual(errorsOf({ version: null, sources: [], stages: [] }), [['version', 'invalid type: null, expected a string']]);
});

test('sources and stages are required; the root must be a map', () => {
  assert.deepEqual(errorsOf({}), [['', 'missing field `sources`'], ['', 'missing field `stages`']]);
  assert.deepEqual(errorsOf([]), [['', 'invalid type: sequence, expected struct Aqueduct']]);
  assert.deepEqual(errorsOf(null), [['', 'invalid type: null, expected struct Aqueduct']]);
  assert.deepEqual(errorsOf({ sources: {}, stages: [] }), [['sources', 'invalid type: map, expected a sequence']]);
  assert.deepEqual(errorsOf({ sources: [], stages: [{ name: 'a', query: 'SELECT 1' }] }), [['stages[0]', 'invalid type: map, expected a sequence']]);
});

test('stage defaults and explicit values', () => {
  assert.deepEqual(decode(withStage({ name: 's', query: 'SELECT 1' })).pipeline.stages, [[
    { name: 's', query: 'SELECT 1', show: null, explain: false, explain_analyze: false, print_schema: false },
  ]]);
  assert.deepEqual(decode(withStage({ name: 's', query: 'q', show: 0, explain: true, explain_analyze: true, print_schema: true })).pipeline.stages, [[
    { name: 's', query: 'q', show: 0, explain: true, explain_analyze: true, print_schema: true },
  ]]);
  assert.equal(decode(withStage({ name: 's', query: 'q', show: null })).pipeline.stages[0]?.[0]?.show, null);
});

test('stage fields are strictly typed', () => {
  const stage = (extra: object): unknown => withStage({ name: 's', query: 'q', ...extra });
  assert.deepEqual(errorsOf(stage({ show: -1 })), [['stages[0][0].show', 'invalid value: integer `-1`, expected usize']]);
  assert.deepEqual(errorsOf(stage({ show: '10' })), [['stages[0][0].show', 'invalid type: string "10", expected usize']]);
  assert.deepEqual(errorsOf(stage({ show: 2.5 })), [['stages[0][0].show', 'invalid type: floating point `2.5`, expected usize']]);
  assert.deepEqual(errorsOf(stage({ explain: 'true' })), [['stages[0][0].explain', 'invalid type: string "true", expected a boolean']]);
  assert.deepEqual(errorsOf(stage({ print_schema: null })), [['stages[0][0].print_schema', 'invalid type: null, expected a boolean']]);
  assert.deepEqual(errorsOf(stage({ name: 2024 })), [['stages[0][0].name', 'invalid type: integer `2024`, expected a string']]);
  assert.deepEqual(errorsOf(withStage({ query: 'q' })), [['stages[0][0]', 'missing field `name`']]);
  assert.deepEqual(errorsOf(withStage('SELECT 1')), [['stages[0][0]', 'invalid type: string "SELECT 1", expected struct Stage']]);
});

test('stage query and name must not be empty', () => {
  assert.deepEqual(errorsOf(withStage({ name: 's', query: '' })), [['stages[0][0].query', 'stage query must not be empty']]);
  assert.deepEqual(errorsOf(withStage({ name: 's', query: '  \n ' })), [['stages[0][0].query', 'stage query must not be empty']]);
  assert.deepEqual(errorsOf(withStage({ name: '', query: 'q' })), [['stages[0][0].name', 'stage name must not be empty']]);
});

test('stage and source names are unique across the pipeline (case-insensitively)', () => {
  const mem = (name: string): object => ({ type: 'in_memory', name });
  const st = (name: string): object => ({ name, query: 'SELECT 1' });
  assert.deepEqual(errorsOf({ sources: [mem('a'), mem('b'), mem('A')], stages: [] }), [
    ['sources[2].name', 'duplicate source name `A` (first used by sources[0])'],
  ]);
  assert.deepEqual(errorsOf({ sources: [mem('a')], stages: [[st('x'), st('a')], [st('X')]] }), [
    ['stages[0][1].name', 'stage name `a` is already used by source sources[0]'],
    ['stages[1][0].name', 'duplicate stage name `X` (first used by stages[0][0])'],
  ]);
});

test('fields: type alias, defaults, description, ignored metadata', () => {
  const schemaOf = (schema: unknown): unknown =>
    (decode(withDestination({ type: 'delta', name: 'd', location: '/t', write_mode: { operation: 'append' }, schema })).pipeline.destination as { schema: unknown }).schema;
  assert.deepEqual(schemaOf([
    { name: 'a', type: 'long' },
    { name: 'b', data_type: 'timestamp<ms, UTC>', nullable: false, description: 'when', metadata: { x: 1 } },
  ]), [
    { name: 'a', data_type: 'int64', type: { kind: 'int64' }, nullable: true, description: null },
    {
      name: 'b', data_type: 'timestamp<millisecond,UTC>', type: { kind: 'timestamp', unit: 'millisecond', tz: 'UTC' },
      nullable: false, description: 'when',
    },
  ]);
});

test('field errors', () => {
  const schema = (fields: unknown): unknown => withDestination({ type: 'delta', name: 'd', location: '/t', write_mode: { operation: 'append' }, schema: fields });
  assert.deepEqual(errorsOf(schema([{ name: 'a', type: 'int32', data_type: 'int64' }])), [['destination.schema[0].data_type', 'duplicate field `data_type`']]);
  assert.deepEqual(errorsOf(schema([{ name: 'a' }])), [['destination.schema[0]', 'missing field `data_type`']]);
  assert.deepEqual(errorsOf(schema([{ name: 'a', type: 'varchar' }])), [['destination.schema[0].type', 'Invalid data type: Unknown data type: varchar']]);
  assert.deepEqual(errorsOf(schema([{ name: 'a', data_type: { type: 'list', item: 'int32' } }])), [
    ['destination.schema[0].data_type', 'invalid type: map, expected a string'],
  ]);
  assert.deepEqual(errorsOf(schema([{ name: 'a', type: 'int32', nullable: 'yes' }])), [['destination.schema[0].nullable', 'invalid type: string "yes", expected a boolean']]);
  assert.deepEqual(errorsOf(schema(null)), [['destination.schema', 'invalid type: null, expected a sequence']]);
});

test('unknown keys are accepted and reported as warnings with a suggestion for typos', () => {
  assert.deepEqual(warningsOf({ sources: [], stages: [], destinaton: { type: 'in_memory', name: 'x' } }), [
    ['destinaton', 'unknown field `destinaton`, ignored; did you mean `destination`?'],
  ]);
  assert.deepEqual(warningsOf({ sources: [], stages: [], destinations: null, owner: 'me' }), [
    ['destinations', 'unknown field `destinations`, ignored; did you mean `destination`?'],
    ['owner', 'unknown field `owner`, ignored'],
  ]);
  assert.deepEqual(warningsOf(withStage({ name: 's', query: 'q', shwo: 3 })), [['stages[0][0].shwo', 'unknown field `shwo`, ignored; did you mean `show`?']]);
  assert.deepEqual(warningsOf(withSource({ type: 'in_memory', name: 'x', 'a.b': 1 })), [['sources[0]["a.b"]', 'unknown field `a.b`, ignored']]);
});

test('all errors are collected; the message names the first and the count', () => {
  const e = decodeError({
    sources: [{ type: 'file', name: 'f', location: '/a', format: { type: 'csv', options: { delimiter: ';;' } } }, { type: 'kafka' }],
    stages: [[{ name: 's', query: '' }]],
    destination: { type: 'odbc', name: 'o', connection_string: 'c', write_mode: { operation: 'append' }, batch_size: -5 },
  });
  assert.deepEqual(e.diagnostics.map((d) => d.path), [
    'sources[0].format.options.delimiter', 'sources[1].type', 'stages[0][0].query', 'destination.batch_size',
  ]);
  assert.equal(e.message, 'Invalid pipeline: sources[0].format.options.delimiter: invalid value: string ";;", expected a character (and 3 more errors)');
  assert.equal(decodeError({ sources: [] }).message, 'Invalid pipeline: missing field `stages`');
});

test('diagnostics carry positions from the locator and are sorted by them', () => {
  const positions: Record<string, { line: number; column: number }> = {
    '["stages",0,0,"query"]': { line: 3, column: 14 },
    '["sources",0,"name"]': { line: 9, column: 11 },
    '["extra"]': { line: 1, column: 1 },
  };
  const locate = (path: ReadonlyArray<string | number>, target?: 'key' | 'value'): { line: number; column: number } | undefined =>
    positions[JSON.stringify(path)] ?? (target === 'key' ? undefined : { line: 20, column: 2 });
  try {
    decodeAqueduct({ sources: [{ type: 'in_memory', name: 1 }], stages: [[{ name: 's', query: '' }]], extra: 1 }, { cwd: CWD, locate });
    assert.fail('expected an error');
  } catch (e) {
    assert.deepEqual((e as { diagnostics: unknown }).diagnostics, [
      { path: 'stages[0][0].query', message: 'stage query must not be empty', line: 3, column: 14 },
      { path: 'sources[0].name', message: 'invalid type: integer `1`, expected a string', line: 9, column: 11 },
    ]);
    assert.equal((e as Error).message, 'Invalid pipeline: stages[0][0].query (line 3, column 14): stage query must not be empty (and 1 more error)');
  }
  const ok = decodeAqueduct({ sources: [], stages: [], extra: 1 }, { cwd: CWD, locate });
  assert.deepEqual(ok.warnings, [{ path: 'extra', message: 'unknown field `extra`, ignored', line: 1, column: 1 }]);
});
