/**
 * The keywordAliasCase rewrite: DuckDB leaves an unquoted alias that is one of its keywords in
 * its case, DataFusion lower-cases it. Exact rewrites, what is left alone, and the column names a
 * real DuckDB then gives.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { rewriteSql } from '../../../src/engine/sql/rewrite.js';
import { openCompatDb, type CompatDb } from './helpers.js';

let db: CompatDb;
before(async () => { db = await openCompatDb(); });
after(() => db.close());

test('a keyword alias after AS, or bare, is lower-cased', () => {
  assert.equal(rewriteSql('SELECT x AS Day, y AS NAME FROM t'), 'SELECT x AS day, y AS name FROM t');
  assert.equal(rewriteSql('SELECT x Value FROM t'), 'SELECT x AS value FROM t');
});

test('cast types, quoted names, strings, and aliases that are not keywords are left alone', () => {
  for (const sql of [
    'SELECT CAST(x AS Date), TRY_CAST(y AS BIGINT), CAST((a + b) AS Time) FROM t',
    'SELECT x AS "Day", \'AS Day\' AS s FROM t',
    'SELECT x AS MyCol FROM t',
    'SELECT x AS day FROM t',
  ]) assert.equal(rewriteSql(sql), sql);
  // Inside a cast, an alias of a sub-query is still an alias.
  assert.equal(rewriteSql('SELECT CAST((SELECT 1 AS Key) AS INT) AS Total'), 'SELECT CAST((SELECT 1 AS key) AS INT) AS Total');
});

test('the columns a real DuckDB names after the rewrite are DataFusion\'s', async () => {
  const r = await db.conn.runAndReadAll(rewriteSql('SELECT 1 AS Day, 2 Name, 3 AS "Type", CAST(DATE \'2024-01-03\' AS Date) AS MyDate'));
  assert.deepEqual(r.columnNames(), ['day', 'name', 'Type', 'mydate']);
});
