/**
 * The real `aqueducts` CLI against the real `aqueducts-executor`: remote runs print what local
 * runs print, Ctrl+C and `aqueducts cancel` cancel, failures are reported, never hung on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { REPO, query, tempDir } from '../support/engine.js';
import { API_KEY, CLI_BIN, startExecutor } from '../support/executor.js';

interface Result { code: number | null; stdout: string; stderr: string }

function cli(args: string[], opts: { cwd: string; onStderr?: (text: string, kill: (s: NodeJS.Signals) => void) => void } ): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; opts.onStderr?.(stderr, (s) => child.kill(s)); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function dataRoot(): Promise<string> {
  const root = await tempDir();
  await cp(path.join(REPO, 'examples'), path.join(root, 'examples'), { recursive: true });
  return root;
}

test('a remote run prints what a local run prints and writes at the executor data root', async () => {
  const root = await dataRoot();
  const client = await tempDir();
  await cp(path.join(REPO, 'examples'), path.join(client, 'examples'), { recursive: true });
  const ex = await startExecutor(['--data-root', root]);
  try {
    const address = new URL(ex.url).host;
    const remote = await cli(['run', '--executor', address, '--api-key', API_KEY, '--file', 'examples/weather.yml', '-p', 'month=feb', '-p', 'year=2024'], { cwd: client });
    assert.equal(remote.code, 0, remote.stderr);
    const local = await cli(['run', '--file', 'examples/weather.yml', '-p', 'month=feb', '-p', 'year=2024'], { cwd: client });
    assert.equal(local.code, 0, local.stderr);
    assert.equal(remote.stdout, local.stdout);
    const strip = (s: string) => s.split('\n').filter((l) => /^\[\s*\d+%\]/.test(l)).map((l) => l.replace(/\(took: [\d.]+s\)|\(total time: [\d.]+s\)/, ''));
    assert.deepEqual(strip(remote.stderr), strip(local.stderr));
    assert.doesNotMatch(remote.stdout + remote.stderr, new RegExp(API_KEY));
    // the remote run wrote at the executor's data root, the local one in the client's directory
    const [r] = await query(`SELECT count(*)::INTEGER AS n FROM read_parquet('${root}/out/daily_weather_feb_2024.parquet')`);
    const [l] = await query(`SELECT count(*)::INTEGER AS n FROM read_parquet('${client}/out/daily_weather_feb_2024.parquet')`);
    assert.equal(r!.n, l!.n);
    assert.ok(Number(r!.n) > 200);
  } finally {
    await ex.stop();
  }
});

test('a wrong API key fails clearly with exit 1', async () => {
  const ex = await startExecutor();
  try {
    const r = await cli(['run', '--executor', ex.url, '--api-key', 'wrong', '--file', 'examples/weather.yml', '-p', 'month=jan', '-p', 'year=2024'], { cwd: REPO });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Authentication failed/);
  } finally {
    await ex.stop();
  }
});

// A stage that runs until it is cancelled (10^11 md5 computations), so the run is still running
// whenever the test acts, on any machine.
const SLOW = `sources: []
stages: [[{ name: slow, query: "SELECT count(*) AS c FROM range(100000000000) t(x) WHERE md5(x::VARCHAR) LIKE 'fffff%'" }]]
destination: { type: file, name: out, location: ./out/slow.csv, format: { type: csv, options: {} } }
`;

test('Ctrl+C on a remote run cancels it on the executor: exit 130, nothing written', async () => {
  const root = await tempDir();
  await mkdir(path.join(root, 'out'));
  const client = await tempDir();
  await writeFile(path.join(client, 'slow.yml'), SLOW);
  const ex = await startExecutor(['--data-root', root]);
  try {
    let sent = false;
    const r = await cli(['run', '--executor', ex.url, '--api-key', API_KEY, '--file', 'slow.yml'], {
      cwd: client,
      onStderr: (text, kill) => { if (!sent && text.includes('Processing stage: slow')) { sent = true; setTimeout(() => kill('SIGINT'), 200); } },
    });
    assert.equal(r.code, 130, r.stderr);
    assert.deepEqual(await readdir(path.join(root, 'out')), []);
    assert.equal((await (await fetch(`${ex.url}/api/health`)).json() as { state: string }).state, 'idle');
  } finally {
    await ex.stop();
  }
});

test('aqueducts cancel from another shell cancels a running execution', async () => {
  const root = await tempDir();
  await mkdir(path.join(root, 'out'));
  const client = await tempDir();
  await writeFile(path.join(client, 'slow.yml'), SLOW);
  const ex = await startExecutor(['--data-root', root]);
  try {
    const pending: { cancel: Promise<Result> | null } = { cancel: null };
    const run = await cli(['run', '--executor', ex.url, '--api-key', API_KEY, '--file', 'slow.yml'], {
      cwd: client,
      onStderr: (text) => {
        const id = /Execution id: ([0-9a-f-]{36})/.exec(text)?.[1];
        if (!pending.cancel && id && text.includes('Processing stage: slow')) {
          pending.cancel = cli(['cancel', '--executor', ex.url, '--api-key', API_KEY, '--execution-id', id], { cwd: client });
        }
      },
    });
    assert.ok(pending.cancel, run.stderr);
    const c = await pending.cancel;
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout + c.stderr, /cancelled/);
    assert.equal(run.code, 130, run.stderr);
    assert.deepEqual(await readdir(path.join(root, 'out')), []);
    const again = await cli(['cancel', '--executor', ex.url, '--api-key', API_KEY, '--execution-id', '11111111-2222-4333-8444-555555555555'], { cwd: client });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /unknown execution/);
  } finally {
    await ex.stop();
  }
});

test('an executor that dies mid-run is reported as a lost connection, not a hang', async () => {
  const client = await tempDir();
  await writeFile(path.join(client, 'slow.yml'), SLOW);
  const ex = await startExecutor();
  let killed = false;
  const r = await cli(['run', '--executor', ex.url, '--api-key', API_KEY, '--file', 'slow.yml'], {
    cwd: client,
    onStderr: (text) => { if (!killed && text.includes('Processing stage: slow')) { killed = true; ex.proc.kill('SIGKILL'); } },
  });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Lost connection to executor/);
  await ex.stop();
});
