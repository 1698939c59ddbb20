import { test } from 'node:test';
import assert from 'node:assert/strict';
import { locationToPath, parseLocation } from '../../../src/pipeline/location.js';

const CWD = '/srv/work';

test('strings with a scheme stay URLs', () => {
  const cases: Array<[string, string]> = [
    ['s3://b/k', 's3://b/k'],
    ['s3://bucket/prefix/', 's3://bucket/prefix/'],
    ['gs://bucket/object.parquet', 'gs://bucket/object.parquet'],
    ['azure://container/blob', 'azure://container/blob'],
    ['abfss://c@a.dfs.core.windows.net/p', 'abfss://c@a.dfs.core.windows.net/p'],
    ['https://example.com/data.csv', 'https://example.com/data.csv'],
    ['https://example.com', 'https://example.com/'],
    ['file:///tmp/x', 'file:///tmp/x'],
    ['file:///tmp/out/', 'file:///tmp/out/'],
    ['s3://b/my file.csv', 's3://b/my%20file.csv'],
    ['C:\\data.csv', 'c:\\data.csv'],
  ];
  for (const [input, expected] of cases) assert.equal(parseLocation(input, CWD), expected, input);
});

test('relative paths are joined to the working directory', () => {
  assert.equal(parseLocation('./data.csv', CWD), 'file:///srv/work/data.csv');
  assert.equal(parseLocation('data/in.csv', CWD), 'file:///srv/work/data/in.csv');
  assert.equal(parseLocation('./a/./b/../c.csv', CWD), 'file:///srv/work/a/b/../c.csv');
  assert.equal(parseLocation('~/x.csv', CWD), 'file:///srv/work/~/x.csv');
  assert.equal(parseLocation('', CWD), 'file:///srv/work');
  assert.equal(parseLocation('.', CWD), 'file:///srv/work');
});

test('absolute paths are used as they are', () => {
  assert.equal(parseLocation('/tmp/data.csv', CWD), 'file:///tmp/data.csv');
  assert.equal(parseLocation('//tmp//data.csv', CWD), 'file:///tmp/data.csv');
  assert.equal(parseLocation('/', CWD), 'file:///');
});

test('a trailing slash of a path is dropped', () => {
  assert.equal(parseLocation('./out/', CWD), 'file:///srv/work/out');
  assert.equal(parseLocation('/tmp/out/', CWD), 'file:///tmp/out');
});

test('path segments are percent-encoded like Url::from_file_path', () => {
  assert.equal(parseLocation('/tmp/my file.csv', CWD), 'file:///tmp/my%20file.csv');
  assert.equal(parseLocation('./${x}/a.csv', CWD), 'file:///srv/work/$%7Bx%7D/a.csv');
  assert.equal(parseLocation('/t/100%.csv', CWD), 'file:///t/100%25.csv');
  assert.equal(parseLocation('/t/a#b?c.csv', CWD), 'file:///t/a%23b%3Fc.csv');
  assert.equal(parseLocation('/t/"<q>`\\.csv', CWD), 'file:///t/%22%3Cq%3E%60%5C.csv');
  assert.equal(parseLocation('/t/ü.csv', CWD), 'file:///t/%C3%BC.csv');
  assert.equal(parseLocation('/t/a=b,c;d@e+f[g]|^~!$&\'()*:.csv', CWD), "file:///t/a=b,c;d@e+f[g]|^~!$&'()*:.csv");
  assert.equal(parseLocation('/t/tab\there', CWD), 'file:///t/tab%09here');
});

test('the working directory itself is normalised the same way', () => {
  assert.equal(parseLocation('x.csv', '/srv/my data/./run/'), 'file:///srv/my%20data/run/x.csv');
});

test('locationToPath decodes file URLs and refuses others', () => {
  assert.equal(locationToPath('file:///srv/my%20data/%7Bx%7D.csv'), '/srv/my data/{x}.csv');
  assert.equal(locationToPath(parseLocation('./a b/ü#1.csv', CWD)), '/srv/work/a b/ü#1.csv');
  assert.equal(locationToPath('s3://b/k'), null);
  assert.equal(locationToPath('https://example.com/x'), null);
  assert.equal(locationToPath('file://server/share/x'), null);
});
