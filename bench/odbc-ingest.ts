/**
 * ODBC ingest benchmark: rows of a PostgreSQL query loaded into DuckDB through an ODBC source,
 * against a baseline in the same run: the same query copied out by PostgreSQL itself
 * (`psql -c "\copy (query) TO STDOUT"`, discarded). Reports rows/s of both, their ratio, and the
 * executor's memory while ingesting (peak RSS and JS heap sampled every 5 ms, and VmHWM), for two
 * sizes, to show memory does not grow with the number of rows beyond DuckDB's own table. Then
 * times the rows written back through an `append` and a `custom` destination, and prints each
 * target as met or not met.
 *
 *   node --import tsx bench/odbc-ingest.ts [rows=1000000] [--max-memory=<GiB>] [--no-write]
 *
 * `--max-memory` gives the engine the limit the executor's --max-memory would (DuckDB spills its
 * table to disk beyond it). `--no-write` skips the destinations.
 * Starts a throw-away PostgreSQL (as test/support/postgres.ts does) and stops it at the end.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { EngineSession } from '../src/engine/session.js';
import { registerSource } from '../src/sources/index.js';
import { runPipeline } from '../src/run/run-pipeline.js';
import { loadPipelineText } from '../src/pipeline/load.js';
import { silentLogger } from '../src/core/log.js';
import { FETCH_ROWS } from '../src/sources/odbc.js';
import { PG_DATABASE, PG_USER, startPostgres, type PgServer } from '../test/support/postgres.js';

const args = process.argv.slice(2);
const ROWS = Number(args.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const WRITE = !args.includes('--no-write');
/** The engine's memory limit in GiB, as the executor's --max-memory (0 = DuckDB's default). */
const MAX_MEMORY = Number(/^--max-memory=(.+)$/.exec(args.find((a) => a.startsWith('--max-memory=')) ?? '')?.[1] ?? 0);

const QUERY = 'SELECT id, location_id, ts, temperature_c, humidity, weather_condition FROM readings';

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const rate = (rows: number, ms: number) => Math.round(rows / (ms / 1000));

function vmHwm(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Samples RSS and the JS heap until stopped. */
function sampler(): { stop(): { rss: number; heap: number } } {
  let rss = 0;
  let heap = 0;
  const take = () => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    heap = Math.max(heap, m.heapUsed + m.external + m.arrayBuffers);
  };
  take();
  const t = setInterval(take, 5);
  return { stop: () => { clearInterval(t); take(); return { rss, heap }; } };
}

async function baseline(pg: PgServer, limit: number): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  const bytes = await new Promise<number>((resolve, reject) => {
    const p = spawn('psql', ['-h', '127.0.0.1', '-p', String(pg.port), '-U', PG_USER, '-d', PG_DATABASE, '-X', '-q', '-c', `\\copy (${QUERY} WHERE id <= ${limit}) TO STDOUT`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let n = 0;
    p.stdout.on('data', (d: Buffer) => { n += d.length; });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(n) : reject(new Error(`psql exited with ${code}`))));
  });
  return { ms: performance.now() - t0, bytes };
}

async function ingest(pg: PgServer, limit: number, extra = ''): Promise<{ ms: number; rss: number; heap: number; table: string; rssBefore: number }> {
  global.gc?.();
  const session = await EngineSession.open({ log: silentLogger(), memoryLimitGb: MAX_MEMORY });
  try {
    const rssBefore = process.memoryUsage().rss;
    const s = sampler();
    const t0 = performance.now();
    await registerSource(session, { type: 'odbc', name: 'src', connection_string: pg.connectionString() + extra, load_query: `${QUERY} WHERE id <= ${limit}` }, new AbortController().signal);
    const ms = performance.now() - t0;
    const peak = s.stop();
    const r = await session.main.runAndReadAll("SELECT count(*), (SELECT sum(memory_usage_bytes) FROM duckdb_memory()) FROM src");
    const [n, duckMem] = r.getRows()[0]!;
    if (Number(n) !== limit) throw new Error(`loaded ${n} rows, expected ${limit}`);
    return { ms, ...peak, rssBefore, table: mib(Number(duckMem)) };
  } finally {
    await session.close();
  }
}

/** The targets this benchmark checks, each measured in the run. */
const TARGETS = { readRatio: 0.3, appendRowsPerS: 50_000, customRowsPerS: 20_000, heapGrowth: 1.25 };

const COLUMNS = 'id, location_id, ts, temperature_c, humidity, weather_condition';

/** Milliseconds from the last stage's end to the destination's: the write alone. */
async function write(pg: PgServer, writeMode: string): Promise<number> {
  await pg.psql('CREATE TABLE IF NOT EXISTS readings_copy (LIKE readings); TRUNCATE readings_copy');
  const { pipeline } = loadPipelineText(`
sources: [{ type: odbc, name: src, connection_string: "${pg.connectionString()}", load_query: "${QUERY}" }]
stages: [[{ name: s, query: "SELECT * FROM src" }]]
destination: { type: odbc, name: readings_copy, connection_string: "${pg.connectionString()}", write_mode: ${writeMode}, batch_size: 1000 }
`, 'yaml', {}, { cwd: '/tmp' });
  let written = 0;
  let startedWriting = 0;
  const outcome = await runPipeline({
    pipeline,
    onProgress: (_p, e) => {
      if (e.type === 'stage_completed') startedWriting = performance.now();
      if (e.type === 'destination_completed') written = performance.now();
    },
  });
  if (outcome.status !== 'succeeded') throw new Error(`write failed: ${JSON.stringify(outcome)}`);
  const n = (await pg.rows('SELECT count(*) FROM readings_copy'))[0]?.[0];
  if (Number(n) !== ROWS) throw new Error(`wrote ${n} rows, expected ${ROWS}`);
  return written - startedWriting;
}

const load = () => os.loadavg().map((l) => l.toFixed(2)).join(', ');
const verdict = (met: boolean) => (met ? 'met' : 'NOT met');

/** Child mode: one ingest in a fresh process, so VmHWM is the peak of exactly that ingest. */
async function child(port: number, n: number, extra: string): Promise<void> {
  const pg = { port, connectionString: () => `Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=${port};Database=${PG_DATABASE};Uid=${PG_USER};Pwd=;` } as PgServer;
  const r = await ingest(pg, n, extra);
  process.stdout.write(JSON.stringify({ ...r, hwm: vmHwm() }));
}

function inChild(pg: PgServer, n: number, extra = ''): Promise<{ ms: number; rss: number; heap: number; table: string; rssBefore: number; hwm: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...process.execArgv, process.argv[1]!, `--child=${pg.port}:${n}:${extra}`, ...(MAX_MEMORY ? [`--max-memory=${MAX_MEMORY}`] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d; });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`ingest child exited with ${code}`))));
  });
}

async function main(): Promise<void> {
  const childArg = args.find((a) => a.startsWith('--child='));
  if (childArg) {
    const [port, n, extra] = childArg.slice('--child='.length).split(':');
    return child(Number(port), Number(n), extra ?? '');
  }
  console.log(`Starting a throw-away PostgreSQL and loading ${ROWS.toLocaleString("en")} rows (load average ${load()})...`);

  const pg = await startPostgres();
  try {
    await pg.psql(`
      CREATE TABLE readings (id bigint PRIMARY KEY, location_id integer, ts timestamptz, temperature_c numeric(5,2), humidity double precision, weather_condition text);
      INSERT INTO readings
        SELECT g, g % 97, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second', round((random() * 60 - 20)::numeric, 2), random() * 100,
               (ARRAY['Sunny', 'Cloudy', 'Rainy', 'Snowy', 'Windy'])[1 + g % 5]
        FROM generate_series(1, ${ROWS}) g;`);
    await pg.psql('VACUUM ANALYZE readings');
    const sizes = [Math.round(ROWS / 4), ROWS];
    // Warm up (driver load, page cache) so neither side pays first-use costs.
    await baseline(pg, 10_000);
    // The executor's memory with (almost) nothing ingested: process, engine and driver.
    const idle = await inChild(pg, 1000);

    console.log(`\nQuery: ${QUERY}\nColumns: bigint, integer, timestamptz, numeric(5,2), double precision, text; fetch size ${FETCH_ROWS} rows; engine memory limit: ${MAX_MEMORY ? `${MAX_MEMORY} GiB` : "DuckDB's default"}`);
    console.log(`Each ingest runs in a fresh process; its peak memory (VmHWM) with 1,000 rows is ${mib(idle.hwm)}.\n`);
    console.log('| rows | psql \\copy TO STDOUT | ODBC source → DuckDB | ratio (ODBC / psql) | peak RSS (VmHWM) | above 1,000-row run | DuckDB table | peak JS heap+buffers |');
    console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
    const runs: Array<{ n: number; ratio: number; heap: number }> = [];
    for (const n of sizes) {
      const b = await baseline(pg, n);
      const o = await inChild(pg, n);
      runs.push({ n, ratio: b.ms / o.ms, heap: o.heap });
      console.log(
        `| ${n.toLocaleString('en')} | ${rate(n, b.ms).toLocaleString('en')} rows/s (${(b.ms / 1000).toFixed(2)} s, ${mib(b.bytes)}) | ` +
          `${rate(n, o.ms).toLocaleString('en')} rows/s (${(o.ms / 1000).toFixed(2)} s) | ${(b.ms / o.ms).toFixed(2)}× | ` +
          `${mib(o.hwm)} | +${mib(o.hwm - idle.hwm)} | ${o.table} | ${mib(o.heap)} |`,
      );
    }
    // What the fetch-size cursor avoids: psqlODBC's default reads the whole result first.
    const whole = await inChild(pg, ROWS, 'UseDeclareFetch=0;');
    console.log(
      `| ${ROWS.toLocaleString('en')}, driver default (UseDeclareFetch=0) | | ${rate(ROWS, whole.ms).toLocaleString('en')} rows/s | | ` +
        `${mib(whole.hwm)} | +${mib(whole.hwm - idle.hwm)} | ${whole.table} | ${mib(whole.heap)} |`,
    );
    console.log(`\nLoad average after the reads: ${load()}`);
    const [quarter, all] = [runs[0]!, runs[1]!];
    const results: string[] = [
      `read ${ROWS.toLocaleString('en')} rows at ≥ ${TARGETS.readRatio}× psql \\copy: ${all.ratio.toFixed(2)}× — ${verdict(all.ratio >= TARGETS.readRatio)}`,
      `memory bounded by the block: peak JS heap + buffers ${mib(all.heap)} for ${all.n.toLocaleString('en')} rows, ` +
        `${mib(quarter.heap)} for ${quarter.n.toLocaleString('en')} (at most ${TARGETS.heapGrowth}×) — ${verdict(all.heap <= quarter.heap * TARGETS.heapGrowth)}`,
    ];
    if (WRITE) {
      const append = rate(ROWS, await write(pg, '{ operation: append }'));
      console.log(`ODBC append destination: ${append.toLocaleString('en')} rows/s (batch_size 1000, one transaction); load ${load()}`);
      const custom = rate(ROWS, await write(pg, `{ operation: custom, transaction: { insert: "INSERT INTO readings_copy (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)" } }`));
      console.log(`ODBC custom destination (single-row INSERT ... VALUES): ${custom.toLocaleString('en')} rows/s (batch_size 1000, one transaction); load ${load()}`);
      results.push(
        `append destination ≥ ${TARGETS.appendRowsPerS.toLocaleString('en')} rows/s: ${append.toLocaleString('en')} — ${verdict(append >= TARGETS.appendRowsPerS)}`,
        `custom destination ≥ ${TARGETS.customRowsPerS.toLocaleString('en')} rows/s: ${custom.toLocaleString('en')} — ${verdict(custom >= TARGETS.customRowsPerS)}`,
      );
    }
    console.log(`\nTargets:\n${results.map((r) => `- ${r}`).join('\n')}`);
  } finally {
    await pg.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
