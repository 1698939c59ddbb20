/**
 * Pipelines on object stores, end to end on the real engine: file and directory sources in every
 * format (with hive partitions) and file destinations (single files and partitioned directories)
 * on S3 (s3rver), GCS (the stand-in of test/support/fake-gcs.ts) and Azure Blob Storage
 * (Azurite); credentials from storage_config and from the environment; clear errors that name
 * the source or destination and never a secret; cancellation that leaves nothing behind.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { assertSucceeded, query, runYaml, tempDir, type RunRecord } from '../../support/engine.js';
import { startAzurite, startFakeGcs, startS3 } from '../../support/emulators.js';
import type { RunPipelineOptions } from '../../../src/run/run-pipeline.js';

interface StoreUnderTest {
  /** Root URL of the test bucket, e.g. `s3://data`. */
  root: string;
  missingRoot: string;
  config: Record<string, string>;
  /** The same credentials and endpoint as environment variables. */
  env: Record<string, string>;
  wrong: { config: Record<string, string>; secret: string };
  put(key: string, body: Buffer | string): Promise<void>;
  get(key: string): Promise<Buffer | null>;
  keys(prefix: string): Promise<string[]>;
  stop(): Promise<void>;
}

interface Logged {
  level: string;
  message: string;
}

async function run(yaml: string, opts: Partial<RunPipelineOptions> = {}): Promise<RunRecord & { logs: Logged[]; spillRoot: string }> {
  const cwd = await tempDir('aq-store-pipe-');
  const spillRoot = await tempDir('aq-store-spill-');
  const logs: Logged[] = [];
  const r = await runYaml(yaml, {
    cwd,
    spillRoot,
    ...opts,
    onLog: (level, message) => {
      logs.push({ level, message });
      opts.onLog?.(level, message);
    },
  });
  return { ...r, logs, spillRoot };
}

function failure(r: RunRecord): string {
  assert.equal(r.outcome.status, 'failed', `expected a failure, got ${r.outcome.status}`);
  return r.outcome.status === 'failed' ? `${r.outcome.error.code}: ${r.outcome.error.message}` : '';
}

/** Rows of a parquet/csv/json object, read with DuckDB from a local copy. */
async function rowsOf(s: StoreUnderTest, key: string, sql: (file: string) => string): Promise<Record<string, unknown>[]> {
  const data = await s.get(key);
  assert.ok(data, `object ${key} exists`);
  const dir = await tempDir('aq-store-read-');
  const file = path.join(dir, path.basename(key));
  await writeFile(file, data);
  return query(sql(file));
}

const cfg = (c: Record<string, string>) => JSON.stringify(c);

/** The data every store starts with, written locally with DuckDB and put with the raw SDK. */
async function seed(s: StoreUnderTest): Promise<void> {
  const dir = await tempDir('aq-store-seed-');
  await writeFile(
    path.join(dir, 'orders.csv'),
    'id,customer,region,amount,ts\n1,c1,eu,10.5,2024-01-01T10:00:00Z\n2,c2,us,20,2024-01-01T11:00:00Z\n3,c1,eu,5,2024-01-02T09:30:00+01:00\n4,c3,ap,7.25,2024-01-02T12:00:00Z\n',
  );
  await writeFile(path.join(dir, 'events.json'), '{"id":1,"kind":"click","payload":{"v":2}}\n{"id":2,"kind":"view","payload":{"v":3}}\n{"id":3,"kind":"click","payload":{"v":5}}\n');
  await query(`COPY (SELECT * FROM (VALUES ('c1', 'Ada'), ('c2', 'Lin'), ('c3', 'Sam')) t(customer, name)) TO '${dir}/customers.parquet' (FORMAT parquet)`);
  for (const f of ['orders.csv', 'events.json', 'customers.parquet']) await s.put(`in/${f}`, await readFile(path.join(dir, f)));
  const sales: Array<[string, string, number[]]> = [['eu', '2024-01-01', [1, 2]], ['eu', '2024-01-02', [3]], ['us', '2024-01-01', [4, 5, 6]]];
  for (const [region, day, vs] of sales) await s.put(`in/sales/region=${region}/day=${day}/part-0.csv`, `v\n${vs.join('\n')}\n`);
  await s.put('in/sales/README.txt', 'not data');
  await s.put('in/sales/region=eu/_SUCCESS', '');
  await s.put('in/sales/region=us/day=2024-01-01/extra.CSV', 'v\n1000\n'); // the extension is case-sensitive, as for local globs
}

const SOURCES = (s: StoreUnderTest, config = s.config) => `
sources:
  - { type: file, name: orders, format: { type: csv, options: {} }, location: "${s.root}/in/orders.csv", storage_config: ${cfg(config)} }
  - { type: file, name: events, format: { type: json, options: {} }, location: "${s.root}/in/events.json", storage_config: ${cfg(config)} }
  - { type: file, name: customers, format: { type: parquet, options: {} }, location: "${s.root}/in/customers.parquet", storage_config: ${cfg(config)} }
  - type: directory
    name: sales
    format: { type: csv, options: {} }
    location: "${s.root}/in/sales/"
    partition_columns: [["region", "string"], ["day", "date32"]]
    storage_config: ${cfg(config)}
`;

const SUMMARY = `
stages:
  - - name: summary
      query: >
        SELECT 'orders' AS what, count(*) AS n, sum(o.amount) AS total, min(c.name) AS note
        FROM orders o JOIN customers c USING (customer)
        UNION ALL SELECT 'events', count(*), sum(payload.v), min(kind) FROM events
        UNION ALL SELECT 'sales ' || region || ' ' || CAST(day AS VARCHAR), count(*), sum(v), NULL FROM sales GROUP BY region, day
`;

const EXPECTED_SUMMARY = [
  { what: 'events', n: 3n, total: 10, note: 'click' },
  { what: 'orders', n: 4n, total: 42.75, note: 'Ada' },
  { what: 'sales eu 2024-01-01', n: 2n, total: 3, note: null },
  { what: 'sales eu 2024-01-02', n: 1n, total: 3, note: null },
  { what: 'sales us 2024-01-01', n: 3n, total: 15, note: null },
];

function suite(name: string, start: () => Promise<StoreUnderTest>): void {
  describe(name, () => {
    let s: StoreUnderTest;
    before(async () => {
      s = await start();
      await seed(s);
    });
    after(() => s?.stop());

    test('reads csv, json and parquet files and a hive-partitioned directory; writes a single parquet file', async () => {
      const r = await run(`${SOURCES(s)}${SUMMARY}
destination: { type: file, name: out, location: "${s.root}/out/summary.parquet", format: { type: parquet, options: {} }, storage_config: ${cfg(s.config)} }
`);
      assertSucceeded(r);
      const rows = await rowsOf(s, 'out/summary.parquet', (f) => `SELECT what, n, total::DOUBLE AS total, note FROM read_parquet('${f}') ORDER BY what`);
      assert.deepEqual(rows, EXPECTED_SUMMARY);
      const info = r.logs.filter((l) => l.level === 'info').map((l) => l.message);
      assert.ok(info.includes(`source "sales": downloading 3 objects (18 B) from ${s.root}/in/sales/`), info.join('\n'));
      assert.ok(info.some((m) => /^source "sales": downloaded 3\/3 objects \(18 B of 18 B\)$/.test(m)), info.join('\n'));
      assert.ok(info.some((m) => m.startsWith(`destination "out": uploaded 1/1 objects`)), info.join('\n'));
      assert.deepEqual(r.logs.filter((l) => l.level === 'warn'), []);
      assert.deepEqual(await readdir(r.spillRoot), [], 'downloads and the staged output are removed with the run');
    });

    test('writes a partitioned directory that replaces the previous objects, then reads it back as parquet', async () => {
      await s.put('out/by_region/region=zz/old.parquet', 'stale');
      await s.put('out/by_region/region=eu/data_0.parquet', 'stale too');
      const w = await run(`${SOURCES(s)}
stages: [[{ name: o, query: "SELECT id, customer, region, amount FROM orders" }]]
destination:
  type: file
  name: out
  location: "${s.root}/out/by_region/"
  single_file: false
  partition_columns: [region]
  format: { type: parquet, options: { compression: snappy } }
  storage_config: ${cfg(s.config)}
`);
      assertSucceeded(w);
      const keys = await s.keys('out/by_region/');
      assert.equal(keys.length, 3, keys.join(', '));
      for (const k of keys) assert.match(k, /^out\/by_region\/region=(eu|us|ap)\/part-[A-Za-z0-9]+-0\.parquet$/);
      const r = await run(`
sources:
  - type: directory
    name: back
    format: { type: parquet, options: {} }
    location: "${s.root}/out/by_region"
    partition_columns: [{ name: region, data_type: string }]
    storage_config: ${cfg(s.config)}
stages: [[{ name: t, query: "SELECT region, count(*) AS n, sum(amount) AS total FROM back GROUP BY region ORDER BY region" }]]
destination: { type: file, name: csv_out, location: "${s.root}/out/by_region.csv", format: { type: csv, options: { delimiter: ";" } }, storage_config: ${cfg(s.config)} }
`);
      assertSucceeded(r);
      assert.equal((await s.get('out/by_region.csv'))?.toString('utf8'), 'region;n;total\nap;1;7.25\neu;2;15.5\nus;1;20.0\n');
    });

    test('a directory destination refuses a prefix holding objects that are not part of a dataset, and deletes nothing', async () => {
      await s.put('out/mixed/part-0.parquet', 'data');
      await s.put('out/mixed/readme.txt', 'not data');
      const w = await run(`${SOURCES(s)}
stages: [[{ name: o, query: "SELECT id FROM orders" }]]
destination: { type: file, name: out, location: "${s.root}/out/mixed/", single_file: false, format: { type: parquet, options: {} }, storage_config: ${cfg(s.config)} }
`);
      assert.equal(failure(w), `AQ_DESTINATION_REFUSED: destination "out": ${s.root}/out/mixed/ holds ${s.root}/out/mixed/readme.txt, which is not part of a dataset; a directory destination replaces only data files (.parquet, .csv, .json) and partition folders (column=value), so move it away or write to a prefix of its own`);
      assert.deepEqual((await s.keys('out/mixed/')).sort(), ['out/mixed/part-0.parquet', 'out/mixed/readme.txt']);
    });

    test('credentials and endpoint from the environment (no storage_config)', async () => {
      const saved = { ...process.env };
      Object.assign(process.env, s.env);
      let r;
      try {
        r = await run(`
sources:
  - { type: file, name: orders, format: { type: csv, options: {} }, location: "${s.root}/in/orders.csv" }
stages: [[{ name: o, query: "SELECT id, customer FROM orders ORDER BY id" }]]
destination: { type: file, name: out, location: "${s.root}/out/env/", single_file: false, format: { type: json } }
`);
      } finally {
        for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
        Object.assign(process.env, saved);
      }
      assertSucceeded(r);
      const keys = await s.keys('out/env/');
      assert.equal(keys.length, 1, keys.join(', '));
      assert.match(keys[0]!, /^out\/env\/part-[A-Za-z0-9]+-0\.json$/);
      const lines = (await s.get(keys[0]!))!.toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown);
      assert.deepEqual(lines, [{ id: 1, customer: 'c1' }, { id: 2, customer: 'c2' }, { id: 3, customer: 'c1' }, { id: 4, customer: 'c3' }]);
    });

    test('a wrong key, a missing bucket and a missing object fail clearly, naming the source or destination, never the secret', async () => {
      const noDest = `stages: [[{ name: o, query: "SELECT 1 AS x" }]]\n`;
      const wrong = await run(`sources: [{ type: file, name: orders, format: { type: csv, options: {} }, location: "${s.root}/in/orders.csv", storage_config: ${cfg(s.wrong.config)} }]\n${noDest}`);
      const m1 = failure(wrong);
      assert.match(m1, /^AQ_SOURCE_FAILED: source "orders": access denied to /);
      for (const text of [m1, ...wrong.logs.map((l) => l.message)]) assert.ok(!text.includes(s.wrong.secret), text);

      const bucket = await run(`sources: [{ type: file, name: orders, format: { type: csv, options: {} }, location: "${s.missingRoot}/in/orders.csv", storage_config: ${cfg(s.config)} }]\n${noDest}`);
      assert.match(failure(bucket), /^AQ_SOURCE_FAILED: source "orders": (bucket|container) not found: /);

      const object = await run(`sources: [{ type: file, name: orders, format: { type: csv, options: {} }, location: "${s.root}/in/nope.csv", storage_config: ${cfg(s.config)} }]\n${noDest}`);
      assert.equal(failure(object), `AQ_SOURCE_FAILED: source "orders": object not found: ${s.root}/in/nope.csv`);

      const dir = await run(`sources: [{ type: directory, name: d, format: { type: json, options: {} }, location: "${s.root}/in/sales/", storage_config: ${cfg(s.config)} }]\n${noDest}`);
      assert.equal(failure(dir), `AQ_SOURCE_FAILED: source "d": no .json objects under ${s.root}/in/sales/ (6 other objects)`);

      const wrongDest = await run(`sources: []\n${noDest}destination: { type: file, name: out, location: "${s.root}/out/x.csv", format: { type: csv, options: {} }, storage_config: ${cfg(s.wrong.config)} }`);
      const m2 = failure(wrongDest);
      assert.match(m2, /^AQ_DESTINATION_FAILED: destination "out": access denied to /);
      assert.ok(!m2.includes(s.wrong.secret), m2);
      // checked before any stage runs
      assert.deepEqual(wrongDest.progress.map((p) => p.event.type), ['started']);

      const bucketDest = await run(`sources: []\n${noDest}destination: { type: file, name: out, location: "${s.missingRoot}/out/x.csv", format: { type: csv, options: {} }, storage_config: ${cfg(s.config)} }`);
      assert.match(failure(bucketDest), /^AQ_DESTINATION_FAILED: destination "out": (bucket|container) not found: /);
      assert.deepEqual(bucketDest.progress.map((p) => p.event.type), ['started']);
    });

    test('unknown and foreign storage_config keys are warned about by name, never by value', async () => {
      const r = await run(`
sources:
  - { type: file, name: orders, format: { type: csv, options: {} }, location: "${s.root}/in/orders.csv", storage_config: ${cfg({ ...s.config, Secret_Acess_Kee: 'hunter2-hunter2', AWS_S3_ALLOW_UNSAFE_RENAME: 'true' })} }
stages: [[{ name: o, query: "SELECT count(*) AS n FROM orders" }]]
`);
      assertSucceeded(r);
      const warnings = r.logs.filter((l) => l.level === 'warn').map((l) => l.message);
      assert.ok(warnings.some((w) => w.startsWith('source "orders": unknown storage_config key "Secret_Acess_Kee"')), warnings.join('\n'));
      assert.ok(warnings.some((w) => w.includes('"AWS_S3_ALLOW_UNSAFE_RENAME"')), warnings.join('\n'));
      assert.ok(warnings.every((w) => !w.includes('hunter2')));
    });

    test('a cancelled single-file upload leaves the previous object, and no other, behind', async () => {
      await s.put('big/out.csv', 'previous\n');
      const ac = new AbortController();
      const r = await run(
        `sources: []
stages: [[{ name: big, query: "SELECT range AS id, md5(range::VARCHAR) AS h FROM range(1000000)" }]]
destination: { type: file, name: out, location: "${s.root}/big/out.csv", format: { type: csv, options: {} }, storage_config: ${cfg(s.config)} }
`,
        { signal: ac.signal, onLog: (_l, m) => { if (/^destination "out": uploaded 0\/1 objects \((?!0 B)/.test(m)) ac.abort(); } },
      );
      assert.equal(r.outcome.status, 'cancelled', r.outcome.status === 'failed' ? r.outcome.error.message : '');
      assert.ok(r.logs.some((l) => /uploaded 0\/1 objects/.test(l.message)), 'the upload had started');
      assert.deepEqual(await s.keys('big/'), ['big/out.csv']);
      assert.equal((await s.get('big/out.csv'))?.toString('utf8'), 'previous\n');
    });

    test('a cancelled directory upload deletes what it uploaded and keeps the previous objects', async () => {
      await s.put('parts/p=0/keep.csv', 'previous\n');
      const ac = new AbortController();
      const r = await run(
        `sources: []
stages: [[{ name: big, query: "SELECT range AS id, md5(range::VARCHAR) AS h, range % 24 AS p FROM range(600000)" }]]
destination: { type: file, name: out, location: "${s.root}/parts", single_file: false, partition_columns: [p], format: { type: csv, options: {} }, storage_config: ${cfg(s.config)} }
`,
        { signal: ac.signal, onLog: (_l, m) => { if (/^destination "out": uploaded [1-9]\d*\/24 objects/.test(m)) ac.abort(); } },
      );
      assert.equal(r.outcome.status, 'cancelled', r.outcome.status === 'failed' ? r.outcome.error.message : '');
      assert.ok(r.logs.some((l) => /removed the objects this run had uploaded \((\d+) of \1 started\)/.test(l.message)), r.logs.map((l) => l.message).join('\n'));
      assert.deepEqual(await s.keys('parts/'), ['parts/p=0/keep.csv']);
    });

    test('a cancelled download stops and leaves nothing in the spill directory', async () => {
      for (let i = 0; i < 12; i++) await s.put(`many/f${String(i).padStart(2, '0')}.csv`, `v\n${'1\n'.repeat(200_000)}`);
      const ac = new AbortController();
      const r = await run(
        `sources: [{ type: directory, name: many, format: { type: csv, options: {} }, location: "${s.root}/many/", storage_config: ${cfg(s.config)} }]
stages: [[{ name: o, query: "SELECT count(*) AS n FROM many" }]]
`,
        { signal: ac.signal, onLog: (_l, m) => { if (/^source "many": downloaded [1-9]\d*\/12 objects/.test(m)) ac.abort(); } },
      );
      assert.equal(r.outcome.status, 'cancelled', r.outcome.status === 'failed' ? r.outcome.error.message : '');
      assert.ok(!r.logs.some((l) => /downloaded 12\/12/.test(l.message)));
      assert.deepEqual(await readdir(r.spillRoot), []);
    });
  });
}

suite('S3 (s3rver)', async () => {
  const e = await startS3();
  await e.createBucket('data');
  return {
    root: 's3://data',
    missingRoot: 's3://missing-bucket',
    config: e.config,
    env: e.config,
    wrong: { config: { ...e.config, AWS_ACCESS_KEY_ID: 'AKIAWRONGWRONGWRONG1' }, secret: 'AKIAWRONGWRONGWRONG1' },
    put: (k, b) => e.put('data', k, b),
    get: (k) => e.get('data', k),
    keys: (p) => e.keys('data', p),
    stop: () => e.stop(),
  };
});

suite('GCS (stand-in server)', async () => {
  const token = 'ya29.test-token-for-the-stand-in';
  const e = await startFakeGcs({ token });
  e.createBucket('data');
  const config = { GOOGLE_BASE_URL: e.endpoint, GOOGLE_BEARER_TOKEN: token };
  return {
    root: 'gs://data',
    missingRoot: 'gs://missing-bucket',
    config,
    env: config,
    wrong: { config: { ...config, GOOGLE_BEARER_TOKEN: 'ya29.wrong-token-do-not-show' }, secret: 'ya29.wrong-token-do-not-show' },
    put: async (k, b) => e.put('data', k, b),
    get: async (k) => e.get('data', k) ?? null,
    keys: async (p) => e.names('data').filter((n) => n.startsWith(p)),
    stop: () => e.stop(),
  };
});

suite('Azure (Azurite)', async () => {
  const e = await startAzurite();
  await e.createContainer('data');
  const wrongKey = Buffer.from('a wrong account key, 32 bytes..!').toString('base64');
  return {
    root: 'az://data',
    missingRoot: 'az://missing-container',
    config: e.config,
    env: e.config,
    wrong: { config: { ...e.config, AZURE_STORAGE_ACCOUNT_KEY: wrongKey }, secret: wrongKey },
    put: (k, b) => e.put('data', k, b),
    get: (k) => e.get('data', k),
    keys: (p) => e.keys('data', p),
    stop: () => e.stop(),
  };
});

describe('Azure location and credential forms (Azurite)', () => {
  let e: Awaited<ReturnType<typeof startAzurite>>;
  before(async () => {
    e = await startAzurite();
    await e.createContainer('forms');
    await e.put('forms', 'in/a.csv', 'x\n1\n2\n');
  });
  after(() => e?.stop());

  const pipeline = (location: string, config: Record<string, string>, out: string) => `
sources: [{ type: file, name: a, format: { type: csv, options: {} }, location: "${location}", storage_config: ${cfg(config)} }]
stages: [[{ name: o, query: "SELECT sum(x) AS s FROM a" }]]
destination: { type: file, name: out, location: "${out}", format: { type: csv, options: {} }, storage_config: ${cfg(config)} }
`;

  test('a connection string', async () => {
    assertSucceeded(await run(pipeline('azure://forms/in/a.csv', { AZURE_STORAGE_CONNECTION_STRING: e.connectionString }, 'azure://forms/out/cs.csv')));
    assert.equal((await e.get('forms', 'out/cs.csv'))?.toString(), 's\n3\n');
  });

  test('abfss://container@account.dfs.core.windows.net with the emulator switch', async () => {
    // AZURITE_BLOB_STORAGE_URL points the emulator switch at this Azurite (default 127.0.0.1:10000).
    const saved = process.env.AZURITE_BLOB_STORAGE_URL;
    process.env.AZURITE_BLOB_STORAGE_URL = e.blobUrl;
    try {
      assertSucceeded(await run(pipeline('abfss://forms@devstoreaccount1.dfs.core.windows.net/in/a.csv', { AZURE_STORAGE_USE_EMULATOR: 'true' }, 'abfs://forms@devstoreaccount1.dfs.core.windows.net/out/abfs.csv')));
    } finally {
      if (saved === undefined) delete process.env.AZURITE_BLOB_STORAGE_URL;
      else process.env.AZURITE_BLOB_STORAGE_URL = saved;
    }
    assert.equal((await e.get('forms', 'out/abfs.csv'))?.toString(), 's\n3\n');
  });

  test('an http:// endpoint without AZURE_ALLOW_HTTP is refused before anything runs', async () => {
    const { AZURE_ALLOW_HTTP: _, ...config } = e.config;
    assert.match(failure(await run(pipeline('az://forms/in/a.csv', config, 'az://forms/out/x.csv'))), /destination "out": the Azure endpoint uses http:\/\/; set AZURE_ALLOW_HTTP/);
  });
});
