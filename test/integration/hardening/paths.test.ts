/**
 * Remote pipelines stay inside the executor's allowed roots, and a directory destination deletes
 * only what a dataset is made of: the real executor (standalone and managed) and the real CLI.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, realpath, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client, CLI_BIN, startExecutor, type ExecutorProcess } from '../../support/executor.js';
import { CLIENT_KEY, EXECUTOR_SECRET, startOrchestrator } from '../../support/orchestrator.js';
import { tempDir } from '../../support/engine.js';
import type { ExecutorMessage } from '../../../src/protocol/messages.js';

const CSV = 'id,name\n1,a\n2,b\n';

/** The wire form of a pipeline reading one CSV source into `out`, with an optional destination. */
function pipeline(location: string, destination: Record<string, unknown> | null = null): object {
  return {
    version: 'v2',
    sources: [{ type: 'file', name: 'src', format: { type: 'csv', options: {} }, location }],
    stages: [[{ name: 'out', query: 'SELECT * FROM src' }]],
    destination,
  };
}

function dirDestination(location: string): Record<string, unknown> {
  return { type: 'file', name: 'dest', location, format: { type: 'parquet', options: {} }, single_file: false };
}

async function submit(c: Client, p: object): Promise<ExecutorMessage> {
  const before = c.messages.filter((m) => m.type === 'execution_response').length;
  c.send({ type: 'execution_request', pipeline: p });
  const id = await c.responseId(before);
  return c.terminal(id);
}

function errorOf(m: ExecutorMessage): { code?: string; reason?: string; message: string } {
  assert.equal(m.type, 'execution_error', JSON.stringify(m));
  return m as unknown as { code?: string; reason?: string; message: string };
}

const started: ExecutorProcess[] = [];
after(async () => { for (const e of started) await e.stop(); });

async function layout() {
  const base = await realpath(await tempDir('aq-paths-'));
  const root = path.join(base, 'root');
  const outside = path.join(base, 'outside');
  await mkdir(path.join(root, 'in'), { recursive: true });
  await mkdir(outside);
  await writeFile(path.join(root, 'in', 'a.csv'), CSV);
  await writeFile(path.join(outside, 'secret.csv'), 'id,secret\n1,s3cr3t\n');
  await mkdir(path.join(outside, 'victim'));
  await writeFile(path.join(outside, 'victim', 'keep.parquet'), 'not really parquet, but a file that must survive');
  await symlink(path.join(outside, 'secret.csv'), path.join(root, 'in', 'link.csv'));
  await symlink(outside, path.join(root, 'escape'));
  return { base, root, outside, spill: path.join(root, 'spill') };
}

test('remote locations outside the data root are refused before anything is read or written, naming the field and the roots', async () => {
  const l = await layout();
  const ex = await startExecutor(['--data-root', l.root, '--spill-dir', l.spill]);
  started.push(ex);
  const c = await Client.connect(ex.wsUrl, { v2: true });
  try {
    const ok = await submit(c, pipeline('in/a.csv'));
    assert.equal(ok.type, 'execution_succeeded', JSON.stringify(ok));

    const refused: Array<[string, string]> = [
      ['/etc/passwd', '/etc/passwd'],
      ['../outside/secret.csv', `${l.outside}/secret.csv`],
      [`file://${l.outside}/secret.csv`, `${l.outside}/secret.csv`],
      ['in/link.csv', `${l.outside}/secret.csv`],
      ['escape/secret.csv', `${l.outside}/secret.csv`],
    ];
    for (const [location, resolved] of refused) {
      const e = errorOf(await submit(c, pipeline(location)));
      assert.equal(e.code, 'AQ_PATH_NOT_ALLOWED', location);
      assert.equal(e.reason, 'invalid_pipeline');
      assert.match(e.message, /^sources\[0\]\.location: /, location);
      assert.ok(e.message.includes(`(${l.root})`), `names the allowed roots: ${e.message}`);
      assert.ok(e.message.includes(resolved), `${location}: ${e.message}`);
      assert.ok(!e.message.includes('s3cr3t'));
      // Refused before the run started: not even its `started` progress.
      assert.deepEqual(c.about((e as unknown as { execution_id: string }).execution_id).map((m) => m.type).filter((t) => t !== 'executor_status'), ['execution_response', 'execution_error']);
    }

    const spill = errorOf(await submit(c, pipeline('spill/other-run.csv')));
    assert.equal(spill.code, 'AQ_PATH_NOT_ALLOWED');
    assert.match(spill.message, /inside the executor's spill directory/);

    const dest = errorOf(await submit(c, pipeline('in/a.csv', dirDestination(`${l.outside}/victim`))));
    assert.equal(dest.code, 'AQ_PATH_NOT_ALLOWED');
    assert.match(dest.message, /^destination\.location: /);
    assert.deepEqual(await readdir(path.join(l.outside, 'victim')), ['keep.parquet']);
  } finally {
    c.close();
  }
});

test('--allow-path adds a root; --allow-any-path lifts confinement', async () => {
  const l = await layout();
  const allowed = await startExecutor(['--data-root', l.root, '--spill-dir', l.spill, '--allow-path', l.outside]);
  started.push(allowed);
  const c = await Client.connect(allowed.wsUrl);
  const any = await startExecutor(['--data-root', path.join(l.root, 'in'), '--spill-dir', l.spill, '--allow-any-path']);
  started.push(any);
  const d = await Client.connect(any.wsUrl);
  try {
    assert.equal((await submit(c, pipeline(`${l.outside}/secret.csv`))).type, 'execution_succeeded');
    assert.equal((await submit(c, pipeline('in/link.csv'))).type, 'execution_succeeded');
    assert.equal(errorOf(await submit(c, pipeline('/etc/passwd'))).code, 'AQ_PATH_NOT_ALLOWED');
    assert.equal((await submit(d, pipeline(`${l.outside}/secret.csv`))).type, 'execution_succeeded');
  } finally {
    c.close();
    d.close();
  }
});

test('managed executors confine remote pipelines the same way', async () => {
  const l = await layout();
  const orch = await startOrchestrator();
  const ex = await startExecutor(['--mode', 'managed', '--orchestrator-url', orch.executorUrl, '--api-key', EXECUTOR_SECRET, '--data-root', l.root, '--spill-dir', l.spill]);
  started.push(ex);
  try {
    await orch.waitForLog((line) => line.msg === 'executor registered', 20000);
    const c = await Client.connect(orch.wsUrl, { key: CLIENT_KEY });
    try {
      assert.equal((await submit(c, pipeline('in/a.csv'))).type, 'execution_succeeded');
      const e = errorOf(await submit(c, pipeline(`file://${l.outside}/secret.csv`)));
      assert.equal(e.code, 'AQ_PATH_NOT_ALLOWED');
    } finally {
      c.close();
    }
  } finally {
    await orch.stop();
  }
});

test('a directory destination never replaces the data root, an ancestor of it, a directory holding an input, or anything but a dataset', async () => {
  const l = await layout();
  const ex = await startExecutor(['--data-root', l.root, '--spill-dir', l.spill]);
  started.push(ex);
  const c = await Client.connect(ex.wsUrl);
  try {
    for (const location of ['./', '.', l.root]) {
      const e = errorOf(await submit(c, pipeline('in/a.csv', dirDestination(location))));
      assert.equal(e.code, 'AQ_DESTINATION_REFUSED', location);
      assert.match(e.message, /the working directory or the executor's data root/);
    }
    const holding = errorOf(await submit(c, pipeline('in/a.csv', dirDestination('in'))));
    assert.equal(holding.code, 'AQ_DESTINATION_REFUSED');
    assert.match(holding.message, /holds an input of this run \(sources\[0\]\.location/);

    // A directory with something other than a dataset in it: refused, naming the file.
    await mkdir(path.join(l.root, 'mixed'));
    await writeFile(path.join(l.root, 'mixed', 'part-0.parquet'), 'x');
    await writeFile(path.join(l.root, 'mixed', 'notes.txt'), 'mine');
    const mixed = errorOf(await submit(c, pipeline('in/a.csv', dirDestination('mixed'))));
    assert.equal(mixed.code, 'AQ_DESTINATION_REFUSED');
    assert.ok(mixed.message.includes(path.join(l.root, 'mixed', 'notes.txt')), mixed.message);
    assert.deepEqual((await readdir(path.join(l.root, 'mixed'))).sort(), ['notes.txt', 'part-0.parquet']);

    // A dataset (data files, partition folders, markers) is replaced, and nothing of it is left.
    await mkdir(path.join(l.root, 'data', 'k=1'), { recursive: true });
    await writeFile(path.join(l.root, 'data', 'k=1', 'old.parquet'), 'x');
    await writeFile(path.join(l.root, 'data', '_SUCCESS'), '');
    const ok = await submit(c, pipeline('in/a.csv', dirDestination('data')));
    assert.equal(ok.type, 'execution_succeeded', JSON.stringify(ok));
    const now = await readdir(path.join(l.root, 'data'));
    assert.ok(now.length > 0 && now.every((f) => f.endsWith('.parquet')), now.join(', '));
    assert.deepEqual((await readdir(path.join(l.root))).filter((f) => f.startsWith('.')), [], 'no temporary or old folder left');
  } finally {
    c.close();
  }
});

test('a local run: `location: ./` with single_file false is refused, and the working directory (the pipeline file too) is left as it was', async () => {
  const l = await layout();
  const cwd = path.join(l.root, 'in');
  const file = path.join(cwd, 'p.yml');
  await writeFile(file, [
    'sources:',
    '  - { type: file, name: src, format: { type: csv, options: {} }, location: ./a.csv }',
    'stages:',
    '  - - { name: out, query: SELECT * FROM src }',
    'destination: { type: file, name: dest, location: ./, format: { type: parquet, options: {} }, single_file: false }',
  ].join('\n'));
  const before = (await readdir(cwd)).sort();
  const r = spawnSync(process.execPath, [CLI_BIN, 'run', '--file', 'p.yml'], { cwd, encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /destination "dest": a directory destination replaces its directory, and .* is .*the working directory/);
  assert.deepEqual((await readdir(cwd)).sort(), before);
  assert.match(await readFile(file, 'utf8'), /single_file: false/);
  // Local runs keep access to the user's own files anywhere: an absolute path outside works.
  await writeFile(path.join(cwd, 'p2.yml'), [
    'sources:',
    `  - { type: file, name: src, format: { type: csv, options: {} }, location: ${l.outside}/secret.csv }`,
    'stages:',
    '  - - { name: out, query: SELECT * FROM src, show: 1 }',
  ].join('\n'));
  const outside = spawnSync(process.execPath, [CLI_BIN, 'run', '--file', 'p2.yml'], { cwd, encoding: 'utf8' });
  assert.equal(outside.status, 0, outside.stderr);
  assert.match(outside.stdout, /s3cr3t/);
});
