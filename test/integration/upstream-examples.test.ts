/**
 * The original project's own example pipelines run here unchanged, with the parameters they
 * expect (their Delta destinations are checked in test/integration/delta/pipelines.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, cp, readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadPipelineFile } from '../../src/pipeline/load.js';
import { runPipeline } from '../../src/run/run-pipeline.js';
import { FIXTURES, query, tempDir } from '../support/engine.js';
import { freePort } from '../support/postgres.js';

const UPSTREAM = path.join(FIXTURES, 'upstream/examples');

/** A working directory laid out as the examples expect: ./examples/*.csv and ./examples/test_data. */
async function workdir(): Promise<string> {
  const dir = await tempDir();
  await mkdir(path.join(dir, 'examples/test_data'), { recursive: true });
  await cp(path.join(FIXTURES, 'examples'), path.join(dir, 'examples'), { recursive: true });
  for (const f of ['example_1.csv', 'example_2.csv']) {
    await cp(path.join(FIXTURES, 'upstream/delta-tests', f), path.join(dir, 'examples/test_data', f));
  }
  return dir;
}

test('the simple example writes 237 rows to its parquet destination', async () => {
  const cwd = await workdir();
  const { pipeline } = await loadPipelineFile(path.join(UPSTREAM, 'aqueduct_pipeline_simple.yml'), { month: 'jan', year: '2024' }, { cwd });
  const outputs: string[] = [];
  const outcome = await runPipeline({ pipeline, onStageOutput: (o) => outputs.push(`${o.kind}:${o.stageName}`) });
  assert.equal(outcome.status, 'succeeded', outcome.status === 'failed' ? outcome.error.message : '');
  const out = path.join(cwd, 'examples/output_jan_2024.parquet');
  const [row] = await query(`SELECT count(*)::INTEGER AS n, count(DISTINCT date)::INTEGER AS days FROM read_parquet('${out}')`);
  assert.deepEqual(row, { n: 237, days: 30 });
  assert.deepEqual(outputs, ['explain:aggregated', 'show_limit:enriched']);
  // The date comes from ISO timestamps ending in Z, read as UTC like the original.
  const [first] = await query(`SELECT min(date)::VARCHAR AS d, max(date)::VARCHAR AS e FROM read_parquet('${out}')`);
  assert.deepEqual(first, { d: '2024-01-01', e: '2024-01-30' });
});

for (const file of ['aqueduct_pipeline_example.yml', 'aqueduct_pipeline_example.toml']) {
  test(`${file} runs its stages unchanged: what they show and the union they produce`, async () => {
    const cwd = await workdir();
    const params = { local_path: cwd, run_id: 'r1' };
    const { pipeline } = await loadPipelineFile(path.join(UPSTREAM, file), params, { cwd });

    const shown: Record<string, string> = {};
    const withoutDelta = await runPipeline({
      pipeline: {
        ...pipeline,
        destination: {
          type: 'file', name: 'union_csv', location: `file://${cwd}/union.csv`, single_file: true, partition_columns: [], storage_config: {},
          format: { type: 'csv', options: { has_header: true, delimiter: ',', compression: null } },
        },
      },
      onStageOutput: (o) => { shown[`${o.kind}:${o.stageName}`] = o.body; },
    });
    assert.equal(withoutDelta.status, 'succeeded', withoutDelta.status === 'failed' ? withoutDelta.error.message : '');
    assert.deepEqual(Object.keys(shown).sort(), ['print_schema:union', 'show:feb_aggregated', 'show_limit:jan_aggregated']);
    // show: 20 prints 20 rows; show: 0 prints all 223 February groups (under the 500 cap)
    const rows = (body: string) => body.split('\n').filter((l) => l.startsWith('|')).length - 1;
    assert.equal(rows(shown['show_limit:jan_aggregated']!), 20);
    assert.equal(rows(shown['show:feb_aggregated']!), 223);
    assert.match(shown['print_schema:union']!, /\| date +\| date32 +\| true +\|/);
    // UNION (distinct) of the two months: 460 rows, as in DataFusion with UTC dates
    const [row] = await query(`SELECT count(*)::INTEGER AS n FROM read_csv('${cwd}/union.csv')`);
    assert.equal(row!.n, 460);
  });
}

test('the JSON example fails on its avg_2FROM typo, naming stage join, before anything runs', async () => {
  const cwd = await workdir();
  const { pipeline } = await loadPipelineFile(path.join(UPSTREAM, 'aqueduct_pipeline_example.json'), { local_path: cwd, run_id: 'r1' }, { cwd });
  const events: string[] = [];
  const outcome = await runPipeline({ pipeline, onProgress: (_p, e) => events.push(e.type) });
  assert.equal(outcome.status, 'failed');
  assert.equal(outcome.status === 'failed' && outcome.error.code, 'AQ_STAGE_SQL_REJECTED');
  assert.match(outcome.status === 'failed' ? outcome.error.message : '', /stage "join"/);
  assert.deepEqual(events, []);
});

test('the ODBC example with no database to reach fails naming its source, without the password', async () => {
  // It runs against a real PostgreSQL in odbc/upstream-example.test.ts. Here nothing listens on
  // the port libpq is pointed at (the example's connection string names none).
  const cwd = await workdir();
  const text = await readFile(path.join(UPSTREAM, 'aqueduct_pipeline_odbc.yml'), 'utf8');
  assert.match(text, /type: odbc/);
  const { pipeline } = await loadPipelineFile(path.join(UPSTREAM, 'aqueduct_pipeline_odbc.yml'), { user: 'u', pass: 'secret-pw', local_path: cwd, run_id: 'r' }, { cwd });
  const port = await freePort();
  const before = process.env.PGPORT;
  process.env.PGPORT = String(port);
  let outcome;
  try {
    outcome = await runPipeline({ pipeline: { ...pipeline, destination: null } });
  } finally {
    if (before === undefined) delete process.env.PGPORT; else process.env.PGPORT = before;
  }
  assert.equal(outcome.status, 'failed');
  assert.equal(outcome.status === 'failed' && outcome.error.code, 'AQ_SOURCE_FAILED');
  const msg = outcome.status === 'failed' ? outcome.error.message : '';
  assert.match(msg, new RegExp(`^source "jan_data": could not connect: SQLSTATE 08001: .*port ${port} failed: Connection refused`));
  assert.doesNotMatch(msg, /secret-pw/);
});
