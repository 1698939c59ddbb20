/**
 * The `aqueducts` CLI as users run it: the built program (dist/), real files, real exit codes.
 * The suite's setup (`npm run build`) produces dist/ before the tests run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { REPO, query, tempDir } from '../support/engine.js';

const BIN = path.join(REPO, 'dist/src/cli/aqueducts.js');

interface Result { code: number | null; stdout: string; stderr: string }

function aqueducts(args: string[], opts: { cwd: string; onStderr?: (chunk: string, child: ReturnType<typeof spawn>) => void }): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; opts.onStderr?.(String(d), child); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A working directory with the repository's examples, as a user running from a checkout has. */
async function exampleDir(): Promise<string> {
  const cwd = await tempDir();
  await cp(path.join(REPO, 'examples'), path.join(cwd, 'examples'), { recursive: true });
  return cwd;
}

const EXPECTED_JAN = { rows: 237, locations: 8, days: 30, readings: 1000 };

for (const file of ['weather.yml', 'weather.json', 'weather.toml']) {
  test(`aqueducts run examples/${file} writes the daily aggregate and shows rows`, async () => {
    const cwd = await exampleDir();
    const r = await aqueducts(['run', '--file', `examples/${file}`, '-p', 'month=jan', '--param', 'year=2024'], { cwd });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /\[  0%\] 🚀 Pipeline execution started/);
    assert.match(r.stderr, /\[100%\] 🎉 Pipeline execution completed/);
    assert.match(r.stdout, /📋 Table Data \(Preview\): daily_named/);
    assert.equal(r.stdout.split('\n').filter((l) => /^\| 2024-01-\d\d /.test(l)).length, 10);
    const out = path.join(cwd, 'out/daily_weather_jan_2024.parquet');
    const [row] = await query(`SELECT count(*)::INTEGER AS rows, count(DISTINCT location_name)::INTEGER AS locations,
      count(DISTINCT date)::INTEGER AS days, sum(readings)::INTEGER AS readings FROM read_parquet('${out}')`);
    assert.deepEqual(row, EXPECTED_JAN);
    const [first] = await query(`SELECT date::VARCHAR AS date, location_name, min_temp_c, max_temp_c FROM read_parquet('${out}') ORDER BY date, location_name LIMIT 1`);
    const [check] = await query(`SELECT min(temperature_c) AS min_temp_c, max(temperature_c) AS max_temp_c
      FROM read_csv('${cwd}/examples/data/temp_readings_jan_2024.csv') r JOIN read_csv('${cwd}/examples/data/location_dict.csv') l USING (location_id)
      WHERE r.timestamp::TIMESTAMP::DATE = DATE '${first!.date}' AND l.location_name = '${first!.location_name}'`);
    assert.deepEqual({ min_temp_c: first!.min_temp_c, max_temp_c: first!.max_temp_c }, check);
  });
}

test('a missing parameter fails with every missing name and exit code 1', async () => {
  const cwd = await exampleDir();
  const r = await aqueducts(['run', '--file', 'examples/weather.yml'], { cwd });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Missing template parameters: \{"month", "year"\}/);
});

test('a failing stage exits 1 and names the stage', async () => {
  const cwd = await tempDir();
  await writeFile(path.join(cwd, 'p.yml'), 'sources: []\nstages: [[{ name: boom, query: "SELECT * FROM missing_table" }]]\n');
  const r = await aqueducts(['run', '-f', 'p.yml'], { cwd });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /❌ Pipeline failed: stage "boom": .*missing_table/);
});

test('validate accepts a valid pipeline and reports warnings for unknown keys', async () => {
  const cwd = await tempDir();
  await writeFile(path.join(cwd, 'p.yml'), 'sources: []\nstages: [[{ name: s, query: "SELECT 1 value" }]]\ndestinaton: {}\n');
  const r = await aqueducts(['validate', '-f', 'p.yml'], { cwd });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /✓ p\.yml is a valid pipeline/);
  assert.match(r.stderr, /⚠ .*destinaton.*destination/);
});

test('validate rejects bad SQL and bad structure with the path and line', async () => {
  const cwd = await tempDir();
  await writeFile(path.join(cwd, 'sql.yml'), 'sources: []\nstages: [[{ name: s, query: "DROP TABLE x" }]]\n');
  const sql = await aqueducts(['validate', '-f', 'sql.yml'], { cwd });
  assert.equal(sql.code, 1);
  assert.match(sql.stderr, /stage "s": only queries/);
  await writeFile(path.join(cwd, 'shape.yml'), 'sources:\n  - type: file\n    name: a\n    location: ./a.csv\n    format:\n      type: CSV\n      options: {}\nstages: []\n');
  const shape = await aqueducts(['validate', '-f', 'shape.yml'], { cwd });
  assert.equal(shape.code, 1);
  assert.match(shape.stderr, /sources\[0\]\.format\.type \(line 6, column \d+\): unknown variant `CSV`/);
});

test('schema prints a JSON Schema', async () => {
  const r = await aqueducts(['schema'], { cwd: REPO });
  assert.equal(r.code, 0);
  const schema = JSON.parse(r.stdout) as { $schema?: string; properties?: Record<string, unknown> };
  assert.ok(schema.$schema);
  assert.ok(schema.properties && 'sources' in schema.properties && 'stages' in schema.properties);
});

test('unknown flags are usage errors (exit 2)', async () => {
  const r = await aqueducts(['run', '--nope'], { cwd: REPO });
  assert.equal(r.code, 2);
});

test('Ctrl+C cancels a running pipeline and leaves no output', async () => {
  const cwd = await tempDir();
  await mkdir(path.join(cwd, 'out'));
  await writeFile(
    path.join(cwd, 'slow.yml'),
    `sources: []
stages: [[{ name: slow, query: "SELECT count(*) AS c FROM range(100000000000) t(x) WHERE md5(x::VARCHAR) LIKE 'ffff%'" }]]
destination: { type: file, name: out, location: ./out/result.csv, format: { type: csv, options: {} } }
`,
  );
  let sent = false;
  const r = await aqueducts(['run', '-f', 'slow.yml'], {
    cwd,
    onStderr: (chunk, child) => { if (!sent && chunk.includes('Processing stage: slow')) { sent = true; setTimeout(() => child.kill('SIGINT'), 200); } },
  });
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /Pipeline cancelled/);
  assert.deepEqual(await readdir(path.join(cwd, 'out')), []);
});
