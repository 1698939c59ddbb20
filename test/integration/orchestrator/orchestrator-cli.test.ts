/**
 * The real `aqueducts` CLI (dist/) against the real orchestrator, unchanged: `run --executor` and
 * `cancel --executor` reach a SCRIPTED executor peer (test/support/orchestrator.ts) through it.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CLI_BIN, Client } from '../../support/executor.js';
import { REPO } from '../../support/paths.js';
import {
  CLIENT_KEY, ScriptedExecutor, startOrchestrator, successScript, type OrchestratorProcess,
} from '../../support/orchestrator.js';

let orch: OrchestratorProcess;
const started = startOrchestrator(['--executor-lost-grace', '2']).then((o) => (orch = o));
after(async () => { await orch?.stop(); });

const uuid = (n: number) => `00000000-0000-4000-a000-${String(n).padStart(12, '0')}`;

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI_BIN, ...args], { cwd: REPO, env: { ...process.env, AQUEDUCTS_API_KEY: CLIENT_KEY }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d; });
    p.stderr.on('data', (d: Buffer) => { stderr += d; });
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function pipelineFile(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aq-orch-cli-'));
  const file = path.join(dir, 'pipeline.yml');
  await writeFile(file, `sources:
  - type: file
    name: readings
    format: { type: csv, options: {} }
    location: ./data/readings_\${month}.csv
stages: [[{ name: daily, query: "SELECT * FROM readings", show: 0 }]]
`);
  return file;
}

test('aqueducts run --executor <orchestrator> runs on the executor it is dispatched to and prints what a local run prints', async () => {
  await started;
  const ex = await ScriptedExecutor.register(orch.executorUrl, uuid(1));
  const file = await pipelineFile();
  const address = orch.url.replace(/^http:\/\//, '');
  const running = cli(['run', '--executor', address, '--file', file, '-p', 'month=jan']);
  const req = await ex.request(0);
  const sources = (req.pipeline as { sources: Array<{ location: string }> }).sources;
  assert.equal(sources[0]!.location, './data/readings_jan.csv', 'relative paths travel as written, for the executor to resolve');
  ex.play(successScript(req.execution_id));
  const { code, stdout, stderr } = await running;
  assert.equal(code, 0, stderr);
  assert.match(stdout, /📋 Table Data: daily/);
  assert.match(stdout, /\| 7 \|/);
  assert.match(stderr, new RegExp(req.execution_id));
  assert.match(stderr, /a warning from the run/);
  const record = await (await fetch(`${orch.url}/api/executions/${req.execution_id}`, { headers: { 'X-API-Key': CLIENT_KEY } })).json() as Record<string, unknown>;
  assert.equal(record.state, 'succeeded');
  assert.equal(record.executor_id, uuid(1));
  ex.close();
});

test('aqueducts cancel --executor <orchestrator> is routed to the executor running the execution', async () => {
  await started;
  const ex = await ScriptedExecutor.register(orch.executorUrl, uuid(2));
  const submitter = await Client.connect(orch.wsUrl, { key: CLIENT_KEY });
  const id = uuid(201);
  submitter.send({ type: 'execution_request', pipeline: { version: 'v2', sources: [], stages: [], destination: null }, execution_id: id });
  await ex.request(0);
  ex.send({ type: 'execution_response', execution_id: id });
  const cancelling = cli(['cancel', '--executor', orch.url, '--execution-id', id]);
  await ex.until((fs) => fs.some((f) => f.type === 'cancel_request' && f.execution_id === id));
  ex.send({ type: 'cancel_response', execution_id: id });
  const { code, stderr } = await cancelling;
  assert.equal(code, 0, stderr);
  assert.equal((await submitter.terminal(id)).type, 'cancel_response');
  submitter.close();
  ex.close();
});

test('aqueducts run through the orchestrator when the executor is lost: a clear failure, exit 1', async () => {
  await started;
  const ex = await ScriptedExecutor.register(orch.executorUrl, uuid(3));
  const file = await pipelineFile();
  const running = cli(['run', '--executor', orch.url, '--file', file, '-p', 'month=feb']);
  const req = await ex.request(0);
  ex.play(successScript(req.execution_id).slice(0, 2));
  // cut once the orchestrator has the run under way (a debug line; RUST_LOG is debug)
  await orch.waitForLog((l) => l.msg === 'execution state' && l.execution_id === req.execution_id && l.to === 'running', 30_000);
  ex.terminate();
  const { code, stderr } = await running;
  assert.equal(code, 1);
  assert.match(stderr, /was lost: it did not reconnect within 2 s/);
});
