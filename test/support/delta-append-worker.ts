/**
 * A separate OS process that appends to a Delta table over and over, for the concurrency tests:
 *
 *   node --import tsx test/support/delta-append-worker.ts <table-url> <worker-id> <appends> <start-at-ms> [storage-config-json]
 *
 * It waits until `start-at-ms` (so that two workers start together), then appends `appends`
 * times a few rows tagged (worker, n), and prints one JSON line: the versions it committed.
 */
import { rm } from 'node:fs/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { checkDeltaDestination, planDeltaDestination, writeDeltaDestination } from '../../src/delta/destination.js';
import { deltaDestination, tempDir } from './delta.js';

const [location, worker, appends, startAt, config] = process.argv.slice(2);
const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
await conn.run("SET TimeZone = 'UTC'");
const spillDir = await tempDir('aq-delta-worker-');
/** Lost races (committed at a later version) and re-planned attempts, as reported by the writer. */
const retries: string[] = [];
const report = (_level: string, message: string) => {
  if (/committed by another writer|planning again/.test(message)) retries.push(message);
};
const dest = deltaDestination(location!, { partition_columns: ['worker'], storage_config: config ? (JSON.parse(config) as Record<string, string>) : {} });
const versions: number[] = [];
const wait = Number(startAt) - Date.now();
if (wait > 0) await new Promise((r) => setTimeout(r, wait));
try {
  for (let n = 0; n < Number(appends); n++) {
    await conn.run(`CREATE OR REPLACE TABLE batch AS SELECT '${worker}' AS worker, ${n} AS n, i AS i FROM range(5) r(i)`);
    const plan = planDeltaDestination({ spillDir, allowFile: () => {}, allowDirectory: () => {}, report }, dest, `${worker}-${n}`);
    const signal = new AbortController().signal;
    await checkDeltaDestination({ conn, signal, report }, plan);
    const r = await writeDeltaDestination({ conn, signal, report }, plan, 'batch');
    versions.push(r.version!);
  }
  process.stdout.write(`${JSON.stringify({ worker, versions, retries })}\n`);
} catch (e) {
  process.stdout.write(`${JSON.stringify({ worker, versions, retries, error: (e as Error).message })}\n`);
  process.exitCode = 1;
} finally {
  conn.closeSync();
  instance.closeSync();
  await rm(spillDir, { recursive: true, force: true });
}
