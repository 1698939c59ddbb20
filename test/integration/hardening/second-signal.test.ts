/**
 * A second SIGTERM or SIGINT during a drain ends the process at once, by that signal (exit status
 * 128 + its number: 143, 130), instead of waiting out --drain-timeout: against the real executor
 * with a run that would outlast the test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from '../../support/engine.js';
import { Client, startExecutor, waitForLog } from '../../support/executor.js';

const endless = {
  version: 'v2',
  sources: [],
  stages: [[{ name: 'endless', query: "SELECT count(*) AS c FROM range(100000000000) t(x) WHERE md5(x::VARCHAR) LIKE 'fffff%'" }]],
  destination: null,
};

for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
  test(`a second ${signal} while draining ends the process at once (exit status ${code})`, async () => {
    const dir = await tempDir('aq-signal-');
    const ex = await startExecutor(['--drain-timeout', '3600', '--data-root', dir], {}, dir);
    try {
      const c = await Client.connect(ex.wsUrl);
      c.send({ type: 'execution_request', pipeline: endless });
      const id = await c.responseId();
      await c.until((ms) => ms.some((m) => m.type === 'progress_update' && m.event.type === 'stage_started'));
      ex.proc.kill(signal);
      await waitForLog(ex, (l) => l.msg === 'draining');
      ex.proc.kill(signal);
      assert.equal(await ex.exited, null, 'no exit code: the signal ended the process');
      assert.equal(ex.proc.signalCode, signal);
      const line = await waitForLog(ex, (l) => l.msg === 'second signal while draining: exiting at once');
      assert.equal(line.signal, signal);
      assert.equal(line.exit_code, code);
      assert.ok(!c.about(id).some((m) => m.type === 'execution_succeeded' || m.type === 'cancel_response'), 'the run was not waited for');
    } finally {
      await ex.stop();
    }
  });
}
