import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode, errorsOf, warningsOf, withDestination } from './helpers.js';

const destination = (raw: unknown): unknown => decode(withDestination(raw)).pipeline.destination;

test('every destination type name and alias is accepted, case-sensitively', () => {
  const bodies: Record<string, object> = {
    in_memory: {},
    file: { location: '/o.csv', format: { type: 'json' } },
    odbc: { connection_string: 'DSN=x', write_mode: { operation: 'append' } },
    delta: { location: '/t', write_mode: { operation: 'append' } },
  };
  const accepted: Array<[string, string]> = [
    ['in_memory', 'in_memory'], ['memory', 'in_memory'], ['InMemory', 'in_memory'],
    ['file', 'file'], ['File', 'file'],
    ['odbc', 'odbc'], ['database', 'odbc'], ['Odbc', 'odbc'],
    ['delta', 'delta'], ['Delta', 'delta'],
  ];
  for (const [tag, variant] of accepted) {
    assert.equal((destination({ type: tag, name: 'n', ...bodies[variant] }) as { type: string }).type, variant, tag);
  }
  assert.deepEqual(errorsOf(withDestination({ type: 'directory', name: 'n' })), [[
    'destination.type',
    'unknown variant `directory`, expected one of `InMemory`, `in_memory`, `memory`, `File`, `file`, `Odbc`, `database`, `odbc`, `Delta`, `delta`',
  ]]);
});

test('destination defaults to null; explicit null is accepted', () => {
  assert.equal(decode({ sources: [], stages: [] }).pipeline.destination, null);
  assert.equal(decode({ sources: [], stages: [], destination: null }).pipeline.destination, null);
});

test('file destination: defaults and aliases', () => {
  assert.deepEqual(destination({ type: 'file', name: 'out', location: './out/', format: { type: 'csv', options: {} } }), {
    type: 'file', name: 'out', location: 'file:///srv/work/out',
    format: { type: 'csv', options: { has_header: true, delimiter: ',', compression: null } },
    single_file: true, partition_columns: [], storage_config: {},
  });
  assert.deepEqual(
    destination({
      type: 'File', name: 'out', location: 's3://b/out/', file_type: { type: 'Parquet', options: { compression: 'zstd(3)' } },
      single_file: false, partition_cols: ['date'], storage_options: { AWS_REGION: 'x' },
    }),
    {
      type: 'file', name: 'out', location: 's3://b/out/', format: { type: 'parquet', options: { compression: 'zstd(3)' } },
      single_file: false, partition_columns: ['date'], storage_config: { AWS_REGION: 'x' },
    },
  );
  const csv = destination({ type: 'file', name: 'o', location: '/o', format: { type: 'Csv', options: { has_header: false, delimiter: '|', compression: 'gzip' } } });
  assert.deepEqual((csv as { format: unknown }).format, { type: 'csv', options: { has_header: false, delimiter: '|', compression: 'gzip' } });
});

test('json destination is a unit variant; parquet needs options', () => {
  const file = (format: unknown): unknown => withDestination({ type: 'file', name: 'o', location: '/o', format });
  assert.deepEqual((destination({ type: 'file', name: 'o', location: '/o', format: { type: 'Json' } }) as { format: unknown }).format, { type: 'json' });
  assert.deepEqual((destination({ type: 'file', name: 'o', location: '/o', format: { type: 'json', options: null } }) as { format: unknown }).format, { type: 'json' });
  assert.deepEqual(errorsOf(file({ type: 'json', options: {} })), [['destination.format.options', 'invalid type: map, expected unit variant']]);
  assert.deepEqual(errorsOf(file({ type: 'parquet' })), [['destination.format', 'missing field `options`']]);
  assert.deepEqual(errorsOf(file({ type: 'parquet', options: { max_row_group_size: 1000 } })), [
    ['destination.format.options.max_row_group_size', 'invalid type: integer `1000`, expected a string'],
  ]);
  assert.deepEqual(errorsOf(file({ type: 'csv', options: { delimiter: 'ab' } })), [
    ['destination.format.options.delimiter', 'invalid value: string "ab", expected a character'],
  ]);
  assert.deepEqual(errorsOf(file({ type: 'avro', options: {} })), [
    ['destination.format.type', 'unknown variant `avro`, expected one of `Parquet`, `parquet`, `Csv`, `csv`, `Json`, `json`'],
  ]);
});

test('odbc destination: write modes and batch size', () => {
  assert.deepEqual(destination({ type: 'odbc', name: 't', connection_string: 'DSN=pg', write_mode: { operation: 'Append' } }), {
    type: 'odbc', name: 't', connection_string: 'DSN=pg', write_mode: { operation: 'append' }, batch_size: 1000,
  });
  const custom = destination({
    type: 'odbc', name: 't', connection_string: 'DSN=pg', batch_size: 50,
    write_mode: { operation: 'custom', transaction: { pre_insert: 'DELETE FROM t', insert: 'INSERT INTO t VALUES (?, ?)' } },
  });
  assert.deepEqual(custom, {
    type: 'odbc', name: 't', connection_string: 'DSN=pg', batch_size: 50,
    write_mode: { operation: 'custom', transaction: { pre_insert: 'DELETE FROM t', insert: 'INSERT INTO t VALUES (?, ?)' } },
  });
  const noPre = destination({ type: 'odbc', name: 't', connection_string: 'c', write_mode: { operation: 'Custom', transaction: { insert: 'INSERT' } } });
  assert.deepEqual((noPre as { write_mode: unknown }).write_mode, { operation: 'custom', transaction: { pre_insert: null, insert: 'INSERT' } });

  const odbc = (extra: object): unknown => withDestination({ type: 'odbc', name: 't', connection_string: 'c', ...extra });
  assert.deepEqual(errorsOf(odbc({ write_mode: { operation: 'custom' } })), [['destination.write_mode', 'missing field `transaction`']]);
  assert.deepEqual(errorsOf(odbc({ write_mode: { operation: 'custom', transaction: {} } })), [['destination.write_mode.transaction', 'missing field `insert`']]);
  assert.deepEqual(errorsOf(odbc({ write_mode: { operation: 'upsert' } })), [
    ['destination.write_mode.operation', 'unknown variant `upsert`, expected one of `Append`, `append`, `Custom`, `custom`'],
  ]);
  assert.deepEqual(warningsOf(odbc({ write_mode: { operation: 'append', params: [] } })), [
    ['destination.write_mode.params', 'unknown field `params`, ignored'],
  ]);
  assert.deepEqual(errorsOf(odbc({ write_mode: { operation: 'append', transaction: {} } })), [
    ['destination.write_mode.transaction', 'invalid type: map, expected unit variant'],
  ]);
  assert.deepEqual(errorsOf(odbc({ write_mode: { operation: 'append' }, batch_size: -1 })), [
    ['destination.batch_size', 'invalid value: integer `-1`, expected usize'],
  ]);
  assert.deepEqual(errorsOf(odbc({ write_mode: { operation: 'append' }, batch_size: '100' })), [
    ['destination.batch_size', 'invalid type: string "100", expected usize'],
  ]);
  assert.deepEqual(errorsOf(odbc({})), [['destination', 'missing field `write_mode`']]);
});

test('delta destination: defaults, aliases and write modes', () => {
  assert.deepEqual(destination({ type: 'delta', name: 'd', location: './t', write_mode: { operation: 'append' } }), {
    type: 'delta', name: 'd', location: 'file:///srv/work/t', write_mode: { operation: 'append' },
    storage_config: {}, partition_columns: [], table_properties: {}, metadata: {}, schema: [],
  });
  const full = destination({
    type: 'Delta', name: 'd', location: 's3://b/t', mode: { operation: 'Upsert', params: ['date', 'country'] },
    storage_options: { a: 'b' }, partition_cols: ['date'], table_properties: { 'delta.appendOnly': 'true', 'delta.x': null },
    custom_metadata: { owner: 'me' }, schema: [{ name: 'date', data_type: 'date', description: 'day' }],
  });
  assert.deepEqual(full, {
    type: 'delta', name: 'd', location: 's3://b/t', write_mode: { operation: 'upsert', params: ['date', 'country'] },
    storage_config: { a: 'b' }, partition_columns: ['date'], table_properties: { 'delta.appendOnly': 'true', 'delta.x': null },
    metadata: { owner: 'me' }, schema: [{ name: 'date', data_type: 'date32', type: { kind: 'date32' }, nullable: true, description: 'day' }],
  });
  const replace = destination({
    type: 'delta', name: 'd', location: '/t', write_mode: { operation: 'replace', params: [{ column: 'date', value: '2024-01-01' }] },
  });
  assert.deepEqual((replace as { write_mode: unknown }).write_mode, { operation: 'replace', params: [{ column: 'date', value: '2024-01-01' }] });
});

test('delta write mode errors', () => {
  const delta = (write_mode: unknown): unknown => withDestination({ type: 'delta', name: 'd', location: '/t', write_mode });
  assert.deepEqual(errorsOf(delta({ operation: 'upsert' })), [['destination.write_mode', 'missing field `params`']]);
  assert.deepEqual(errorsOf(delta({ operation: 'append', params: [] })), [['destination.write_mode.params', 'invalid type: sequence, expected unit variant']]);
  assert.deepEqual(errorsOf(delta({ operation: 'overwrite' })), [
    ['destination.write_mode.operation', 'unknown variant `overwrite`, expected one of `Append`, `append`, `Upsert`, `upsert`, `Replace`, `replace`'],
  ]);
  assert.deepEqual(errorsOf(delta({ operation: 'replace', params: [{ column: 'year', value: 2024 }] })), [
    ['destination.write_mode.params[0].value', 'invalid type: integer `2024`, expected a string'],
  ]);
  assert.deepEqual(errorsOf(delta({ params: ['a'] })), [['destination.write_mode', 'missing field `operation`']]);
  assert.deepEqual(errorsOf(delta({ operation: 'upsert', params: 'date' })), [['destination.write_mode.params', 'invalid type: string "date", expected a sequence']]);
  assert.deepEqual(errorsOf(withDestination({ type: 'delta', name: 'd', location: '/t', write_mode: { operation: 'append' }, table_properties: { a: 1 } })), [
    ['destination.table_properties.a', 'invalid type: integer `1`, expected a string'],
  ]);
});
