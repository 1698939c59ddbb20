/** Stages on the real engine: outputs, parallel groups, dropping, SQL restrictions, compat. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { assertSucceeded, runYaml, tempDir } from '../support/engine.js';

const NUMBERS = `sources: []\n`;

test('show n prints a bordered table of n rows; show 0 prints all rows capped at 500', async () => {
  const cwd = await tempDir();
  const r = await runYaml(
    `${NUMBERS}stages:
  - - { name: few, query: "SELECT range AS n, 'row ' || range AS label, NULL::VARCHAR AS empty FROM range(3)", show: 2 }
    - { name: many, query: "SELECT range AS n FROM range(1000)", show: 0 }`,
    { cwd },
  );
  assertSucceeded(r);
  const few = r.outputs.find((o) => o.stageName === 'few')!;
  assert.equal(few.kind, 'show_limit');
  assert.equal(few.header, '\n📋 Table Data (Preview): few\n───────────────────────────────────────\n');
  assert.equal(
    few.body,
    [
      '+---+-------+-------+',
      '| n | label | empty |',
      '+---+-------+-------+',
      '| 0 | row 0 |       |',
      '| 1 | row 1 |       |',
      '+---+-------+-------+',
    ].join('\n'),
  );
  const many = r.outputs.find((o) => o.stageName === 'many')!;
  assert.equal(many.kind, 'show');
  assert.equal(many.body.split('\n').filter((l) => l.startsWith('| ')).length, 501);
});

test('explain, explain_analyze and print_schema produce their outputs', async () => {
  const cwd = await tempDir();
  const r = await runYaml(
    `${NUMBERS}stages:
  - - { name: e, query: "SELECT range AS n, range::VARCHAR AS s FROM range(10)", explain: true, print_schema: true }
    - { name: a, query: "SELECT sum(range) AS total FROM range(10)", explain_analyze: true }`,
    { cwd },
  );
  assertSucceeded(r);
  const kinds = r.outputs.map((o) => `${o.kind}:${o.stageName}`).sort();
  assert.deepEqual(kinds, ['explain:e', 'explain_analyze:a', 'print_schema:e']);
  const explain = r.outputs.find((o) => o.kind === 'explain')!;
  assert.match(explain.body, /^\+-+\+-+\+\n\| plan_type +\| plan +\|/);
  assert.match(explain.body, /physical_plan/);
  assert.match(r.outputs.find((o) => o.kind === 'explain_analyze')!.body, /analyzed_plan/);
  assert.equal(
    r.outputs.find((o) => o.kind === 'print_schema')!.body,
    [
      '+-------------+-----------+----------+',
      '| column_name | data_type | nullable |',
      '+-------------+-----------+----------+',
      '| n           | int64     | true     |',
      '| s           | string    | true     |',
      '+-------------+-----------+----------+',
    ].join('\n'),
  );
});

test('stages of a group run in parallel; later groups see earlier results', async () => {
  const cwd = await tempDir();
  const heavy = 'SELECT count(*) AS c FROM range(40000000) t(x) WHERE x % 7 = 3';
  const r = await runYaml(
    `${NUMBERS}stages:
  - - { name: p1, query: "${heavy}" }
    - { name: p2, query: "${heavy}" }
  - - { name: both, query: "SELECT p1.c + p2.c AS total FROM p1, p2", show: 1 }`,
    { cwd },
  );
  assertSucceeded(r);
  const order = r.progress.map((p) => ('name' in p.event ? `${p.event.type}:${p.event.name}` : p.event.type));
  const firstDone = order.findIndex((s) => s.startsWith('stage_completed'));
  assert.ok(order.indexOf('stage_started:p1') < firstDone && order.indexOf('stage_started:p2') < firstDone, order.join(', '));
  assert.match(r.outputs[0]!.body, /\| 11428572 +\|/);
});

test('a stage relation is dropped after the last group whose query reads it', async () => {
  const cwd = await tempDir();
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({ write(chunk, _enc, cb) { lines.push(JSON.parse(String(chunk))); cb(); } });
  const log = pino({ level: 'debug' }, sink);
  const r = await runYaml(
    `${NUMBERS}stages:
  - - { name: a, query: "SELECT 1 AS x" }
  - - { name: b, query: "SELECT x + 1 AS x FROM a" }
  - - { name: c, query: "SELECT x + 1 AS x FROM b" }
  - - { name: d, query: "SELECT x + 1 AS x FROM b", show: 1 }`,
    { cwd, log },
  );
  assertSucceeded(r);
  // a is read by b alone, so it is a view (fused into b); b is read by c and d; nothing reads c.
  const dropped = lines.filter((l) => l.msg === 'dropped stage relation').map((l) => `${l.stage}@${l.group}:${l.relation}`);
  assert.deepEqual(dropped, ['a@1:view', 'c@2:table', 'b@3:table']);
});

test('progress runs from 0 to 100 and never decreases', async () => {
  const cwd = await tempDir();
  await writeFile(path.join(cwd, 'x.csv'), 'a\n1\n');
  const r = await runYaml(
    `sources: [{ type: file, name: x, format: { type: csv, options: {} }, location: ./x.csv }]
stages: [[{ name: s, query: "SELECT * FROM x" }], [{ name: t, query: "SELECT * FROM s" }]]
destination: { type: in_memory, name: out }`,
    { cwd },
  );
  assertSucceeded(r);
  const p = r.progress.map((e) => e.progress);
  assert.deepEqual(r.progress.map((e) => e.event.type), ['started', 'source_registered', 'stage_started', 'stage_completed', 'stage_started', 'stage_completed', 'destination_completed', 'completed']);
  assert.equal(p[0], 0);
  assert.equal(p.at(-1), 100);
  assert.deepEqual([...p].sort((x, y) => x - y), p);
});

for (const [what, sql, pattern] of [
  ['COPY', "COPY (SELECT 1) TO '/tmp/x.csv'", /stage "bad": only queries .*found a COPY statement/],
  ['ATTACH', "ATTACH '/tmp/db.duckdb'", /stage "bad": only queries .*ATTACH/],
  ['CREATE', 'CREATE TABLE t AS SELECT 1', /stage "bad": only queries .*CREATE/],
  ['INSERT', 'INSERT INTO t VALUES (1)', /stage "bad": only queries .*INSERT/],
  ['SET', "SET enable_external_access = true", /stage "bad": only queries .*SET/],
  ['PRAGMA', 'PRAGMA version', /stage "bad": only queries .*PRAGMA/],
  ['INSTALL', 'INSTALL httpfs', /stage "bad": only queries .*INSTALL/],
  ['LOAD', 'LOAD httpfs', /stage "bad": only queries .*LOAD/],
  ['two statements', 'SELECT 1; SELECT 2', /stage "bad": exactly one query is allowed; found 2 statements/],
  ['a syntax error', 'SELEC 1', /stage "bad": SQL syntax error/],
] as const) {
  test(`stage SQL with ${what} is refused before anything runs`, async () => {
    const cwd = await tempDir();
    const r = await runYaml(`${NUMBERS}stages: [[{ name: ok, query: "SELECT 1" }], [{ name: bad, query: ${JSON.stringify(sql)} }]]`, { cwd });
    assert.equal(r.outcome.status, 'failed');
    assert.equal(r.outcome.status === 'failed' && r.outcome.error.code, 'AQ_STAGE_SQL_REJECTED');
    assert.match(r.outcome.status === 'failed' ? r.outcome.error.message : '', pattern);
    assert.deepEqual(r.progress, []);
  });
}

for (const sql of ["SELECT * FROM read_csv('/etc/passwd')", "SELECT * FROM glob('/etc/*')", "SELECT * FROM read_text('/etc/hostname')", "SELECT * FROM read_parquet('http://127.0.0.1:9/x.parquet')"]) {
  test(`stage SQL cannot reach files or the network itself: ${sql}`, async () => {
    const cwd = await tempDir();
    const r = await runYaml(`${NUMBERS}stages: [[{ name: sneaky, query: ${JSON.stringify(sql)} }]]`, { cwd });
    assert.equal(r.outcome.status, 'failed');
    assert.equal(r.outcome.status === 'failed' && r.outcome.error.code, 'AQ_STAGE_FAILED');
    assert.match(r.outcome.status === 'failed' ? r.outcome.error.message : '', /^stage "sneaky": .*(disabled by configuration|Permission)/s);
  });
}

test('a failing stage names itself and stops the run', async () => {
  const cwd = await tempDir();
  const r = await runYaml(`${NUMBERS}stages: [[{ name: broken, query: "SELECT * FROM no_such_table" }], [{ name: never, query: "SELECT 1" }]]`, { cwd });
  assert.equal(r.outcome.status, 'failed');
  assert.match(r.outcome.status === 'failed' ? r.outcome.error.message : '', /^stage "broken": .*no_such_table/s);
  assert.ok(!r.progress.some((p) => 'name' in p.event && p.event.name === 'never'));
});

test('DataFusion session semantics: integer division, null ordering, UTC, keyword aliases, count(*) name', async () => {
  const cwd = await tempDir();
  const r = await runYaml(
    `${NUMBERS}stages:
  - - name: s
      query: >
        SELECT 7 / 2 AS q, -7 / 2 AS nq, 1 value, count(*), current_setting('TimeZone') AS tz,
               (SELECT list(x ORDER BY x) FROM (VALUES (2), (NULL), (1)) v(x)) AS asc_nulls_last,
               (SELECT list(x ORDER BY x DESC) FROM (VALUES (2), (NULL), (1)) v(x)) AS desc_nulls_first
      show: 1`,
    { cwd },
  );
  assertSucceeded(r);
  const body = r.outputs[0]!.body.split('\n');
  assert.match(body[1]!, /\| q +\| nq +\| value +\| count\(\*\) +\| tz +\| asc_nulls_last +\| desc_nulls_first +\|/);
  assert.match(body[3]!, /\| 3 +\| -3 +\| 1 +\| 1 +\| (UTC|Etc\/UTC) +\| \[1, 2, NULL\] +\| \[NULL, 2, 1\] +\|/);
});

test('each run gets its memory limit and its own spill directory, removed when it ends', async () => {
  const cwd = await tempDir();
  const spillRoot = path.join(cwd, 'spill');
  const r = await runYaml(
    `${NUMBERS}stages: [[{ name: s, query: "SELECT current_setting('memory_limit') AS mem, current_setting('temp_directory') AS tmp", show: 1 }]]`,
    { cwd, memoryLimitGb: 0.5, spillRoot },
  );
  assertSucceeded(r);
  const row = r.outputs[0]!.body.split('\n')[3]!;
  assert.match(row, /\| 512\.0 MiB +\|/);
  const tmp = /\| (\S*spill\/run-\S+) +\|$/.exec(row)?.[1];
  assert.ok(tmp, row);
  assert.deepEqual(await readdir(spillRoot), []);
});

test('a stage bigger than the memory limit completes by spilling to disk', async () => {
  const cwd = await tempDir();
  const r = await runYaml(
    `${NUMBERS}stages:
  - - { name: big, query: "SELECT range AS k, md5(range::VARCHAR) AS v FROM range(6000000)" }
  - - { name: sorted, query: "SELECT count(DISTINCT v) AS n FROM (SELECT v FROM big ORDER BY v)", show: 1 }`,
    { cwd, memoryLimitGb: 0.25, spillRoot: path.join(cwd, 'spill') },
  );
  assertSucceeded(r);
  assert.match(r.outputs[0]!.body, /\| 6000000 \|/);
});

test('a run creates the compatibility macros its stages call (any case), the macros those call, and no others', async () => {
  const cwd = await tempDir();
  const r = await runYaml(
    `${NUMBERS}stages:
  - - { name: called, query: "SELECT REGEXP_MATCH('abc', '(b)(c)') AS m, arrow_typeof(CAST(1 AS BIGINT)) AS t" }
  - - name: listed
      query: "SELECT string_agg(DISTINCT function_name, ',' ORDER BY function_name) AS names FROM duckdb_functions() WHERE database_name = current_database() AND function_type = 'macro'"
      show: 1
    - { name: shown, query: "SELECT * FROM called", show: 1 }`,
    { cwd },
  );
  assertSucceeded(r);
  const body = (stage: string) => r.outputs.find((o) => o.stageName === stage)!.body;
  // regexp_match calls four helpers; arrow_typeof two (and its body names the UUID type, which
  // is also a macro's name: a name too many is created rather than one too few).
  assert.match(body('listed'), /\| aq_arrow_scalar_type,aq_arrow_type,aq_re_flags,aq_re_groups,aq_re_strip,aq_regexp_match,arrow_typeof,regexp_match,uuid \|/);
  assert.match(body('shown'), /\| \[b, c\] \| Int64 \|/);
});
