import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SQL, STAGING_TYPE, ZONED_TIMESTAMP_RE, chooseDecimal, mayBeTruncated, planColumn } from '../../../src/odbc/types.js';

const col = (dataType: number, columnSize = 0, decimalDigits = 0) => ({ name: 'c', dataType, columnSize, decimalDigits });

test('every ODBC type has a DuckDB type and a way to be read', () => {
  const cases: Array<[number, string, string, string]> = [
    // SQL type, staging type, final type, read mode
    [SQL.BIT, 'BOOLEAN', '-', 'driver'],
    [SQL.TINYINT, 'SMALLINT', '-', 'driver'],
    [SQL.SMALLINT, 'SMALLINT', '-', 'driver'],
    [SQL.INTEGER, 'INTEGER', '-', 'driver'],
    [SQL.BIGINT, 'BIGINT', '-', 'driver'],
    [SQL.NUMERIC, 'VARCHAR', 'decimal(12,3)', 'text'],
    [SQL.DECIMAL, 'VARCHAR', 'decimal(12,3)', 'text'],
    [SQL.REAL, 'VARCHAR', 'FLOAT', 'text'],
    [SQL.FLOAT, 'DOUBLE', '-', 'driver'],
    [SQL.DOUBLE, 'DOUBLE', '-', 'driver'],
    [SQL.CHAR, 'VARCHAR', '-', 'driver'],
    [SQL.VARCHAR, 'VARCHAR', '-', 'driver'],
    [SQL.LONGVARCHAR, 'VARCHAR', '-', 'driver'],
    [SQL.WCHAR, 'VARCHAR', '-', 'driver'],
    [SQL.WVARCHAR, 'VARCHAR', '-', 'driver'],
    [SQL.WLONGVARCHAR, 'VARCHAR', '-', 'driver'],
    [SQL.TYPE_DATE, 'VARCHAR', 'DATE', 'driver'],
    [SQL.DATE, 'VARCHAR', 'DATE', 'driver'],
    [SQL.TYPE_TIME, 'VARCHAR', 'TIME', 'driver'],
    [SQL.SS_TIME2, 'VARCHAR', 'TIME', 'driver'],
    [SQL.TYPE_TIMESTAMP, 'VARCHAR', 'timestamp', 'text'],
    [SQL.TIMESTAMP, 'VARCHAR', 'timestamp', 'text'],
    [SQL.SS_TIMESTAMPOFFSET, 'VARCHAR', 'timestamp', 'text'],
    [SQL.BINARY, 'BLOB', '-', 'driver'],
    [SQL.VARBINARY, 'BLOB', '-', 'driver'],
    [SQL.LONGVARBINARY, 'BLOB', '-', 'driver'],
    [SQL.GUID, 'VARCHAR', 'UUID', 'driver'],
    [101, 'VARCHAR', '-', 'driver'], // SQL_INTERVAL_YEAR: text
    [-150, 'VARCHAR', '-', 'driver'], // SQL Server sql_variant: text
  ];
  for (const [t, staging, final, read] of cases) {
    const p = planColumn(col(t, 12, 3));
    const cast = p.cast === null ? '-' : p.cast.to === 'decimal' ? `decimal(${p.cast.precision},${p.cast.scale})` : p.cast.to;
    assert.deepEqual([STAGING_TYPE[p.append], cast, p.read], [staging, final, read], `SQL type ${t}`);
  }
});

test('a value filling node-odbc\'s fixed buffer is suspected of being cut; long and unsized columns never are', () => {
  assert.equal(mayBeTruncated({ dataType: SQL.VARCHAR, columnSize: 255 }, 'x'.repeat(1020)), true);
  assert.equal(mayBeTruncated({ dataType: SQL.VARCHAR, columnSize: 255 }, 'x'.repeat(1000)), false);
  assert.equal(mayBeTruncated({ dataType: SQL.VARCHAR, columnSize: 10 }, 'abcdefghij'), false); // exactly the declared size
  assert.equal(mayBeTruncated({ dataType: SQL.VARCHAR, columnSize: 10 }, 'x'.repeat(40)), true);
  assert.equal(mayBeTruncated({ dataType: SQL.CHAR, columnSize: 5 }, 'ab   '), false);
  assert.equal(mayBeTruncated({ dataType: SQL.LONGVARCHAR, columnSize: 8190 }, 'x'.repeat(50000)), false);
  assert.equal(mayBeTruncated({ dataType: SQL.VARCHAR, columnSize: 0 }, 'x'.repeat(50000)), false);
  assert.equal(mayBeTruncated({ dataType: SQL.WVARCHAR, columnSize: 4 }, 'abcd'), true);
  assert.equal(mayBeTruncated({ dataType: SQL.WCHAR, columnSize: 4 }, 'abcd'), false);
  assert.equal(mayBeTruncated({ dataType: SQL.BINARY, columnSize: 255 }, new ArrayBuffer(255)), false);
  assert.equal(mayBeTruncated({ dataType: SQL.BINARY, columnSize: 255 }, new ArrayBuffer(256)), true);
  assert.equal(mayBeTruncated({ dataType: SQL.LONGVARBINARY, columnSize: 0 }, new ArrayBuffer(1 << 20)), false);
});

test('decimals: the declared type when values fit, widened when the driver guessed, DOUBLE beyond 38 digits', () => {
  const fit = { plain: true, integerDigits: 8, fractionDigits: 2 };
  assert.deepEqual(chooseDecimal(10, 2, fit), { type: 'DECIMAL(10,2)', note: null });
  assert.deepEqual(chooseDecimal(38, 10, { plain: true, integerDigits: 28, fractionDigits: 10 }), { type: 'DECIMAL(38,10)', note: null });
  assert.deepEqual(chooseDecimal(10, 2, null), { type: 'DECIMAL(10,2)', note: null });
  // psqlODBC reports an unconstrained NUMERIC as (28,6).
  const wide = chooseDecimal(28, 6, { plain: true, integerDigits: 2, fractionDigits: 20 });
  assert.deepEqual(wide, { type: 'DECIMAL(38,20)', note: 'reported as DECIMAL(28,6) but holds values with 2 integer and 20 fractional digits: loaded as DECIMAL(38,20)' });
  assert.equal(chooseDecimal(28, 6, { plain: true, integerDigits: 19, fractionDigits: 20 }).type, 'DOUBLE');
  assert.equal(chooseDecimal(28, 6, { plain: true, integerDigits: 2, fractionDigits: 12 }).type, 'DECIMAL(34,12)');
  assert.equal(chooseDecimal(28, 6, { plain: true, integerDigits: 30, fractionDigits: 2 }).type, 'DECIMAL(36,6)');
  assert.equal(chooseDecimal(28, 6, { plain: true, integerDigits: 1, fractionDigits: 49 }).type, 'DOUBLE');
  assert.equal(chooseDecimal(28, 6, { plain: false, integerDigits: 1, fractionDigits: 1 }).type, 'DOUBLE');
  assert.equal(chooseDecimal(50, 5, { plain: true, integerDigits: 2, fractionDigits: 1 }).type, 'DOUBLE');
  assert.equal(chooseDecimal(0, 0, { plain: true, integerDigits: 3, fractionDigits: 4 }).type, 'DECIMAL(7,4)');
  assert.equal(chooseDecimal(0, 0, null).type, 'DOUBLE');
  assert.match(chooseDecimal(50, 5, null).note!, /precision 50.*DOUBLE/);
});

test('a timestamp carries a zone when its text ends with an offset or Z after the time', () => {
  const re = new RegExp(ZONED_TIMESTAMP_RE);
  for (const s of ['2024-03-10 07:04:56.789+00', '2024-03-10 07:04:56+05:30', '2024-01-01T10:00:00Z', '2024-01-01 10:00:00.1234567 -08:00', '1900-01-01 00:00:00+00:53:28']) {
    assert.equal(re.test(s), true, s);
  }
  for (const s of ['2024-03-10 07:04:56.789', '2024-01-01', '2024-01-01T10:00:00', 'infinity', '-infinity']) {
    assert.equal(re.test(s), false, s);
  }
});
