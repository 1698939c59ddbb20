/**
 * Nothing is left behind: a killed write's temporary output and spill directory are removed when
 * the executor starts again (a previous dataset moved aside goes back), only what runs of dead
 * processes left is touched, and directory sources skip what is not data.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readdir, realpath, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client, startExecutor, type ExecutorProcess } from '../../support/executor.js';
import { query, runYaml, tempDir } from '../../support/engine.js';
import { removeLeftovers } from '../../../src/run/leftovers.js';

const started: ExecutorProcess[] = [];
after(async () => { for (const e of started) await e.stop(); });

const exists = (p: string) => stat(p).then(() => true, () => false);

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a write killed with SIGKILL leaves its temporary output and spill directory only until the executor starts again', async () => {
  const root = await realpath(await tempDir('aq-leftovers-'));
  const spill = path.join(root, '..', `${path.basename(root)}-spill`);
  await mkdir(path.join(root, 'data'));
  await writeFile(path.join(root, 'data', 'previous.csv'), 'id\n1\n');
  const ex = await startExecutor(['--data-root', root, '--spill-dir', spill]);
  started.push(ex);
  const c = await Client.connect(ex.wsUrl);
  // A write that takes a while: many rows into a CSV dataset.
  c.send({
    type: 'execution_request',
    pipeline: {
      version: 'v2',
      sources: [],
      stages: [[{ name: 'big', query: "SELECT x, md5(x::VARCHAR) AS h, repeat('y', 40) AS pad FROM range(60000000) t(x)" }]],
      destination: { type: 'file', name: 'dest', location: 'data', format: { type: 'csv', options: { has_header: true } }, single_file: false },
    },
  });
  // Killed while the destination is being written: its temporary folder is there.
  await waitFor(async () => (await readdir(root)).some((f) => /^\.data\.aqueducts-.*\.tmp$/.test(f)), 'the temporary output', 240_000);
  ex.proc.kill('SIGKILL');
  await ex.exited;
  const temp = (await readdir(root)).filter((f) => f.startsWith('.data.aqueducts-'));
  assert.equal(temp.length, 1, 'the killed write left its temporary output');
  // The run's spill directory, and the session prepared for the next run.
  const ofDead = async () => (await readdir(spill)).filter((f) => f.startsWith(`run-${ex.proc.pid}-`));
  assert.equal((await ofDead()).length, 2, 'and its spill directories');

  const again = await startExecutor(['--data-root', root, '--spill-dir', spill]);
  started.push(again);
  assert.deepEqual((await readdir(root)).filter((f) => f.startsWith('.')), [], 'the temporary output is gone');
  assert.deepEqual(await ofDead(), [], 'the spill directories are gone');
  assert.deepEqual(await readdir(path.join(root, 'data')), ['previous.csv'], 'the previous dataset is as it was');
  assert.ok(again.logs.some((l) => l.msg === 'removed what runs of earlier processes left behind'));
});

test('recovery puts back a previous dataset moved aside, and touches nothing of live processes or of other names', async () => {
  const root = await realpath(await tempDir('aq-recover-'));
  const spill = path.join(root, 'spill');
  const target = path.join(root, 'out');
  // A dead process, killed between moving the old dataset aside and moving the new one in.
  const dead = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => dead.on('exit', r));
  const deadDir = path.join(spill, `run-${dead.pid}-abcdef`);
  await mkdir(deadDir, { recursive: true });
  const old = path.join(root, `.out.aqueducts-11111111-2222-4333-8444-555555555555.old`);
  const tmp = path.join(root, `.out.aqueducts-11111111-2222-4333-8444-555555555555.tmp`);
  await mkdir(path.join(old, 'k=1'), { recursive: true });
  await writeFile(path.join(old, 'k=1', 'part-0.parquet'), 'old data');
  await mkdir(tmp);
  await writeFile(path.join(deadDir, 'local-destination.json'), JSON.stringify({ target, temp: tmp, old }));
  // A live process's spill directory, and names this project does not give.
  const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  const liveDir = path.join(spill, `run-${live.pid}-ghijkl`);
  await mkdir(liveDir);
  await mkdir(path.join(spill, 'run-notapid'));
  await mkdir(path.join(spill, 'mine'));
  // A journal pointing at something that is not a temporary path of ours is ignored.
  const forged = path.join(spill, `run-${dead.pid}-mnopqr`);
  await mkdir(forged);
  await writeFile(path.join(forged, 'local-destination.json'), JSON.stringify({ target: path.join(root, 'mine'), temp: path.join(root, 'precious'), old: path.join(root, 'x.old') }));
  await mkdir(path.join(root, 'precious'));
  try {
    const found = await removeLeftovers(spill);
    assert.deepEqual(found.destinations, [target]);
    assert.deepEqual(await readdir(path.join(target, 'k=1')), ['part-0.parquet'], 'the previous dataset is back in place');
    assert.ok(!(await exists(old)) && !(await exists(tmp)));
    assert.deepEqual((await readdir(spill)).sort(), ['mine', `run-${live.pid}-ghijkl`, 'run-notapid'].sort());
    assert.ok(await exists(path.join(root, 'precious')));
  } finally {
    live.kill();
  }
});

test('a directory source reads data files only: hidden and _-prefixed names (temporary outputs, markers) are skipped', async () => {
  const dir = await tempDir('aq-dirsource-');
  await mkdir(path.join(dir, 'ds', 'k=1'), { recursive: true });
  await mkdir(path.join(dir, 'ds', '.ds.aqueducts-x.tmp'), { recursive: true });
  await mkdir(path.join(dir, 'ds', '_temporary'), { recursive: true });
  await query(`COPY (SELECT 1 AS a UNION ALL SELECT 2) TO '${dir}/ds/k=1/part-0.parquet' (FORMAT parquet)`);
  await writeFile(path.join(dir, 'ds', '.ds.aqueducts-x.tmp', 'partial.parquet'), 'a partial file');
  await writeFile(path.join(dir, 'ds', '_temporary', 'part-9.parquet'), 'an uncommitted file');
  await writeFile(path.join(dir, 'ds', 'k=1', '.part-0.parquet.crc'), 'checksum');
  await writeFile(path.join(dir, 'ds', '_SUCCESS'), '');
  const r = await runYaml([
    'sources:',
    '  - { type: directory, name: ds, format: { type: parquet, options: {} }, location: ./ds, partition_columns: [[k, int32]] }',
    'stages:',
    '  - - { name: s, query: "SELECT sum(a) AS total, min(k) AS k FROM ds", show: 1 }',
  ].join('\n'), { cwd: dir });
  assert.equal(r.outcome.status, 'succeeded', JSON.stringify(r.outcome));
  assert.match(r.outputs[0]!.body, /\| 3 +\| 1 +\|/);
});
