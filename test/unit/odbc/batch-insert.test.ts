import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_PARAMETERS, MAX_PARAMETERS_POSTGRES, MAX_ROWS_PER_STATEMENT, parseSingleRowInsert, rowsPerStatement } from '../../../src/odbc/batch-insert.js';

test('a single-row INSERT ... VALUES (?, ...) splits into the head and the tuple to repeat', () => {
  assert.deepEqual(parseSingleRowInsert('INSERT INTO daily (day, city, amount) VALUES (?, ?, ?)'),
    { head: 'INSERT INTO daily (day, city, amount) VALUES', tuple: '(?, ?, ?)', placeholders: 3 });
  assert.deepEqual(parseSingleRowInsert('  insert into "S"."T"\n  values(?,?) ;  '), { head: 'insert into "S"."T"\n  values', tuple: '(?,?)', placeholders: 2 });
  assert.deepEqual(parseSingleRowInsert('INSERT INTO t VALUES (?)'), { head: 'INSERT INTO t VALUES', tuple: '(?)', placeholders: 1 });
});

test('other statements are not batched', () => {
  for (const sql of [
    'INSERT INTO t (a, b) VALUES (?, ?) ON CONFLICT (a) DO UPDATE SET b = excluded.b',
    'INSERT INTO t (a, b) VALUES (?, ?) RETURNING a',
    'INSERT INTO t (a, b) VALUES (?, ?), (?, ?)',
    'INSERT INTO t (a, b) VALUES (?, 1)',
    "INSERT INTO t (a, b) VALUES (?, 'x')",
    'INSERT INTO t (a, b) SELECT ?, ?',
    "INSERT INTO t (a) SELECT x FROM u WHERE y = '?' VALUES (?)",
    'UPDATE t SET a = ? WHERE b = ?',
    'INSERT INTO t (a) VALUES (?); DELETE FROM t',
    'WITH x AS (SELECT 1) INSERT INTO t (a) VALUES (?)',
  ]) assert.equal(parseSingleRowInsert(sql), null, sql);
});

test('rows per statement stay within the batch size, 1,000 rows and 2,000 parameters', () => {
  assert.equal(rowsPerStatement(1000, 6), 333);
  assert.equal(rowsPerStatement(100, 15), 100);
  assert.equal(rowsPerStatement(5000, 1), MAX_ROWS_PER_STATEMENT);
  assert.equal(rowsPerStatement(1000, 3000), 1);
  assert.equal(MAX_PARAMETERS, 2000);
  // PostgreSQL: 6,000 parameters (libpq takes about 7,500 before PostgreSQL 17).
  assert.equal(rowsPerStatement(1000, 6, true), 1000);
  assert.equal(rowsPerStatement(1000, 7, true), 857);
  assert.equal(rowsPerStatement(5000, 1, true), MAX_ROWS_PER_STATEMENT);
  assert.equal(rowsPerStatement(1000, 15, true), 400);
  assert.equal(MAX_PARAMETERS_POSTGRES, 6000);
});
