import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serializeAqueduct } from '../../../src/pipeline/serialize.js';
import type { Aqueduct } from '../../../src/pipeline/types.js';
import { decode, withDestination } from './helpers.js';

test('the empty pipeline serialises exactly like the original', () => {
  assert.equal(serializeAqueduct(decode({ sources: [], stages: [] }).pipeline), '{"version":"v2","sources":[],"stages":[],"destination":null}');
});

const FULL = {
  sources: [
    { type: 'InMemory', name: 'mem' },
    {
      type: 'File', name: 'f', location: './in/a b.csv', storage_options: { k: 'v' },
      file_type: { type: 'Csv', options: { has_header: false, delimiter: ';', schema: [{ name: 'x', type: 'int', description: 'the x' }, { name: 'y', data_type: 'utf8', nullable: false }] } },
    },
    { type: 'dir', name: 'd', format: { type: 'parquet', options: {} }, location: 's3://b/p/', partition_cols: [{ name: 'day', data_type: 'date' }, ['n', 'long']] },
    { type: 'database', name: 'o', query: 'SELECT "a" FROM t', connection_string: 'DSN=pg' },
    { type: 'Delta', name: 'dt', location: '/t', version: 4, timestamp: '2024-01-15T11:30:00.25+01:00' },
    { type: 'file', name: 'j', format: { type: 'json', options: {} }, location: 'https://h/x.ndjson' },
  ],
  stages: [
    [{ name: 's1', query: 'SELECT 1\n', show: 20 }, { name: 's2', query: 'SELECT 2', explain: true }],
    [{ name: 's3', query: 'SELECT "\\t"', print_schema: true, explain_analyze: true, show: 0 }],
  ],
  destination: {
    type: 'delta', name: 'out', location: './out/', mode: { operation: 'Replace', params: [{ column: 'day', value: '2024-01-01' }] },
    storage_config: {}, partition_cols: ['day'], table_properties: { 'delta.appendOnly': 'true', none: null },
    custom_metadata: { owner: 'ünï' }, schema: [{ name: 'day', type: 'date', metadata: {} }],
  },
};

test('a full pipeline serialises byte for byte: field order, unit variants, Display data types, tuples, URLs', () => {
  const expected = '{"version":"v2","sources":['
    + '{"type":"in_memory","name":"mem"},'
    + '{"type":"file","name":"f","format":{"type":"csv","options":{"has_header":false,"delimiter":";","schema":['
    + '{"name":"x","data_type":"int32","nullable":true,"description":"the x"},{"name":"y","data_type":"string","nullable":false}]}},'
    + '"location":"file:///srv/work/in/a%20b.csv","storage_config":{"k":"v"}},'
    + '{"type":"directory","name":"d","format":{"type":"parquet","options":{"schema":[]}},'
    + '"partition_columns":[["day","date32"],["n","int64"]],"location":"s3://b/p/","storage_config":{}},'
    + '{"type":"odbc","name":"o","load_query":"SELECT \\"a\\" FROM t","connection_string":"DSN=pg"},'
    + '{"type":"delta","name":"dt","location":"file:///t","storage_config":{},"version":4,"timestamp":"2024-01-15T10:30:00.250Z"},'
    + '{"type":"file","name":"j","format":{"type":"json","options":{"schema":[]}},"location":"https://h/x.ndjson","storage_config":{}}'
    + '],"stages":[['
    + '{"name":"s1","query":"SELECT 1\\n","show":20,"explain":false,"explain_analyze":false,"print_schema":false},'
    + '{"name":"s2","query":"SELECT 2","show":null,"explain":true,"explain_analyze":false,"print_schema":false}],['
    + '{"name":"s3","query":"SELECT \\"\\\\t\\"","show":0,"explain":false,"explain_analyze":true,"print_schema":true}]],'
    + '"destination":{"type":"delta","name":"out","location":"file:///srv/work/out",'
    + '"write_mode":{"operation":"replace","params":[{"column":"day","value":"2024-01-01"}]},'
    + '"storage_config":{},"partition_columns":["day"],"table_properties":{"delta.appendOnly":"true","none":null},'
    + '"metadata":{"owner":"ünï"},"schema":[{"name":"day","data_type":"date32","nullable":true}]}}';
  assert.equal(serializeAqueduct(decode(FULL).pipeline), expected);
});

test('destinations serialise with unit variants as the bare tag', () => {
  const dest = (d: unknown): string => {
    const json = serializeAqueduct(decode(withDestination(d)).pipeline);
    return json.slice(json.indexOf('"destination":') + '"destination":'.length, -1);
  };
  assert.equal(dest({ type: 'memory', name: 'm' }), '{"type":"in_memory","name":"m"}');
  assert.equal(
    dest({ type: 'file', name: 'o', location: '/o.json', format: { type: 'Json' } }),
    '{"type":"file","name":"o","location":"file:///o.json","format":{"type":"json"},"single_file":true,"partition_columns":[],"storage_config":{}}',
  );
  assert.equal(
    dest({ type: 'file', name: 'o', location: '/o', file_type: { type: 'csv', options: {} }, single_file: false, partition_cols: ['a'] }),
    '{"type":"file","name":"o","location":"file:///o","format":{"type":"csv","options":{"has_header":true,"delimiter":",","compression":null}},'
      + '"single_file":false,"partition_columns":["a"],"storage_config":{}}',
  );
  assert.equal(
    dest({ type: 'file', name: 'o', location: '/o', format: { type: 'parquet', options: { compression: 'snappy' } } }),
    '{"type":"file","name":"o","location":"file:///o","format":{"type":"parquet","options":{"compression":"snappy"}},"single_file":true,"partition_columns":[],"storage_config":{}}',
  );
  assert.equal(
    dest({ type: 'odbc', name: 't', connection_string: 'c', write_mode: { operation: 'Append' } }),
    '{"type":"odbc","name":"t","connection_string":"c","write_mode":{"operation":"append"},"batch_size":1000}',
  );
  assert.equal(
    dest({ type: 'odbc', name: 't', connection_string: 'c', write_mode: { operation: 'custom', transaction: { insert: 'INSERT ?' } }, batch_size: 7 }),
    '{"type":"odbc","name":"t","connection_string":"c","write_mode":{"operation":"custom","transaction":{"pre_insert":null,"insert":"INSERT ?"}},"batch_size":7}',
  );
  assert.equal(
    dest({ type: 'delta', name: 'd', location: 'gs://b/t', write_mode: { operation: 'append' } }),
    '{"type":"delta","name":"d","location":"gs://b/t","write_mode":{"operation":"append"},"storage_config":{},"partition_columns":[],"table_properties":{},"metadata":{},"schema":[]}',
  );
  assert.equal(
    dest({ type: 'delta', name: 'd', location: 'gs://b/t', write_mode: { operation: 'upsert', params: ['a', 'b'] } }).slice(0, 90),
    '{"type":"delta","name":"d","location":"gs://b/t","write_mode":{"operation":"upsert","param',
  );
});

/** decode(JSON.parse(serialize(p))) gives p back. */
function assertRoundTrip(p: Aqueduct): void {
  const again = decode(JSON.parse(serializeAqueduct(p))).pipeline;
  assert.deepEqual(again, p);
  assert.equal(serializeAqueduct(again), serializeAqueduct(p));
}

test('round trip: decoding the canonical JSON gives the same model', () => {
  assertRoundTrip(decode(FULL).pipeline);
  assertRoundTrip(decode({ sources: [], stages: [] }).pipeline);
  for (const d of [
    { type: 'memory', name: 'm' },
    { type: 'file', name: 'o', location: '/o.json', format: { type: 'Json' } },
    { type: 'file', name: 'o', location: './x y/', format: { type: 'csv', options: { compression: 'gzip', delimiter: '\t' } } },
    { type: 'odbc', name: 't', connection_string: 'c', write_mode: { operation: 'custom', transaction: { pre_insert: 'DELETE', insert: 'I' } } },
    { type: 'delta', name: 'd', location: 's3://b/t', write_mode: { operation: 'upsert', params: ['a'] }, schema: [{ name: 'm', type: 'map<string,list<struct<a:int,b:timestamp<ns,+01:00>>>>' }] },
  ]) {
    assertRoundTrip(decode(withDestination(d)).pipeline);
  }
});
