/**
 * Every stage query of the original's example and Delta test pipelines passes checkStageQuery
 * after rewriteSql, except stage `join` of the JSON example, whose `avg_2FROM` typo fails in the
 * original too and must be rejected naming the stage. The queries also run, in order, against
 * empty source tables of the columns they read, each result a table named after its stage.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { getStaticTOMLValue, parseTOML } from 'toml-eslint-parser';
import { parse as parseYaml } from 'yaml';
import { ExecutorError } from '../../../src/core/errors.js';
import { checkStageQuery } from '../../../src/engine/sql/check.js';
import { rewriteSql } from '../../../src/engine/sql/rewrite.js';
import { type CompatDb, openCompatDb, UPSTREAM } from './helpers.js';

interface Stage { name: string; query: string }

function stagesOf(file: string): Stage[] {
  const text = readFileSync(file, 'utf8');
  const doc = (file.endsWith('.json') ? JSON.parse(text) : file.endsWith('.toml') ? getStaticTOMLValue(parseTOML(text)) : parseYaml(text)) as {
    stages: Stage[][];
  };
  return doc.stages.flat();
}

const FILES = [
  ...readdirSync(path.join(UPSTREAM, 'examples')).filter((f) => /\.(yml|json|toml)$/.test(f)).map((f) => path.join(UPSTREAM, 'examples', f)),
  ...readdirSync(path.join(UPSTREAM, 'delta-tests')).filter((f) => f.endsWith('.yml')).map((f) => path.join(UPSTREAM, 'delta-tests', f)),
];
const TYPO = { file: 'aqueduct_pipeline_example.json', stage: 'join' };

let db: CompatDb;
before(async () => {
  db = await openCompatDb();
  // the tables the queries read, empty, with the columns they use
  await db.conn.run(`
    CREATE TABLE some_table (date DATE, country VARCHAR, a BIGINT, b DOUBLE);
    CREATE TABLE another_table (date DATE, country VARCHAR, x DOUBLE, y DOUBLE);
    CREATE TABLE jan_data ("timestamp" TIMESTAMP, location_id BIGINT, temperature_c DOUBLE, humidity DOUBLE);
    CREATE TABLE feb_data AS FROM jan_data;
    CREATE TABLE temp_readings AS FROM jan_data;
    CREATE TABLE locations (location_id BIGINT, location_name VARCHAR);
  `);
});
after(() => db.close());

test('the fixtures hold the 23 pipeline-file queries of the original', () => {
  assert.equal(FILES.reduce((n, f) => n + stagesOf(f).length, 0), 23);
});

for (const file of FILES) {
  describe(path.relative(UPSTREAM, file), () => {
    for (const stage of stagesOf(file)) {
      const sql = rewriteSql(stage.query.replaceAll('${date}', '2024-01-01'));
      if (path.basename(file) === TYPO.file && stage.name === TYPO.stage) {
        test(`stage ${stage.name} is rejected (avg_2FROM)`, async () => {
          await assert.rejects(checkStageQuery(db.conn, stage.name, sql), (e: unknown) => {
            assert.ok(e instanceof ExecutorError);
            assert.equal(e.code, 'AQ_STAGE_SQL_REJECTED');
            assert.match(e.message, /^stage "join": SQL syntax error: syntax error at or near "aggregate"/);
            return true;
          });
        });
        continue;
      }
      test(`stage ${stage.name}`, async () => {
        await checkStageQuery(db.conn, stage.name, sql);
        // as the engine does: the result becomes a table named after the stage
        await db.conn.run(`CREATE OR REPLACE TEMP TABLE "${stage.name}" AS ${sql}`);
        // the original queries need no rewrite beyond what is already DuckDB
        assert.equal(sql, stage.query.replaceAll('${date}', '2024-01-01'));
      });
    }
  });
}

describe('other queries of the original (docs/sql.md)', () => {
  test('the ones meant to fail are syntax errors', async () => {
    for (const sql of ['SELECTT * FROM t', 'INVALID SQL SYNTAX']) {
      await assert.rejects(checkStageQuery(db.conn, 'bad', rewriteSql(sql)), /^ExecutorError: stage "bad": SQL syntax error: /);
    }
  });
  test('a query on a table that does not exist passes the check (it fails when run)', async () => {
    await checkStageQuery(db.conn, 'docs', rewriteSql('SELECT * FROM source'));
  });
  test('custom_udfs.rs: unnest_json_array(c) from a VALUES table', async () => {
    const sql = rewriteSql(`SELECT unnest_json_array(c) AS arr FROM (VALUES ('[1, 2, 3]')) AS t(c)`);
    await checkStageQuery(db.conn, 'udf', sql);
    assert.deepEqual(await db.rows(sql), [[['1', '2', '3']]]);
  });
});
