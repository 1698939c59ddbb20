/** The disk a run spills to is bounded (--max-spill): past it the run fails with reason memory, and the executor stays healthy. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { Client, startExecutor, type ExecutorProcess } from '../../support/executor.js';
import { tempDir } from '../../support/engine.js';

let ex: ExecutorProcess | undefined;
after(async () => { await ex?.stop(); });

const SPILLING = {
  version: 'v2',
  sources: [],
  stages: [
    [{ name: 'big', query: 'SELECT range AS k, md5(range::VARCHAR) AS v FROM range(6000000)' }],
    [{ name: 'sorted', query: 'SELECT count(DISTINCT v) AS n FROM (SELECT v FROM big ORDER BY v)', show: 1 }],
  ],
  destination: null,
};

test('a run that spills more than --max-spill fails with reason memory and leaves nothing in the spill directory', async () => {
  const spill = path.join(await tempDir('aq-spill-'), 'spill');
  ex = await startExecutor(['--max-memory', '0.25', '--max-spill', '0.01', '--spill-dir', spill]);
  const c = await Client.connect(ex.wsUrl);
  try {
    c.send({ type: 'execution_request', pipeline: SPILLING });
    const end = await c.terminal(await c.responseId(0), 120_000);
    assert.equal(end.type, 'execution_error', JSON.stringify(end));
    const e = end as { reason?: string; code?: string; message: string };
    assert.equal(e.reason, 'memory');
    assert.equal(e.code, 'AQ_OUT_OF_MEMORY');
    assert.match(e.message, /^the run used .* of disk in its spill directory, more than its limit of 10\.7 MB \(--max-spill\)/);
    // Left: the empty session prepared for the next run (the run's own directory goes once its
    // instance is closed, just after the outcome is sent).
    for (let i = 0; i < 400 && (await readdir(spill)).length !== 1; i++) await new Promise((r) => setTimeout(r, 25));
    const files = (await readdir(spill, { recursive: true, withFileTypes: true })).filter((e) => !e.isDirectory()).map((e) => e.name);
    assert.deepEqual([(await readdir(spill)).length, files], [1, []]);
    assert.equal((await fetch(`${ex.url}/api/health`)).status, 200);
  } finally {
    c.close();
  }
});
