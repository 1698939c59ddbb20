/** Helpers for tests that run real pipelines on the real engine. */
import { mkdtemp, cp, chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { loadPipelineText } from '../../src/pipeline/load.js';
import { runPipeline, type RunOutcome, type RunPipelineOptions } from '../../src/run/run-pipeline.js';
import type { ProgressEvent, StageOutput } from '../../src/core/run-events.js';

export { REPO, FIXTURES } from './paths.js';

export async function tempDir(prefix = 'aq-test-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

/** A writable copy of a fixture folder. */
export async function copyFixture(from: string, to: string): Promise<void> {
  await cp(from, to, { recursive: true });
  await chmod(to, 0o755);
}

export interface RunRecord {
  outcome: RunOutcome;
  progress: Array<{ progress: number; event: ProgressEvent }>;
  outputs: StageOutput[];
}

export async function runYaml(
  yaml: string,
  opts: { cwd: string; params?: Record<string, string> } & Partial<RunPipelineOptions>,
): Promise<RunRecord> {
  const { pipeline } = loadPipelineText(yaml, 'yaml', opts.params ?? {}, { cwd: opts.cwd });
  const progress: RunRecord['progress'] = [];
  const outputs: StageOutput[] = [];
  const outcome = await runPipeline({
    ...opts,
    pipeline,
    onProgress: (p, e) => { progress.push({ progress: p, event: e }); opts.onProgress?.(p, e); },
    onStageOutput: (o) => { outputs.push(o); opts.onStageOutput?.(o); },
  });
  return { outcome, progress, outputs };
}

/** Runs a query on a fresh DuckDB (UTC) and returns rows as JS values. */
export async function query(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const c = await instance.connect();
    await c.run("SET TimeZone = 'UTC'");
    const r = await c.runAndReadAll(sql);
    const rows = r.getRowObjectsJS();
    c.closeSync();
    return rows as Record<string, unknown>[];
  } finally {
    instance.closeSync();
  }
}

export function assertSucceeded(r: RunRecord): void {
  if (r.outcome.status !== 'succeeded') {
    const detail = r.outcome.status === 'failed' ? `${r.outcome.error.code}: ${r.outcome.error.message}` : 'cancelled';
    throw new Error(`run did not succeed: ${detail}`);
  }
}
