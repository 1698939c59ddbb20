/** checkStageQuery: exactly one read-only query, checked by DuckDB's parser without binding. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ExecutorError } from '../../../src/core/errors.js';
import { checkStageQuery, statementKinds } from '../../../src/engine/sql/check.js';
import { type CompatDb, openCompatDb } from './helpers.js';

let db: CompatDb;
before(async () => { db = await openCompatDb(); });
after(() => db.close());

async function rejection(stage: string, sql: string): Promise<ExecutorError> {
  try {
    await checkStageQuery(db.conn, stage, sql);
  } catch (e) {
    assert.ok(e instanceof ExecutorError, String(e));
    assert.equal(e.code, 'AQ_STAGE_SQL_REJECTED');
    return e;
  }
  assert.fail(`expected stage SQL to be rejected: ${sql}`);
}

const ONLY = 'only queries (SELECT, WITH, VALUES, set operations) are allowed';

describe('accepted', () => {
  const queries = [
    'SELECT 1',
    'select 1;',
    '  -- leading comment\n/* block */ SELECT a FROM t WHERE b > 1',
    'SELECT * FROM table_that_does_not_exist JOIN other USING (id)',
    'WITH a AS (SELECT 1 AS x) SELECT * FROM a',
    'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r',
    'VALUES (1, 2), (3, 4)',
    'SELECT 1 UNION SELECT 2',
    'SELECT 1 EXCEPT SELECT 2 INTERSECT SELECT 3',
    '(SELECT 1) UNION ALL (SELECT 2)',
    '((SELECT 1))',
    'FROM t',
    "SELECT * FROM t WHERE s = ';' -- ; not a separator",
    'SELECT $$;$$',
  ];
  for (const sql of queries) test(JSON.stringify(sql), () => checkStageQuery(db.conn, 's', sql));
});

describe('rejected statement kinds', () => {
  const statements: Array<[string, string]> = [
    ['CREATE TABLE t AS SELECT 1', 'a CREATE'],
    ['CREATE MACRO m() AS 1', 'a CREATE'],
    ['INSERT INTO t VALUES (1)', 'an INSERT'],
    ['UPDATE t SET a = 1', 'an UPDATE'],
    ['DELETE FROM t', 'a DELETE'],
    ["COPY t TO 'out.csv'", 'a COPY'],
    ["COPY (SELECT 1) TO '/tmp/x.csv'", 'a COPY'],
    ["ATTACH 'x.db' AS x", 'an ATTACH'],
    ['DETACH x', 'a DETACH'],
    ['INSTALL httpfs', 'an INSTALL'],
    ['LOAD httpfs', 'a LOAD'],
    ['SET threads = 1', 'a SET'],
    ['RESET threads', 'a RESET'],
    ['PRAGMA version', 'a PRAGMA'],
    ['CALL pragma_version()', 'a CALL'],
    ["EXPORT DATABASE 'dir'", 'an EXPORT'],
    ["IMPORT DATABASE 'dir'", 'an IMPORT'],
    ['DROP TABLE t', 'a DROP'],
    ['ALTER TABLE t ADD COLUMN b INTEGER', 'an ALTER'],
    ['USE memory', 'a USE'],
    ['CHECKPOINT', 'a CHECKPOINT'],
    ['VACUUM', 'a VACUUM'],
    ['EXPLAIN SELECT 1', 'an EXPLAIN'],
    ['DESCRIBE t', 'a DESCRIBE'],
    ['SHOW TABLES', 'a SHOW'],
    ['SUMMARIZE t', 'a SUMMARIZE'],
    ['PIVOT t ON a USING sum(b)', 'a PIVOT'],
    ['BEGIN TRANSACTION', 'a BEGIN'],
    ['WITH a AS (SELECT 1) INSERT INTO t SELECT * FROM a', 'an INSERT'],
    ["/* comment */ -- another\n  copy t to 'x'", 'a COPY'],
    ['SELECT 1; DROP TABLE t', 'a DROP'],
  ];
  for (const [sql, kind] of statements) {
    test(sql, async () => {
      const e = await rejection('x', sql);
      assert.equal(e.message, `stage "x": ${ONLY}; found ${kind} statement`);
    });
  }
});

describe('other rejections', () => {
  test('two queries', async () => {
    assert.equal((await rejection('x', 'SELECT 1; SELECT 2')).message, 'stage "x": exactly one query is allowed; found 2 statements');
  });
  test('three queries with a trailing semicolon', async () => {
    assert.equal((await rejection('x', 'SELECT 1; SELECT 2; VALUES (3);')).message, 'stage "x": exactly one query is allowed; found 3 statements');
  });
  test('a syntax error names the stage and the position', async () => {
    const e = await rejection('aggregate', 'selec 1');
    assert.equal(e.message, 'stage "aggregate": SQL syntax error: syntax error at or near "selec" (line 1, column 1)');
    assert.deepEqual(e.diagnostics, [{ path: '', message: 'SQL syntax error: syntax error at or near "selec"', line: 1, column: 1 }]);
  });
  test('positions count characters on their line', async () => {
    const e = await rejection('s', "SELECT 'é😀' AS e,\n  x\n  selec y");
    assert.equal(e.message, 'stage "s": SQL syntax error: syntax error at or near "y" (line 3, column 9)');
  });
  test('the end of the input', async () => {
    assert.equal((await rejection('s', 'SELECT 1 +')).message, 'stage "s": SQL syntax error: syntax error at end of input (line 1, column 11)');
  });
  test('an empty query', async () => {
    assert.equal((await rejection('s', '  -- nothing\n')).message, 'stage "s": the query is empty');
    assert.equal((await rejection('s', '')).message, 'stage "s": the query is empty');
  });
  test('a DataFusion query the rewrite did not see', async () => {
    assert.match((await rejection('s', 'SELECT 1 value')).message, /^stage "s": SQL syntax error: syntax error at or near "value"/);
  });
});

test('statementKinds splits on top-level semicolons only', () => {
  assert.deepEqual(statementKinds("select ';'; (values (1)); -- x;\n copy t to 'a;b'; with a as (select 1) delete from t"), ['select', 'values', 'copy', 'delete']);
});

describe('the query reaches the parser whole', () => {
  test("quotes, backslashes and a closing parenthesis in the text are the query's, not the check's", async () => {
    for (const sql of ["SELECT 'it''s' AS a, '\\' AS b", "SELECT ')' AS a, '''' AS b, 'x'')) AS VARCHAR); SELECT (''' AS c"]) {
      await checkStageQuery(db.conn, 's', sql);
    }
    const e = await rejection('s', "SELECT '''; SELECT 2; --' AS a; SELECT 3");
    assert.match(e.message, /exactly one query is allowed; found 2 statements/);
  });

  test('a NUL character is refused, never cut off', async () => {
    const e = await rejection('s', 'SELECT 1 AS a\0; DROP TABLE t');
    assert.match(e.message, /stage "s": the query contains a NUL character/);
  });
});
