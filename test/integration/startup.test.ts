/**
 * What the built programs load, and when (docs/architecture.md, "Start-up"): a command loads only
 * what it needs. No cloud SDK, server framework or ODBC module is loaded by `--version`, `--help`,
 * `validate` or a local run; the executor and the orchestrator load no SDK until a run uses a
 * store; a run reading from S3 loads the S3 SDK and only it. Each program runs as a real process
 * with test/support/load-recorder.mjs recording every module it loads; nothing here is timed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { REPO, tempDir } from '../support/engine.js';
import { API_KEY, CLI_BIN, Client, EXECUTOR_BIN, startExecutor } from '../support/executor.js';
import { ORCHESTRATOR_BIN, startOrchestrator } from '../support/orchestrator.js';
import { startS3, type S3Emulator } from '../support/emulators.js';
import { matching, recordLoads } from '../support/loaded-modules.js';
import { loadPipelineText } from '../../src/pipeline/load.js';
import { serializeAqueduct } from '../../src/pipeline/serialize.js';

const CLOUD = ['@aws-sdk/', '@smithy/', '@google-cloud/', 'google-auth-library', 'gaxios', '@azure/'];
const SERVER = ['fastify', 'ws'];
const ODBC = ['odbc'];
const ENGINE = ['@duckdb/'];

interface Result { code: number | null; stdout: string; stderr: string; packages: Set<string>; files: string[]; imported: string[] }

async function runRecorded(bin: string, args: string[], cwd = REPO): Promise<Result> {
  const rec = await recordLoads();
  const { code, stdout, stderr } = await new Promise<Omit<Result, 'packages' | 'files' | 'imported'>>((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, env: { ...process.env, ...rec.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c, stdout: out, stderr: err }));
  });
  return { code, stdout, stderr, packages: await rec.packages(), files: await rec.files(), imported: await rec.imported() };
}

function assertNone(r: Result, groups: string[][], what: string): void {
  assert.deepEqual(matching(r.packages, groups.flat()), [], `${what} loaded these`);
}

const wire = (yaml: string): unknown => JSON.parse(serializeAqueduct(loadPipelineText(yaml, 'yaml', {}, { cwd: '/tmp' }).pipeline));

let s3: S3Emulator;

before(async () => {
  s3 = await startS3();
  await s3.createBucket('startup');
  await s3.put('startup', 'in/a.csv', 'x,y\n1,a\n2,b\n');
});

after(async () => {
  await s3?.stop();
});

for (const flag of ['--version', '--help']) {
  test(`aqueducts ${flag} loads only the CLI: no engine, SDK, server framework or ODBC`, async () => {
    const r = await runRecorded(CLI_BIN, [flag]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.packages.has('commander'), 'the recorder saw the argument parser');
    assertNone(r, [CLOUD, SERVER, ODBC, ENGINE], `aqueducts ${flag}`);
  });
}

test('aqueducts validate of the example loads the engine, but no SDK, server framework or ODBC', async () => {
  const r = await runRecorded(CLI_BIN, ['validate', '-f', 'examples/weather.yml', '-p', 'month=jan', '-p', 'year=2024']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /✓ examples\/weather\.yml is a valid pipeline/);
  assert.ok(r.packages.has('@duckdb/node-bindings'), 'the stage SQL is checked by the engine');
  // through the bindings alone: of the engine's Node API, only the module of its type ids
  const api = r.files.filter((f) => f.includes('/node_modules/@duckdb/node-api/')).map((f) => path.basename(f));
  assert.deepEqual(api, ['DuckDBTypeId.js']);
  assertNone(r, [CLOUD, SERVER, ODBC], 'aqueducts validate');
});

test('a local run of the example loads no SDK, no server framework, no WebSocket client and no logger', async () => {
  const cwd = await tempDir();
  await cp(path.join(REPO, 'examples'), path.join(cwd, 'examples'), { recursive: true });
  const r = await runRecorded(CLI_BIN, ['run', '-f', 'examples/weather.yml', '-p', 'month=jan', '-p', 'year=2024'], cwd);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Pipeline execution completed/);
  assertNone(r, [CLOUD, SERVER, ODBC, ['pino']], 'a local run');
  // DuckDB's API is required (src/engine/duckdb.ts), never imported: an ESM import of the CommonJS
  // package first scans the ~180 modules its index re-exports, about 0.1 s of every start.
  assert.ok(r.files.some((f) => f.includes('/node_modules/@duckdb/node-api/')), 'the run did not load @duckdb/node-api');
  assert.deepEqual(r.imported.filter((f) => f.includes('/node_modules/@duckdb/node-api/')), [], 'imported rather than required');
});

test('a local run reading from S3 loads the S3 SDK, and neither the GCS nor the Azure SDK', async () => {
  const cwd = await tempDir();
  const config = Object.entries(s3.config).map(([k, v]) => `${k}: "${v}"`).join(', ');
  await writeFile(path.join(cwd, 'p.yml'), `sources:
  - { type: file, name: a, format: { type: csv, options: {} }, location: "s3://startup/in/a.csv", storage_config: { ${config} } }
stages: [[{ name: t, query: "SELECT sum(x) AS total FROM a", show: 1 }]]
`);
  const r = await runRecorded(CLI_BIN, ['run', '-f', 'p.yml'], cwd);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\b3\b/);
  assert.ok(r.packages.has('@aws-sdk/client-s3'), 'the S3 SDK was loaded');
  assertNone(r, [['@google-cloud/', 'google-auth-library', '@azure/'], SERVER, ODBC], 'a run on S3');
});

test('aqueducts-executor --version loads no engine, SDK, server framework or ODBC', async () => {
  const r = await runRecorded(EXECUTOR_BIN, ['--version']);
  assert.equal(r.code, 0, r.stderr);
  assertNone(r, [CLOUD, SERVER, ODBC, ENGINE], 'aqueducts-executor --version');
});

/** Runs pipelines on a real executor that records what it loads; stops it (SIGTERM) and returns the packages. */
async function executorRun(pipelines: string[], env: Record<string, string> = {}): Promise<Set<string>> {
  const rec = await recordLoads();
  const ex = await startExecutor([], { ...rec.env, ...env });
  try {
    const c = await Client.connect(ex.wsUrl, { key: API_KEY });
    for (const [i, yaml] of pipelines.entries()) {
      c.send({ type: 'execution_request', pipeline: wire(yaml) });
      const id = await c.responseId(i);
      const end = await c.terminal(id);
      assert.equal(end.type, 'execution_succeeded', JSON.stringify(end));
    }
    c.close();
    ex.proc.kill('SIGTERM');
    assert.equal(await ex.exited, 0);
    return await rec.packages();
  } finally {
    await ex.stop();
  }
}

test('the executor serves and runs a local pipeline without loading any SDK or ODBC', async () => {
  const packages = await executorRun(['sources: []\nstages: [[{ name: s, query: "SELECT 1 AS a" }]]\n']);
  assert.ok(packages.has('fastify') && packages.has('@duckdb/node-api'), 'the recorder saw the server and the engine');
  assert.deepEqual(matching(packages, [...CLOUD, ...ODBC]), []);
});

test('an executor run reading from S3 loads the S3 SDK, and neither the GCS nor the Azure SDK', async () => {
  const { AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL, AWS_REGION, AWS_ALLOW_HTTP } = s3.config;
  const packages = await executorRun(
    ['sources: [{ type: file, name: a, format: { type: csv, options: {} }, location: "s3://startup/in/a.csv" }]\nstages: [[{ name: t, query: "SELECT sum(x) AS total FROM a" }]]\n'],
    { AWS_ACCESS_KEY_ID: AWS_ACCESS_KEY_ID!, AWS_SECRET_ACCESS_KEY: AWS_SECRET_ACCESS_KEY!, AWS_ENDPOINT_URL: AWS_ENDPOINT_URL!, AWS_REGION: AWS_REGION!, AWS_ALLOW_HTTP: AWS_ALLOW_HTTP! },
  );
  assert.ok(packages.has('@aws-sdk/client-s3'), 'the S3 run loaded the S3 SDK');
  assert.deepEqual(matching(packages, ['@google-cloud/', 'google-auth-library', '@azure/', ...ODBC]), []);
});

test('the orchestrator starts and stops without loading the engine, any SDK or ODBC', async () => {
  const rec = await recordLoads();
  const orch = await startOrchestrator([], rec.env);
  await orch.waitForLog((l) => l.msg === 'listening'); // the signal handler is installed by then
  orch.proc.kill('SIGTERM');
  assert.equal(await orch.exited, 0);
  const packages = await rec.packages();
  assert.ok(packages.has('fastify'), 'the recorder saw the server');
  assert.deepEqual(matching(packages, [...CLOUD, ...ODBC, ...ENGINE]), []);
  const version = await runRecorded(ORCHESTRATOR_BIN, ['--version']);
  assert.equal(version.code, 0, version.stderr);
  assertNone(version, [CLOUD, SERVER, ODBC, ENGINE], 'aqueducts-orchestrator --version');
});
