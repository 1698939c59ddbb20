import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DuckDBInstance } from '@duckdb/node-api';
import { displayDataType, parseDataType, toDuckDbType, tryParseDataType } from '../../../src/pipeline/data-type.js';
import { ExecutorError } from '../../../src/core/errors.js';

/** [input, Display output] for every accepted spelling of docs/pipeline-format.md, "Fields and data types". */
const DISPLAY_ROWS: Array<[string, string]> = [
  ['bool', 'bool'], ['boolean', 'bool'],
  ['int8', 'int8'], ['int16', 'int16'], ['int32', 'int32'], ['int', 'int32'], ['integer', 'int32'],
  ['int64', 'int64'], ['long', 'int64'],
  ['uint8', 'uint8'], ['uint16', 'uint16'], ['uint32', 'uint32'], ['uint64', 'uint64'],
  ['float32', 'float32'], ['float', 'float32'], ['float64', 'float64'], ['double', 'float64'],
  ['string', 'string'], ['utf8', 'string'], ['large_string', 'large_string'], ['large_utf8', 'large_string'],
  ['binary', 'binary'], ['large_binary', 'large_binary'], ['fixed_binary<16>', 'fixed_binary<16>'],
  ['date32', 'date32'], ['date', 'date32'], ['date64', 'date64'],
  ['time32<second>', 'time32<second>'], ['time32<s>', 'time32<second>'], ['time32<ms>', 'time32<millisecond>'],
  ['time64<us>', 'time64<microsecond>'], ['time64<nanosecond>', 'time64<nanosecond>'],
  ['timestamp<ms>', 'timestamp<millisecond>'], ['timestamp<us,UTC>', 'timestamp<microsecond,UTC>'],
  ['timestamp<ns, +01:00>', 'timestamp<nanosecond,+01:00>'], ['timestamp<s,Europe/Vienna>', 'timestamp<second,Europe/Vienna>'],
  ['duration<s>', 'duration<second>'], ['duration<nanosecond>', 'duration<nanosecond>'],
  ['decimal<10,2>', 'decimal<10,2>'], ['decimal< 38 , -3 >', 'decimal<38,-3>'], ['decimal256<76,10>', 'decimal256<76,10>'],
  ['list<int>', 'list<int32>'], ['large_list<utf8>', 'large_list<string>'], ['fixed_list<double,3>', 'fixed_list<float64,3>'],
  ['struct<a:int,b:utf8>', 'struct<a:int32,b:string>'], ['struct<>', 'struct<>'],
  ['map<string,long>', 'map<string,int64>'],
  ['  int64  ', 'int64'],
  ['list<int32>xyz', 'list<int32>'],
];

test('every accepted spelling parses and displays in the long form', () => {
  for (const [input, display] of DISPLAY_ROWS) {
    assert.equal(displayDataType(parseDataType(input)), display, input);
  }
});

test('nested parameters split at depth 0', () => {
  assert.deepEqual(parseDataType('list<struct<a:int32,b:list<string>>>'), {
    kind: 'list',
    item: {
      kind: 'struct',
      fields: [
        { name: 'a', type: { kind: 'int32' } },
        { name: 'b', type: { kind: 'list', item: { kind: 'string' } } },
      ],
    },
  });
  assert.deepEqual(parseDataType('map<string,list<int64>>'), {
    kind: 'map', key: { kind: 'string' }, value: { kind: 'list', item: { kind: 'int64' } },
  });
  assert.deepEqual(parseDataType('struct<ts:timestamp<ms,UTC>>'), {
    kind: 'struct', fields: [{ name: 'ts', type: { kind: 'timestamp', unit: 'millisecond', tz: 'UTC' } }],
  });
  assert.deepEqual(parseDataType('decimal<10,2>'), { kind: 'decimal', precision: 10, scale: 2 });
  assert.deepEqual(parseDataType('fixed_list<int8, 4>'), { kind: 'fixed_list', item: { kind: 'int8' }, size: 4 });
});

test('struct members split on the first colon only and are trimmed', () => {
  assert.deepEqual(parseDataType('struct< a : int32 , b:map<string,int32> >'), {
    kind: 'struct',
    fields: [
      { name: 'a', type: { kind: 'int32' } },
      { name: 'b', type: { kind: 'map', key: { kind: 'string' }, value: { kind: 'int32' } } },
    ],
  });
  assert.deepEqual(tryParseDataType('struct<a:b:int32>'), { ok: false, error: 'Unknown data type: b:int32' });
});

test('names are case-sensitive', () => {
  assert.deepEqual(tryParseDataType('Int32'), { ok: false, error: 'Unknown data type: Int32' });
  assert.deepEqual(tryParseDataType('LIST<int32>'), { ok: false, error: 'Unknown parameterized type: LIST' });
  assert.deepEqual(tryParseDataType('timestamp<MS>'), { ok: false, error: 'Unknown time unit: MS' });
});

test('errors carry the original messages', () => {
  const cases: Array<[string, string]> = [
    ['text', 'Unknown data type: text'],
    ['', 'Unknown data type: '],
    ['list<int32', 'Unknown data type: list<int32'],
    ['>list<', 'Unknown data type: >list<'],
    ['array<int32>', 'Unknown parameterized type: array'],
    ['int32<x>', 'Unknown parameterized type: int32'],
    ['list<>', 'list type requires exactly 1 parameter, got 0'],
    ['list<int32,int64>', 'list type requires exactly 1 parameter, got 2'],
    ['large_list<>', 'large_list type requires exactly 1 parameter, got 0'],
    ['fixed_list<int32>', 'fixed_list type requires exactly 2 parameters, got 1'],
    ['fixed_list<int32,x>', 'Invalid size for fixed_list: x'],
    ['fixed_binary<>', 'fixed_binary type requires exactly 1 parameter, got 0'],
    ['fixed_binary<1.5>', 'Invalid size for fixed_binary: 1.5'],
    ['decimal<10>', 'decimal type requires exactly 2 parameters, got 1'],
    ['decimal<256,2>', 'Invalid precision for decimal: 256'],
    ['decimal<-1,2>', 'Invalid precision for decimal: -1'],
    ['decimal<10,128>', 'Invalid scale for decimal: 128'],
    ['decimal256<x,1>', 'Invalid precision for decimal256: x'],
    ['decimal256<10,y>', 'Invalid scale for decimal256: y'],
    ['timestamp<>', 'timestamp type requires 1 or 2 parameters, got 0'],
    ['timestamp<s,UTC,x>', 'timestamp type requires 1 or 2 parameters, got 3'],
    ['timestamp<minute>', 'Unknown time unit: minute'],
    ['time32<us>', 'time32 only supports second and millisecond units'],
    ['time64<s>', 'time64 only supports microsecond and nanosecond units'],
    ['time32<>', 'time32 type requires exactly 1 parameter, got 0'],
    ['duration<s,ms>', 'duration type requires exactly 1 parameter, got 2'],
    ['struct<a>', 'Invalid struct field definition: a. Expected format: name:type'],
    ['struct<a:int32,b:float128>', 'Unknown data type: float128'],
    ['map<string>', 'map type requires exactly 2 parameters, got 1'],
    ['list<list<nope>>', 'Unknown data type: nope'],
  ];
  for (const [input, error] of cases) {
    assert.deepEqual(tryParseDataType(input), { ok: false, error }, input);
  }
});

test('parseDataType wraps the message as Invalid data type', () => {
  assert.throws(() => parseDataType('varchar'), (e: unknown) => {
    assert.ok(e instanceof ExecutorError);
    assert.equal(e.code, 'AQ_INVALID_PIPELINE');
    assert.equal(e.message, 'Invalid data type: Unknown data type: varchar');
    return true;
  });
});

test('numbers parse like Rust integers: optional sign, leading zeros, range', () => {
  assert.deepEqual(parseDataType('decimal<+010,-2>'), { kind: 'decimal', precision: 10, scale: -2 });
  assert.deepEqual(parseDataType('fixed_binary<-1>'), { kind: 'fixed_binary', size: -1 });
  assert.deepEqual(tryParseDataType('fixed_binary<2147483648>'), { ok: false, error: 'Invalid size for fixed_binary: 2147483648' });
  assert.deepEqual(tryParseDataType('decimal<+,2>'), { ok: false, error: 'Invalid precision for decimal: +' });
});

/** [data type, DuckDB type text we produce, the type DuckDB reports for `cast(null as ...)`]. */
const DUCKDB_ROWS: Array<[string, string, string]> = [
  ['bool', 'BOOLEAN', 'BOOLEAN'],
  ['int8', 'TINYINT', 'TINYINT'], ['int16', 'SMALLINT', 'SMALLINT'], ['int32', 'INTEGER', 'INTEGER'], ['int64', 'BIGINT', 'BIGINT'],
  ['uint8', 'UTINYINT', 'UTINYINT'], ['uint16', 'USMALLINT', 'USMALLINT'], ['uint32', 'UINTEGER', 'UINTEGER'], ['uint64', 'UBIGINT', 'UBIGINT'],
  ['float32', 'FLOAT', 'FLOAT'], ['float64', 'DOUBLE', 'DOUBLE'],
  ['string', 'VARCHAR', 'VARCHAR'], ['large_string', 'VARCHAR', 'VARCHAR'],
  ['binary', 'BLOB', 'BLOB'], ['large_binary', 'BLOB', 'BLOB'], ['fixed_binary<4>', 'BLOB', 'BLOB'],
  ['date32', 'DATE', 'DATE'], ['date64', 'DATE', 'DATE'],
  ['time32<s>', 'TIME', 'TIME'], ['time32<ms>', 'TIME', 'TIME'], ['time64<us>', 'TIME', 'TIME'], ['time64<ns>', 'TIME_NS', 'TIME_NS'],
  ['timestamp<s>', 'TIMESTAMP_S', 'TIMESTAMP_S'], ['timestamp<ms>', 'TIMESTAMP_MS', 'TIMESTAMP_MS'],
  ['timestamp<us>', 'TIMESTAMP', 'TIMESTAMP'], ['timestamp<ns>', 'TIMESTAMP_NS', 'TIMESTAMP_NS'],
  ['timestamp<ms,UTC>', 'TIMESTAMPTZ', 'TIMESTAMP WITH TIME ZONE'],
  ['duration<s>', 'INTERVAL', 'INTERVAL'],
  ['decimal<10,2>', 'DECIMAL(10,2)', 'DECIMAL(10,2)'], ['decimal256<38,0>', 'DECIMAL(38,0)', 'DECIMAL(38,0)'],
  ['list<int32>', 'INTEGER[]', 'INTEGER[]'], ['large_list<string>', 'VARCHAR[]', 'VARCHAR[]'],
  ['fixed_list<float64,3>', 'DOUBLE[3]', 'DOUBLE[3]'], ['list<fixed_list<int8,2>>', 'TINYINT[2][]', 'TINYINT[2][]'],
  ['struct<a:int32,b b:string,c"d:list<bool>>', 'STRUCT("a" INTEGER, "b b" VARCHAR, "c""d" BOOLEAN[])', 'STRUCT("a" INTEGER, "b b" VARCHAR, "c""d" BOOLEAN[])'],
  ['map<string,list<int64>>', 'MAP(VARCHAR, BIGINT[])', 'MAP(VARCHAR, BIGINT[])'],
];

test('toDuckDbType gives type text that DuckDB accepts as that type', async () => {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    for (const [input, expected, reported] of DUCKDB_ROWS) {
      const text = toDuckDbType(parseDataType(input));
      assert.equal(text, expected, input);
      const reader = await connection.runAndReadAll(`SELECT CAST(NULL AS ${text}) AS x`);
      assert.equal(String(reader.columnTypes()[0]), reported, input);
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
});

test('toDuckDbType rejects what DuckDB cannot hold', () => {
  const cases: Array<[string, string]> = [
    ['decimal256<39,2>', 'decimal256 with precision > 38 is not supported by DuckDB (decimal256<39,2>)'],
    ['decimal<39,2>', 'decimal precision must be between 1 and 38 for DuckDB (decimal<39,2>)'],
    ['decimal<0,0>', 'decimal precision must be between 1 and 38 for DuckDB (decimal<0,0>)'],
    ['decimal<10,-2>', 'negative decimal scale is not supported by DuckDB (decimal<10,-2>)'],
    ['decimal<5,6>', 'decimal scale cannot be greater than its precision (decimal<5,6>)'],
    ['fixed_list<int32,0>', 'fixed_list size must be between 1 and 100000 for DuckDB, got 0'],
    ['struct<>', 'struct<> without members is not supported by DuckDB'],
    ['list<struct<>>', 'struct<> without members is not supported by DuckDB'],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => toDuckDbType(parseDataType(input)), (e: unknown) => {
      assert.ok(e instanceof ExecutorError);
      assert.equal(e.code, 'AQ_NOT_SUPPORTED');
      assert.equal(e.message, message);
      return true;
    }, input);
  }
});
