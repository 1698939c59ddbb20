/** `aqueducts run`: runs a pipeline locally (remote execution arrives with the executor). */
import { formatDiagnostic, toExecutorError } from '../errors.js';
import { loadPipelineFile, parseParams } from '../pipeline/load.js';
import { runPipeline } from '../engine/run-pipeline.js';
import { ExitCode, type CliIo } from './io.js';
import { messages, progressLine, stageOutputText } from './messages.js';

export interface RunOptions {
  file: string;
  param: string[];
  maxMemory?: number;
}

export async function runAction(opts: RunOptions, io: CliIo, signal?: AbortSignal): Promise<number> {
  let loaded;
  try {
    loaded = await loadPipelineFile(opts.file, parseParams(opts.param), { cwd: process.cwd() });
  } catch (e) {
    const err = toExecutorError(e, 'AQ_INVALID_PIPELINE');
    io.err(messages.failed(err.message));
    for (const d of err.diagnostics) io.err(`  ${formatDiagnostic(d)}`);
    return ExitCode.failed;
  }
  for (const w of loaded.warnings) io.err(messages.warning(formatDiagnostic(w)));
  const outcome = await runPipeline({
    pipeline: loaded.pipeline,
    memoryLimitGb: opts.maxMemory,
    signal,
    onProgress: (p, e) => io.err(progressLine(p, e)),
    onStageOutput: (o) => io.out(stageOutputText(o)),
    onLog: (level, message) => { if (level === 'warn' || level === 'error') io.err(messages.warning(message)); },
  });
  switch (outcome.status) {
    case 'succeeded':
      return ExitCode.ok;
    case 'cancelled':
      io.err(messages.cancelled);
      return ExitCode.cancelled;
    case 'failed':
      io.err(messages.failed(outcome.error.message));
      for (const d of outcome.error.diagnostics) io.err(`  ${formatDiagnostic(d)}`);
      return ExitCode.failed;
  }
}
