/** RFC 3339 timestamps for time travel; statistics columns and their JSON; commitInfo. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTimestampMs } from '../../../src/delta/timestamps.js';
import { fileStats, statsColumns } from '../../../src/delta/write/stats.js';
import { commitInfo, ignoredCustomKeys } from '../../../src/delta/write/commit-info.js';
import { parseSchemaString } from '../../../src/delta/schema.js';
import { VERSION } from '../../../src/core/version.js';

test('timestamps: zones, fractions (sub-milliseconds dropped), invalid text', () => {
  assert.equal(parseTimestampMs('2020-04-27T06:23:06.154Z'), 1587968586154);
  assert.equal(parseTimestampMs('2020-04-27T08:23:06.1549+02:00'), 1587968586154);
  assert.equal(parseTimestampMs('2020-04-27 06:23:06Z'), 1587968586000);
  assert.equal(parseTimestampMs('2020-04-27T06:23:06-0130'), 1587968586000 + 90 * 60_000);
  assert.equal(parseTimestampMs('2020-04-27'), null);
  assert.equal(parseTimestampMs('2020-04-27T06:23:06'), null, 'a zone is required');
  assert.equal(parseTimestampMs('yesterday'), null);
});

const schema = parseSchemaString(JSON.stringify({
  type: 'struct',
  fields: [['p', 'string'], ['a', 'long'], ['b', 'boolean'], ['n', { type: 'array', elementType: 'long', containsNull: true }], ['c', 'double'], ['d', 'string']].map(([name, type]) => ({ name, type, nullable: true, metadata: {} })),
}));

test('statistics columns: data columns only, the first N (nested ones count but get none), or the named ones', () => {
  assert.deepEqual(statsColumns(schema, ['p'], {}).map((c) => [c.field.name, c.bounds]), [['a', true], ['b', false], ['c', true], ['d', true]]);
  assert.deepEqual(statsColumns(schema, ['p'], { 'delta.dataSkippingNumIndexedCols': '3' }).map((c) => c.field.name), ['a', 'b']);
  assert.deepEqual(statsColumns(schema, ['p'], { 'delta.dataSkippingNumIndexedCols': '-1' }).map((c) => c.field.name), ['a', 'b', 'c', 'd']);
  assert.deepEqual(statsColumns(schema, ['p'], { 'delta.dataSkippingStatsColumns': 'd, `A`' }).map((c) => c.field.name), ['a', 'd']);
});

test('statistics JSON: exact number text, strings quoted, missing bounds left out', () => {
  const cols = statsColumns(schema, ['p'], {});
  const s = fileStats({ n: 3n, z0: 0n, lo0: '-9223372036854775808', hi0: '9223372036854775807', z1: 1n, z2: 0n, lo2: null, hi2: null, z3: 3n, lo3: 'a"b', hi3: null, x0: 2n }, cols, ['a']);
  assert.equal(s.numRecords, 3);
  assert.equal(s.json, '{"numRecords":3,"minValues":{"a":-9223372036854775808,"d":"a\\"b"},"maxValues":{"a":9223372036854775807},"nullCount":{"a":0,"b":1,"c":0,"d":3}}');
  assert.deepEqual(s.nulls, [2]);
  assert.equal(fileStats({ n: 1, z0: 0, lo0: 'inf', hi0: '1e+20' }, cols.slice(0, 1), []).json, '{"numRecords":1,"minValues":{},"maxValues":{"a":1e+20},"nullCount":{"a":0}}');
});

test('commitInfo: delta-rs\'s shape, parameters as strings, custom metadata flattened without overriding the writer\'s keys', () => {
  const info = commitInfo({ operation: 'WRITE', parameters: { mode: 'Append', partitionBy: ['p'], n: 3 }, metrics: { num_added_files: 1 }, readVersion: 4, custom: { team: 'data', operation: 'DELETE', userName: 'etl' } }, 1234);
  assert.deepEqual(info, {
    timestamp: 1234, operation: 'WRITE', operationParameters: { mode: 'Append', partitionBy: '["p"]', n: '3' }, readVersion: 4,
    operationMetrics: { num_added_files: 1 }, engineInfo: `aqueducts-executor:${VERSION}`, clientVersion: `aqueducts-executor.${VERSION}`, team: 'data', userName: 'etl',
  });
  assert.equal('readVersion' in commitInfo({ operation: 'WRITE', parameters: {}, metrics: {}, readVersion: -1 }), false);
  assert.deepEqual(commitInfo({ operation: 'WRITE', parameters: {}, metrics: {}, custom: { clientVersion: 'mine' } }).clientVersion, 'mine');
  assert.deepEqual(ignoredCustomKeys({ team: 'x', timestamp: '1', readVersion: '2' }), ['timestamp', 'readVersion']);
});
