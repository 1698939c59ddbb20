/**
 * Delta tables on S3 (s3rver), GCS (the stand-in of test/support/fake-gcs.ts) and Azure
 * (Azurite) read and write like local ones: fixture tables uploaded and read at a version and at
 * the latest (only the snapshot's files are downloaded), tables written with every write mode
 * (validated by the log checker on a downloaded copy, read back at every version), time travel by
 * timestamp, and the commit race.
 *
 * GCS and Azure honour conditional creates, so two writers appending at once both land. s3rver
 * ignores `If-None-Match`: the writer detects it and refuses to commit unless
 * `aws_s3_allow_unsafe_rename` is set (then it writes, with no protection against a concurrent
 * writer); DynamoDB locking is refused. Reading needs no opt-in.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ExecutorError } from '../../../src/core/errors.js';
import type { DeltaWriteMode } from '../../../src/pipeline/types.js';
import { openDeltaLocation } from '../../../src/delta/location.js';
import { honoursCreateIfAbsent } from '../../../src/delta/write/commit-store.js';
import { checkDeltaLog } from '../../support/delta-log-check.js';
import { DELTA_FIXTURES, deltaDestination, field, filesBelow, openDuck, readColumn, readRows, tempDir, writeTable, type Duck } from '../../support/delta.js';
import { startAzurite, startFakeGcs, startS3, type AzureEmulator, type FakeGcs, type S3Emulator } from '../../support/emulators.js';

interface Store {
  name: string;
  url(prefix: string): string;
  config: Record<string, string>;
  /** storage_config that lets this store be written. */
  writeConfig: Record<string, string>;
  put(key: string, body: Buffer): Promise<void>;
  keys(prefix: string): Promise<string[]>;
  get(key: string): Promise<Buffer | null>;
  conditional: boolean;
  stop(): Promise<void>;
}

const env = {};
let duck: Duck;
let other: Duck;
const stores: Store[] = [];

before(async () => {
  duck = await openDuck();
  other = await openDuck();
  const s3: S3Emulator = await startS3();
  await s3.createBucket('lake');
  stores.push({
    name: 'S3 (s3rver)', url: (p) => `s3://lake/${p}`, config: s3.config, writeConfig: { ...s3.config, aws_s3_allow_unsafe_rename: 'true' },
    put: (k, b) => s3.put('lake', k, b), keys: (p) => s3.keys('lake', p), get: (k) => s3.get('lake', k), conditional: false, stop: () => s3.stop(),
  });
  const gcs: FakeGcs = await startFakeGcs({ token: 'delta-token' });
  gcs.createBucket('lake');
  const gcsConfig = { GOOGLE_BASE_URL: gcs.endpoint, GOOGLE_BEARER_TOKEN: 'delta-token' };
  stores.push({
    name: 'GCS (stand-in)', url: (p) => `gs://lake/${p}`, config: gcsConfig, writeConfig: gcsConfig,
    put: async (k, b) => gcs.put('lake', k, b), keys: async (p) => gcs.names('lake').filter((n) => n.startsWith(p)).sort(), get: async (k) => gcs.get('lake', k) ?? null,
    conditional: true, stop: () => gcs.stop(),
  });
  const az: AzureEmulator = await startAzurite();
  await az.createContainer('lake');
  stores.push({
    name: 'Azure (Azurite)', url: (p) => `az://lake/${p}`, config: az.config, writeConfig: az.config,
    put: (k, b) => az.put('lake', k, b), keys: (p) => az.keys('lake', p), get: (k) => az.get('lake', k), conditional: true, stop: () => az.stop(),
  });
});

after(async () => {
  duck.close();
  other.close();
  for (const s of stores) await s.stop();
});

async function upload(store: Store, fixture: string, prefix: string): Promise<void> {
  const dir = path.join(DELTA_FIXTURES, fixture);
  for (const f of await filesBelow(dir)) await store.put(`${prefix}/${f}`, await readFile(path.join(dir, f)));
}

async function download(store: Store, prefix: string): Promise<string> {
  const dir = path.join(await tempDir(), 'copy');
  for (const k of await store.keys(`${prefix}/`)) {
    const to = path.join(dir, k.slice(prefix.length + 1));
    await mkdir(path.dirname(to), { recursive: true });
    await writeFile(to, (await store.get(k))!);
  }
  return dir;
}

function code(c: string, ...patterns: RegExp[]) {
  return (e: unknown) => {
    assert.ok(e instanceof ExecutorError, String(e));
    assert.equal(e.code, c, e.message);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  };
}

const storeCases = ['S3 (s3rver)', 'GCS (stand-in)', 'Azure (Azurite)'];
const storeNamed = (name: string) => stores.find((s) => s.name === name)!;

for (const name of storeCases) {
  describe(name, () => {
    test('reads fixture tables at the latest version and by version, downloading only the snapshot\'s files', async () => {
      const s = storeNamed(name);
      await upload(s, 'simple_table_with_checkpoint', 'read/checkpointed');
      await upload(s, 'data-reader-partition-values', 'read/partitions');
      await upload(s, 'simple_table', 'read/simple');
      const spillDir = await tempDir('aq-delta-spill-');
      const opts = { storageConfig: s.config, spillDir, env };
      assert.deepEqual(await readColumn(duck.conn, s.url('read/checkpointed'), 'version', opts), [0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      assert.deepEqual(await readColumn(duck.conn, s.url('read/checkpointed'), 'version', { ...opts, version: 4 }), [0, 1, 2, 3, 4]);
      assert.deepEqual(await readColumn(duck.conn, s.url('read/simple'), 'id', { ...opts, version: 3 }), [5, 7, 9, 106, 108]);
      const rows = await readRows(duck.conn, s.url('read/partitions'), opts, 'value, as_int, as_string_lit_null, CAST(as_timestamp AS VARCHAR) AS ts', 'value');
      assert.deepEqual(rows, [
        { value: '0', as_int: 0, as_string_lit_null: 'null', ts: '2021-09-08 11:11:11+00' },
        { value: '1', as_int: 1, as_string_lit_null: 'null', ts: '2021-09-08 11:11:11+00' },
        { value: '2', as_int: null, as_string_lit_null: null, ts: null },
      ]);
      // simple_table at version 3 has 6 active files of its 26 data files; the partitioned table 3.
      const parquet = (await filesBelow(spillDir)).filter((f) => f.endsWith('.parquet'));
      assert.equal(parquet.filter((f) => /part-.*c000\.snappy\.parquet$/.test(f) && !f.includes('checkpoint')).length, 11 + 5 + 6 + 3);
      assert.equal(parquet.filter((f) => f.includes('checkpoint')).length, 1);
    });

    test('writes with every mode: the original\'s pipelines\' results, a valid log, every version readable', async () => {
      const s = storeNamed(name);
      const prefix = 'written/upstream';
      await duck.conn.run(`CREATE OR REPLACE TABLE result AS SELECT * FROM (VALUES
        (DATE '2023-05-01', 'DE', 10::BIGINT, 1.5), (DATE '2023-05-01', 'FR', 20::BIGINT, 2.5), (DATE '2023-05-02', 'DE', 30::BIGINT, 3.5)) v(date, country, sum_1, avg_1)`);
      const schema = [field('date', 'date32'), field('country', 'utf8'), field('sum_1', 'int64'), field('avg_1', 'float64')];
      const dest = (write_mode: DeltaWriteMode) => deltaDestination(s.url(prefix), { write_mode, partition_columns: ['date'], schema, storage_config: s.writeConfig });
      const reports: string[] = [];
      const opts = { env, report: (_l: string, m: string) => reports.push(m) };
      await writeTable(duck.conn, dest({ operation: 'append' }), 'result', opts);
      await writeTable(duck.conn, dest({ operation: 'append' }), 'result', opts);
      assert.equal((await readRows(duck.conn, s.url(prefix), { storageConfig: s.config, spillDir: await tempDir(), env })).length, 6);
      await duck.conn.run("CREATE OR REPLACE TABLE upd AS SELECT DATE '2023-05-02' AS date, 'DE' AS country, 99::BIGINT AS sum_1, 9.5 AS avg_1");
      await writeTable(duck.conn, dest({ operation: 'replace', params: [{ column: 'date', value: '2023-05-02' }] }), 'upd', opts);
      await duck.conn.run("CREATE OR REPLACE TABLE ups AS SELECT DATE '2023-05-02' AS date, 'DE' AS country, 100::BIGINT AS sum_1, 10.5 AS avg_1 UNION ALL SELECT DATE '2023-05-03', 'IT', 1, 0.5");
      await writeTable(duck.conn, dest({ operation: 'upsert', params: ['date', 'country'] }), 'ups', opts);
      const spill = await tempDir();
      const at = async (version?: number) => (await readRows(duck.conn, s.url(prefix), { storageConfig: s.config, spillDir: spill, env, ...(version === undefined ? {} : { version }) }, 'CAST(date AS VARCHAR) AS d, country, CAST(sum_1 AS INTEGER) AS n', 'd, country, n'));
      assert.deepEqual(await at(), [
        { d: '2023-05-01', country: 'DE', n: 10 }, { d: '2023-05-01', country: 'DE', n: 10 }, { d: '2023-05-01', country: 'FR', n: 20 }, { d: '2023-05-01', country: 'FR', n: 20 },
        { d: '2023-05-02', country: 'DE', n: 100 }, { d: '2023-05-03', country: 'IT', n: 1 },
      ]);
      assert.equal((await at(0)).length, 3);
      assert.equal((await at(2)).length, 5);
      const local = await download(s, prefix);
      assert.deepEqual(await checkDeltaLog(duck.conn, local), []);
      if (!s.conditional) assert.ok(reports.some((m) => /ignores conditional writes \(If-None-Match\); committing without protection/.test(m)), reports.join('\n'));
    });

    test('time travel by timestamp uses the store\'s last-modified times', async () => {
      const s = storeNamed(name);
      const prefix = 'written/timed';
      await duck.conn.run('CREATE OR REPLACE TABLE one AS SELECT 1 AS x');
      await writeTable(duck.conn, deltaDestination(s.url(prefix), { storage_config: s.writeConfig }), 'one', { env });
      // S3 and Azure report whole seconds: the second commit must be in a later second.
      await new Promise((r) => setTimeout(r, 1100));
      await writeTable(duck.conn, deltaDestination(s.url(prefix), { storage_config: s.writeConfig }), 'one', { env });
      const { location } = openDeltaLocation(s.url(prefix), s.config, { env });
      const modified = async (v: number) => (await location.store.head(`${location.log}${String(v).padStart(20, '0')}.json`, { signal: new AbortController().signal }))!.lastModified!;
      const t0 = await modified(0);
      const t1 = await modified(1);
      assert.ok(t1 > t0);
      const opts = { storageConfig: s.config, spillDir: await tempDir(), env };
      assert.deepEqual(await readColumn(duck.conn, s.url(prefix), 'x', { ...opts, timestamp: t0.toISOString() }), [1]);
      assert.deepEqual(await readColumn(duck.conn, s.url(prefix), 'x', { ...opts, timestamp: new Date(t1.getTime() - 1).toISOString() }), [1]);
      assert.deepEqual(await readColumn(duck.conn, s.url(prefix), 'x', { ...opts, timestamp: t1.toISOString() }), [1, 1]);
      await assert.rejects(readColumn(duck.conn, s.url(prefix), 'x', { ...opts, timestamp: new Date(t0.getTime() - 1000).toISOString() }), code('AQ_DELTA_VERSION_NOT_AVAILABLE', /before the earliest available commit/));
    });

    if (name !== 'S3 (s3rver)') {
      test('two writers appending at the same time both land every time (conditional creates)', async () => {
        const s = storeNamed(name);
        const prefix = 'written/race';
        const { location } = openDeltaLocation(s.url(prefix), s.config, { env });
        assert.equal(await honoursCreateIfAbsent(location, new AbortController().signal), true);
        await duck.conn.run("CREATE OR REPLACE TABLE a AS SELECT 'a' AS w, 1 AS n");
        await other.conn.run("CREATE OR REPLACE TABLE b AS SELECT 'b' AS w, 1 AS n");
        const dest = deltaDestination(s.url(prefix), { storage_config: s.writeConfig });
        const reports: string[] = [];
        const report = (_l: string, m: string) => reports.push(m);
        const rounds = 4;
        for (let i = 0; i < rounds; i++) {
          const [ra, rb] = await Promise.all([writeTable(duck.conn, dest, 'a', { env, report }), writeTable(other.conn, dest, 'b', { env, report })]);
          assert.notEqual(ra.version, rb.version);
        }
        const rows = await readRows(duck.conn, s.url(prefix), { storageConfig: s.config, spillDir: await tempDir(), env }, 'w', 'w');
        assert.deepEqual(rows.map((r) => r.w), [...Array(rounds).fill('a'), ...Array(rounds).fill('b')]);
        assert.deepEqual(await checkDeltaLog(duck.conn, await download(s, prefix)), []);
        assert.ok(reports.some((m) => /committed by another writer|planning again/.test(m)), 'the writers raced at least once');
      });
    } else {
      test('s3rver ignores If-None-Match: writing is refused unless aws_s3_allow_unsafe_rename is set; DynamoDB locking is refused', async () => {
        const s = storeNamed(name);
        const prefix = 'written/refused';
        const { location } = openDeltaLocation(s.url(prefix), s.config, { env });
        // What the emulator does: a second conditional create of the same key succeeds (it overwrites).
        assert.equal(await location.store.createIfAbsent(`${prefix}/probe`, 'one', { signal: new AbortController().signal }), true);
        assert.equal(await location.store.createIfAbsent(`${prefix}/probe`, 'two', { signal: new AbortController().signal }), true);
        assert.equal(await honoursCreateIfAbsent(location, new AbortController().signal), false);
        await duck.conn.run('CREATE OR REPLACE TABLE one AS SELECT 1 AS x');
        await assert.rejects(
          writeTable(duck.conn, deltaDestination(s.url(`${prefix}/t`), { storage_config: s.config }), 'one', { env }),
          code('AQ_DELTA_UNSAFE_COMMIT', /ignores conditional writes \(If-None-Match\)/, /aws_s3_allow_unsafe_rename/),
        );
        await assert.rejects(
          writeTable(duck.conn, deltaDestination(s.url(`${prefix}/t`), { storage_config: { ...s.config, aws_s3_locking_provider: 'dynamodb' } }), 'one', { env }),
          code('AQ_DELTA_UNSUPPORTED', /DynamoDB commit locking/),
        );
        assert.deepEqual(await s.keys(`${prefix}/t/`), [], 'nothing was written (the probe object is gone too)');
        assert.deepEqual(await readColumn(duck.conn, s.url('read/checkpointed'), 'version', { storageConfig: s.config, spillDir: await tempDir(), env, version: 1 }), [0, 1], 'reading needs no opt-in');
      });
    }
  });
}
