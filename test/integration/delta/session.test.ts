/**
 * Delta sources and destinations in a real run's engine session: the paths they allow before
 * the lockdown are enough for DuckDB to read the source's files and to write (and rewrite) the
 * destination's after it, for a local table and for one on an object store (the GCS stand-in),
 * and stage SQL still cannot read the table's directory by itself.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { silentLogger } from '../../../src/core/log.js';
import { checkDeltaDestination, planDeltaDestination, writeDeltaDestination } from '../../../src/delta/destination.js';
import { registerDeltaSource } from '../../../src/delta/source.js';
import { EngineSession } from '../../../src/engine/session.js';
import { deltaDestination, DELTA_FIXTURES, openDuck, readRows, tempDir, writeTable, type Duck } from '../../support/delta.js';
import { startFakeGcs, type FakeGcs } from '../../support/emulators.js';

let gcs: FakeGcs;
let duck: Duck;
const env = {};
before(async () => {
  gcs = await startFakeGcs();
  gcs.createBucket('lake');
  duck = await openDuck();
});
after(async () => {
  duck.close();
  await gcs.stop();
});

for (const remote of [false, true]) {
  test(`${remote ? 'an object-store' : 'a local'} table written after the lockdown, by every write mode`, async () => {
    const config: Record<string, string> = remote ? { GOOGLE_BASE_URL: gcs.endpoint } : {};
    const location = remote ? `gs://lake/session-${Date.now()}` : `file://${path.join(await tempDir(), 'session')}`;
    // Version 0 exists before the run, so the run's writes read and rewrite existing files.
    await duck.conn.run("CREATE OR REPLACE TABLE seed AS SELECT * FROM (VALUES ('x', 1), ('y', 2)) v(k, n)");
    await writeTable(duck.conn, deltaDestination(location, { partition_columns: ['k'], storage_config: config, table_properties: { 'delta.checkpointInterval': '2' } }), 'seed', { env });

    const session = await EngineSession.open({ log: silentLogger() });
    try {
      const conn = session.main;
      const host = { conn, allowFile: (p: string) => session.allowFile(p), allowDirectory: (p: string) => session.allowDirectory(p), spillDir: session.spillDir, env };
      await registerDeltaSource(host, { type: 'delta', name: 'fixture', location: `file://${path.join(DELTA_FIXTURES, 'simple_table')}`, storage_config: {}, version: 2, timestamp: null });
      const plans = (['append', 'upsert', 'replace'] as const).map((op, i) =>
        planDeltaDestination(
          { ...host, report: () => {} },
          deltaDestination(location, {
            partition_columns: ['k'], storage_config: config,
            write_mode: op === 'append' ? { operation: 'append' } : op === 'upsert' ? { operation: 'upsert', params: ['k'] } : { operation: 'replace', params: [{ column: 'k', value: 'x' }] },
          }),
          `run-${i}`,
        ),
      );
      await session.lockdown();
      await assert.rejects(conn.run(`SELECT * FROM read_parquet('${path.join(DELTA_FIXTURES, 'simple_table')}/*.parquet')`), /Permission Error|disabled by configuration/);
      const ids = (await conn.runAndReadAll('SELECT id FROM fixture ORDER BY id')).getRowsJS().map((r) => Number(r[0]));
      assert.deepEqual(ids, [5, 6, 7, 8, 9]);
      const ctx = { conn, signal: new AbortController().signal };
      await conn.run("CREATE TABLE result AS SELECT 'x' AS k, 10 AS n");
      for (const plan of plans) {
        await checkDeltaDestination(ctx, plan);
        await writeDeltaDestination(ctx, plan, 'result');
      }
    } finally {
      await session.close();
    }
    const rows = await readRows(duck.conn, location, { storageConfig: config, spillDir: await tempDir(), env }, 'k, n', 'k, n');
    assert.deepEqual(rows, [{ k: 'x', n: 10 }, { k: 'y', n: 2 }]);
    // Version 1 appended x=10; version 2 upserted x=10 onto both x rows (one incoming row may match several).
    const v1 = await readRows(duck.conn, location, { storageConfig: config, spillDir: await tempDir(), env, version: 1 }, 'k, n', 'k, n');
    assert.deepEqual(v1, [{ k: 'x', n: 1 }, { k: 'x', n: 10 }, { k: 'y', n: 2 }]);
    const v2 = await readRows(duck.conn, location, { storageConfig: config, spillDir: await tempDir(), env, version: 2 }, 'k, n', 'k, n');
    assert.deepEqual(v2, [{ k: 'x', n: 10 }, { k: 'x', n: 10 }, { k: 'y', n: 2 }]);
    // The checkpoint of version 2 was written after the lockdown too.
    const checkpoint = '_delta_log/00000000000000000002.checkpoint.parquet';
    if (remote) assert.ok(gcs.names('lake').some((n) => n.endsWith(checkpoint)));
    else assert.ok(existsSync(path.join(location.slice('file://'.length), checkpoint)));
  });
}
