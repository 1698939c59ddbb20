/**
 * Keys given as files against the real programs: the key is in no argument and no variable of the
 * process (what a process list shows), it is read without its trailing newline, and a bad file
 * stops the program with one line naming the file, never its content.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '../../support/engine.js';
import { Client, EXECUTOR_BIN, refusedUpgrade } from '../../support/executor.js';
import { spawnServer } from '../../support/server-process.js';
import { ORCHESTRATOR_BIN, ScriptedExecutor, startOrchestrator } from '../../support/orchestrator.js';

const KEY = 'key-from-a-file-5e1f';
const CLIENT = 'client-key-from-a-file-77a0';
const SECRET = 'fleet-secret-from-a-file-c3d9';

/** What a process list can show of a process: its arguments and its environment. */
async function visible(pid: number): Promise<string> {
  return `${await readFile(`/proc/${pid}/cmdline`, 'utf8')}\n${await readFile(`/proc/${pid}/environ`, 'utf8')}`;
}

test('executor: --api-key-file keeps the key out of the process list; clients use the key without the newline', { skip: process.platform !== 'linux' }, async () => {
  const dir = await tempDir('aq-key-files-');
  const file = path.join(dir, 'api-key');
  await writeFile(file, `${KEY}\n`, { mode: 0o600 });
  const env = { ...process.env, API_KEY: undefined, RUST_LOG: 'info' }; // no API_KEY at all
  const server = await spawnServer('aqueducts-executor', EXECUTOR_BIN, ['--bind-address', '127.0.0.1:0', '--api-key-file', file, '--data-root', dir], env, dir);
  const ex = { ...server, wsUrl: `${server.url.replace(/^http/, 'ws')}/ws/connect` };
  try {
    assert.ok(!(await visible(ex.proc.pid!)).includes(KEY));
    const c = await Client.connect(ex.wsUrl, { key: KEY });
    c.close();
    assert.equal((await refusedUpgrade(ex.wsUrl, { 'X-API-Key': `${KEY}x` })).status, 401);
    const start = ex.logs.find((l) => l.msg === 'starting executor') as { config: Record<string, unknown> };
    assert.equal(start.config.api_key_file, file);
    assert.ok(!JSON.stringify(ex.logs).includes(KEY));
  } finally {
    await ex.stop();
  }
});

test('orchestrator: the client key and the executor secret from files', { skip: process.platform !== 'linux' }, async () => {
  const dir = await tempDir('aq-key-files-');
  await writeFile(path.join(dir, 'client'), `${CLIENT}\r\n`);
  await writeFile(path.join(dir, 'secret'), `${SECRET}\n`);
  // An empty variable counts as unset for the orchestrator's keys.
  const orch = await startOrchestrator(['--client-api-key-file', path.join(dir, 'client')], { CLIENT_API_KEY: '', EXECUTOR_SECRET: '', EXECUTOR_SECRET_FILE: path.join(dir, 'secret') });
  try {
    assert.ok(!(await visible(orch.proc.pid!)).includes(CLIENT));
    assert.ok(!(await visible(orch.proc.pid!)).includes(SECRET));
    const executor = await ScriptedExecutor.register(orch.executorUrl, '3f6c2a1e-4b5d-4e8f-9a0b-1c2d3e4f5a6b', 'idle', null, { secret: SECRET });
    const client = await Client.connect(orch.wsUrl, { key: CLIENT });
    client.close();
    executor.ws.close();
    assert.equal((await fetch(`${orch.url}/api/executors`, { headers: { 'X-API-Key': CLIENT } })).status, 200);
  } finally {
    await orch.stop();
  }
});

test('a bad key file stops either program with one line naming the file, never its content; key and file together too', async () => {
  const dir = await tempDir('aq-key-files-');
  const empty = path.join(dir, 'empty');
  await writeFile(empty, '\n');
  const good = path.join(dir, 'good');
  await writeFile(good, `${KEY}\n`);
  const run = (bin: string, args: string[], env: Record<string, string>) => {
    const r = spawnSync(process.execPath, [bin, '--bind-address', '127.0.0.1:0', ...args], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 15000 });
    return { code: r.status, err: r.stderr, out: r.stdout };
  };
  const cases: Array<[string, string[], Record<string, string>, string]> = [
    [EXECUTOR_BIN, ['--api-key-file', empty], {}, `error: --api-key-file ${JSON.stringify(empty)} is empty: an API key is required\n`],
    [EXECUTOR_BIN, [], { API_KEY_FILE: path.join(dir, 'missing') }, `error: cannot read API_KEY_FILE ${JSON.stringify(path.join(dir, 'missing'))}: no such file or directory\n`],
    [EXECUTOR_BIN, ['--api-key', 'direct-key-not-in-any-path', '--api-key-file', good], {}, 'error: --api-key and --api-key-file are both set: give an API key or a file holding it, not both\n'],
    [ORCHESTRATOR_BIN, ['--executor-secret-file', empty], { CLIENT_API_KEY: 'client-key-not-in-any-path' }, `error: --executor-secret-file ${JSON.stringify(empty)} is empty: an executor secret is required\n`],
    [ORCHESTRATOR_BIN, ['--client-api-key-file', good], { CLIENT_API_KEY: 'client-key-not-in-any-path', EXECUTOR_SECRET: 'executor-secret-not-in-any-path' }, 'error: CLIENT_API_KEY and --client-api-key-file are both set: give a client API key or a file holding it, not both\n'],
  ];
  for (const [bin, args, env, message] of cases) {
    const r = run(bin, args, env);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.equal(r.err, message);
    assert.equal(r.out, '');
    assert.ok(!r.err.includes(KEY));
  }
});
