/**
 * Every pipeline file of the original (examples and Delta tests) and of our examples loads with
 * the parameters it needs, without warnings, to the values the original would read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { loadPipelineFile } from '../../../src/pipeline/load.js';
import { serializeAqueduct } from '../../../src/pipeline/serialize.js';
import type { Aqueduct, Destination, Source } from '../../../src/pipeline/types.js';
import { PIPELINE_FILES, REPO, UPSTREAM } from './helpers.js';

const PARAMS = { local_path: '/data/aq', run_id: 'run-1', year: '2024', month: 'jan', user: 'u', pass: 'pw', date: '2024-01-01' };
const CWD = '/srv/work';

async function load(file: string): Promise<Aqueduct> {
  const { pipeline, warnings } = await loadPipelineFile(file, PARAMS, { cwd: CWD });
  assert.deepEqual(warnings, [], file);
  return pipeline;
}

const shape = (p: Aqueduct): string[][] => p.stages.map((g) => g.map((s) => s.name));
const location = (s: Source | Destination | null | undefined): string | undefined => (s && 'location' in s ? s.location : undefined);

test('all eight upstream pipeline files are present and load without warnings', async () => {
  assert.deepEqual(PIPELINE_FILES.map((f) => path.relative(UPSTREAM, f)).sort(), [
    'delta-tests/aqueduct_pipeline_delta_append.yml',
    'delta-tests/aqueduct_pipeline_delta_replace.yml',
    'delta-tests/aqueduct_pipeline_delta_upsert.yml',
    'examples/aqueduct_pipeline_example.json',
    'examples/aqueduct_pipeline_example.toml',
    'examples/aqueduct_pipeline_example.yml',
    'examples/aqueduct_pipeline_odbc.yml',
    'examples/aqueduct_pipeline_simple.yml',
  ]);
  for (const file of PIPELINE_FILES) await load(file);
});

test('example.yml and example.toml describe the same pipeline', async () => {
  const yml = await load(path.join(UPSTREAM, 'examples/aqueduct_pipeline_example.yml'));
  const toml = await load(path.join(UPSTREAM, 'examples/aqueduct_pipeline_example.toml'));
  const withoutQueries = (p: Aqueduct): Aqueduct => ({ ...p, stages: p.stages.map((g) => g.map((s) => ({ ...s, query: '' }))) });
  assert.deepEqual(withoutQueries(toml), withoutQueries(yml));
  assert.deepEqual(shape(yml), [['jan_aggregated', 'feb_aggregated'], ['union']]);
  assert.deepEqual(yml.stages.flat().map((s) => [s.show, s.print_schema]), [[20, false], [0, false], [null, true]]);
  assert.deepEqual(yml.sources.map(location), [
    'file:///data/aq/examples/temp_readings_jan_2024.csv', 'file:///data/aq/examples/temp_readings_feb_2024.csv',
  ]);
  assert.equal(location(yml.destination), 'file:///data/aq/examples/output_delta_example/run-1');
  const dest = yml.destination;
  assert.ok(dest?.type === 'delta');
  assert.deepEqual(dest.write_mode, { operation: 'upsert', params: ['date'] });
  assert.deepEqual(dest.partition_columns, ['date']);
  assert.deepEqual(dest.schema.map((f) => `${f.name}:${f.data_type}:${f.nullable}`), [
    'date:date32:true', 'location_id:int32:true', 'min_temp_c:float64:true', 'min_humidity:float64:true',
    'max_temp_c:float64:true', 'max_humidity:float64:true', 'avg_temp_c:float64:true', 'avg_humidity:float64:true',
  ]);
  assert.equal(yml.stages[1]?.[0]?.query, 'SELECT * FROM jan_aggregated UNION (SELECT * FROM feb_aggregated)\n');
});

test('example.json uses the old aliases and still reads to the same model shape', async () => {
  const p = await load(path.join(UPSTREAM, 'examples/aqueduct_pipeline_example.json'));
  assert.deepEqual(p.sources.map((s) => [s.type, s.name, location(s)]), [
    ['file', 'some_table', 'file:///data/aq/examples/test_data/example_1.csv'],
    ['file', 'another_table', 'file:///data/aq/examples/test_data/example_2.csv'],
  ]);
  const dest = p.destination;
  assert.ok(dest?.type === 'delta');
  assert.deepEqual(dest.write_mode, { operation: 'replace', params: [{ column: 'date', value: '1970-01-01' }] });
  assert.deepEqual(dest.schema.map((f) => `${f.name}:${f.data_type}`), [
    'date:date32', 'country:string', 'sum_1:int32', 'sum_2:float64', 'avg_1:float64', 'avg_2:float64',
  ]);
  assert.equal(p.stages[1]?.[0]?.query.includes('avg_2FROM'), true, 'the upstream typo is kept verbatim');
});

test('the odbc example reads its connection strings with parameters and keeps comments out', async () => {
  const p = await load(path.join(UPSTREAM, 'examples/aqueduct_pipeline_odbc.yml'));
  assert.deepEqual(p.sources.map((s) => s.type === 'odbc' && [s.name, s.connection_string, s.load_query.slice(0, 27)]), [
    ['jan_data', 'Driver={PostgreSQL Unicode};Server=localhost;UID=u;PWD=pw;', 'SELECT * FROM temp_readings'],
    ['feb_data', 'Driver={PostgreSQL Unicode};Server=localhost;UID=u;PWD=pw;', 'SELECT * FROM temp_readings'],
  ]);
  assert.deepEqual(p.destination, {
    type: 'odbc', name: 'temp_readings_aggregated', connection_string: 'Driver={PostgreSQL Unicode};Server=localhost;UID=u;PWD=pw;',
    write_mode: { operation: 'append' }, batch_size: 100,
  });
});

test('the simple example resolves relative paths against the working directory', async () => {
  const p = await load(path.join(UPSTREAM, 'examples/aqueduct_pipeline_simple.yml'));
  assert.deepEqual(p.sources.map(location), ['file:///srv/work/examples/temp_readings_jan_2024.csv', 'file:///srv/work/examples/location_dict.csv']);
  assert.deepEqual(p.destination, {
    type: 'file', name: 'results', location: 'file:///srv/work/examples/output_jan_2024.parquet',
    format: { type: 'parquet', options: {} }, single_file: true, partition_columns: [], storage_config: {},
  });
  assert.deepEqual(p.stages.flat().map((s) => [s.name, s.explain, s.show]), [['aggregated', true, null], ['enriched', false, 10]]);
});

test('the delta test pipelines substitute the date into the query and the write mode', async () => {
  const modes: Record<string, unknown> = {
    append: { operation: 'append' },
    replace: { operation: 'replace', params: [{ column: 'date', value: '2024-01-01' }] },
    upsert: { operation: 'upsert', params: ['date', 'country'] },
  };
  for (const [mode, writeMode] of Object.entries(modes)) {
    const p = await load(path.join(UPSTREAM, `delta-tests/aqueduct_pipeline_delta_${mode}.yml`));
    assert.ok(p.destination?.type === 'delta');
    assert.deepEqual(p.destination.write_mode, writeMode, mode);
    assert.equal(p.destination.location, `file:///data/aq/tests/output/test_delta_${mode}/run-1`);
    assert.match(p.stages[1]?.[0]?.query ?? '', /WHERE COALESCE\(agg\.date, avg\.date\) = '2024-01-01'\n$/);
    assert.deepEqual(p.sources.map((s) => s.type === 'file' && s.format.type), ['csv', 'csv']);
  }
});

test('loading is stable through the canonical JSON', async () => {
  for (const file of PIPELINE_FILES) {
    const p = await load(file);
    const { loadPipelineText } = await import('../../../src/pipeline/load.js');
    const again = loadPipelineText(serializeAqueduct(p), 'json', {}, { cwd: '/elsewhere' });
    assert.deepEqual(again, { pipeline: p, warnings: [] }, file);
  }
});

test('our own examples load too', async () => {
  const dir = path.join(REPO, 'examples');
  const files = readdirSync(dir).filter((f) => /\.(ya?ml|json|toml)$/.test(f));
  assert.ok(files.length > 0);
  for (const f of files) {
    const { warnings } = await loadPipelineFile(path.join(dir, f), { month: 'jan', year: '2024' }, { cwd: REPO });
    assert.deepEqual(warnings, [], f);
  }
});
