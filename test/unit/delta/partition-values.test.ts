/**
 * Partition values: logged strings → typed SQL literals (evaluated by DuckDB), and typed values →
 * logged strings (SQL expressions), for every partitionable type; the two round-trip.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { partitionLiteral, partitionTypeProblem, partitionValueExpression, PartitionValueError } from '../../../src/delta/partition-values.js';
import { parseSchemaString, type DeltaType } from '../../../src/delta/schema.js';
import { openDuck, type Duck } from '../../support/delta.js';

let duck: Duck;
before(async () => {
  duck = await openDuck();
});
after(() => duck.close());

const type = (t: string): DeltaType => parseSchemaString(JSON.stringify({ type: 'struct', fields: [{ name: 'c', type: t, nullable: true, metadata: {} }] })).fields[0]!.type;

async function value(sql: string): Promise<unknown> {
  return (await duck.conn.runAndReadAll(`SELECT CAST(${sql} AS VARCHAR)`)).getRowsJS()[0]![0];
}

test('logged strings become typed literals', async () => {
  const cases: Array<[string, string | null, string | null]> = [
    ['integer', '42', '42'], ['long', '-9223372036854775808', '-9223372036854775808'], ['byte', '-1', '-1'], ['short', ' 7 ', '7'],
    ['double', '1.0E10', '10000000000.0'], ['double', 'NaN', 'nan'], ['double', 'Infinity', 'inf'], ['float', '-Infinity', '-inf'], ['float', '1', '1.0'],
    ['boolean', 'true', 'true'], ['boolean', 'FALSE', 'false'], ['date', '2021-09-08', '2021-09-08'],
    ['timestamp', '2021-09-08 11:11:11', '2021-09-08 11:11:11+00'], ['timestamp', '2021-09-08 11:11:11.123456', '2021-09-08 11:11:11.123456+00'],
    ['timestamp', '2021-09-08T11:11:11.000000Z', '2021-09-08 11:11:11+00'], ['timestamp', '2021-09-08T13:11:11+02:00', '2021-09-08 11:11:11+00'],
    ['timestamp_ntz', '2021-09-08 11:11:11.5', '2021-09-08 11:11:11.5'], ['decimal(5,2)', '123.4', '123.40'], ['decimal(38,0)', '12345678901234567890123456789012345678', '12345678901234567890123456789012345678'],
    ['string', 'null', 'null'], ['string', "it's", "it's"], ['string', null, null], ['integer', '', null], ['string', '', null], ['date', null, null],
    ['binary', 'ab', 'ab'],
  ];
  for (const [t, logged, expected] of cases) assert.equal(await value(partitionLiteral(logged, type(t))), expected, `${t} ${JSON.stringify(logged)}`);
});

test('text that is not of the type is refused', () => {
  for (const [t, logged] of [['integer', '1.5'], ['long', 'x'], ['boolean', 'yes'], ['date', '08/09/2021'], ['timestamp_ntz', '2021-09-08 11:11:11Z'], ['decimal(5,2)', '1,5'], ['double', 'one']] as const) {
    assert.throws(() => partitionLiteral(logged, type(t)), PartitionValueError, `${t} ${logged}`);
  }
});

test('typed values become the logged strings, and read back to the same values', async () => {
  const cases: Array<[string, string, string | null]> = [
    ['integer', '42', '42'], ['long', '-5', '-5'], ['double', "'NaN'", 'NaN'], ['double', "'-Infinity'", '-Infinity'], ['double', '1.5', '1.5'], ['float', '0.1', '0.1'],
    ['boolean', 'true', 'true'], ['date', "DATE '2024-02-29'", '2024-02-29'],
    ['timestamp', "TIMESTAMPTZ '2024-01-01 01:02:03.5+02'", '2023-12-31T23:02:03.500000Z'], ['timestamp_ntz', "TIMESTAMP '2024-01-01 01:02:03'", '2024-01-01 01:02:03.000000'],
    ['decimal(5,2)', '1.5', '1.50'], ['string', "'x'", 'x'], ['string', "''", null], ['string', 'NULL', null], ['integer', 'NULL', null],
  ];
  for (const [t, sql, expected] of cases) {
    const dt = type(t);
    const typed = `CAST(${sql} AS ${sqlType(dt)})`;
    const [logged] = (await duck.conn.runAndReadAll(`SELECT ${partitionValueExpression(typed, dt)}`)).getRowsJS()[0]!;
    assert.equal(logged, expected, `${t} ${sql}`);
    if (expected !== null) {
      // DuckDB's NaN equals NaN, so IS NOT DISTINCT FROM covers it too.
      const back = (await duck.conn.runAndReadAll(`SELECT ${partitionLiteral(expected, dt)} IS NOT DISTINCT FROM ${typed}`)).getRowsJS()[0]![0];
      assert.equal(back, true, `${t} ${sql} round trip`);
    }
  }
});

function sqlType(t: DeltaType): string {
  if (t.kind === 'decimal') return `DECIMAL(${t.precision},${t.scale})`;
  if (t.kind !== 'primitive') throw new Error('primitive only');
  return { string: 'VARCHAR', long: 'BIGINT', integer: 'INTEGER', short: 'SMALLINT', byte: 'TINYINT', float: 'FLOAT', double: 'DOUBLE', boolean: 'BOOLEAN', binary: 'BLOB', date: 'DATE', timestamp: 'TIMESTAMPTZ', timestamp_ntz: 'TIMESTAMP' }[t.name];
}

test('which types can partition a table', () => {
  assert.equal(partitionTypeProblem(type('string')), null);
  assert.equal(partitionTypeProblem(type('decimal(3,1)')), null);
  assert.match(partitionTypeProblem(type('binary'))!, /binary/);
  assert.match(partitionTypeProblem({ kind: 'array', elementType: type('string'), containsNull: true })!, /array/);
});
