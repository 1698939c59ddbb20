/**
 * `aqueducts run`: runs a pipeline locally, or on a remote executor with `--executor`. Each way
 * imports its own code when it is chosen: a remote run loads no engine, a local run no WebSocket
 * client.
 */
import { loadForCli, printError } from './load-pipeline.js';
import { ExitCode, type CliIo } from './io.js';
import { messages, progressLine, stageOutputText } from './messages.js';
import type { RemoteFlags } from './remote/target.js';

export interface RunOptions {
  file: string;
  param: string[];
  maxMemory?: number;
}

/** Every flag of `aqueducts run`. */
export interface RunFlags extends RunOptions, RemoteFlags {}

/** Chooses the local or the remote run from the flags. */
export async function runCommand(flags: RunFlags, io: CliIo, signal?: AbortSignal, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (flags.executor !== undefined) {
    const { remoteRunAction } = await import('./remote/remote-run.command.js');
    return remoteRunAction(flags, io, signal, env);
  }
  if (flags.apiKey !== undefined || flags.caCert !== undefined) {
    io.err(messages.usage('--api-key and --ca-cert only apply with --executor'));
    return ExitCode.usage;
  }
  return runAction(flags, io, signal);
}

export async function runAction(opts: RunOptions, io: CliIo, signal?: AbortSignal): Promise<number> {
  const loaded = await loadForCli(opts.file, opts.param, io);
  if (!loaded) return ExitCode.failed;
  const [{ runPipeline }, { removeLeftovers }, { DEFAULT_SPILL_ROOT }] = await Promise.all([
    import('../run/run-pipeline.js'),
    import('../run/leftovers.js'),
    import('../engine/session.js'),
  ]);
  await removeLeftovers(DEFAULT_SPILL_ROOT);
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
      printError(io, messages.failed(outcome.error.message), outcome.error);
      return ExitCode.failed;
  }
}
