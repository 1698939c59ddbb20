/**
 * A directory destination (`single_file: false`, partition columns) replaces the previous dataset
 * only when the new one is complete: a write that fails part-way, or a process killed part-way,
 * leaves the previous dataset exactly as it was, byte for byte, and no temporary files behind
 * (the killed one's are removed when the next run starts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, realpath, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CLI_BIN } from '../../support/executor.js';
import { assertSucceeded, runYaml, tempDir } from '../../support/engine.js';

/** Every file below `dir`, relative path → contents. */
async function snapshot(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const full = path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
    out.set(path.relative(dir, full), await readFile(full));
  }
  return out;
}

/** Every entry below `dir` (recursively) whose name marks it as a temporary path of a write. */
async function temporaries(dir: string): Promise<string[]> {
  const all = await readdir(dir, { recursive: true });
  return all.filter((p) => /\.aqueducts-[^/]*\.(tmp|old)(\/|$)/.test(p)).sort();
}

function dest(format: string, partitioned: boolean): string {
  const parts = partitioned ? ', partition_columns: [k]' : '';
  return `destination: { type: file, name: out, location: ./out, single_file: false${parts}, format: { type: ${format}, options: {} } }`;
}

/**
 * Rows in four partitions (k = p0..p3), and, when `poison` is set, a last few rows whose partition
 * value is longer than a file name may be: the write creates and fills the other partitions'
 * folders, then fails on that one.
 */
function pipeline(rows: number, poison: boolean, format: string): string {
  const k = poison ? `CASE WHEN x >= ${rows - 100} THEN repeat('z', 300) ELSE 'p' || (x % 4)::VARCHAR END` : `'p' || (x % 4)::VARCHAR`;
  return [
    'sources: []',
    'stages:',
    `  - - { name: result, query: "SELECT x, md5(x::VARCHAR) AS h, ${k} AS k FROM range(${rows}) r(x)" }`,
    dest(format, true),
  ].join('\n');
}

test('a partitioned write that fails on its last partition leaves the previous dataset byte for byte, and nothing temporary', async () => {
  for (const format of ['csv', 'parquet']) {
    const cwd = await realpath(await tempDir('aq-dirfail-'));
    assertSucceeded(await runYaml(pipeline(1000, false, format), { cwd }));
    const before = await snapshot(path.join(cwd, 'out'));
    assert.deepEqual([...before.keys()].map((f) => f.split('/')[0]).sort(), ['k=p0', 'k=p1', 'k=p2', 'k=p3'], format);

    // Watch the temporary output while the failing write runs: files of the good partitions appear there first.
    const seen = new Set<string>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        for (const t of await temporaries(cwd).catch(() => [])) if (/\/k=p\d\/[^/]+$/.test(t)) seen.add(t);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const r = await runYaml(pipeline(3_000_000, true, format), { cwd });
    watching = false;
    await watcher;

    assert.equal(r.outcome.status, 'failed', format);
    const e = r.outcome.status === 'failed' ? r.outcome.error : null;
    assert.equal(e?.code, 'AQ_DESTINATION_FAILED');
    assert.match(e!.message, /^destination "out": .*File name too long/);
    assert.ok(seen.size > 0, `${format}: the good partitions were written before the write failed`);
    assert.deepEqual(await snapshot(path.join(cwd, 'out')), before, `${format}: the previous dataset is intact`);
    assert.deepEqual(await temporaries(cwd), [], `${format}: no temporary output is left`);
    assert.deepEqual(await readdir(cwd), ['out'], format);
    assert.ok(!r.progress.some((p) => p.event.type === 'destination_completed'));
  }
});

test('a directory write cancelled part-way leaves the previous dataset byte for byte', async () => {
  const cwd = await realpath(await tempDir('aq-dirstop-'));
  await mkdir(path.join(cwd, 'out'));
  await writeFile(path.join(cwd, 'out', 'part-0.csv'), 'x,h\n1,previous\n');
  await writeFile(path.join(cwd, 'out', 'part-1.csv'), 'x,h\n2,previous\n');
  const before = await snapshot(path.join(cwd, 'out'));
  const ac = new AbortController();
  let written = false;
  const r = await runYaml(
    [
      'sources: []',
      `stages: [[{ name: result, query: "SELECT x, md5(x::VARCHAR) AS h, repeat('y', 40) AS pad FROM range(10000000) r(x)" }]]`,
      dest('csv', false),
    ].join('\n'),
    {
      cwd,
      signal: ac.signal,
      // Cancelled once the new dataset's first file has data in it.
      onProgress: (_p, ev) => {
        if (ev.type !== 'stage_completed') return;
        const poll = async () => {
          const files = (await temporaries(cwd)).filter((f) => f.endsWith('.csv'));
          const sizes = await Promise.all(files.map((f) => readFile(path.join(cwd, f)).then((b) => b.length, () => 0)));
          if (sizes.some((s) => s > 0)) {
            written = true;
            ac.abort();
          } else setTimeout(() => void poll(), 5);
        };
        void poll();
      },
    },
  );
  assert.equal(r.outcome.status, 'cancelled');
  assert.ok(written, 'the write had begun');
  assert.deepEqual(await snapshot(path.join(cwd, 'out')), before);
  assert.deepEqual(await temporaries(cwd), []);
  assert.deepEqual(await readdir(cwd), ['out']);
});

test('`aqueducts run` killed with SIGKILL while writing a directory: the next run removes its temporary output, the previous dataset is byte for byte as it was', async () => {
  const cwd = await realpath(await tempDir('aq-dirkill-'));
  // The CLI's spill root is under TMPDIR: one of this test's own.
  const tmp = path.join(cwd, 'tmp');
  await mkdir(tmp);
  const env = { ...process.env, TMPDIR: tmp };
  const run = (file: string) => spawn(process.execPath, [CLI_BIN, 'run', '--file', file], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exit = (child: ReturnType<typeof run>) => new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  await writeFile(path.join(cwd, 'first.yml'), pipeline(1000, false, 'parquet'));
  const first = run('first.yml');
  assert.equal(await exit(first), 0);
  const before = await snapshot(path.join(cwd, 'out'));

  await writeFile(path.join(cwd, 'big.yml'), pipeline(20_000_000, false, 'parquet'));
  const big = run('big.yml');
  const killed = exit(big);
  // Killed once the new dataset has a file in its temporary folder.
  for (;;) {
    if ((await temporaries(cwd)).some((f) => f.endsWith('.parquet'))) break;
    if (big.exitCode !== null) assert.fail(`the run ended (${big.exitCode}) before it was killed`);
    await new Promise((r) => setTimeout(r, 5));
  }
  big.kill('SIGKILL');
  await killed;
  assert.notDeepEqual(await temporaries(cwd), [], 'the killed run left its temporary output');
  assert.equal((await readdir(path.join(tmp, 'aqueducts-spill'))).length, 1, 'and its spill directory, with its journal');

  // Any next run cleans up first.
  await writeFile(path.join(cwd, 'other.yml'), 'sources: []\nstages: [[{ name: s, query: "SELECT 1 AS a" }]]\n');
  assert.equal(await exit(run('other.yml')), 0);
  assert.deepEqual(await temporaries(cwd), []);
  assert.deepEqual(await readdir(path.join(tmp, 'aqueducts-spill')), []);
  assert.deepEqual(await snapshot(path.join(cwd, 'out')), before);
});
