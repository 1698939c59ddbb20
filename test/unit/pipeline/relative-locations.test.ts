/**
 * `relativeLocations: 'keep'`: the remote CLI sends relative paths as written, because only the
 * executor knows the directory they are relative to. Absolute paths and URLs behave as before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { decodeAqueduct } from '../../../src/pipeline/decode.js';
import { loadPipelineFile, loadPipelineText } from '../../../src/pipeline/load.js';
import { parseLocation } from '../../../src/pipeline/location.js';
import { serializeAqueduct } from '../../../src/pipeline/serialize.js';

const CWD = '/srv/work';

test('parseLocation keeps relative paths as written with relative: keep', () => {
  const kept = ['./data/x.csv', 'data/in.csv', './a/./b/../c.csv', '../up.csv', '~/x.csv', './out/', 'my file.csv', ''];
  for (const s of kept) assert.equal(parseLocation(s, CWD, 'keep'), s, s);
});

test('parseLocation with relative: keep treats absolute paths and URLs as before', () => {
  const cases: Array<[string, string]> = [
    ['/tmp/data.csv', 'file:///tmp/data.csv'],
    ['//tmp//my file.csv', 'file:///tmp/my%20file.csv'],
    ['/tmp/out/', 'file:///tmp/out'],
    ['s3://b/my file.csv', 's3://b/my%20file.csv'],
    ['file:///tmp/x', 'file:///tmp/x'],
    ['https://example.com', 'https://example.com/'],
    ['C:\\data.csv', 'c:\\data.csv'],
  ];
  for (const [input, expected] of cases) {
    assert.equal(parseLocation(input, CWD, 'keep'), expected, input);
    assert.equal(parseLocation(input, CWD, 'resolve'), expected, input);
  }
});

test('the default stays resolve', () => {
  assert.equal(parseLocation('./data/x.csv', CWD), 'file:///srv/work/data/x.csv');
  const p = decodeAqueduct({ sources: [{ type: 'file', name: 's', format: { type: 'csv', options: {} }, location: './x.csv' }], stages: [] }, { cwd: CWD });
  assert.equal(p.pipeline.sources[0]?.type === 'file' && p.pipeline.sources[0].location, 'file:///srv/work/x.csv');
});

const YAML = `version: v2
sources:
  - type: file
    name: readings
    format: { type: csv, options: {} }
    location: ./data/\${month}.csv
  - type: directory
    name: archive
    format: { type: parquet, options: {} }
    location: /mnt/archive/
  - type: delta
    name: lake
    location: s3://bucket/lake
stages:
  - - name: s
      query: SELECT * FROM readings
destination:
  type: file
  name: out
  location: out/result.parquet
  format: { type: parquet, options: {} }
`;

test('loadPipelineText with relativeLocations: keep leaves relative paths in the model', () => {
  const { pipeline } = loadPipelineText(YAML, 'yaml', { month: 'jan' }, { cwd: CWD, relativeLocations: 'keep' });
  const locations = pipeline.sources.map((s) => ('location' in s ? s.location : null));
  assert.deepEqual(locations, ['./data/jan.csv', 'file:///mnt/archive', 's3://bucket/lake']);
  assert.equal(pipeline.destination?.type === 'file' && pipeline.destination.location, 'out/result.parquet');
});

test('loadPipelineFile with relativeLocations: keep serialises relative paths as written', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aq-keep-'));
  const file = path.join(dir, 'p.yml');
  await writeFile(file, YAML);
  const kept = await loadPipelineFile(file, { month: 'feb' }, { cwd: dir, relativeLocations: 'keep' });
  const json = JSON.parse(serializeAqueduct(kept.pipeline)) as {
    sources: Array<{ location?: string }>; destination: { location: string };
  };
  assert.deepEqual(json.sources.map((s) => s.location), ['./data/feb.csv', 'file:///mnt/archive', 's3://bucket/lake']);
  assert.equal(json.destination.location, 'out/result.parquet');

  const resolved = await loadPipelineFile(file, { month: 'feb' }, { cwd: dir });
  const src = resolved.pipeline.sources[0];
  assert.equal(src?.type === 'file' && src.location, `file://${dir}/data/feb.csv`);
});
