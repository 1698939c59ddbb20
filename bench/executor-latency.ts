/**
 * Executor latency benchmark: the time a client on the same machine waits for a trivial pipeline
 * (one stage `SELECT 1 AS x`, no sources, no destination) to run on a real executor, from sending
 * `execution_request` to receiving `execution_succeeded`, over sequential runs on one connection.
 *
 *   node --import tsx bench/executor-latency.ts [--runs=200] [--warmup=20] [--gap=<ms>] [--json] [--executor=<file>]
 *
 * Starts the built executor (dist/, so run `npm run build` first) on 127.0.0.1:0 with its own
 * temporary data root and spill directory, at log level info, and stops it at the end. The
 * baseline, in the same run just before the runs: the protocol's round trip without a run (a
 * `cancel_request` for an unknown execution, answered at once with `execution_error`), as many
 * times as there are runs.
 * Prints p50, p99, runs per second (sequential runs: the runs divided by the sum of their times)
 * and whether the target (p50 under 25 ms) is met; with `--json`, the last line is one JSON object
 * `{ "p50Ms", "p99Ms", "runsPerSecond", "roundTripP50Ms" }` for another program to read.
 * `--gap` makes the client wait that many milliseconds before each run (runs per second then
 * still counts only the runs' own times). `--executor` runs another build's `dist/src/cli/aqueducts-executor.js` instead, to compare two
 * builds on the same machine at the same time.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';

const REPO = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const EXECUTOR_BIN = path.resolve(/^--executor=(.+)$/.exec(args.find((a) => a.startsWith('--executor=')) ?? '')?.[1] ?? path.join(REPO, 'dist/src/cli/aqueducts-executor.js'));
const API_KEY = 'bench-latency-key';
const TARGET_P50_MS = 25;

function option(name: string, fallback: number): number {
  const raw = /^--[a-z]+=(.+)$/.exec(args.find((a) => a.startsWith(`--${name}=`)) ?? '')?.[1];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return value;
}
const RUNS = option('runs', 200);
const WARMUP = option('warmup', 20);
/** Milliseconds the client waits between runs (0: back to back). */
const GAP = args.some((a) => a.startsWith('--gap=')) ? option('gap', 1) : 0;
const JSON_OUTPUT = args.includes('--json');

const PIPELINE = {
  version: 'v2',
  sources: [],
  stages: [[{ name: 'one', query: 'SELECT 1 AS x' }]],
};

interface Executor {
  wsUrl: string;
  stop(): Promise<void>;
}

async function startExecutor(root: string): Promise<Executor> {
  const proc = spawn(process.execPath, [EXECUTOR_BIN, '--bind-address', '127.0.0.1:0', '--data-root', root, '--spill-dir', path.join(root, 'spill')], {
    cwd: root,
    env: { ...process.env, API_KEY, RUST_LOG: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => { stderr = (stderr + String(d)).slice(-4000); });
  const exited = once(proc, 'exit');
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += String(d);
      const m = /aqueducts-executor listening on (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    void exited.then(() => reject(new Error(`the executor exited before listening: ${stderr}`)));
  });
  return {
    wsUrl: `${url.replace(/^http/, 'ws')}/ws/connect`,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        await exited;
      }
    },
  };
}

/** Sends one execution_request and resolves with the milliseconds until execution_succeeded. */
function timeOneRun(ws: WebSocket): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const onMessage = (raw: WebSocket.RawData) => {
      const m = JSON.parse(String(raw)) as { type: string; error?: string };
      if (m.type === 'execution_succeeded') {
        ws.off('message', onMessage);
        resolve(performance.now() - started);
      } else if (m.type === 'execution_error' || m.type === 'cancel_response') {
        ws.off('message', onMessage);
        reject(new Error(`the run did not succeed: ${JSON.stringify(m)}`));
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ type: 'execution_request', pipeline: PIPELINE }));
  });
}

/** Sends a cancel_request for an execution the executor does not know; resolves with the milliseconds until its answer. */
function timeOneRoundTrip(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => {
    const id = randomUUID();
    const started = performance.now();
    const onMessage = (raw: WebSocket.RawData) => {
      const m = JSON.parse(String(raw)) as { type: string; execution_id?: string };
      if (m.type === 'execution_error' && m.execution_id === id) {
        ws.off('message', onMessage);
        resolve(performance.now() - started);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ type: 'cancel_request', execution_id: id }));
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'aq-bench-latency-'));
  const executor = await startExecutor(root);
  try {
    const ws = new WebSocket(executor.wsUrl, { headers: { 'X-API-Key': API_KEY } });
    await once(ws, 'open');
    for (let i = 0; i < WARMUP; i++) await timeOneRun(ws);
    const loadBefore = os.loadavg()[0]!;
    const times: number[] = [];
    const roundTrips: number[] = [];
    // Not interleaved with the runs: a request that follows a run waits while the executor closes
    // that run's instance, which belongs to the runs' figures, not to the baseline's.
    for (let i = 0; i < RUNS; i++) roundTrips.push(await timeOneRoundTrip(ws));
    for (let i = 0; i < RUNS; i++) {
      if (GAP > 0) await new Promise((resolve) => setTimeout(resolve, GAP));
      times.push(await timeOneRun(ws));
    }
    ws.close();
    const seconds = times.reduce((a, b) => a + b, 0) / 1000;
    times.sort((a, b) => a - b);
    roundTrips.sort((a, b) => a - b);
    const result = {
      p50Ms: round(percentile(times, 50)),
      p99Ms: round(percentile(times, 99)),
      runsPerSecond: round(RUNS / seconds),
      roundTripP50Ms: round(percentile(roundTrips, 50)),
    };
    const load = `load average ${loadBefore.toFixed(2)} before, ${os.loadavg()[0]!.toFixed(2)} after`;
    const spacing = GAP > 0 ? `, ${GAP} ms apart` : ', back to back';
    console.log(`executor latency, ${RUNS} sequential runs of SELECT 1 AS x${spacing}, after ${WARMUP} warm-up runs (${os.cpus().length} cores, ${load})`);
    console.log(`run: p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, ${result.runsPerSecond} runs/s`);
    console.log(`baseline, protocol round trip without a run: p50 ${result.roundTripP50Ms} ms, p99 ${round(percentile(roundTrips, 99))} ms`);
    console.log(`target p50 < ${TARGET_P50_MS} ms: ${result.p50Ms < TARGET_P50_MS ? 'met' : 'not met'}`);
    if (JSON_OUTPUT) console.log(JSON.stringify(result));
  } finally {
    await executor.stop();
    await rm(root, { recursive: true, force: true });
  }
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
