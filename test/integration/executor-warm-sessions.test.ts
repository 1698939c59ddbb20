/**
 * The real executor with an engine session prepared ahead of each run: a run cannot see what the
 * previous one left, each run gets the executor's memory limit, and draining or stopping with a
 * prepared session pending exits cleanly and leaves nothing in the spill directory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '../support/engine.js';
import { Client, startExecutor, waitForLog, type ExecutorProcess } from '../support/executor.js';
import type { ExecutorMessage } from '../../src/protocol/messages.js';

const pipeline = (stages: Array<{ name: string; query: string; show?: number }>) => ({ version: 'v2', sources: [], stages: [stages] });

/** Runs a pipeline on a new connection and returns its messages (the terminal one last). */
async function run(ex: ExecutorProcess, p: unknown): Promise<ExecutorMessage[]> {
  const c = await Client.connect(ex.wsUrl);
  try {
    c.send({ type: 'execution_request', pipeline: p });
    const id = await c.responseId();
    await c.terminal(id);
    return c.about(id);
  } finally {
    c.close();
  }
}

const terminal = (ms: ExecutorMessage[]) => ms.find((m) => m.type === 'execution_succeeded' || m.type === 'execution_error')!;
const shown = (ms: ExecutorMessage[]) => ms.map((m) => (m.type === 'stage_output' && m.payload.type === 'output_chunk' ? m.payload.body : '')).join('');

test('a run sees nothing the previous run left, and each run has the executor\'s memory limit', async () => {
  const dir = await tempDir();
  const ex = await startExecutor(['--data-root', dir, '--spill-dir', path.join(dir, 'spill'), '--max-memory', '0.75']);
  try {
    // The last stage's table stays in the instance until the run's session is closed.
    const first = await run(ex, pipeline([{ name: 'leftover', query: "SELECT 42 AS x, current_setting('memory_limit') AS m", show: 0 }]));
    assert.equal(terminal(first).type, 'execution_succeeded');
    assert.match(shown(first), /768\.0 MiB/);
    const missing = terminal(await run(ex, pipeline([{ name: 'peek', query: 'SELECT * FROM leftover' }])));
    assert.equal(missing.type, 'execution_error');
    assert.match(missing.type === 'execution_error' ? missing.message : '', /leftover.*does not exist/);
    const listed = await run(ex, pipeline([{ name: 'list', query: "SELECT CASE WHEN count(*) > 0 THEN error('a table of the previous run is visible') ELSE 0 END AS ok FROM duckdb_tables() WHERE table_name = 'leftover'" }]));
    assert.equal(terminal(listed).type, 'execution_succeeded', JSON.stringify(terminal(listed)));
    const again = await run(ex, pipeline([{ name: 'limit', query: "SELECT current_setting('memory_limit') AS m", show: 0 }]));
    assert.equal(terminal(again).type, 'execution_succeeded');
    assert.match(shown(again), /768\.0 MiB/);
  } finally {
    await ex.stop();
  }
});

test('draining with a prepared session pending exits 0 and leaves nothing in the spill directory', async () => {
  const dir = await tempDir();
  const spill = path.join(dir, 'spill');
  const ex = await startExecutor(['--data-root', dir, '--spill-dir', spill]);
  try {
    assert.equal(terminal(await run(ex, pipeline([{ name: 'q', query: 'SELECT 1 AS x' }]))).type, 'execution_succeeded');
    // The session prepared for the next run (the run's own is removed).
    for (let i = 0; i < 400 && (await readdir(spill)).length !== 1; i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal((await readdir(spill)).length, 1);
    ex.proc.kill('SIGTERM');
    assert.equal(await ex.exited, 0);
    assert.deepEqual(await readdir(spill), []);
    await waitForLog(ex, (l) => l.msg === 'closed the prepared engine session');
  } finally {
    await ex.stop();
  }
});

test('stopping while the first session is still being prepared exits 0 and leaves nothing', async () => {
  const dir = await tempDir();
  const spill = path.join(dir, 'spill');
  const ex = await startExecutor(['--data-root', dir, '--spill-dir', spill]);
  try {
    // Logged in the same turn as the signal handlers are installed.
    await waitForLog(ex, (l) => l.msg === 'listening');
    ex.proc.kill('SIGTERM');
    assert.equal(await ex.exited, 0);
    assert.deepEqual(await readdir(spill).catch(() => []), []);
  } finally {
    await ex.stop();
  }
});
