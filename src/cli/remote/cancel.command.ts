/**
 * `aqueducts cancel`: asks an executor to cancel one execution (queued or running) and prints the
 * answer. Any authenticated connection may cancel any execution (docs/protocol.md); messages about
 * other executions on this connection are ignored.
 */
import { isUuid } from '../../core/ids.js';
import type { ExecutorMessage } from '../../protocol/messages.js';
import { ExitCode, type CliIo } from '../io.js';
import { remoteMessages } from '../messages.js';
import { type ExecutorConnection, connectToExecutor } from './connection.js';
import { displayUrl } from './executor-url.js';
import { reportSetupError } from './report.js';
import { DEFAULT_TUNING, type ExecutorTarget, type RemoteFlags, type RemoteTuning, executorTarget } from './target.js';
import { UsageError } from './usage-error.js';
import { cancelRequestFrame } from '../../protocol/wire.js';

export interface CancelOptions extends RemoteFlags {
  executionId: string;
}

export async function cancelAction(
  opts: CancelOptions, io: CliIo, env: NodeJS.ProcessEnv = process.env, tuning: Partial<RemoteTuning> = {},
): Promise<number> {
  const t = { ...DEFAULT_TUNING, ...tuning };
  let target: ExecutorTarget;
  let id: string;
  try {
    if (!isUuid(opts.executionId.trim())) {
      throw new UsageError(`--execution-id ${JSON.stringify(opts.executionId)} is not a UUID (as printed by "Execution id: ...")`);
    }
    id = opts.executionId.trim().toLowerCase();
    target = await executorTarget(opts, env);
  } catch (e) {
    return reportSetupError(io, opts.executor ?? '', e);
  }
  const url = displayUrl(target.url);

  return new Promise<number>((resolve) => {
    let connection: ExecutorConnection | undefined;
    let done = false;
    let timer: NodeJS.Timeout | undefined;

    const finish = (code: number, line?: { out?: string; err?: string }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (line?.out !== undefined) io.out(line.out);
      if (line?.err !== undefined) io.err(line.err);
      void (connection?.close() ?? Promise.resolve()).then(() => resolve(code));
    };

    const onMessage = (m: ExecutorMessage) => {
      const about = 'execution_id' in m && typeof m.execution_id === 'string' ? m.execution_id.toLowerCase() : null;
      if (m.type === 'cancel_response' && about === id) finish(ExitCode.ok, { out: remoteMessages.cancelledById(id) });
      else if (m.type === 'execution_error' && about === id) finish(ExitCode.failed, { err: remoteMessages.cannotCancel(id, m.message) });
      else if (m.type === 'protocol_error') finish(ExitCode.failed, { err: remoteMessages.requestNotUnderstood(m.message) });
    };

    connectToExecutor(target, t, {
      message: onMessage,
      invalid: (reason) => { if (!done) io.err(remoteMessages.ignoredFrame(reason)); },
      closed: (code, reason) => finish(ExitCode.failed, { err: remoteMessages.cancelLostConnection(url, code, reason, id) }),
    }).then(
      (c) => {
        connection = c;
        if (done) {
          void c.close();
          return;
        }
        timer = setTimeout(
          () => finish(ExitCode.failed, { err: remoteMessages.cancelTimedOut(url, id, t.answerTimeoutMs / 1000) }),
          t.answerTimeoutMs,
        );
        c.send(cancelRequestFrame(id));
      },
      (e: unknown) => finish(reportSetupError(io, url, e)),
    );
  });
}
