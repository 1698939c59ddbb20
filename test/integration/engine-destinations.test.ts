/** File and in-memory destinations on the real engine: formats, options, atomicity, cancellation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import { assertSucceeded, query, runYaml, tempDir } from '../support/engine.js';

const DATA = `sources: []
stages:
  - - name: result
      query: >
        SELECT range AS id, 'name ' || range AS name, (range % 2 = 0) AS even,
               TIMESTAMP '2024-01-03 10:07:37' + INTERVAL (range) SECOND AS ts,
               ['2023', '2024'][range % 2 + 1] AS year
        FROM range(4)
`;

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(path.relative(dir, path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)));
  }
  return out.sort();
}

test('csv destination: header, delimiter and arrow-style timestamps', async () => {
  const cwd = await tempDir();
  const r = await runYaml(`${DATA}destination: { type: file, name: out, location: ./out.csv, format: { type: csv, options: { delimiter: ";" } } }`, { cwd });
  assertSucceeded(r);
  const text = await readFile(path.join(cwd, 'out.csv'), 'utf8');
  assert.equal(
    text,
    'id;name;even;ts;year\n0;name 0;true;2024-01-03T10:07:37;2023\n1;name 1;false;2024-01-03T10:07:38;2024\n2;name 2;true;2024-01-03T10:07:39;2023\n3;name 3;false;2024-01-03T10:07:40;2024\n',
  );
  assert.deepEqual(await files(cwd), ['out.csv']);
});

test('csv destination without header, gzip-compressed', async () => {
  const cwd = await tempDir();
  const r = await runYaml(`${DATA}destination: { type: file, name: out, location: ./out.csv.gz, format: { type: csv, options: { has_header: false, compression: gzip } } }`, { cwd });
  assertSucceeded(r);
  const text = gunzipSync(await readFile(path.join(cwd, 'out.csv.gz'))).toString('utf8');
  assert.equal(text.split('\n')[0], '0,name 0,true,2024-01-03T10:07:37,2023');
});

test('parquet destination with compression options keeps types', async () => {
  const cwd = await tempDir();
  const r = await runYaml(`${DATA}destination: { type: file, name: out, location: ./out.parquet, format: { type: parquet, options: { compression: "zstd(5)" } } }`, { cwd });
  assertSucceeded(r);
  const f = path.join(cwd, 'out.parquet');
  const meta = await query(`SELECT DISTINCT compression FROM parquet_metadata('${f}')`);
  assert.deepEqual(meta.map((m) => m.compression), ['ZSTD']);
  const cols = await query(`DESCRIBE SELECT * FROM read_parquet('${f}')`);
  assert.deepEqual(cols.map((c) => `${c.column_name}:${c.column_type}`), ['id:BIGINT', 'name:VARCHAR', 'even:BOOLEAN', 'ts:TIMESTAMP', 'year:VARCHAR']);
});

test('parquet max_row_group_size and snappy compression are honoured', async () => {
  const cwd = await tempDir();
  const r = await runYaml(
    `sources: []
stages: [[{ name: many, query: "SELECT range AS id FROM range(10000)" }]]
destination: { type: file, name: out, location: ./out.parquet, format: { type: parquet, options: { compression: snappy, max_row_group_size: "2048" } } }`,
    { cwd },
  );
  assertSucceeded(r);
  const [meta] = await query(`SELECT count(DISTINCT row_group_id)::INTEGER AS groups, min(compression) AS c FROM parquet_metadata('${path.join(cwd, 'out.parquet')}')`);
  assert.deepEqual(meta, { groups: 5, c: 'SNAPPY' });
});

test('an unknown parquet option fails the destination, naming it', async () => {
  const cwd = await tempDir();
  const r = await runYaml(`${DATA}destination: { type: file, name: out, location: ./out.parquet, format: { type: parquet, options: { colour: blue } } }`, { cwd });
  assert.equal(r.outcome.status, 'failed');
  assert.match(r.outcome.status === 'failed' ? r.outcome.error.message : '', /destination "out": unknown parquet option "colour"/);
  assert.deepEqual(await files(cwd), []);
});

test('json destination writes newline-delimited JSON', async () => {
  const cwd = await tempDir();
  const r = await runYaml(`${DATA}destination: { type: file, name: out, location: ./out.json, format: { type: json } }`, { cwd });
  assertSucceeded(r);
  const lines = (await readFile(path.join(cwd, 'out.json'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines[1], { id: 1, name: 'name 1', even: false, ts: '2024-01-03T10:07:38', year: '2024' });
});

test('single_file replaces an existing file whole', async () => {
  const cwd = await tempDir();
  await writeFile(path.join(cwd, 'out.csv'), 'old contents\n');
  const r = await runYaml(`${DATA}destination: { type: file, name: out, location: ./out.csv, format: { type: csv, options: {} } }`, { cwd });
  assertSucceeded(r);
  assert.match(await readFile(path.join(cwd, 'out.csv'), 'utf8'), /^id,name,even,ts,year\n/);
  assert.deepEqual(await files(cwd), ['out.csv']);
});

test('single_file false with partition columns writes hive-style directories and replaces the old directory', async () => {
  const cwd = await tempDir();
  await mkdir(path.join(cwd, 'out/year=1999'), { recursive: true });
  await writeFile(path.join(cwd, 'out/year=1999/stale.parquet'), 'stale');
  const r = await runYaml(
    `${DATA}destination: { type: file, name: out, location: ./out/, single_file: false, partition_columns: [year], format: { type: parquet, options: {} } }`,
    { cwd },
  );
  assertSucceeded(r);
  const written = await files(path.join(cwd, 'out'));
  assert.ok(written.every((f) => /^year=(2023|2024)\/[^/]+\.parquet$/.test(f)), written.join(', '));
  assert.ok(written.some((f) => f.startsWith('year=2023/')) && written.some((f) => f.startsWith('year=2024/')));
  const rows = await query(`SELECT year::VARCHAR AS year, count(*)::INTEGER AS n FROM read_parquet('${cwd}/out/**/*.parquet', hive_partitioning = true) GROUP BY 1 ORDER BY 1`);
  assert.deepEqual(rows, [{ year: '2023', n: 2 }, { year: '2024', n: 2 }]);
  assert.deepEqual(await files(cwd), written.map((f) => `out/${f}`));
});

test('a partition column that is not in the result fails clearly and writes nothing', async () => {
  const cwd = await tempDir();
  const r = await runYaml(`${DATA}destination: { type: file, name: out, location: ./out, single_file: false, partition_columns: [nope], format: { type: csv, options: {} } }`, { cwd });
  assert.equal(r.outcome.status, 'failed');
  assert.match(r.outcome.status === 'failed' ? r.outcome.error.message : '', /destination "out": partition column "nope" is not a column of stage "result"/);
  assert.deepEqual(await files(cwd), []);
});

test('a destination that cannot be written as configured fails before any source or stage runs', async () => {
  const cwd = await tempDir();
  await mkdir(path.join(cwd, 'taken'));
  await writeFile(path.join(cwd, 'plain'), 'x');
  // an in_memory source that does not exist: reaching it would fail with a source error
  const head = 'sources: [{ type: in_memory, name: nowhere }]\nstages: [[{ name: result, query: "SELECT 1 AS a" }]]\n';
  for (const [destination, message] of [
    ['{ type: file, name: out, location: ./taken, format: { type: csv, options: {} } }', /^destination "out": .*taken is a directory, but single_file is true$/],
    ['{ type: file, name: out, location: ./plain, single_file: false, format: { type: csv, options: {} } }', /^destination "out": .*plain is a file, but the destination writes a directory/],
    ['{ type: file, name: out, location: ./o.csv, format: { type: csv, options: { compression: lz5 } } }', /^destination "out": unsupported csv compression "lz5"/],
  ] as const) {
    const r = await runYaml(`${head}destination: ${destination}\n`, { cwd });
    assert.equal(r.outcome.status, 'failed', destination);
    const e = r.outcome.status === 'failed' ? r.outcome.error : null;
    assert.equal(e?.code, 'AQ_DESTINATION_FAILED', e?.message);
    assert.match(e!.message, message);
    assert.deepEqual(r.progress.map((p) => p.event.type), ['started'], destination);
  }
  assert.deepEqual(await files(cwd), ['plain']);
});

test('a cancelled run leaves no partial output and the previous file untouched', async () => {
  const cwd = await tempDir();
  await writeFile(path.join(cwd, 'big.csv'), 'previous\n');
  const ac = new AbortController();
  // cancel once the write is observably under way: its temporary file is next to the target
  let sawTemporary = false;
  const cancelWhenWriting = async () => {
    while (!ac.signal.aborted) {
      if ((await readdir(cwd)).some((f) => f.startsWith('.big.csv.aqueducts-'))) {
        sawTemporary = true;
        ac.abort();
        return;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const r = await runYaml(
    `sources: []
stages: [[{ name: big, query: "SELECT range AS id, md5(range::VARCHAR) AS h FROM range(30000000)" }]]
destination: { type: file, name: out, location: ./big.csv, format: { type: csv, options: {} } }`,
    {
      cwd,
      signal: ac.signal,
      onProgress: (_p, e) => { if (e.type === 'stage_completed') void cancelWhenWriting(); },
    },
  );
  assert.ok(sawTemporary, 'the run was cancelled while writing its temporary file');
  assert.equal(r.outcome.status, 'cancelled');
  assert.deepEqual(await files(cwd), ['big.csv']);
  assert.equal(await readFile(path.join(cwd, 'big.csv'), 'utf8'), 'previous\n');
  assert.ok(!r.progress.some((p) => p.event.type === 'destination_completed' || p.event.type === 'completed'));
});

test('a run cancelled during a stage that would run for hours ends, cancelled', async () => {
  const cwd = await tempDir();
  const ac = new AbortController();
  // the stage would run for hours: that the run ends at all shows the cancel stopped it
  const r = await runYaml(
    `sources: []
stages: [[{ name: slow, query: "SELECT count(*) FROM range(100000000000) t(x) WHERE md5(x::VARCHAR) LIKE 'ffff%'" }]]
destination: { type: file, name: out, location: ./never.csv, format: { type: csv, options: {} } }`,
    { cwd, signal: ac.signal, onProgress: (_p, e) => { if (e.type === 'stage_started') setTimeout(() => ac.abort(), 200); } },
  );
  assert.equal(r.outcome.status, 'cancelled');
  assert.deepEqual(await files(cwd), []);
});

test('in_memory destination fails when the table already exists', async () => {
  const cwd = await tempDir();
  const ok = await runYaml(`${DATA}destination: { type: in_memory, name: copy_of_result }`, { cwd });
  assertSucceeded(ok);
  const clash = await runYaml(`${DATA}destination: { type: in_memory, name: result }`, { cwd });
  assert.equal(clash.outcome.status, 'failed');
  assert.match(clash.outcome.status === 'failed' ? clash.outcome.error.message : '', /destination "result": .*already exists/);
});

test('a DataFusion parquet option with no DuckDB equivalent is ignored with a warning to the run log', async () => {
  const cwd = await tempDir();
  const logs: string[] = [];
  const r = await runYaml(`${DATA}destination: { type: file, name: out, location: ./out.parquet, format: { type: parquet, options: { created_by: me, compression: lz4 } } }`, {
    cwd,
    onLog: (level, message) => logs.push(`${level}: ${message}`),
  });
  assertSucceeded(r);
  assert.deepEqual(logs, ['warn: destination "out": parquet option "created_by" has no equivalent in this engine and is ignored']);
  const [meta] = await query(`SELECT DISTINCT compression AS c FROM parquet_metadata('${path.join(cwd, 'out.parquet')}')`);
  assert.equal(meta!.c, 'LZ4_RAW');
});

test('a cancel that arrives the instant a stage starts is never lost', { timeout: 60_000 }, async () => {
  for (let i = 0; i < 5; i++) {
    const cwd = await tempDir();
    const ac = new AbortController();
    const r = await runYaml(
      `sources: []
stages: [[{ name: slow, query: "SELECT count(*) FROM range(100000000000) t(x) WHERE md5(x::VARCHAR) LIKE 'ffff%'" }]]
destination: { type: file, name: out, location: ./never.csv, format: { type: csv, options: {} } }`,
      { cwd, signal: ac.signal, onProgress: (_p, e) => { if (e.type === 'stage_started') (i % 2 ? setImmediate : queueMicrotask)(() => ac.abort()); } },
    );
    assert.equal(r.outcome.status, 'cancelled');
    assert.deepEqual(await files(cwd), []);
  }
});

test('a cancel that arrives while the engine is still opening is not lost', { timeout: 60_000 }, async () => {
  const cwd = await tempDir();
  const ac = new AbortController();
  const pending = runYaml(
    `sources: []
stages: [[{ name: slow, query: "SELECT count(*) FROM range(100000000000) t(x) WHERE md5(x::VARCHAR) LIKE 'ffff%'" }]]
destination: { type: file, name: out, location: ./never.csv, format: { type: csv, options: {} } }`,
    { cwd, signal: ac.signal },
  );
  ac.abort();
  const r = await pending;
  assert.equal(r.outcome.status, 'cancelled');
  assert.deepEqual(r.progress, []);
  assert.deepEqual(await files(cwd), []);
});
