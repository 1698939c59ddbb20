/** What validation can tell about Delta sources and destinations without a store. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deltaDestinationFindings, deltaSourceFindings } from '../../../src/delta/validate.js';
import { deltaDestination, field } from '../../support/delta.js';

const schema = [field('date', 'date32'), field('country', 'utf8'), field('v', 'float64'), field('tags', 'list<utf8>')];

test('a destination like the original\'s examples has no findings', () => {
  assert.deepEqual(deltaDestinationFindings(deltaDestination('/t', { schema, partition_columns: ['date'], write_mode: { operation: 'upsert', params: ['date', 'country'] } })), []);
  assert.deepEqual(deltaDestinationFindings(deltaDestination('/t', { schema, partition_columns: ['date'], write_mode: { operation: 'replace', params: [{ column: 'date', value: '2024-01-01' }] } })), []);
  // Without a declared schema, columns can only be checked against the table when the run starts.
  assert.deepEqual(deltaDestinationFindings(deltaDestination('/t', { partition_columns: ['p'], write_mode: { operation: 'upsert', params: ['k'] } })), []);
});

test('write mode parameters and partition columns must name declared columns', () => {
  const findings = deltaDestinationFindings(deltaDestination('/t', {
    schema, partition_columns: ['day', 'tags'],
    write_mode: { operation: 'replace', params: [{ column: 'date', value: 'x' }, { column: 'nope', value: 'y' }] },
  }));
  assert.deepEqual(findings.map((f) => [f.path.join('.'), f.severity]), [['partition_columns.0', 'error'], ['partition_columns.1', 'error'], ['write_mode.params.1.column', 'error']]);
  assert.match(findings[0]!.message, /partition column "day" is not a column of the declared schema \(date, country, v, tags\)/);
  assert.match(findings[1]!.message, /array column cannot be a partition column/);
  const upsert = deltaDestinationFindings(deltaDestination('/t', { schema, write_mode: { operation: 'upsert', params: ['tags', 'who'] } }));
  assert.deepEqual(upsert.map((f) => f.message), ['upsert key "tags" is of type array<string>; keys must be of a primitive type', 'upsert key "who" is not a column of the declared schema (date, country, v, tags)']);
  assert.deepEqual(deltaDestinationFindings(deltaDestination('/t', { write_mode: { operation: 'upsert', params: [] } })).map((f) => f.message), ['an upsert needs at least one key column']);
});

test('schema types without a Delta equivalent, and table properties, are findings', () => {
  const findings = deltaDestinationFindings(deltaDestination('/t', { schema: [field('t', 'time64<microsecond>')], table_properties: { 'delta.enableDeletionVectors': 'true' } }));
  assert.deepEqual(findings.map((f) => f.path.join('.')), ['schema.0.data_type', 'table_properties.delta.enableDeletionVectors']);
});

test('sources: a negative version is an error; version and timestamp together a warning', () => {
  const src = { type: 'delta' as const, name: 's', location: 'file:///t', storage_config: {}, version: -1, timestamp: null };
  assert.deepEqual(deltaSourceFindings(src).map((f) => [f.path.join('.'), f.severity]), [['version', 'error']]);
  assert.deepEqual(deltaSourceFindings({ ...src, version: 2, timestamp: '2024-01-01T00:00:00Z' }).map((f) => [f.path.join('.'), f.severity]), [['timestamp', 'warning']]);
});
