import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ExecutorError } from '../../../src/core/errors.js';
import {
  loadPipelineFile, loadPipelineText, parseParams, pipelineFormatFromPath, type PipelineFormat,
} from '../../../src/pipeline/load.js';
import { CWD } from './helpers.js';

const YAML = `# a comment mentioning \${not_a_param}
version: v2
sources:
  - type: file
    name: readings
    format:
      type: csv
      options: { delimiter: ";" }
    location: \${root}/readings_\${month}.csv
stages:
  - - name: daily
      query: SELECT * FROM readings WHERE month = '\${month}'
      show: \${rows}
destination:
  type: delta
  name: out
  location: s3://bucket/out/\${month}
  write_mode:
    operation: replace
    params:
      - column: month
        value: \${month}
`;

const JSON_TEXT = `{
  "version": "v2",
  "sources": [
    { "type": "file", "name": "readings", "format": { "type": "csv", "options": { "delimiter": ";" } },
      "location": "\${root}/readings_\${month}.csv" }
  ],
  "stages": [[{ "name": "daily", "query": "SELECT * FROM readings WHERE month = '\${month}'", "show": 10 }]],
  "destination": {
    "type": "delta", "name": "out", "location": "s3://bucket/out/\${month}",
    "write_mode": { "operation": "replace", "params": [{ "column": "month", "value": "\${month}" }] }
  }
}`;

const TOML = `# comment \${not_a_param}
version = "v2"
stages = [[{ name = "daily", query = "SELECT * FROM readings WHERE month = '\${month}'", show = 10 }]]

[[sources]]
type = "file"
name = "readings"
location = "\${root}/readings_\${month}.csv"
[sources.format]
type = "csv"
options = { delimiter = ";" }

[destination]
type = "delta"
name = "out"
location = "s3://bucket/out/\${month}"
[destination.write_mode]
operation = "replace"
params = [{ column = "month", value = "\${month}" }]
`;

const PARAMS = { root: '/data', month: '01', rows: '10' };

const EXPECTED = {
  version: 'v2',
  sources: [{
    type: 'file', name: 'readings', format: { type: 'csv', options: { has_header: true, delimiter: ';', schema: [] } },
    location: 'file:///data/readings_01.csv', storage_config: {},
  }],
  stages: [[{ name: 'daily', query: "SELECT * FROM readings WHERE month = '01'", show: 10, explain: false, explain_analyze: false, print_schema: false }]],
  destination: {
    type: 'delta', name: 'out', location: 's3://bucket/out/01', write_mode: { operation: 'replace', params: [{ column: 'month', value: '01' }] },
    storage_config: {}, partition_columns: [], table_properties: {}, metadata: {}, schema: [],
  },
};

function rejection(fn: () => unknown): ExecutorError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ExecutorError, String(e));
    return e;
  }
  assert.fail('expected an error');
}

test('YAML, JSON and TOML of the same pipeline give the same model', () => {
  for (const [text, format] of [[YAML, 'yaml'], [JSON_TEXT, 'json'], [TOML, 'toml']] as Array<[string, PipelineFormat]>) {
    assert.deepEqual(loadPipelineText(text, format, PARAMS, { cwd: CWD }), { pipeline: EXPECTED, warnings: [] }, format);
  }
});

test('placeholders inside comments never count; unknown forms stay literal', () => {
  const text = 'sources: []  # ${x}\nstages: [[{name: s, query: "SELECT \'${a-b}\', \'$${c}\'"}]]\n';
  const { pipeline } = loadPipelineText(text, 'yaml', { c: 'C' }, { cwd: CWD });
  assert.equal(pipeline.stages[0]?.[0]?.query, "SELECT '${a-b}', '$C'");
});

test('missing parameters are all listed, sorted', () => {
  for (const [text, format] of [[YAML, 'yaml'], [JSON_TEXT, 'json'], [TOML, 'toml']] as Array<[string, PipelineFormat]>) {
    const e = rejection(() => loadPipelineText(text, format, { root: '/data' }, { cwd: CWD }));
    assert.equal(e.code, 'AQ_MISSING_PARAMETERS');
    const expected = format === 'yaml' ? '{"month", "rows"}' : '{"month"}';
    assert.equal(e.message, `Missing template parameters: ${expected}`, format);
  }
});

test('values are inserted verbatim into strings, so quotes cannot break the document', () => {
  const text = '{"sources": [], "stages": [[{"name": "s", "query": "SELECT \'${v}\'"}]]}';
  const { pipeline } = loadPipelineText(text, 'json', { v: 'a"b\\c' }, { cwd: CWD });
  assert.equal(pipeline.stages[0]?.[0]?.query, 'SELECT \'a"b\\c\'');
});

test('YAML: a substituted scalar is re-read as a plain scalar', () => {
  const stage = (show: string, value: string): unknown =>
    loadPipelineText(`sources: []\nstages:\n  - - name: s\n      query: q\n      show: ${show}\n`, 'yaml', { v: value }, { cwd: CWD }).pipeline.stages[0]?.[0]?.show;
  assert.equal(stage('${v}', '10'), 10);
  assert.equal(stage('"${v}"', '10'), 10);
  assert.equal(stage('${v}', ''), null);
  assert.equal(stage('${v}', '~'), null);
  const e = rejection(() => stage('${v}', 'ten'));
  assert.equal(stage('${v}', '0x10'), 16);
  assert.deepEqual(e.diagnostics, [{ path: 'stages[0][0].show', message: 'invalid type: string "ten", expected usize', line: 5, column: 13 }]);
  const zero = rejection(() => stage('${v}', '010'));
  assert.deepEqual(zero.diagnostics.map((d) => d.message), ['invalid type: string "010", expected usize']);
  const float = rejection(() => stage('${v}', '2.5'));
  assert.deepEqual(float.diagnostics.map((d) => d.message), ['invalid type: floating point `2.5`, expected usize']);
  const inf = rejection(() => stage('${v}', '+.inf'));
  assert.deepEqual(inf.diagnostics.map((d) => d.message), ['invalid type: floating point `inf`, expected usize']);
  const name = rejection(() => loadPipelineText('sources: []\nstages: [[{name: "${v}", query: q}]]\n', 'yaml', { v: 'true' }, { cwd: CWD }));
  assert.deepEqual(name.diagnostics.map((d) => d.message), ['invalid type: boolean `true`, expected a string']);
  const text = loadPipelineText('sources: []\nstages: [[{name: "s", query: "SELECT ${v}"}]]\n', 'yaml', { v: '1' }, { cwd: CWD });
  assert.equal(text.pipeline.stages[0]?.[0]?.query, 'SELECT 1');
});

test('JSON and TOML keep substituted strings as strings', () => {
  const jsonText = '{"sources": [], "stages": [[{"name": "s", "query": "q", "show": "${n}"}]]}';
  const json = rejection(() => loadPipelineText(jsonText, 'json', { n: '5' }, { cwd: CWD }));
  assert.deepEqual(json.diagnostics, [
    { path: 'stages[0][0].show', message: 'invalid type: string "5", expected usize', line: 1, column: jsonText.indexOf('"${n}"') + 1 },
  ]);
  const tomlLine = 'stages = [[{ name = "s", query = "q", show = "${n}" }]]';
  const toml = rejection(() => loadPipelineText(`sources = []\n${tomlLine}\n`, 'toml', { n: '5' }, { cwd: CWD }));
  assert.deepEqual(toml.diagnostics, [
    { path: 'stages[0][0].show', message: 'invalid type: string "5", expected usize', line: 2, column: tomlLine.indexOf('"${n}"') + 1 },
  ]);
});

test('parameters are substituted in keys too', () => {
  const text = 'sources:\n  - type: file\n    name: f\n    location: s3://b/k\n    format: {type: csv, options: {}}\n    storage_config: {"${k}": v}\nstages: []\n';
  const { pipeline } = loadPipelineText(text, 'yaml', { k: 'AWS_REGION' }, { cwd: CWD });
  assert.deepEqual((pipeline.sources[0] as { storage_config: unknown }).storage_config, { AWS_REGION: 'v' });
});

test('decode errors carry line and column in YAML', () => {
  const text = 'sources:\n  - type: file\n    name: f\n    location: /a.csv\n    format:\n      type: csv\n      options:\n        delimiter: ";;"\nstages: []\n';
  const e = rejection(() => loadPipelineText(text, 'yaml', {}, { cwd: CWD }));
  assert.equal(e.code, 'AQ_INVALID_PIPELINE');
  assert.deepEqual(e.diagnostics, [
    { path: 'sources[0].format.options.delimiter', message: 'invalid value: string ";;", expected a character', line: 8, column: 20 },
  ]);
  assert.equal(e.message, 'Invalid pipeline: sources[0].format.options.delimiter (line 8, column 20): invalid value: string ";;", expected a character');
  const missing = rejection(() => loadPipelineText('sources:\n  - type: file\n    name: f\nstages: []\n', 'yaml', {}, { cwd: CWD }));
  assert.deepEqual(missing.diagnostics.map((d) => [d.path, d.message, d.line, d.column]), [
    ['sources[0]', 'missing field `format`', 2, 5],
    ['sources[0]', 'missing field `location`', 2, 5],
  ]);
});

test('decode errors carry line and column in TOML', () => {
  const text = 'stages = []\n\n[[sources]]\ntype = "file"\nname = "f"\nlocation = "/a"\n\n[sources.format]\ntype = "csv"\n\n[[sources]]\ntype = "kafka"\nname = "k"\n';
  const e = rejection(() => loadPipelineText(text, 'toml', {}, { cwd: CWD }));
  assert.deepEqual(e.diagnostics.map((d) => [d.path, d.message, d.line, d.column]), [
    ['sources[0].format', 'missing field `options`', 8, 2],
    ['sources[1].type', e.diagnostics[1]?.message, 12, 8],
  ]);
  assert.match(e.diagnostics[1]?.message ?? '', /^unknown variant `kafka`, expected one of `InMemory`/);
});

test('decode errors carry line and column in JSON', () => {
  const text = '{\n  "sources": [],\n  "stages": [\n    [ { "name": "s", "query": "q", "explain": "yes" } ]\n  ]\n}\n';
  const e = rejection(() => loadPipelineText(text, 'json', {}, { cwd: CWD }));
  assert.deepEqual(e.diagnostics, [{ path: 'stages[0][0].explain', message: 'invalid type: string "yes", expected a boolean', line: 4, column: 47 }]);
});

test('warnings carry positions (of the key)', () => {
  const yaml = loadPipelineText('sources: []\nstages: []\ndestinaton:\n  type: memory\n', 'yaml', {}, { cwd: CWD });
  assert.deepEqual(yaml.warnings, [{ path: 'destinaton', message: 'unknown field `destinaton`, ignored; did you mean `destination`?', line: 3, column: 1 }]);
  const toml = loadPipelineText('sources = []\nstages = []\n[destinaton]\ntype = "memory"\n', 'toml', {}, { cwd: CWD });
  assert.deepEqual(toml.warnings, [{ path: 'destinaton', message: 'unknown field `destinaton`, ignored; did you mean `destination`?', line: 3, column: 2 }]);
  const json = loadPipelineText('{"sources": [], "stages": [], "sources": [], "x": 1}', 'json', {}, { cwd: CWD });
  assert.deepEqual(json.warnings, [
    { path: 'sources', message: 'duplicate key `sources`, the last value is used', line: 1, column: 31 },
    { path: 'x', message: 'unknown field `x`, ignored', line: 1, column: 46 },
  ]);
});

test('syntax errors name the format, line and column', () => {
  const yaml = rejection(() => loadPipelineText('sources: []\nstages: [\n  - a\n', 'yaml', {}, { cwd: CWD }));
  assert.equal(yaml.code, 'AQ_INVALID_PIPELINE');
  assert.match(yaml.message, /^Invalid pipeline: YAML syntax error at line \d+, column \d+: /);
  assert.equal(yaml.diagnostics.length, 1);
  assert.ok(yaml.diagnostics[0]?.line !== undefined);
  const dup = rejection(() => loadPipelineText('sources: []\nstages: []\nsources: []\n', 'yaml', {}, { cwd: CWD }));
  assert.equal(dup.diagnostics[0]?.line, 3);
  assert.match(dup.message, /^Invalid pipeline: YAML syntax error at line 3, column 1: Map keys must be unique/);

  const toml = rejection(() => loadPipelineText('sources = []\nstages = [\n', 'toml', {}, { cwd: CWD }));
  assert.match(toml.message, /^Invalid pipeline: TOML syntax error at line 3, column 1: /);

  const cases: Array<[string, string]> = [
    ['{"sources": [], "stages": [],}', 'Invalid pipeline: JSON syntax error at line 1, column 30: trailing comma'],
    ['{"sources": []\n "stages": []}', 'Invalid pipeline: JSON syntax error at line 2, column 2: expected `,` or `}`'],
    ['{"sources": [1 2]}', 'Invalid pipeline: JSON syntax error at line 1, column 16: expected `,` or `]`'],
    ['{"sources" []}', 'Invalid pipeline: JSON syntax error at line 1, column 12: expected `:`'],
    ['{sources: []}', 'Invalid pipeline: JSON syntax error at line 1, column 2: key must be a string'],
    ['{"a": tru}', 'Invalid pipeline: JSON syntax error at line 1, column 7: expected value'],
    ['{"a": "x\ny"}', 'Invalid pipeline: JSON syntax error at line 1, column 9: control character (\\u0000-\\u001F) found while parsing a string'],
    ['{"a": "\\q"}', 'Invalid pipeline: JSON syntax error at line 1, column 8: invalid escape'],
    ['{"a": 1} x', 'Invalid pipeline: JSON syntax error at line 1, column 10: trailing characters'],
    ['{"a": [', 'Invalid pipeline: JSON syntax error at line 1, column 8: EOF while parsing a value'],
    ['', 'Invalid pipeline: JSON syntax error at line 1, column 1: EOF while parsing a value'],
  ];
  for (const [text, message] of cases) {
    const e = rejection(() => loadPipelineText(text, 'json', {}, { cwd: CWD }));
    assert.equal(e.message, message, text);
  }
});

test('JSON strings: escapes and unicode', () => {
  const text = '{"sources": [], "stages": [[{"name": "s\\u00e9\\n", "query": "\\"\\\\\\/\\b\\f\\r\\t\\ud83d\\ude00"}]]}';
  const stage = loadPipelineText(text, 'json', {}, { cwd: CWD }).pipeline.stages[0]?.[0];
  assert.equal(stage?.name, 'sé\n');
  assert.equal(stage?.query, '"\\/\b\f\r\t😀');
});

test('format from the extension', () => {
  assert.equal(pipelineFormatFromPath('a/b.json'), 'json');
  assert.equal(pipelineFormatFromPath('b.yml'), 'yaml');
  assert.equal(pipelineFormatFromPath('b.YAML'), 'yaml');
  assert.equal(pipelineFormatFromPath('b.toml'), 'toml');
  const e = rejection(() => pipelineFormatFromPath('pipeline.txt'));
  assert.equal(e.code, 'AQ_UNSUPPORTED_FORMAT');
  assert.equal(e.message, 'Unsupported configuration format: .txt (expected .json, .yml, .yaml or .toml)');
  assert.equal(rejection(() => pipelineFormatFromPath('pipeline')).message, 'Unsupported configuration format: pipeline (expected .json, .yml, .yaml or .toml)');
});

test('loadPipelineFile reads, substitutes and resolves against the given cwd', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aq-load-'));
  const file = path.join(dir, 'p.yaml');
  await writeFile(file, 'sources:\n  - {type: file, name: f, location: "./${name}.csv", format: {type: csv, options: {}}}\nstages: []\n');
  const { pipeline } = await loadPipelineFile(file, { name: 'x' }, { cwd: '/elsewhere' });
  assert.equal((pipeline.sources[0] as { location: string }).location, 'file:///elsewhere/x.csv');
  await assert.rejects(loadPipelineFile(path.join(dir, 'missing.yml'), {}), (e: unknown) => {
    assert.ok(e instanceof ExecutorError);
    assert.equal(e.code, 'AQ_INVALID_PIPELINE');
    assert.equal(e.message, `Cannot read pipeline file ${path.join(dir, 'missing.yml')}: no such file`);
    return true;
  });
  await assert.rejects(loadPipelineFile(path.join(dir, 'p.txt'), {}), { code: 'AQ_UNSUPPORTED_FORMAT' });
});

test('parseParams splits on the first =', () => {
  assert.deepEqual(parseParams(['a=1', 'b=x=y', 'c=', 'd=\u00e9']), { a: '1', b: 'x=y', c: '', d: 'é' });
  const e = rejection(() => parseParams(['novalue']));
  assert.equal(e.message, 'Invalid parameter `novalue`: expected key=value');
});
