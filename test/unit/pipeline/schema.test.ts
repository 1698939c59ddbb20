import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { pipelineJsonSchema } from '../../../src/pipeline/schema.js';
import { readJson } from '../../../src/pipeline/json-document.js';
import { readToml } from '../../../src/pipeline/toml-document.js';
import { readYaml } from '../../../src/pipeline/yaml-document.js';
import { makeSubstitute } from '../../../src/pipeline/template.js';
import { serializeAqueduct } from '../../../src/pipeline/serialize.js';
import { checkSchema } from './json-schema-check.js';
import { PIPELINE_FILES, decode } from './helpers.js';

const schema = pipelineJsonSchema();
const PARAMS = { local_path: '/data', run_id: 'r', year: '2024', month: 'jan', user: 'u', pass: 'p', date: '2024-01-01' };

function rawValue(file: string): unknown {
  const text = readFileSync(file, 'utf8');
  const substitute = makeSubstitute(PARAMS);
  if (file.endsWith('.json')) return readJson(text, substitute).value;
  if (file.endsWith('.toml')) return readToml(text, substitute).value;
  return readYaml(text, substitute).value;
}

test('the schema is draft-07 and names the top-level keys', () => {
  assert.equal(schema['$schema'], 'http://json-schema.org/draft-07/schema#');
  assert.deepEqual(schema['required'], ['sources', 'stages']);
  assert.deepEqual(Object.keys(schema['properties'] as object), ['version', 'sources', 'stages', 'destination']);
});

test('every upstream pipeline validates after templating', () => {
  for (const file of PIPELINE_FILES) assert.deepEqual(checkSchema(schema, rawValue(file)), [], file);
});

test('canonical JSON of a decoded pipeline validates', () => {
  const p = decode({
    sources: [
      { type: 'dir', name: 'd', format: { type: 'csv', options: {} }, location: '/d', partition_cols: [['a', 'int']] },
      { type: 'delta', name: 't', location: '/t', timestamp: '2024-01-01T00:00:00Z' },
    ],
    stages: [[{ name: 's', query: 'SELECT 1' }]],
    destination: { type: 'odbc', name: 'o', connection_string: 'c', write_mode: { operation: 'custom', transaction: { insert: 'I' } } },
  }).pipeline;
  assert.deepEqual(checkSchema(schema, JSON.parse(serializeAqueduct(p))), []);
});

test('aliases and variant spellings are accepted; wrong documents are not', () => {
  const base = { sources: [], stages: [] };
  const valid = (doc: unknown): string[] => checkSchema(schema, doc);
  assert.deepEqual(valid({ ...base, sources: [{ type: 'File', name: 'f', file_type: { type: 'Csv', options: {} }, location: 'x', storage_options: {} }] }), []);
  assert.deepEqual(valid({ ...base, sources: [{ type: 'database', name: 'o', query: 'q', connection_string: 'c' }] }), []);
  assert.deepEqual(valid({ ...base, destination: { type: 'file', name: 'o', location: 'x', format: { type: 'json' } } }), []);
  assert.deepEqual(valid({ ...base, destination: { type: 'Delta', name: 'o', location: 'x', mode: { operation: 'Append' } } }), []);
  assert.deepEqual(valid({ ...base, extra_key: 1 }), [], 'unknown keys stay allowed');

  assert.notDeepEqual(valid({ ...base, sources: [{ type: 'kafka', name: 'k' }] }), []);
  assert.notDeepEqual(valid({ ...base, sources: [{ type: 'FILE', name: 'f', format: { type: 'csv', options: {} }, location: 'x' }] }), []);
  assert.notDeepEqual(valid({ ...base, sources: [{ type: 'file', name: 'f', format: { type: 'csv' }, location: 'x' }] }), []);
  assert.notDeepEqual(valid({ ...base, sources: [{ type: 'file', name: 'f', location: 'x' }] }), []);
  assert.notDeepEqual(valid({ ...base, destination: { type: 'file', name: 'o', location: 'x', format: { type: 'json', options: {} } } }), []);
  assert.notDeepEqual(valid({ ...base, destination: { type: 'delta', name: 'o', location: 'x', write_mode: { operation: 'upsert' } } }), []);
  assert.notDeepEqual(valid({ ...base, stages: [[{ name: 's', query: 'q', show: -1 }]] }), []);
  assert.notDeepEqual(valid({ ...base, stages: [[{ name: 's' }]] }), []);
  assert.notDeepEqual(valid({ sources: [] }), []);
  const field = (f: object): unknown => ({ ...base, destination: { type: 'delta', name: 'o', location: 'x', write_mode: { operation: 'append' }, schema: [f] } });
  assert.deepEqual(valid(field({ name: 'a', type: 'int' })), []);
  assert.notDeepEqual(valid(field({ name: 'a' })), []);
});

test('enums list canonical names first, then aliases', () => {
  const defs = schema['definitions'] as Record<string, { oneOf: Array<{ properties: { type: { enum: string[] } } }> }>;
  assert.deepEqual(defs['Source']?.oneOf.map((v) => v.properties.type.enum), [
    ['in_memory', 'InMemory', 'memory'], ['file', 'File'], ['directory', 'Directory', 'dir'], ['odbc', 'Odbc', 'database'], ['delta', 'Delta'],
  ]);
  assert.deepEqual(defs['Destination']?.oneOf.map((v) => v.properties.type.enum), [
    ['in_memory', 'InMemory', 'memory'], ['file', 'File'], ['odbc', 'Odbc', 'database'], ['delta', 'Delta'],
  ]);
});
