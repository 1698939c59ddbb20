/**
 * Start-up benchmark: the wall time of the built programs (dist/) run as whole processes, from
 * spawn to exit, against `node -e ""` (Node.js starting and doing nothing) in the same run:
 *
 * - `aqueducts --version` and `aqueducts --help`: the CLI and its argument parser, nothing else;
 * - `aqueducts validate -f examples/weather.yml -p month=jan -p year=2024`: loading, decoding and
 *   checking the example pipeline, including its stage SQL in an engine instance;
 * - `aqueducts-executor --version`: the executor's configuration and logger.
 *
 * Each round runs every command once, in an order rotated every round, so the commands share the
 * machine's noise. Prints the median and the 90th percentile of the wall time of each, what each
 * adds to the baseline, the median CPU time (user + system, every thread; reported by the process
 * itself at exit, and steadier than wall time when other jobs share the machine), and whether the
 * targets hold (`--version` and `validate` under 0.25 s wall time, median).
 *
 *   npm run build && node --import tsx bench/startup.ts [--rounds=20] [--repo=<another built checkout>] [--json]
 *
 * With `--json`, the last line is one JSON object for another program (bench/pipelines.ts) to read:
 * `{ "<command>": <median wall ms>, ..., "targetsMet": true|false }`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const flag = (name: string) => /^--[^=]+=(.*)$/.exec(args.find((a) => a.startsWith(`--${name}=`)) ?? '')?.[1];
/** The checkout whose built programs are timed: this one, or `--repo=<dir>` (e.g. an earlier commit, built, to compare). */
const REPO = path.resolve(flag('repo') ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..'));
const ROUNDS = Number(flag('rounds') ?? 20);
const JSON_OUTPUT = args.includes('--json');
/** The start-up targets: wall time, median, in seconds. */
const TARGET_S = 0.25;

interface Case {
  label: string;
  args: string[];
  target: boolean;
}

const cli = (file: string) => path.join(REPO, 'dist/src/cli', file);
const CASES: Case[] = [
  { label: 'node -e ""', args: ['-e', ''], target: false },
  { label: 'aqueducts --version', args: [cli('aqueducts.js'), '--version'], target: true },
  { label: 'aqueducts --help', args: [cli('aqueducts.js'), '--help'], target: false },
  { label: 'aqueducts validate examples/weather.yml', args: [cli('aqueducts.js'), 'validate', '-f', 'examples/weather.yml', '-p', 'month=jan', '-p', 'year=2024'], target: true },
  { label: 'aqueducts-executor --version', args: [cli('aqueducts-executor.js'), '--version'], target: false },
];

/**
 * Imported into each process: at exit, writes the CPU time of all its threads (user + system)
 * as the last line of stderr. Less sensitive than wall time to other jobs on the machine.
 */
const CPU_REPORT = `--import=data:text/javascript,${encodeURIComponent(
  "process.on('exit', () => { const u = process.cpuUsage(); process.stderr.write('\\ncpu-us ' + (u.user + u.system) + '\\n'); });",
)}`;

interface Sample { wall: number; cpu: number }

/** Seconds from spawn to exit, and CPU seconds; throws if the command fails, so a broken build is not timed. */
function timeOnce(c: Case): Sample {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CPU_REPORT, ...c.args], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${c.label} exited with ${r.status ?? r.signal}: ${String(r.stderr)}`);
  const cpu = /cpu-us (\d+)\s*$/.exec(String(r.stderr));
  if (!cpu) throw new Error(`${c.label} did not report its CPU time`);
  return { wall, cpu: Number(cpu[1]) / 1e6 };
}

function quantile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

const ms = (s: number) => `${(s * 1000).toFixed(0)} ms`;
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

function main(): void {
  if (!existsSync(cli('aqueducts.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error('--rounds must be a whole number ≥ 1');
  const cpus = os.cpus();
  console.log(`${REPO}: Node ${process.version}, ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${ROUNDS} rounds`);
  console.log(`load average (1, 5, 15 min) before: ${load()}`);
  for (const c of CASES) timeOnce(c); // warm the file cache; not counted
  const times = new Map<Case, Sample[]>(CASES.map((c) => [c, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < CASES.length; i++) {
      const c = CASES[(i + round) % CASES.length]!;
      times.get(c)!.push(timeOnce(c));
    }
  }
  console.log(`load average (1, 5, 15 min) after:  ${load()}\n`);
  const sorted = (c: Case, k: keyof Sample) => times.get(c)!.map((s) => s[k]).sort((a, b) => a - b);
  const baseWall = quantile(sorted(CASES[0]!, 'wall'), 0.5);
  const baseCpu = quantile(sorted(CASES[0]!, 'cpu'), 0.5);
  console.log('| command | wall, median | wall, p90 | wall above `node -e ""` | CPU, median | CPU above `node -e ""` | target (wall, median) |');
  console.log('|---|---:|---:|---:|---:|---:|---|');
  let missed = 0;
  const medians: Record<string, number | boolean> = {};
  for (const c of CASES) {
    const wall = sorted(c, 'wall');
    const cpu = quantile(sorted(c, 'cpu'), 0.5);
    const median = quantile(wall, 0.5);
    medians[c.label] = Math.round(median * 10_000) / 10;
    const met = median < TARGET_S;
    if (c.target && !met) missed++;
    const target = c.target ? `< ${ms(TARGET_S)}: ${met ? 'met' : 'NOT met'}` : '';
    const above = (x: number) => (c === CASES[0] ? '' : `+${ms(x)}`);
    console.log(`| \`${c.label}\` | ${ms(median)} | ${ms(quantile(wall, 0.9))} | ${above(median - baseWall)} | ${ms(cpu)} | ${above(cpu - baseCpu)} | ${target} |`);
  }
  console.log(missed === 0 ? '\nEvery target is met.' : `\n${missed} target(s) not met.`);
  if (JSON_OUTPUT) console.log(JSON.stringify({ ...medians, targetsMet: missed === 0 }));
}

main();
