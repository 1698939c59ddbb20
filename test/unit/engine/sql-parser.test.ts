/**
 * `aqueducts validate` checks stage SQL through a bare instance opened with @duckdb/node-bindings
 * alone (src/engine/sql-parser.ts), without the compatibility layer. Its answers must be those a
 * run's check gets from an instance with the layer applied (checkStageQuery): for every query
 * here, the parser's JSON text is the same byte for byte, and so is the verdict.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { ExecutorError } from '../../../src/core/errors.js';
import { checkSerializedQuery, checkStageQuery, SERIALIZE_SQL } from '../../../src/engine/sql/check.js';
import { rewriteSql } from '../../../src/engine/sql/rewrite.js';
import { openSqlParser, type SqlParser } from '../../../src/engine/sql-parser.js';
import { type CompatDb, openCompatDb, UPSTREAM } from '../sql/helpers.js';

const WRITTEN = [
  'SELECT 1',
  'select 1;',
  '  -- leading comment\n/* block */ SELECT a FROM t WHERE b > 1',
  'WITH a AS (SELECT 1 AS x) SELECT * FROM a',
  'VALUES (1, 2), (3, 4)',
  'FROM t',
  "SELECT 'é', '日本語', '🚀' AS rocket",
  // functions of the compatibility layer (macros and JavaScript functions), and unknown ones
  "SELECT to_timestamp_millis(1), date_trunc('day', now()), md5('x'), sha256('x'), no_such_function(1)",
  'SELECT a, count(*) FROM t GROUP BY a HAVING count(*) > 1 ORDER BY 2 DESC LIMIT 3',
  // rejected: syntax errors (positions on later lines and after multi-byte characters), statements that are not queries
  'SELECT * FROM',
  "SELECT '日本' AS x,\n  y FROM t WHERE\n  AND z",
  'SELEC 1',
  'SELECT 1; SELECT 2',
  '',
  '-- only a comment',
  'CREATE TABLE x (a INT)',
  'INSERT INTO t VALUES (1)',
  'WITH a AS (SELECT 1) DELETE FROM t',
  'DESCRIBE t',
  'SHOW TABLES',
  'SUMMARIZE t',
  'PRAGMA version',
  "COPY t TO '/tmp/x.csv'",
  'ATTACH \'x.db\'',
  // long texts: answers far larger than one block
  `SELECT ${Array.from({ length: 2000 }, (_, i) => `c${i}`).join(', ')} FROM t`,
  `SELECT '${'x'.repeat(100_000)}'`,
];

function upstreamQueries(): string[] {
  const dirs = ['examples', 'delta-tests'].map((d) => path.join(UPSTREAM, d));
  const files = dirs.flatMap((d) => readdirSync(d).filter((f) => /\.(yml|json)$/.test(f)).map((f) => path.join(d, f)));
  return files.flatMap((f) => {
    const text = readFileSync(f, 'utf8');
    const doc = (f.endsWith('.json') ? JSON.parse(text) : parseYaml(text)) as { stages?: Array<Array<{ query: string }>> };
    return (doc.stages ?? []).flat().map((s) => rewriteSql(s.query));
  });
}

let compat: CompatDb;
let parser: SqlParser;
before(async () => {
  compat = await openCompatDb();
  parser = await openSqlParser();
});
after(() => {
  parser.close();
  compat.close();
});

type Verdict = { ok: true } | { ok: false; code: string; message: string; diagnostics: unknown };

async function verdict(check: () => Promise<void>): Promise<Verdict> {
  try {
    await check();
    return { ok: true };
  } catch (e) {
    assert.ok(e instanceof ExecutorError, String(e));
    return { ok: false, code: e.code, message: e.message, diagnostics: e.diagnostics };
  }
}

test('the corpus has accepted and rejected queries', async () => {
  const verdicts = await Promise.all(WRITTEN.map((q) => verdict(() => checkSerializedQuery(parser.serialize, 's', q))));
  assert.ok(verdicts.filter((v) => v.ok).length >= 8);
  assert.ok(verdicts.filter((v) => !v.ok).length >= 12);
});

test('the bare parser answers exactly what an instance with the compatibility layer answers', async () => {
  const queries = [...WRITTEN, ...upstreamQueries()];
  assert.ok(queries.length > 40, 'the upstream pipelines were read');
  for (const sql of queries) {
    const expected = String((await compat.conn.runAndReadAll(SERIALIZE_SQL, [sql])).getRows()[0]?.[0]);
    assert.equal(await parser.serialize(sql), expected, sql.slice(0, 200));
    const run = await verdict(() => checkStageQuery(compat.conn, 'stage', sql));
    const validate = await verdict(() => checkSerializedQuery(parser.serialize, 'stage', sql));
    assert.deepEqual(validate, run, sql.slice(0, 200));
  }
});
