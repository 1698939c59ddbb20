/**
 * The original's Delta pipelines, unchanged, through whole runs: its Delta test pipelines (append,
 * upsert, replace) and its example pipelines with their Delta destination; tables read back with
 * `type: delta` sources at every version; `aqueducts validate` on Delta fields.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadPipelineFile } from '../../../src/pipeline/load.js';
import { runPipeline, type RunOutcome } from '../../../src/run/run-pipeline.js';
import { FIXTURES, query, runYaml, tempDir } from '../../support/engine.js';
import { CLI_BIN } from '../../support/executor.js';

const TESTS = path.join(FIXTURES, 'upstream/delta-tests');
const EXAMPLES = path.join(FIXTURES, 'upstream/examples');

/** A working directory laid out as the original's Delta tests expect: ./tests/data/*.csv. */
async function testsDir(): Promise<string> {
  const dir = await tempDir('aq-delta-pipelines-');
  await mkdir(path.join(dir, 'tests/data'), { recursive: true });
  for (const f of ['example_1.csv', 'example_2.csv']) await cp(path.join(TESTS, f), path.join(dir, 'tests/data', f));
  return dir;
}

function ok(o: RunOutcome): void {
  assert.equal(o.status, 'succeeded', o.status === 'failed' ? `${o.error.code}: ${o.error.message}` : o.status);
}

async function runFile(file: string, params: Record<string, string>, cwd: string): Promise<RunOutcome> {
  const { pipeline } = await loadPipelineFile(file, params, { cwd });
  return runPipeline({ pipeline });
}

/** The rows of a Delta table (optionally at a version), read back by a `type: delta` source. */
async function readBack(cwd: string, table: string, version?: number): Promise<string[]> {
  const r = await runYaml([
    'sources:',
    `  - { type: delta, name: t, location: "${table}"${version === undefined ? '' : `, version: ${version}`} }`,
    'stages:',
    "  - - { name: rows, query: \"SELECT CAST(date AS VARCHAR) || ' ' || country || ' ' || sum_1 AS r FROM t ORDER BY date, country\", show: 0 }",
  ].join('\n'), { cwd });
  ok(r.outcome);
  return r.outputs[0]!.body.split('\n').filter((l) => /^\| \d/.test(l)).map((l) => l.slice(2, -1).trim());
}

test('the append pipeline, run twice: 26 rows, then 52; version 0 still has 26', async () => {
  const cwd = await testsDir();
  const params = { local_path: cwd, run_id: 'r1', date: '2023-05-01' };
  const file = path.join(TESTS, 'aqueduct_pipeline_delta_append.yml');
  const table = path.join(cwd, 'tests/output/test_delta_append/r1');
  ok(await runFile(file, params, cwd));
  assert.equal((await readBack(cwd, table)).length, 26);
  ok(await runFile(file, params, cwd));
  assert.equal((await readBack(cwd, table)).length, 52);
  assert.equal((await readBack(cwd, table, 0)).length, 26);
  assert.ok((await readdir(table)).some((d) => d === 'date=2023-05-01'), 'partitioned by date');
});

test('the upsert pipeline, run twice, leaves the same rows', async () => {
  const cwd = await testsDir();
  const params = { local_path: cwd, run_id: 'r1', date: '2023-05-01' };
  const file = path.join(TESTS, 'aqueduct_pipeline_delta_upsert.yml');
  const table = path.join(cwd, 'tests/output/test_delta_upsert/r1');
  ok(await runFile(file, params, cwd));
  const first = await readBack(cwd, table);
  assert.equal(first.length, 26);
  ok(await runFile(file, params, cwd));
  assert.deepEqual(await readBack(cwd, table), first);
  assert.deepEqual(await readBack(cwd, table, 1), first);
});

test('the replace pipeline replaces one partition and leaves the others', async () => {
  const cwd = await testsDir();
  const file = path.join(TESTS, 'aqueduct_pipeline_delta_replace.yml');
  const table = path.join(cwd, 'tests/output/test_delta_replace/r1');
  ok(await runFile(file, { local_path: cwd, run_id: 'r1', date: '2023-05-01' }, cwd));
  ok(await runFile(file, { local_path: cwd, run_id: 'r1', date: '2023-05-02' }, cwd));
  const both = await readBack(cwd, table);
  const may1 = both.filter((r) => r.startsWith('2023-05-01'));
  const may2 = both.filter((r) => r.startsWith('2023-05-02'));
  assert.equal(may1.length, 26);
  assert.ok(may2.length > 0);
  ok(await runFile(file, { local_path: cwd, run_id: 'r1', date: '2023-05-01' }, cwd));
  const after = await readBack(cwd, table);
  assert.deepEqual(after.filter((r) => r.startsWith('2023-05-02')), may2, 'the other partition is untouched');
  assert.deepEqual(after.filter((r) => r.startsWith('2023-05-01')), may1, 'the replaced partition holds the new rows, once');
});

for (const name of ['aqueduct_pipeline_example.yml', 'aqueduct_pipeline_example.toml']) {
  test(`${name} runs unchanged and writes its Delta table (an upsert on date into a new table keeps every row)`, async () => {
    const cwd = await tempDir('aq-delta-example-');
    await mkdir(path.join(cwd, 'examples'), { recursive: true });
    await cp(path.join(FIXTURES, 'examples'), path.join(cwd, 'examples'), { recursive: true });
    ok(await runFile(path.join(EXAMPLES, name), { local_path: cwd, run_id: 'r1' }, cwd));
    const table = path.join(cwd, 'examples/output_delta_example/r1');
    const r = await runYaml([
      'sources:',
      `  - { type: delta, name: t, location: "${table}" }`,
      'stages:',
      '  - - { name: n, query: "SELECT count(*) AS rows, count(DISTINCT date) AS days FROM t", show: 1 }',
    ].join('\n'), { cwd });
    ok(r.outcome);
    // The union of both months' daily aggregates (460 rows, as the original's), on their distinct dates.
    const [days] = await query(`SELECT count(DISTINCT CAST(CAST(timestamp AS TIMESTAMPTZ) AS DATE))::INTEGER AS d FROM read_csv('${cwd}/examples/temp_readings_*_2024.csv')`);
    assert.match(r.outputs[0]!.body, new RegExp(`\\| 460 +\\| ${days!.d} +\\|`));
  });
}

test('aqueducts validate checks Delta fields against the declared schema', async () => {
  const cwd = await tempDir('aq-delta-validate-');
  const file = path.join(cwd, 'p.yml');
  await writeFile(file, [
    'sources: []',
    'stages: [[{ name: s, query: "SELECT 1 AS a" }]]',
    'destination:',
    '  type: delta',
    '  name: out',
    '  location: ./t',
    '  write_mode: { operation: upsert, params: [id] }',
    '  partition_columns: [day]',
    '  table_properties: { delta.enableDeletionVectors: "true" }',
    '  schema: [{ name: a, data_type: int64 }, { name: day, data_type: date32 }]',
  ].join('\n'));
  const r = spawnSync(process.execPath, [CLI_BIN, 'validate', '--file', 'p.yml'], { cwd, encoding: 'utf8' });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /destination\.table_properties\.delta\.enableDeletionVectors: .*deletion/i);
  assert.match(r.stderr, /destination\.write_mode\.params\[0\]: upsert key "id" is not a column of the declared schema/);
});
