import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStoreLocation } from '../../../src/storage/location.js';
import { parseLocation } from '../../../src/pipeline/location.js';
import { StorageError } from '../../../src/storage/types.js';

const parse = (s: string) => {
  const { url: _url, ...rest } = parseStoreLocation(parseLocation(s, '/cwd'));
  return rest;
};

test('S3 locations: s3://, s3a:// and the amazonaws.com https forms', () => {
  assert.deepEqual(parse('s3://bucket/prefix/file.parquet'), { kind: 's3', bucket: 'bucket', key: 'prefix/file.parquet' });
  assert.deepEqual(parse('s3a://bucket/dir/'), { kind: 's3', bucket: 'bucket', key: 'dir/' });
  assert.deepEqual(parse('s3://bucket'), { kind: 's3', bucket: 'bucket', key: '' });
  assert.deepEqual(parse('s3://b/my file.csv'), { kind: 's3', bucket: 'b', key: 'my file.csv' });
  assert.deepEqual(parse('s3://b/day=2024-01-01/a%25b.csv'), { kind: 's3', bucket: 'b', key: 'day=2024-01-01/a%b.csv' });
  assert.deepEqual(parse('https://bucket.s3.eu-west-1.amazonaws.com/k/x.csv'), { kind: 's3', bucket: 'bucket', key: 'k/x.csv', region: 'eu-west-1' });
  assert.deepEqual(parse('https://bucket.s3.amazonaws.com/k'), { kind: 's3', bucket: 'bucket', key: 'k' });
  assert.deepEqual(parse('https://s3.us-east-2.amazonaws.com/bucket/k/x.csv'), { kind: 's3', bucket: 'bucket', key: 'k/x.csv', region: 'us-east-2' });
});

test('GCS locations: gs://, gcs:// and storage.googleapis.com', () => {
  assert.deepEqual(parse('gs://bucket/dir/'), { kind: 'gcs', bucket: 'bucket', key: 'dir/' });
  assert.deepEqual(parse('gcs://bucket/a/b.json'), { kind: 'gcs', bucket: 'bucket', key: 'a/b.json' });
  assert.deepEqual(parse('https://storage.googleapis.com/bucket/a.csv'), { kind: 'gcs', bucket: 'bucket', key: 'a.csv' });
});

test('Azure locations: az://, azure://, adl://, abfs[s]:// (both forms) and blob/dfs https URLs', () => {
  assert.deepEqual(parse('az://container/path/x.csv'), { kind: 'azure', container: 'container', key: 'path/x.csv' });
  assert.deepEqual(parse('azure://container/path'), { kind: 'azure', container: 'container', key: 'path' });
  assert.deepEqual(parse('adl://container/p'), { kind: 'azure', container: 'container', key: 'p' });
  assert.deepEqual(parse('abfs://container/p'), { kind: 'azure', container: 'container', key: 'p' });
  assert.deepEqual(parse('abfss://data@myaccount.dfs.core.windows.net/raw/2024/'), { kind: 'azure', container: 'data', account: 'myaccount', key: 'raw/2024/' });
  assert.deepEqual(parse('abfs://data@myaccount.blob.core.windows.net/x'), { kind: 'azure', container: 'data', account: 'myaccount', key: 'x' });
  assert.deepEqual(parse('https://myaccount.blob.core.windows.net/data/raw/x.parquet'), { kind: 'azure', container: 'data', account: 'myaccount', key: 'raw/x.parquet' });
  assert.deepEqual(parse('https://myaccount.dfs.core.windows.net/data/raw/'), { kind: 'azure', container: 'data', account: 'myaccount', key: 'raw/' });
});

test('local locations: file:// URLs and plain paths', () => {
  assert.deepEqual(parse('file:///tmp/a%20b/x.csv'), { kind: 'local', path: '/tmp/a b/x.csv' });
  assert.deepEqual(parse('./data/x.csv'), { kind: 'local', path: '/cwd/data/x.csv' });
  assert.deepEqual(parse('/abs/dir/'), { kind: 'local', path: '/abs/dir' });
});

test('unsupported and malformed locations fail with a message naming the location', () => {
  const fails = (s: string, re: RegExp) =>
    assert.throws(() => parseStoreLocation(s), (e: unknown) => e instanceof StorageError && e.kind === 'invalid_config' && re.test(e.message), s);
  fails('hdfs://namenode/x', /hdfs:\/\/namenode\/x: locations with scheme hdfs:\/\/ are not supported \(use s3:\/\//);
  fails('c:\\data.csv', /scheme c:\/\/ are not supported/);
  fails('https://example.com/data.csv', /https:\/\/example.com\/data.csv is not a supported location: plain HTTP\(S\) servers are not object stores/);
  fails('abfss://data@myaccount.example.com/x', /expected container@account.dfs.core.windows.net/);
  fails('https://myaccount.blob.core.windows.net/', /the container is missing/);
  fails('az://my.container/x', /container "my.container" is not a valid name/);
  fails('s3:///key', /the bucket is missing/);
});
