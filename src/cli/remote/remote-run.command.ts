/**
 * `aqueducts run --executor`: loads and renders the pipeline here, sends it to an executor and
 * prints what a local run prints. Relative paths in locations are sent as written: the executor
 * resolves them against its own directory, since it cannot see this machine's disk.
 *
 * Session: connecting → submitted → accepted (execution_response) → one terminal message. Ctrl+C
 * (the signal) sends `cancel_request` once the execution id is known and waits for the answer.
 */
import { randomUUID } from 'node:crypto';
import { loadForCli } from '../load-pipeline.js';
import type { ExecutorMessage } from '../../protocol/messages.js';
import { ExitCode, type CliIo } from '../io.js';
import { messages, progressLine, remoteMessages, stageOutputText } from '../messages.js';
import { type ExecutorConnection, connectToExecutor } from './connection.js';
import { displayUrl } from './executor-url.js';
import { reportSetupError } from './report.js';
import { StageOutputAssembler } from './stage-output.js';
import { DEFAULT_TUNING, type ExecutorTarget, type RemoteFlags, type RemoteTuning, executorTarget } from './target.js';
import { UsageError } from './usage-error.js';
import { cancelRequestFrame, executionRequestFrame } from '../../protocol/wire.js';

export interface RemoteRunOptions extends RemoteFlags {
  file: string;
  param: string[];
  /** Local runs only; refused here. */
  maxMemory?: number;
}

export async function remoteRunAction(
  opts: RemoteRunOptions, io: CliIo, signal?: AbortSignal,
  env: NodeJS.ProcessEnv = process.env, tuning: Partial<RemoteTuning> = {},
): Promise<number> {
  let target: ExecutorTarget;
  try {
    if (opts.maxMemory !== undefined) {
      throw new UsageError('--max-memory only applies to local runs; the executor sets its own memory limit');
    }
    target = await executorTarget(opts, env);
  } catch (e) {
    return reportSetupError(io, opts.executor ?? '', e);
  }
  // Relative paths stay relative: the executor resolves them against its data root.
  const loaded = await loadForCli(opts.file, opts.param, io, { relativeLocations: 'keep' });
  if (!loaded) return ExitCode.failed;
  const executionId = randomUUID();
  return followExecution(target, executionRequestFrame(loaded.pipeline, executionId), executionId, io,
    { ...DEFAULT_TUNING, ...tuning }, signal);
}

/** Submits the request and follows the execution to its terminal message; resolves to the exit code. */
function followExecution(
  target: ExecutorTarget, request: string, requestedId: string, io: CliIo, tuning: RemoteTuning, signal?: AbortSignal,
): Promise<number> {
  const url = displayUrl(target.url);
  return new Promise<number>((resolve) => {
    let connection: ExecutorConnection | undefined;
    /** Ours until the executor answers with its own (a v1 executor chooses the id). */
    let executionId = requestedId;
    let accepted = false;
    let cancelRequested = false;
    let cancelSent = false;
    let cancelTimer: NodeJS.Timeout | undefined;
    let done = false;
    const outputs = new StageOutputAssembler();

    const finish = (code: number, line?: string) => {
      if (done) return;
      done = true;
      clearTimeout(cancelTimer);
      signal?.removeEventListener('abort', onAbort);
      if (line !== undefined) io.err(line);
      void (connection?.close() ?? Promise.resolve()).then(() => resolve(code));
    };

    const sendCancel = () => {
      if (cancelSent || !connection) return;
      cancelSent = true;
      connection.send(cancelRequestFrame(executionId));
    };

    function onAbort(): void {
      if (done || cancelRequested || !connection) return; // while connecting, connectToExecutor aborts
      cancelRequested = true;
      cancelTimer = setTimeout(
        () => finish(ExitCode.cancelled, remoteMessages.cancelUnanswered(executionId, tuning.cancelTimeoutMs / 1000)),
        tuning.cancelTimeoutMs,
      );
      if (accepted) sendCancel();
    }

    const onMessage = (m: ExecutorMessage) => {
      if (done) return;
      if (m.type === 'execution_response' && !accepted) {
        accepted = true;
        executionId = m.execution_id;
        io.err(remoteMessages.executionId(executionId));
        if (cancelRequested) sendCancel();
        return;
      }
      // Once accepted, messages about any other execution are not ours.
      if (accepted && 'execution_id' in m && m.type !== 'executor_status' && m.execution_id !== executionId) return;
      switch (m.type) {
        case 'queue_position': io.err(remoteMessages.queued(m.position)); return;
        case 'progress_update': io.err(progressLine(m.progress, m.event)); return;
        case 'stage_output': {
          const output = outputs.accept(m.stage_name, m.payload);
          if (output) io.out(stageOutputText(output));
          return;
        }
        case 'log': io.err(remoteMessages.log(m.level, m.message)); return;
        case 'execution_succeeded': finish(ExitCode.ok); return;
        case 'execution_error': finish(ExitCode.failed, messages.failed(m.message)); return;
        case 'cancel_response': finish(ExitCode.cancelled, messages.cancelled); return;
        case 'protocol_error':
          if (!accepted) finish(ExitCode.failed, remoteMessages.requestNotUnderstood(m.message));
          else io.err(messages.warning(m.message));
          return;
        case 'execution_response': case 'stage_progress': case 'executor_status':
          return;
      }
    };

    signal?.addEventListener('abort', onAbort, { once: true });
    connectToExecutor(target, tuning, {
      message: onMessage,
      invalid: (reason) => { if (!done) io.err(remoteMessages.ignoredFrame(reason)); },
      closed: (code, reason) => finish(ExitCode.failed, code === 1009
        ? remoteMessages.messageTooBig(url)
        : remoteMessages.lostConnection(url, code, reason, executionId)),
    }, signal).then(
      (c) => {
        connection = c;
        if (done) {
          void c.close();
          return;
        }
        if (signal?.aborted) {
          finish(ExitCode.cancelled, messages.cancelled); // aborted as the socket opened: nothing was sent
          return;
        }
        c.send(request);
      },
      (e: unknown) => {
        finish(reportSetupError(io, url, e));
      },
    );
  });
}
