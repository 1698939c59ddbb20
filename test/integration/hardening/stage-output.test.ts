/**
 * What crosses from the engine into JavaScript for `show`, `explain` and `print_schema` is
 * bounded: a cell is cut inside the engine, a long list is rendered from its first elements, and a
 * table stops at the rows that fit. The real executor survives a cell that renders as 2.2 GB of
 * text (it used to end with a V8 fatal error converting it to a string), with no --max-memory.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DuckDBInstance } from '@duckdb/node-api';
import { tableText } from '../../../src/engine/stages.js';
import { CELL_MAX_CHARS, cutNote, formatTable, LIST_SHOWN_ELEMENTS, OUTPUT_MAX_CHARS } from '../../../src/engine/table-format.js';
import { API_KEY, startExecutor, type ExecutorProcess } from '../../support/executor.js';
import { alive, Peer } from '../../support/hostile.js';

const instance = DuckDBInstance.create(':memory:');
const connection = instance.then((i) => i.connect());
const started: ExecutorProcess[] = [];
after(async () => {
  for (const e of started) await e.stop();
  (await connection).closeSync();
  (await instance).closeSync();
});

async function show(query: string, limit: number): Promise<string> {
  const conn = await connection;
  await conn.run(`CREATE OR REPLACE TABLE t AS ${query}`);
  return tableText(conn, 't', limit);
}

test('a long cell is cut inside the engine and followed by its length; short cells are untouched', async () => {
  const text = await show(`SELECT repeat('y', 50000) AS s, [1, 2, 3] AS l, 'a' AS c`, 5);
  const row = text.split('\n')[3]!;
  assert.equal(row, `| ${'y'.repeat(CELL_MAX_CHARS)}… (50000 characters) | [1, 2, 3] | a |`);
});

test('a long list is rendered from its first elements and followed by its number of elements', async () => {
  const text = await show('SELECT count(*) AS n, list(range) AS l FROM range(3000000)', 1);
  const row = text.split('\n')[3]!;
  assert.ok(row.startsWith('| 3000000 | [0, 1, 2, 3, '), row.slice(0, 100));
  assert.match(row, /… \(3000000 elements\) \|$/);
  assert.ok(row.length < CELL_MAX_CHARS + 100);
  // a list of huge elements: the first ones are rendered, and cut to a cell
  const wide = await show(`SELECT list({'${'k'.repeat(1000)}': range}) AS l FROM range(${LIST_SHOWN_ELEMENTS * 3})`, 1);
  assert.match(wide.split('\n')[3]!, new RegExp(`… \\(${LIST_SHOWN_ELEMENTS * 3} elements\\) \\|$`));
});

test('a table stops at the rows that fit in the output limit, and says so', async () => {
  const text = await show(`SELECT repeat('z', 9000) AS s FROM range(2000)`, 2000);
  assert.ok(text.length <= OUTPUT_MAX_CHARS + 20_000, String(text.length));
  assert.ok(text.endsWith(`\n${cutNote()}`));
  const many = await show('SELECT range AS n FROM range(3000000)', 3_000_000);
  assert.ok(many.length <= OUTPUT_MAX_CHARS + 1000, String(many.length));
  assert.ok(many.endsWith(`\n${cutNote()}`));
  // all rows that fit: no note
  assert.ok(!(await show('SELECT range AS n FROM range(500)', 500)).includes('cut here'));
});

test('padding cannot blow a table up: lines stop at the limit', () => {
  // every row is one short line, but the widest cell of each column pads all of them
  const columns = Array.from({ length: 100 }, (_, i) => `c${i}`);
  const rows = Array.from({ length: 2000 }, (_, r) => columns.map((_, i) => (i === r % 100 ? 'w'.repeat(10_000) : 'x')));
  const text = formatTable(columns, rows, { maxChars: OUTPUT_MAX_CHARS });
  assert.ok(text.length < OUTPUT_MAX_CHARS + 1_100_000, String(text.length));
  assert.ok(text.endsWith(`\n${cutNote()}`));
  assert.equal(formatTable(['a'], [['1']], { maxChars: 100 }), '+---+\n| a |\n+---+\n| 1 |\n+---+');
});

test('the executor survives a cell that renders as 2.2 GB of text, and shows its beginning', { timeout: 300_000 }, async () => {
  const ex = await startExecutor();
  started.push(ex);
  const c = await Peer.connect(ex.wsUrl, { 'X-API-Key': API_KEY, 'X-Aqueducts-Protocol': '2' });
  const id = randomUUID();
  // 2,200,000 structs whose one field has a 1,000-character name: stored small, rendered huge
  const query = `SELECT count(*) AS n, list({'${'f'.repeat(1000)}': range}) AS l FROM range(2200000)`;
  await c.send(JSON.stringify({ type: 'execution_request', execution_id: id, pipeline: { version: 'v2', sources: [], stages: [[{ name: 'big', query, show: 1, print_schema: true, explain: true }]] } }));
  await c.until((fs) => fs.some((f) => f['execution_id'] === id && ['execution_succeeded', 'execution_error'].includes(String(f['type']))), 280_000);
  assert.ok(alive(ex.proc), `the executor died: ${ex.stderr().slice(-500)}`);
  const end = c.frames.find((f) => f['execution_id'] === id && ['execution_succeeded', 'execution_error'].includes(String(f['type'])));
  assert.equal(end?.['type'], 'execution_succeeded', JSON.stringify(end).slice(0, 500));
  const body = c.frames
    .filter((f) => f['type'] === 'stage_output' && (f['payload'] as { type: string }).type === 'output_chunk')
    .map((f) => (f['payload'] as { body: string }).body).join('');
  assert.match(body, /\| 2200000 \| \[\{'f+': 0\}, /);
  assert.match(body, /… \(2200000 elements\) \|/);
  assert.ok(body.length < 3 * CELL_MAX_CHARS + 100_000, String(body.length));
  assert.equal((await fetch(`${ex.url}/api/health`)).status, 200);
  c.close();
});
