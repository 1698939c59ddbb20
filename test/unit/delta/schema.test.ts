/** Delta schemas ↔ DuckDB types, and the declared (arrow-style) types of a destination's schema. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  columnNameProblems, deltaTypeOfDataType, deltaTypeOfDuck, duckType, parseSchemaString, schemaOfFields, schemaString, SchemaError, typeText, usesTimestampNtz,
} from '../../../src/delta/schema.js';
import { parseDataType } from '../../../src/pipeline/data-type.js';
import { field, openDuck, type Duck } from '../../support/delta.js';

let duck: Duck;
before(async () => {
  duck = await openDuck();
});
after(() => duck.close());

const FULL = {
  type: 'struct',
  fields: [
    ...['string', 'long', 'integer', 'short', 'byte', 'float', 'double', 'boolean', 'binary', 'date', 'timestamp', 'timestamp_ntz', 'decimal(38,18)'].map((t, i) => ({ name: `c${i}`, type: t, nullable: i % 2 === 0, metadata: i === 0 ? { comment: 'x' } : {} })),
    { name: 'arr', type: { type: 'array', elementType: { type: 'struct', fields: [{ name: 'val', type: 'integer', nullable: true, metadata: {} }] }, containsNull: true }, nullable: true, metadata: {} },
    { name: 'm', type: { type: 'map', keyType: 'string', valueType: { type: 'array', elementType: 'long', containsNull: false }, valueContainsNull: true }, nullable: true, metadata: {} },
    { name: 'st', type: { type: 'struct', fields: [{ name: 'a b', type: 'date', nullable: false, metadata: {} }] }, nullable: true, metadata: {} },
  ],
};

test('schemaString round-trips, metadata and nullability included', () => {
  const s = parseSchemaString(JSON.stringify(FULL));
  assert.deepEqual(JSON.parse(schemaString(s)), FULL);
  assert.equal(s.fields[1]!.nullable, false);
});

test('every Delta type has its DuckDB type, which DuckDB accepts', async () => {
  const s = parseSchemaString(JSON.stringify(FULL));
  assert.deepEqual(s.fields.slice(0, 13).map((f) => duckType(f.type)), [
    'VARCHAR', 'BIGINT', 'INTEGER', 'SMALLINT', 'TINYINT', 'FLOAT', 'DOUBLE', 'BOOLEAN', 'BLOB', 'DATE', 'TIMESTAMP WITH TIME ZONE', 'TIMESTAMP', 'DECIMAL(38,18)',
  ]);
  assert.equal(duckType(s.fields[13]!.type), 'STRUCT("val" INTEGER)[]');
  assert.equal(duckType(s.fields[14]!.type), 'MAP(VARCHAR, BIGINT[])');
  assert.equal(duckType(s.fields[15]!.type), 'STRUCT("a b" DATE)');
  const cols = s.fields.map((f) => `CAST(NULL AS ${duckType(f.type)}) AS "${f.name}"`).join(', ');
  const r = await duck.conn.runAndReadAll(`SELECT ${cols}`);
  // And back: the DuckDB types of those columns map to the same Delta types.
  const types = r.columnTypes();
  s.fields.forEach((f, i) => assert.equal(typeText(deltaTypeOfDuck(types[i]!, f.name)), typeText(f.type), f.name));
});

test('unsupported Delta types are named', () => {
  assert.throws(() => parseSchemaString('{"type":"struct","fields":[{"name":"v","type":"variant","nullable":true,"metadata":{}}]}'), (e: unknown) => e instanceof SchemaError && /v: type "variant" is not supported/.test(e.message));
  assert.throws(() => parseSchemaString('{"type":"struct","fields":[{"name":"d","type":"decimal(40,2)","nullable":true,"metadata":{}}]}'), /decimal\(40,2\)/);
  assert.throws(() => parseSchemaString('not json'), SchemaError);
});

test('DuckDB result types: widened where Delta has no equal type, refused where it has none', async () => {
  const r = await duck.conn.runAndReadAll(`SELECT 1::UTINYINT a, 1::USMALLINT b, 1::UINTEGER c, 1::UBIGINT d, 1::HUGEINT e, uuid() f, 'x'::ENUM('x') g,
    TIMESTAMP_S '2020-01-01' h, TIMESTAMP_NS '2020-01-01' i, [1,2]::INTEGER[2] j, TIMESTAMPTZ '2020-01-01 00:00:00+00' k`);
  const got = r.columnTypes().map((t, i) => typeText(deltaTypeOfDuck(t, r.columnNames()[i]!)));
  assert.deepEqual(got, ['short', 'integer', 'long', 'decimal(20,0)', 'decimal(38,0)', 'string', 'string', 'timestamp_ntz', 'timestamp_ntz', 'array<integer>', 'timestamp']);
  const bad = await duck.conn.runAndReadAll("SELECT TIME '10:00' t, INTERVAL 1 DAY iv, 1::UHUGEINT u");
  bad.columnTypes().forEach((t, i) => assert.throws(() => deltaTypeOfDuck(t, bad.columnNames()[i]!), (e: unknown) => e instanceof SchemaError && new RegExp(`^${bad.columnNames()[i]}: DuckDB type`).test(e.message)));
});

test('declared data types (the original\'s arrow types): naive timestamps are timestamp_ntz, zoned ones timestamp', () => {
  const t = (s: string) => typeText(deltaTypeOfDataType(parseDataType(s), 'c'));
  assert.equal(t('date32'), 'date');
  assert.equal(t('utf8'), 'string');
  assert.equal(t('int64'), 'long');
  assert.equal(t('float64'), 'double');
  assert.equal(t('timestamp<microsecond>'), 'timestamp_ntz');
  assert.equal(t('timestamp<microsecond,UTC>'), 'timestamp');
  assert.equal(t('decimal<10,2>'), 'decimal(10,2)');
  assert.equal(t('list<int32>'), 'array<integer>');
  assert.equal(t('struct<a:int32,b:utf8>'), 'struct<a:integer,b:string>');
  assert.equal(t('map<utf8,float64>'), 'map<string,double>');
  assert.equal(t('uint64'), 'decimal(20,0)');
  assert.throws(() => t('time64<microsecond>'), /time64 has no Delta Lake equivalent/);
  assert.throws(() => t('decimal256<60,2>'), /precision 1\.\.38/);
  const schema = schemaOfFields([field('a', 'int32', false), { ...field('b', 'utf8'), description: 'the b' }]);
  assert.deepEqual(JSON.parse(schemaString(schema)), {
    type: 'struct',
    fields: [{ name: 'a', type: 'integer', nullable: false, metadata: {} }, { name: 'b', type: 'string', nullable: true, metadata: { comment: 'the b' } }],
  });
  assert.equal(usesTimestampNtz(schemaOfFields([field('s', 'struct<t:timestamp<microsecond>>')])), true);
  assert.equal(usesTimestampNtz(schemaOfFields([field('t', 'timestamp<microsecond,UTC>')])), false);
});

test('column names Delta tables without column mapping cannot have', () => {
  const problems = columnNameProblems(schemaOfFields([field('ok', 'utf8'), field('has space', 'utf8'), field('OK', 'utf8'), field('x=y', 'utf8')]));
  assert.equal(problems.length, 3);
  assert.match(problems.join('\n'), /"has space"/);
  assert.match(problems.join('\n'), /"ok" and "OK" differ only in case/);
});
