/** Names in a table: `_delta_log/` files, `add.path` encoding, partition directories. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAddPath, encodeAddPath, escapePartitionValue, isAbsolutePath, parseLogFileName, partitionSegment } from '../../../src/delta/paths.js';

test('log file names: commits, classic and multi-part checkpoints, V2 checkpoints; everything else ignored', () => {
  assert.deepEqual(parseLogFileName('00000000000000000007.json'), { type: 'commit', version: 7 });
  assert.deepEqual(parseLogFileName('00000000000000000010.checkpoint.parquet'), { type: 'checkpoint', version: 10, part: 1, parts: 1 });
  assert.deepEqual(parseLogFileName('00000000000000000010.checkpoint.0000000002.0000000003.parquet'), { type: 'checkpoint', version: 10, part: 2, parts: 3 });
  assert.deepEqual(parseLogFileName('00000000000000000010.checkpoint.80a083e8-7026-4e79-81be-64bd76c43a11.json'), { type: 'v2checkpoint', version: 10 });
  for (const ignored of [
    '00000000000000000000.crc', '_last_checkpoint', '.00000000000000000001.json.abc.tmp', '_commit_1234.json.tmp', '0000000000000000001.json',
    '00000000000000000001.json.tmp', '00000000000000000001.00000000000000000009.compacted.json', '00000000000000000010.checkpoint.0000000004.0000000003.parquet', '.tmp',
  ]) {
    assert.equal(parseLogFileName(ignored), null, ignored);
  }
});

test('add.path is a URI: encoded once when written, decoded exactly once when read', () => {
  const dir = `as_timestamp=${escapePartitionValue('2021-09-08 11:11:11')}`;
  assert.equal(dir, 'as_timestamp=2021-09-08 11%3A11%3A11');
  const logged = encodeAddPath(`${dir}/part-0.parquet`);
  assert.equal(logged, 'as_timestamp=2021-09-08%2011%253A11%253A11/part-0.parquet');
  assert.equal(decodeAddPath(logged), `${dir}/part-0.parquet`);
  assert.equal(decodeAddPath('a%2'), null);
  assert.equal(encodeAddPath('ü/€ x'), '%C3%BC/%E2%82%AC%20x');
  assert.equal(encodeAddPath("k=v:@!$&'()*+,;/f~-._.parquet"), "k=v:@!$&'()*+,;/f~-._.parquet");
});

test('partition directories: Hive escaping, and the default partition for null', () => {
  assert.equal(partitionSegment('date', '2024-01-01'), 'date=2024-01-01');
  assert.equal(partitionSegment('s', null), 's=__HIVE_DEFAULT_PARTITION__');
  assert.equal(partitionSegment('s', 'a/b=c%d?e#f'), 's=a%2Fb%3Dc%25d%3Fe%23f');
  assert.equal(partitionSegment('s', 'null'), 's=null');
  assert.equal(escapePartitionValue('tab\there'), 'tab%09here');
  assert.equal(escapePartitionValue('space and ü'), 'space and ü');
});

test('absolute paths', () => {
  assert.equal(isAbsolutePath('s3://bucket/t/f.parquet'), true);
  assert.equal(isAbsolutePath('file:///t/f.parquet'), true);
  assert.equal(isAbsolutePath('p=a:b/f.parquet'), false);
  assert.equal(isAbsolutePath('f.parquet'), false);
});
