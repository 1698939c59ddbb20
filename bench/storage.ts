/**
 * Object-store benchmark: a parquet dataset (8 files, 1 GB in all by default) moved through each
 * store — S3 (s3rver), GCS (the stand-in of test/support/fake-gcs.ts) and Azure (Azurite) — by
 * this project's storage layer and pipelines, against the raw SDK copying the same bytes in the
 * same run:
 *
 * - upload:   ObjectStore.write for every file (src/storage/transfer.ts) vs the SDK's own upload
 *             (lib-storage Upload / Bucket.upload / BlockBlobClient.uploadFile), 4 files at a time;
 * - download: the staging a directory source does (downloadAll) vs the SDK's own download
 *             (GetObject stream / File.download / BlobClient.downloadToFile), 8 files at a time;
 * - pipeline read:  a directory source on the store and an aggregate over every row;
 * - pipeline write: the local dataset written to the store as a parquet directory;
 *   both also timed with local locations, to show DuckDB's own share.
 *
 *   node --import tsx bench/storage.ts [--size=<MB>] [--stores=s3,gcs,azure] [--repeat=3]
 *   BENCH_SIZE_MB=256 node --import tsx bench/storage.ts
 *
 * The emulators run on this machine, so the figures compare client-side overhead, not networks.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Storage } from '@google-cloud/storage';
import { DuckDBInstance } from '@duckdb/node-api';
import { openLocation } from '../src/storage/open.js';
import { downloadAll, uploadAll } from '../src/storage/transfer.js';
import { runPipeline } from '../src/run/run-pipeline.js';
import { loadPipelineText } from '../src/pipeline/load.js';
import { tempDir } from '../test/support/engine.js';
import { startAzurite, startFakeGcs, startS3 } from '../test/support/emulators.js';

const args = process.argv.slice(2);
const flag = (name: string) => /^--[^=]+=(.*)$/.exec(args.find((a) => a.startsWith(`--${name}=`)) ?? '')?.[1];
const SIZE_MB = Number(flag('size') ?? process.env.BENCH_SIZE_MB ?? 1024);
const STORES = (flag('stores') ?? 's3,gcs,azure').split(',');
/** Rounds; each figure is the median (raw and ours alternate within a round, to share the noise). */
const REPEAT = Number(flag('repeat') ?? 3);
const FILES = 8;

const never = new AbortController().signal;
const mb = (bytes: number) => bytes / 1e6;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Runs every named measurement REPEAT times, in rounds, and returns the medians. */
async function measure<K extends string>(steps: Array<[K, () => Promise<unknown>]>): Promise<Record<K, number>> {
  const times = new Map<K, number[]>();
  for (let round = 0; round < REPEAT; round++) {
    for (const [name, fn] of steps) times.set(name, [...(times.get(name) ?? []), await timed(fn)]);
  }
  return Object.fromEntries([...times].map(([k, v]) => [k, median(v)])) as Record<K, number>;
}

async function forEachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

/** Parquet files of random-ish rows, `FILES` of them, about SIZE_MB in all. */
async function makeDataset(dir: string): Promise<Array<{ name: string; path: string; size: number }>> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const select = (from: number, n: number) =>
    `SELECT range AS id, md5(range::VARCHAR) AS key, (hash(range) % 100000) / 100.0 AS amount, TIMESTAMP '2024-01-01' + INTERVAL (range % 31536000) SECOND AS ts
     FROM range(${from}, ${from + n})`;
  const sample = path.join(dir, 'sample.parquet');
  await c.run(`COPY (${select(0, 1_000_000)}) TO '${sample}' (FORMAT parquet)`);
  const perRow = (await stat(sample)).size / 1_000_000;
  await rm(sample);
  const rowsPerFile = Math.ceil((SIZE_MB * 1e6) / perRow / FILES);
  await mkdir(path.join(dir, 'data'));
  for (let i = 0; i < FILES; i++) {
    await c.run(`COPY (${select(i * rowsPerFile, rowsPerFile)}) TO '${path.join(dir, 'data', `part-${i}.parquet`)}' (FORMAT parquet)`);
  }
  c.closeSync();
  db.closeSync();
  const files = [];
  for (const name of (await readdir(path.join(dir, 'data'))).sort()) {
    const p = path.join(dir, 'data', name);
    files.push({ name, path: p, size: (await stat(p)).size });
  }
  return files;
}

interface RawSdk {
  upload(key: string, file: string): Promise<void>;
  download(key: string, file: string): Promise<void>;
}

interface StoreSetup {
  name: string;
  root: string;
  config: Record<string, string>;
  raw: RawSdk;
  stop(): Promise<void>;
}

async function s3(): Promise<StoreSetup> {
  const e = await startS3();
  await e.createBucket('bench');
  return {
    name: 'S3 (s3rver)',
    root: 's3://bench',
    config: e.config,
    raw: {
      upload: async (key, file) => void (await new Upload({ client: e.client, params: { Bucket: 'bench', Key: key, Body: createReadStream(file) } }).done()),
      download: async (key, file) => {
        const r = await e.client.send(new GetObjectCommand({ Bucket: 'bench', Key: key }));
        await pipeline(r.Body as Readable, createWriteStream(file));
      },
    },
    stop: () => e.stop(),
  };
}

async function gcs(): Promise<StoreSetup> {
  const e = await startFakeGcs();
  e.createBucket('bench');
  const bucket = new Storage({ apiEndpoint: e.endpoint, projectId: 'bench' }).bucket('bench');
  return {
    name: 'GCS (stand-in)',
    root: 'gs://bench',
    config: { GOOGLE_BASE_URL: e.endpoint },
    raw: {
      upload: async (key, file) => void (await bucket.upload(file, { destination: key })),
      download: async (key, file) => void (await bucket.file(key).download({ destination: file })),
    },
    stop: () => e.stop(),
  };
}

async function azure(): Promise<StoreSetup> {
  const e = await startAzurite();
  await e.createContainer('bench');
  const container = e.service.getContainerClient('bench');
  return {
    name: 'Azure (Azurite)',
    root: 'az://bench',
    config: e.config,
    raw: {
      upload: async (key, file) => void (await container.getBlockBlobClient(key).uploadFile(file)),
      download: async (key, file) => void (await container.getBlobClient(key).downloadToFile(file)),
    },
    stop: () => e.stop(),
  };
}

async function run(yaml: string, spillRoot: string): Promise<void> {
  const { pipeline: p } = loadPipelineText(yaml, 'yaml', {}, { cwd: '/' });
  const outcome = await runPipeline({ pipeline: p, spillRoot });
  if (outcome.status !== 'succeeded') throw new Error(outcome.status === 'failed' ? outcome.error.message : 'cancelled');
}

const READ = (location: string, config: Record<string, string>) => `
sources: [{ type: directory, name: d, format: { type: parquet, options: {} }, location: "${location}", storage_config: ${JSON.stringify(config)} }]
stages: [[{ name: t, query: "SELECT count(*) AS n, sum(amount) AS total, count(DISTINCT key) AS keys FROM d" }]]
`;

const WRITE = (from: string, to: string, config: Record<string, string>) => `
sources: [{ type: directory, name: d, format: { type: parquet, options: {} }, location: "${from}" }]
stages: [[{ name: t, query: "SELECT * FROM d" }]]
destination: { type: file, name: out, location: "${to}", single_file: false, format: { type: parquet, options: {} }, storage_config: ${JSON.stringify(config)} }
`;

async function main(): Promise<void> {
  const work = await tempDir('aq-bench-storage-');
  try {
    console.log(`Generating ~${SIZE_MB} MB of parquet in ${FILES} files...`);
    const files = await makeDataset(work);
    const total = files.reduce((n, f) => n + f.size, 0);
    console.log(`Dataset: ${FILES} files, ${mb(total).toFixed(0)} MB\n`);
    const spill = path.join(work, 'spill');
    const { localRead, localWrite } = await measure([
      ['localRead', () => run(READ(path.join(work, 'data'), {}), spill)],
      ['localWrite', () => run(WRITE(path.join(work, 'data'), path.join(work, 'local-out'), {}), spill)],
    ]);
    await rm(path.join(work, 'local-out'), { recursive: true, force: true });
    console.log(`Local pipeline: read ${localRead.toFixed(1)} s, write ${localWrite.toFixed(1)} s (DuckDB only, no store)\n`);

    const rows: string[][] = [];
    const starters: Record<string, () => Promise<StoreSetup>> = { s3, gcs, azure };
    for (const name of STORES) {
      const s = await starters[name]!();
      try {
        const { store } = openLocation(`${s.root}/x`, s.config);
        const down = path.join(work, 'down');
        const fresh = async () => {
          await rm(down, { recursive: true, force: true });
          await mkdir(down, { recursive: true });
        };
        // Warm-up: connections, credentials and the emulator's first-request costs.
        const first = files[0]!;
        await s.raw.upload('warm/raw', first.path);
        await uploadAll(store, [{ from: first.path, key: 'warm/ours', size: first.size }], new Set(), { signal: never });
        const metas = files.map((f) => ({ object: { key: `ours/${f.name}`, size: f.size }, to: path.join(down, f.name) }));
        const { rawUp, oursUp, rawDown, oursDown, pipeRead, pipeWrite } = await measure([
          ['rawUp', () => forEachLimit(files, 4, (f) => s.raw.upload(`raw/${f.name}`, f.path))],
          ['oursUp', () => uploadAll(store, files.map((f) => ({ from: f.path, key: `ours/${f.name}`, size: f.size })), new Set(), { signal: never })],
          ['rawDown', async () => { await fresh(); await forEachLimit(files, 8, (f) => s.raw.download(`raw/${f.name}`, path.join(down, f.name))); }],
          ['oursDown', async () => { await fresh(); await downloadAll(store, metas, { signal: never }); }],
          ['pipeRead', () => run(READ(`${s.root}/ours/`, s.config), spill)],
          ['pipeWrite', () => run(WRITE(path.join(work, 'data'), `${s.root}/written/`, s.config), spill)],
        ]);
        await rm(down, { recursive: true, force: true });
        const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
        const rate = (t: number) => `${(mb(total) / t).toFixed(0)} MB/s`;
        rows.push(
          [s.name, 'upload', `${rawUp.toFixed(1)} s (${rate(rawUp)})`, `${oursUp.toFixed(1)} s (${rate(oursUp)})`, ratio(oursUp, rawUp)],
          [s.name, 'download', `${rawDown.toFixed(1)} s (${rate(rawDown)})`, `${oursDown.toFixed(1)} s (${rate(oursDown)})`, ratio(oursDown, rawDown)],
          [s.name, 'pipeline read', `${rawDown.toFixed(1)} s raw download + ${localRead.toFixed(1)} s local read`, `${pipeRead.toFixed(1)} s`, ratio(pipeRead, rawDown + localRead)],
          [s.name, 'pipeline write', `${localWrite.toFixed(1)} s local write + ${rawUp.toFixed(1)} s raw upload`, `${pipeWrite.toFixed(1)} s`, ratio(pipeWrite, localWrite + rawUp)],
        );
        console.log(`${s.name}: done`);
      } finally {
        await s.stop();
      }
    }
    console.log(`\nMedians of ${REPEAT} rounds.`);
    console.log('\n| store | operation | raw SDK (same bytes) | this project | ratio |');
    console.log('|---|---|---|---|---|');
    for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
