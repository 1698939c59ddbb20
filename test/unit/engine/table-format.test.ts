import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTable } from '../../../src/engine/table-format.js';
import { duckDbTypeToDataType } from '../../../src/engine/type-names.js';
import { copyOptions } from '../../../src/destinations/file-options.js';

test('tables are bordered, left-aligned, with one space of padding (arrow pretty format)', () => {
  assert.equal(
    formatTable(['id', 'name'], [['1', 'New York'], ['22', null]]),
    ['+----+----------+', '| id | name     |', '+----+----------+', '| 1  | New York |', '| 22 |          |', '+----+----------+'].join('\n'),
  );
});

test('an empty result prints the header only; no columns prints an empty frame', () => {
  assert.equal(formatTable(['a'], []), ['+---+', '| a |', '+---+', '+---+'].join('\n'));
  assert.equal(formatTable([], []), '++\n++');
});

test('multi-line cells take several lines; width counts characters, not bytes', () => {
  assert.equal(
    formatTable(['plan'], [['a\nbcd']]),
    ['+------+', '| plan |', '+------+', '| a    |', '| bcd  |', '+------+'].join('\n'),
  );
  assert.equal(formatTable(['ü'], [['ßß']]), ['+----+', '| ü  |', '+----+', '| ßß |', '+----+'].join('\n'));
});

test('DuckDB types are shown in the pipeline type grammar', () => {
  const cases: Array<[string, string]> = [
    ['BIGINT', 'int64'], ['INTEGER', 'int32'], ['VARCHAR', 'string'], ['DOUBLE', 'float64'], ['BOOLEAN', 'bool'],
    ['DATE', 'date32'], ['TIMESTAMP', 'timestamp<microsecond>'], ['TIMESTAMP WITH TIME ZONE', 'timestamp<microsecond,UTC>'],
    ['DECIMAL(10,2)', 'decimal<10,2>'], ['VARCHAR[]', 'list<string>'], ['INTEGER[3]', 'fixed_list<int32,3>'],
    ['STRUCT(a INTEGER, "b c" VARCHAR[])', 'struct<a:int32,b c:list<string>>'], ['MAP(VARCHAR, BIGINT)', 'map<string,int64>'],
    ['UNION(a INTEGER)', 'UNION(a INTEGER)'],
  ];
  for (const [duck, ours] of cases) assert.equal(duckDbTypeToDataType(duck), ours, duck);
});

test('csv destination options map to COPY options', () => {
  assert.deepEqual(copyOptions('d', { type: 'csv', options: { has_header: false, delimiter: '|', compression: 'GZIP' } }), {
    options: ['FORMAT csv', 'HEADER false', "DELIMITER '|'", 'COMPRESSION gzip'],
    warnings: [],
  });
  assert.deepEqual(copyOptions('d', { type: 'csv', options: { has_header: true, delimiter: "'", compression: null } }).options, [
    'FORMAT csv', 'HEADER true', "DELIMITER ''''", 'COMPRESSION none',
  ]);
  assert.throws(() => copyOptions('destination "d"', { type: 'csv', options: { has_header: true, delimiter: ',', compression: 'bzip2' } }), /destination "d": unsupported csv compression "bzip2"/);
});

test('parquet options: DataFusion keys mapped, tuning keys warned, unknown keys refused', () => {
  assert.deepEqual(copyOptions('d', { type: 'parquet', options: { compression: 'zstd(7)', 'format.max_row_group_size': '4096', writer_version: '2.0' } }).options, [
    'FORMAT parquet', 'COMPRESSION zstd', 'COMPRESSION_LEVEL 7', 'ROW_GROUP_SIZE 4096', 'PARQUET_VERSION V2',
  ]);
  assert.deepEqual(copyOptions('d', { type: 'parquet', options: { bloom_filter_on_write: 'true' } }).warnings, [
    'd: parquet option "bloom_filter_on_write" has no equivalent in this engine and is ignored',
  ]);
  assert.throws(() => copyOptions('d', { type: 'parquet', options: { compression: 'zip' } }), /unsupported parquet compression "zip"/);
  assert.throws(() => copyOptions('d', { type: 'parquet', options: { max_row_group_size: '-1' } }), /max_row_group_size must be a positive integer/);
  assert.throws(() => copyOptions('d', { type: 'parquet', options: { colour: 'blue' } }), /unknown parquet option "colour"/);
  assert.deepEqual(copyOptions('d', { type: 'json' }), { options: ['FORMAT json'], warnings: [] });
});
