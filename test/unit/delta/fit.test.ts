/** Which types of the rows being written fit which column types of the table. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fits } from '../../../src/delta/write/fit.js';
import type { DeltaType } from '../../../src/delta/schema.js';

const p = (name: string): DeltaType => ({ kind: 'primitive', name: name as never });
const dec = (precision: number, scale: number): DeltaType => ({ kind: 'decimal', precision, scale });

test('numbers: widening fits, losing range or scale does not', () => {
  assert.ok(fits(p('integer'), p('long')));
  assert.ok(fits(p('byte'), p('short')));
  assert.ok(fits(dec(38, 0), p('long')), 'HUGEINT sums into long (values are range-checked when written)');
  assert.ok(fits(p('long'), dec(20, 0)));
  assert.ok(fits(dec(10, 2), dec(12, 4)));
  assert.ok(fits(p('long'), p('double')));
  assert.ok(fits(p('float'), p('double')));
  assert.ok(fits(p('double'), p('float')));
  assert.ok(!fits(p('double'), p('long')));
  assert.ok(!fits(dec(10, 2), p('long')));
  assert.ok(!fits(dec(10, 4), dec(10, 2)));
  assert.ok(!fits(p('string'), p('long')));
  assert.ok(!fits(p('long'), p('string')));
});

test('timestamps with and without zone fit each other; dates and timestamps do not', () => {
  assert.ok(fits(p('timestamp_ntz'), p('timestamp')));
  assert.ok(fits(p('timestamp'), p('timestamp_ntz')));
  assert.ok(!fits(p('date'), p('timestamp')));
  assert.ok(!fits(p('timestamp'), p('date')));
});

test('nested types fit when their shapes and fields do', () => {
  const st = (fields: Array<[string, DeltaType]>): DeltaType => ({ kind: 'struct', fields: fields.map(([name, type]) => ({ name, type, nullable: true, metadata: {} })) });
  assert.ok(fits({ kind: 'array', elementType: p('integer'), containsNull: true }, { kind: 'array', elementType: p('long'), containsNull: true }));
  assert.ok(fits(st([['a', p('integer')]]), st([['A', p('long')]])));
  assert.ok(!fits(st([['a', p('integer')]]), st([['b', p('integer')]])));
  assert.ok(!fits(st([['a', p('integer')]]), st([['a', p('integer')], ['b', p('string')]])));
  assert.ok(!fits({ kind: 'map', keyType: p('integer'), valueType: p('string'), valueContainsNull: true }, { kind: 'map', keyType: p('long'), valueType: p('string'), valueContainsNull: true }));
});
