/**
 * --max-run-time against the real executor: a stage that runs until cancelled is cancelled at the
 * limit, the execution ends with execution_error, reason "timeout", code AQ_RUN_TIMEOUT, and its
 * destination is left exactly as it was; the executor then takes the next run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { tempDir } from '../../support/engine.js';
import { Client, startExecutor } from '../../support/executor.js';

/** A stage that runs far longer than any test (minutes), unless cancelled. */
const endless = {
  version: 'v2',
  sources: [],
  stages: [[{ name: 'endless', query: "SELECT count(*) AS c FROM range(100000000000) t(x) WHERE md5(x::VARCHAR) LIKE 'fffff%'" }]],
  destination: { type: 'file', name: 'out', location: './out.csv', format: { type: 'csv', options: {} } },
};
const quick = { ...endless, stages: [[{ name: 'quick', query: 'SELECT 42 AS answer' }]], destination: { ...endless.destination, location: './quick.csv' } };

test('a run past --max-run-time is cancelled and ends with reason timeout; the destination is left as it was', async () => {
  const dir = await tempDir('aq-run-time-');
  await writeFile(`${dir}/out.csv`, 'previous,content\n1,2\n');
  const ex = await startExecutor(['--max-run-time', '1', '--data-root', dir], {}, dir);
  try {
    const c = await Client.connect(ex.wsUrl, { v2: true });
    c.send({ type: 'execution_request', pipeline: endless });
    const id = await c.responseId();
    const end = await c.terminal(id, 120_000);
    assert.deepEqual(end, {
      type: 'execution_error',
      execution_id: id,
      message: "the run took longer than the executor's maximum run time (1 s) and was cancelled; its destination was left as it was",
      reason: 'timeout',
      code: 'AQ_RUN_TIMEOUT',
    });
    assert.ok(c.about(id).some((m) => m.type === 'progress_update' && m.event.type === 'stage_started'), 'the stage had started');
    assert.equal(await readFile(`${dir}/out.csv`, 'utf8'), 'previous,content\n1,2\n');
    assert.deepEqual(await readdir(dir), ['out.csv']);
    const line = ex.logs.find((l) => l.msg === 'maximum run time reached: cancelling execution' && l.execution_id === id);
    assert.equal(line?.code, 'AQ_RUN_TIMEOUT');
    c.send({ type: 'execution_request', pipeline: quick });
    assert.equal((await c.terminal(await c.responseId(1))).type, 'execution_succeeded');
    assert.equal(await readFile(`${dir}/quick.csv`, 'utf8'), 'answer\n42\n');
    c.close();
  } finally {
    await ex.stop();
  }
});
