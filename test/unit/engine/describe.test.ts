/**
 * relationColumns (src/engine/describe.ts) on a real DuckDB: a relation's columns from its catalog
 * entry, the run database's own (not a temporary table of the same name), with nullability, for
 * any name, and a view holding DuckDB's NULL type described as a query would return it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { relationColumns } from '../../../src/engine/describe.js';

test('relationColumns reads the run database\'s relation, with types and nullability, whatever its name', async () => {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  try {
    await c.run(`CREATE TABLE "we.ird ""name" AS SELECT 1 AS x, [1] AS l, {a: CAST(1.5 AS DECIMAL(9,2))} AS s;
      CREATE TABLE "we.ird" AS SELECT 'w' AS w;
      CREATE TEMP TABLE shadowed AS SELECT 1 AS temporary;
      CREATE TABLE shadowed (kept INTEGER NOT NULL, other VARCHAR);
      CREATE VIEW nulls AS SELECT NULL AS n, 2 AS m;`);
    assert.deepEqual(await relationColumns(c, 'we.ird "name'), [
      { name: 'x', type: 'INTEGER', nullable: true },
      { name: 'l', type: 'INTEGER[]', nullable: true },
      { name: 's', type: 'STRUCT(a DECIMAL(9,2))', nullable: true },
    ]);
    assert.deepEqual(await relationColumns(c, 'we.ird'), [{ name: 'w', type: 'VARCHAR', nullable: true }]);
    assert.deepEqual(await relationColumns(c, 'shadowed'), [
      { name: 'kept', type: 'INTEGER', nullable: false },
      { name: 'other', type: 'VARCHAR', nullable: true },
    ]);
    assert.deepEqual(await relationColumns(c, 'nulls'), [
      { name: 'n', type: 'INTEGER', nullable: true },
      { name: 'm', type: 'INTEGER', nullable: true },
    ]);
    await assert.rejects(relationColumns(c, 'missing'), /Table with name missing does not exist/);
  } finally {
    c.closeSync();
    instance.closeSync();
  }
});
