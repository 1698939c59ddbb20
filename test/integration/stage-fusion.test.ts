/**
 * Stage fusion on the real engine (src/engine/fusion-plan.ts): which stages become views, results
 * identical to the same pipeline with every stage stored as a table and to one query on plain
 * DuckDB, progress and outputs unchanged, and failures naming the stage whose SQL failed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { assertSucceeded, query, runYaml, tempDir, type RunRecord } from '../support/engine.js';
import type { RunPipelineOptions } from '../../src/run/run-pipeline.js';
import { duckDbTypeToDataType } from '../../src/engine/type-names.js';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface FusionRecord extends RunRecord {
  /** Each stage's relation (table or view) and the reason, from the run's debug log. */
  relations: Record<string, string>;
  reasons: Record<string, string>;
}

async function run(yaml: string, cwd: string, opts: Partial<RunPipelineOptions> = {}): Promise<FusionRecord> {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({ write(chunk, _enc, cb) { lines.push(JSON.parse(String(chunk))); cb(); } });
  const r = await runYaml(yaml, { cwd, log: pino({ level: 'debug' }, sink), ...opts });
  const decided = lines.filter((l) => l.msg === 'stage relation');
  return {
    ...r,
    relations: Object.fromEntries(decided.map((l) => [l.stage, l.relation])),
    reasons: Object.fromEntries(decided.map((l) => [l.stage, l.reason])),
  };
}

const steps = (r: RunRecord) => r.progress.map((p) => ('name' in p.event ? `${p.event.type}:${p.event.name}` : p.event.type));
const failure = (r: RunRecord) => (r.outcome.status === 'failed' ? r.outcome.error : assert.fail(`expected a failure, got ${r.outcome.status}`));
const exists = (p: string) => access(p).then(() => true, () => false);

/** Facts (id, k, amount near the 64-bit limit so that sums need more) and a dimension (k, region). */
async function sales(cwd: string): Promise<void> {
  const facts = ['id,k,amount'];
  for (let i = 0; i < 3000; i++) facts.push(`${i},${(i * 7) % 50},${(i % 97) * 1000003}`);
  await writeFile(path.join(cwd, 'facts.csv'), `${facts.join('\n')}\n`);
  const dim = ['k,region'];
  for (let k = 0; k < 50; k++) dim.push(`${k},region_${k % 4}`);
  await writeFile(path.join(cwd, 'dim.csv'), `${dim.join('\n')}\n`);
}

const SOURCES = `sources:
  - { type: file, name: facts, format: { type: csv, options: {} }, location: ./facts.csv }
  - { type: file, name: dim, format: { type: csv, options: {} }, location: ./dim.csv }`;

test('a join read once by an aggregate written to a partitioned directory: both fused, the same rows as stored tables and as one query', async () => {
  const cwd = await tempDir();
  await sales(cwd);
  const pipeline = (out: string) => `${SOURCES}
stages:
  - - { name: joined, query: "SELECT f.id, f.amount, d.region FROM facts f JOIN dim d ON f.k = d.k" }
  - - { name: summary, query: "SELECT region, sum(amount) AS total, count(*), min(id) AS first_id FROM joined GROUP BY region" }
destination: { type: file, name: out, location: ./${out}, format: { type: parquet, options: {} }, partition_columns: [region] }`;
  const fused = await run(pipeline('fused'), cwd);
  const stored = await run(pipeline('stored'), cwd, { fuseStages: false });
  assertSucceeded(fused);
  assertSucceeded(stored);
  assert.deepEqual(fused.relations, { joined: 'view', summary: 'view' });
  assert.deepEqual(stored.relations, { joined: 'table', summary: 'table' });
  assert.deepEqual(steps(fused), steps(stored));
  assert.deepEqual(steps(fused), ['started', 'source_registered:facts', 'source_registered:dim', 'stage_started:joined', 'stage_completed:joined', 'stage_started:summary', 'stage_completed:summary', 'destination_completed', 'completed']);

  const read = (dir: string) => `SELECT * FROM read_parquet('${path.join(cwd, dir)}/**/*.parquet', hive_partitioning = true)`;
  const rows = (dir: string) => query(`${read(dir)} ORDER BY region`);
  const types = (dir: string) => query(`SELECT column_name, column_type FROM (DESCRIBE ${read(dir)})`);
  assert.deepEqual(await rows('fused'), await rows('stored'));
  assert.deepEqual(await types('fused'), await types('stored'));
  const direct = await query(`WITH joined AS (SELECT f.id, f.amount, d.region FROM read_csv('${cwd}/facts.csv') f JOIN read_csv('${cwd}/dim.csv') d ON f.k = d.k)
    SELECT CAST(sum(amount) AS BIGINT) AS total, count(*) AS "count(*)", min(id) AS first_id, region FROM joined GROUP BY region ORDER BY region`);
  assert.deepEqual(await rows('fused'), direct);
  assert.equal(direct.length, 4);
});

test('a 64-bit sum is narrowed inside the stage\'s query: a fused last stage writes BIGINT, and an overflow fails naming the stage', async () => {
  const cwd = await tempDir();
  await sales(cwd);
  const pipeline = (out: string) => `${SOURCES}
stages:
  - - { name: totals, query: "SELECT sum(amount) AS total, count(*) FROM facts", print_schema: true }
destination: { type: file, name: out, location: ./${out}.parquet, format: { type: parquet, options: {} } }`;
  const fused = await run(pipeline('fused'), cwd);
  const stored = await run(pipeline('stored'), cwd, { fuseStages: false });
  assertSucceeded(fused);
  assertSucceeded(stored);
  assert.deepEqual([fused.relations.totals, stored.relations.totals], ['view', 'table']);
  assert.equal(fused.outputs[0]!.body, stored.outputs[0]!.body);
  assert.match(fused.outputs[0]!.body, /\| total +\| int64 +\| true +\|\n\| count\(\*\) +\| int64 +\| true +\|/);
  const describe = (f: string) => query(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM '${path.join(cwd, f)}')`);
  assert.deepEqual(await describe('fused.parquet'), [{ column_name: 'total', column_type: 'BIGINT' }, { column_name: 'count(*)', column_type: 'BIGINT' }]);
  assert.deepEqual(await describe('fused.parquet'), await describe('stored.parquet'));
  assert.deepEqual(await query(`SELECT * FROM '${path.join(cwd, 'fused.parquet')}'`), await query(`SELECT * FROM '${path.join(cwd, 'stored.parquet')}'`));

  const overflow = `sources: []
stages: [[{ name: huge, query: "SELECT sum(x) AS total FROM (VALUES (9223372036854775807::BIGINT), (1::BIGINT)) v(x)" }]]
destination: { type: file, name: out, location: ./overflow.parquet, format: { type: parquet, options: {} } }`;
  const failed = await run(overflow, cwd);
  assert.equal(failed.relations.huge, 'view');
  assert.equal(failure(failed).code, 'AQ_STAGE_FAILED');
  assert.match(failure(failed).message, /^stage "huge": Conversion Error: .*out of range for the destination type INT64/s);
  assert.equal(await exists(path.join(cwd, 'overflow.parquet')), false);
});

test('a fused stage\'s schema and written types are those its table has, also for a column of NULL literals', async () => {
  const cwd = await tempDir();
  const pipeline = (out: string) => `sources: []
stages:
  - - { name: odd, query: "SELECT NULL AS nothing, [] AS empty, 1 AS one", print_schema: true }
destination: { type: file, name: out, location: ./${out}.parquet, format: { type: parquet, options: {} } }`;
  const fused = await run(pipeline('fused'), cwd);
  const stored = await run(pipeline('stored'), cwd, { fuseStages: false });
  assertSucceeded(fused);
  assertSucceeded(stored);
  assert.deepEqual([fused.relations.odd, stored.relations.odd], ['view', 'table']);
  assert.equal(fused.outputs[0]!.body, stored.outputs[0]!.body);
  // The types plain DuckDB gives the query (a NULL literal is an INTEGER), in the pipeline's names.
  for (const c of await query('DESCRIBE SELECT NULL AS nothing, [] AS empty, 1 AS one')) {
    assert.match(fused.outputs[0]!.body, new RegExp(`\\| ${c.column_name} +\\| ${escape(duckDbTypeToDataType(String(c.column_type)))} +\\|`));
  }
  const describe = (f: string) => query(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM '${path.join(cwd, f)}')`);
  assert.deepEqual(await describe('fused.parquet'), await describe('stored.parquet'));
});

test('stages that stay tables: read by several stages or twice by one, not deterministic, shown, analyzed, last without a destination', async () => {
  const cwd = await tempDir();
  const r = await run(`sources: []
stages:
  - - { name: shared, query: "SELECT range AS n FROM range(10)" }
    - { name: rnd, query: "SELECT random() AS r" }
    - { name: clock, query: "SELECT current_timestamp AS at" }
    - { name: ids, query: "SELECT uuid() AS id" }
    - { name: shown, query: "SELECT 1 AS one", show: 1 }
    - { name: analyzed, query: "SELECT 2 AS two", explain_analyze: true }
    - { name: twice, query: "SELECT 3 AS three" }
    - { name: once, query: "SELECT 4 AS four" }
  - - { name: r1, query: "SELECT count(*) AS c FROM shared, rnd, clock, ids, shown, analyzed" }
    - { name: r2, query: "SELECT n FROM shared, twice a, twice b, once" }
  - - { name: last, query: "SELECT * FROM r1, r2" }`, cwd);
  assertSucceeded(r);
  assert.deepEqual(r.relations, {
    shared: 'table', rnd: 'table', clock: 'table', ids: 'table', shown: 'table', analyzed: 'table', twice: 'table',
    once: 'view', r1: 'view', r2: 'view', last: 'table',
  });
  assert.equal(r.reasons.shared, '2 later stages read it');
  assert.equal(r.reasons.rnd, 'it calls random(), which is not deterministic');
  assert.equal(r.reasons.clock, 'it calls current_timestamp(), which is not deterministic');
  assert.match(r.reasons.ids!, /^it calls uuid\(\)/);
  assert.equal(r.reasons.shown, 'it is shown');
  assert.equal(r.reasons.analyzed, 'its query is analyzed');
  assert.equal(r.reasons.twice, 'stage "r2" reads it more than once');
  assert.equal(r.reasons.last, 'no destination reads it');
  assert.deepEqual(r.outputs.map((o) => `${o.kind}:${o.stageName}`).sort(), ['explain_analyze:analyzed', 'show_limit:shown']);
});

test('a stage reading the engine\'s catalog turns fusion off for the whole pipeline, and sees every stage as a table', async () => {
  const cwd = await tempDir();
  const r = await run(`sources: []
stages:
  - - { name: a, query: "SELECT 1 AS x" }
  - - { name: b, query: "SELECT x + 1 AS x FROM a" }
    - { name: catalog, query: "SELECT table_name, table_type FROM information_schema.tables WHERE table_name = 'a'", show: 1 }
  - - { name: c, query: "SELECT x FROM b" }`, cwd);
  assertSucceeded(r);
  assert.deepEqual(r.relations, { a: 'table', b: 'table', catalog: 'table', c: 'table' });
  assert.equal(r.reasons.a, "a stage reads the engine's state (information_schema.tables)");
  assert.match(r.outputs[0]!.body, /\| a +\| BASE TABLE +\|/);
});

test('explain and print_schema of a fused stage are those of its own query; the explain of its reader shows the fused plan', async () => {
  const cwd = await tempDir();
  const pipeline = `sources: []
stages:
  - - { name: a, query: "SELECT range AS n, range::VARCHAR AS s FROM range(1000)", explain: true, print_schema: true }
  - - { name: b, query: "SELECT count(*) AS c FROM a WHERE n % 2 = 0", explain: true, show: 1 }`;
  const fused = await run(pipeline, cwd);
  const stored = await run(pipeline, cwd, { fuseStages: false });
  assertSucceeded(fused);
  assertSucceeded(stored);
  assert.deepEqual([fused.relations.a, stored.relations.a], ['view', 'table']);
  const output = (r: RunRecord, kind: string, stage: string) => r.outputs.find((o) => o.kind === kind && o.stageName === stage)!;
  assert.deepEqual(fused.outputs.map((o) => `${o.kind}:${o.stageName}`), stored.outputs.map((o) => `${o.kind}:${o.stageName}`));
  for (const [kind, stage] of [['explain', 'a'], ['print_schema', 'a'], ['show_limit', 'b']]) {
    assert.deepEqual(output(fused, kind!, stage!), output(stored, kind!, stage!), `${kind} of ${stage}`);
  }
  // Stored, b scans a's table; fused, b's plan reads range() itself.
  assert.match(output(stored, 'explain', 'b').body, /SEQ_SCAN[\s\S]*Table: memory\.main\.a/);
  assert.doesNotMatch(output(fused, 'explain', 'b').body, /SEQ_SCAN/);
  assert.match(output(fused, 'explain', 'b').body, /Function: RANGE/);
});

test('a binding error in a fused stage names that stage when its view is created', async () => {
  const cwd = await tempDir();
  const r = await run(`sources: []
stages:
  - - { name: a, query: "SELECT no_such_column FROM range(3)" }
  - - { name: b, query: "SELECT count(*) AS c FROM a", show: 1 }`, cwd);
  assert.equal(r.relations.a, 'view');
  assert.equal(failure(r).code, 'AQ_STAGE_FAILED');
  assert.match(failure(r).message, /^stage "a": Binder Error: .*no_such_column/s);
  assert.deepEqual(steps(r), ['started', 'stage_started:a']);
});

/** A source whose column s holds one value that is not a number. */
async function badNumbers(cwd: string): Promise<void> {
  const lines = ['id,s'];
  for (let i = 0; i < 5000; i++) lines.push(`${i},${i === 4321 ? 'oops' : i}`);
  await writeFile(path.join(cwd, 'numbers.csv'), `${lines.join('\n')}\n`);
}
const NUMBERS = 'sources: [{ type: file, name: numbers, format: { type: csv, options: { schema: [{ name: id, data_type: int64 }, { name: s, data_type: string }] } }, location: ./numbers.csv }]';

for (const [what, stages, failing] of [
  ['in the fused stage names it', `
  - - { name: a, query: "SELECT id, CAST(s AS INTEGER) AS n FROM numbers" }
  - - { name: b, query: "SELECT sum(n) AS total FROM a", show: 1 }`, 'a'],
  ['in the stage reading a fused stage names the reader', `
  - - { name: a, query: "SELECT id, s FROM numbers WHERE id > 10" }
  - - { name: b, query: "SELECT sum(CAST(s AS INTEGER)) AS total FROM a", show: 1 }`, 'b'],
  ['in a stage two views down a chain names it', `
  - - { name: a, query: "SELECT id, CAST(s AS INTEGER) AS n FROM numbers" }
  - - { name: b, query: "SELECT id, n * 2 AS n2 FROM a" }
  - - { name: c, query: "SELECT count(*) AS rows, sum(n2) AS total FROM b", show: 1 }`, 'a'],
] as const) {
  test(`a runtime error ${what}, with the message it has without fusion`, async () => {
    const cwd = await tempDir();
    await badNumbers(cwd);
    const fused = await run(`${NUMBERS}\nstages:${stages}`, cwd);
    const stored = await run(`${NUMBERS}\nstages:${stages}`, cwd, { fuseStages: false });
    assert.equal(fused.relations.a, 'view');
    assert.equal(failure(fused).code, 'AQ_STAGE_FAILED');
    assert.ok(failure(fused).message.startsWith(`stage "${failing}": Conversion Error: Could not convert string 'oops'`), failure(fused).message);
    assert.equal(failure(fused).message, failure(stored).message);
    // Progress is that of the fused run: every stage before the reader completed.
    const reader = stages.includes('name: c') ? 'c' : 'b';
    assert.deepEqual(steps(fused).slice(-2), [`stage_completed:${stages.includes('name: c') ? 'b' : 'a'}`, `stage_started:${reader}`]);
  });
}

test('a column of a fused stage that no reader uses is not computed, so an error only it would raise does not fail the run', async () => {
  const cwd = await tempDir();
  await badNumbers(cwd);
  const pipeline = `${NUMBERS}
stages:
  - - { name: a, query: "SELECT id, CAST(s AS INTEGER) AS n FROM numbers" }
  - - { name: b, query: "SELECT count(*) AS rows, max(id) AS last_id FROM a", show: 1 }`;
  const fused = await run(pipeline, cwd);
  const stored = await run(pipeline, cwd, { fuseStages: false });
  assertSucceeded(fused);
  assert.equal(fused.relations.a, 'view');
  assert.match(fused.outputs[0]!.body, /\| 5000 +\| 4999 +\|/);
  assert.ok(failure(stored).message.startsWith('stage "a": Conversion Error'), failure(stored).message);
});

test('a runtime error in the last stage, fused into the destination\'s write, names the stage and writes nothing', async () => {
  const cwd = await tempDir();
  await badNumbers(cwd);
  const pipeline = (out: string) => `${NUMBERS}
stages:
  - - { name: a, query: "SELECT id, s FROM numbers" }
  - - { name: last, query: "SELECT id, CAST(s AS INTEGER) AS n FROM a" }
destination: { type: file, name: out, location: ./${out}.parquet, format: { type: parquet, options: {} } }`;
  const fused = await run(pipeline('fused'), cwd);
  const stored = await run(pipeline('stored'), cwd, { fuseStages: false });
  assert.deepEqual(fused.relations, { a: 'view', last: 'view' });
  assert.equal(failure(fused).code, 'AQ_STAGE_FAILED');
  assert.ok(failure(fused).message.startsWith('stage "last": Conversion Error'), failure(fused).message);
  assert.equal(failure(fused).message, failure(stored).message);
  assert.equal(await exists(path.join(cwd, 'fused.parquet')), false);
  assert.deepEqual(steps(fused).at(-1), 'stage_completed:last');
});

test('out of memory in a query computing fused stages names the stage that ran it and the stages fused into it', async () => {
  const cwd = await tempDir();
  const r = await run(`sources: []
stages:
  - - { name: strings, query: "SELECT md5(range::VARCHAR) AS v FROM range(20000000)" }
  - - { name: listed, query: "SELECT list(v) AS l FROM strings" }`, cwd, { memoryLimitGb: 0.25, spillRoot: path.join(cwd, 'spill') });
  assert.deepEqual(r.relations, { strings: 'view', listed: 'table' });
  assert.equal(failure(r).code, 'AQ_OUT_OF_MEMORY');
  assert.match(failure(r).message, /^stage "listed": out of memory: .* \(the query also computed stage "strings", fused into it\)$/s);
});
