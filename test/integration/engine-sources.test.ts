/** File and directory sources on the real engine: every option of docs/pipeline-format.md, "Sources". */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { assertSucceeded, query, runYaml, tempDir } from '../support/engine.js';

/** Runs `sql` over the given sources and returns the rows written to a JSON destination. */
async function rows(cwd: string, sources: string, sql: string): Promise<Record<string, unknown>[]> {
  const yaml = `
sources:
${sources}
stages:
  - - name: result
      query: "${sql.replace(/"/g, '\\"')}"
destination:
  type: file
  name: out
  location: ./result.parquet
  format: { type: parquet, options: {} }
`;
  const r = await runYaml(yaml, { cwd });
  assertSucceeded(r);
  return query(`SELECT * FROM read_parquet('${path.join(cwd, 'result.parquet')}')`);
}

async function types(cwd: string): Promise<Record<string, string>> {
  const cols = await query(`DESCRIBE SELECT * FROM read_parquet('${path.join(cwd, 'result.parquet')}')`);
  return Object.fromEntries(cols.map((c) => [String(c.column_name), String(c.column_type)]));
}

test('csv: header, inferred types, and zoned ISO timestamps read as naive UTC like arrow-csv', async () => {
  const cwd = await tempDir();
  await writeFile(path.join(cwd, 'a.csv'), 'id,ts,amount,ok,day,name\n1,2024-01-03T10:07:37Z,1.5,true,2024-01-03,x\n2,2024-01-03T23:30:00+02:00,2,false,2024-01-04,\n');
  const got = await rows(cwd, `  - { type: file, name: a, format: { type: csv, options: {} }, location: ./a.csv }`, 'SELECT * FROM a ORDER BY id');
  assert.deepEqual(await types(cwd), { id: 'BIGINT', ts: 'TIMESTAMP', amount: 'DOUBLE', ok: 'BOOLEAN', day: 'DATE', name: 'VARCHAR' });
  assert.equal(got.length, 2);
  const [t] = await query(`SELECT strftime(ts, '%Y-%m-%d %H:%M:%S') AS a, name FROM read_parquet('${path.join(cwd, 'result.parquet')}') WHERE id = 2`);
  assert.deepEqual(t, { a: '2024-01-03 21:30:00', name: null });
});

test('csv: has_header false names columns column_1..n, and a custom delimiter', async () => {
  const cwd = await tempDir();
  await writeFile(path.join(cwd, 'b.csv'), '1;alpha\n2;beta\n');
  const got = await rows(cwd, `  - { type: file, name: b, format: { type: csv, options: { has_header: false, delimiter: ";" } }, location: ./b.csv }`, 'SELECT column_1, column_2 FROM b ORDER BY 1');
  assert.deepEqual(got, [{ column_1: 1n, column_2: 'alpha' }, { column_1: 2n, column_2: 'beta' }]);
});

test('csv: a declared schema replaces inference (names and types)', async () => {
  const cwd = await tempDir();
  await writeFile(path.join(cwd, 'c.csv'), 'k,v,t\n007,2.50,2024-05-01T00:00:00+01:00\n');
  const got = await rows(
    cwd,
    `  - type: file
    name: c
    location: ./c.csv
    format:
      type: csv
      options:
        schema:
          - { name: k, data_type: string }
          - { name: v, type: "decimal<10,2>" }
          - { name: t, data_type: "timestamp<millisecond>" }`,
    "SELECT k, v, strftime(t, '%Y-%m-%dT%H:%M:%S') AS t FROM c",
  );
  assert.deepEqual(await types(cwd), { k: 'VARCHAR', v: 'DECIMAL(10,2)', t: 'VARCHAR' });
  assert.deepEqual(got, [{ k: '007', v: 2.5, t: '2024-04-30T23:00:00' }]);
});

test('json: newline-delimited, inferred and with a schema', async () => {
  const cwd = await tempDir();
  await writeFile(path.join(cwd, 'd.json'), '{"id":1,"tags":["a","b"],"n":{"x":1}}\n{"id":2,"tags":[],"n":{"x":2}}\n');
  const got = await rows(cwd, `  - { type: file, name: d, format: { type: json, options: {} }, location: ./d.json }`, 'SELECT id, len(tags) AS k, n.x AS x FROM d ORDER BY id');
  assert.deepEqual(got, [{ id: 1n, k: 2n, x: 1n }, { id: 2n, k: 0n, x: 2n }]);
  const typed = await rows(
    cwd,
    `  - type: file
    name: d
    location: ./d.json
    format: { type: json, options: { schema: [{ name: id, data_type: int32 }, { name: tags, data_type: "list<string>" }] } }`,
    'SELECT * FROM d ORDER BY id',
  );
  assert.deepEqual(await types(cwd), { id: 'INTEGER', tags: 'VARCHAR[]' });
  assert.deepEqual(typed.map((r) => r.id), [1, 2]);
});

test('parquet: read as written, and a schema casts and selects columns', async () => {
  const cwd = await tempDir();
  await query(`COPY (SELECT range AS id, 'v' || range AS label, range * 1.5 AS score FROM range(5)) TO '${path.join(cwd, 'e.parquet')}' (FORMAT parquet)`);
  const got = await rows(cwd, `  - { type: file, name: e, format: { type: parquet, options: {} }, location: ./e.parquet }`, 'SELECT sum(id) AS s, count(*) AS n FROM e');
  assert.deepEqual(got, [{ s: 10n, n: 5n }]);
  assert.deepEqual(await types(cwd), { s: 'BIGINT', n: 'BIGINT' });
  await rows(
    cwd,
    `  - { type: file, name: e, format: { type: parquet, options: { schema: [{ name: id, data_type: int16 }, { name: score, data_type: float32 }] } }, location: ./e.parquet }`,
    'SELECT * FROM e',
  );
  assert.deepEqual(await types(cwd), { id: 'SMALLINT', score: 'FLOAT' });
});

test('directory: hive partitions typed as declared, files found recursively', async () => {
  const cwd = await tempDir();
  for (const [day, region, n] of [['2024-01-01', 'eu', 1], ['2024-01-01', 'us', 2], ['2024-01-02', 'eu', 3]] as const) {
    const dir = path.join(cwd, 'tbl', `day=${day}`, `region=${region}`);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'part-0.csv'), `v\n${n}\n${n * 10}\n`);
  }
  await writeFile(path.join(cwd, 'tbl', 'README.txt'), 'not data');
  const got = await rows(
    cwd,
    `  - type: directory
    name: t
    location: ./tbl/
    format: { type: csv, options: {} }
    partition_columns:
      - ["day", "date32"]
      - { name: region, data_type: string }`,
    'SELECT day, region, sum(v) AS v FROM t GROUP BY 1, 2 ORDER BY 1, 2',
  );
  assert.deepEqual(await types(cwd), { day: 'DATE', region: 'VARCHAR', v: 'BIGINT' });
  assert.deepEqual(got.map((r) => [String(r.region), Number(r.v)]), [['eu', 11], ['us', 22], ['eu', 33]]);
});

test('a missing file fails at its source, naming it, before any stage runs', async () => {
  const cwd = await tempDir();
  const r = await runYaml(
    `sources: [{ type: file, name: gone, format: { type: csv, options: {} }, location: ./nope.csv }]
stages: [[{ name: s, query: "SELECT * FROM gone" }]]`,
    { cwd },
  );
  assert.equal(r.outcome.status, 'failed');
  assert.equal(r.outcome.status === 'failed' && r.outcome.error.code, 'AQ_SOURCE_FAILED');
  assert.match(r.outcome.status === 'failed' ? r.outcome.error.message : '', /^source "gone": file not found: .*nope\.csv$/);
  assert.ok(!r.progress.some((p) => p.event.type === 'stage_started'));
});

test('a malformed csv fails at its source with the reader error', async () => {
  const cwd = await tempDir();
  await writeFile(path.join(cwd, 'bad.csv'), 'a,b\n1,2\n3,4,5,6\n"unterminated\n');
  const r = await runYaml(
    `sources: [{ type: file, name: bad, format: { type: csv, options: { schema: [{name: a, data_type: int64}, {name: b, data_type: int64}] } }, location: ./bad.csv }]
stages: [[{ name: s, query: "SELECT * FROM bad" }]]`,
    { cwd },
  );
  assert.equal(r.outcome.status, 'failed');
  assert.match(r.outcome.status === 'failed' ? r.outcome.error.message : '', /^(source "bad"|stage "s"): /);
});

/**
 * CSV files whose dialect the sniffer has to find: the source reads them with the dialect sniffed
 * once and pinned (auto-detection off), and must read exactly what an auto-detecting read_csv reads.
 */
const DIALECTS: Array<{ what: string; text: string; header?: boolean; delimiter?: string }> = [
  { what: 'quoted fields with doubled quotes, delimiters and line breaks, CRLF', text: 'id,note\r\n1,"a, ""quoted"" word"\r\n2,"two\r\nlines"\r\n3,plain\r\n' },
  { what: 'backslash-escaped quotes', text: 'id,note\n1,"say \\"hi\\""\n2,"x"\n' },
  { what: 'a semicolon delimiter and no header', text: '1;alpha;2024-01-03\n2;beta;2024-01-04\n', header: false, delimiter: ';' },
  { what: 'a quote character first seen past the sniffer\'s sample', text: `id,v\n${Array.from({ length: 25_000 }, (_, i) => `${i},v${i}`).join('\n')}\n25000,say "hi"\n` },
  { what: 'lines before the header', text: 'exported by a tool\nrows: 2\nid,v\n1,a\n2,b\n' },
  { what: 'a timestamp format of its own', text: 'id,at\n1,2024/01/03 10:07:37\n2,2024/12/31 23:59:59\n' },
];

test('csv: the sniffed dialect is pinned in the view, which reads what an auto-detecting read_csv reads', async () => {
  for (const d of DIALECTS) {
    const cwd = await tempDir();
    const file = path.join(cwd, 'd.csv');
    await writeFile(file, d.text);
    const header = d.header ?? true;
    const delimiter = d.delimiter ?? ',';
    const source = `  - { type: file, name: d, format: { type: csv, options: { has_header: ${header}, delimiter: "${delimiter}" } }, location: ./d.csv }`;
    const got = await rows(cwd, source, 'SELECT * FROM d');
    const expected = await query(`SELECT * FROM read_csv('${file}', header = ${header}, delim = '${delimiter}', dateformat = '%Y-%m-%d', `
      + "auto_type_candidates = ['BOOLEAN', 'BIGINT', 'DOUBLE', 'DATE', 'TIMESTAMP', 'TIMESTAMP WITH TIME ZONE', 'VARCHAR'])");
    assert.ok(expected.length > 0, d.what);
    assert.deepEqual(got.map((r) => Object.values(r)), expected.map((r) => Object.values(r)), d.what);
    const gotTypes = Object.values(await types(cwd));
    const expectedTypes = (await query(`DESCRIBE SELECT * FROM read_csv('${file}', header = ${header}, delim = '${delimiter}', dateformat = '%Y-%m-%d')`)).map((c) => String(c.column_type));
    assert.deepEqual(gotTypes, expectedTypes, d.what);
    // The mechanism: the view reads with auto-detection off (binding it again sniffs nothing).
    const [view] = await rows(cwd, source, "SELECT sql FROM duckdb_views() WHERE view_name = 'd'");
    assert.match(String(view!.sql), /auto_detect = (false|CAST\('f' AS BOOLEAN\))/, d.what);
  }
});
