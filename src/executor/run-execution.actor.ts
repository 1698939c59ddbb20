/**
 * The executor machine's `runExecution` actor: runs one pipeline on the engine and turns what it
 * reports into protocol messages for the machine to route. `cancel` aborts the run; the actor
 * reports `run.finished` only once the run has stopped and cleaned up.
 */
import { fromCallback } from 'xstate';
import type { ExecutionActorEvent, ExecutionInput, ExecutionOutcome } from '../../machines/executor.machine.js';
import { runPipeline } from '../run/run-pipeline.js';
import type { Logger } from '../core/log.js';
import { redactSecrets } from '../core/redact.js';
import { ErrorCodes, type ErrorCode } from '../core/errors.js';
import type { ExecutionErrorCode, ExecutorMessage } from '../protocol/messages.js';
import { stageOutputMessages } from '../protocol/stage-output.js';

export interface RunDeps {
  log: Logger;
  memoryLimitGb: number;
  spillRoot?: string;
}

/** A run's failure ends the execution with its own code when that code has a protocol reason. */
function isExecutionErrorCode(code: ErrorCode): code is ExecutionErrorCode {
  return ErrorCodes[code].reason !== null && ErrorCodes[code].reason !== 'cancelled';
}

export function runExecutionActor(deps: RunDeps) {
  return fromCallback<{ type: 'cancel' }, ExecutionInput, ExecutionActorEvent>(({ input, sendBack, receive }) => {
    const id = input.executionId;
    const log = deps.log.child({ execution_id: id });
    const ac = new AbortController();
    receive((e) => {
      if (e.type === 'cancel' && !ac.signal.aborted) {
        log.info('cancelling execution');
        ac.abort();
      }
    });
    const message = (m: ExecutorMessage) => sendBack({ type: 'run.message', message: m });
    log.info('execution started');
    const started = performance.now();
    runPipeline({
      pipeline: input.pipeline,
      executionId: id,
      memoryLimitGb: deps.memoryLimitGb,
      spillRoot: deps.spillRoot,
      signal: ac.signal,
      log,
      onProgress: (progress, event) => message({ type: 'progress_update', execution_id: id, progress, event }),
      onStageOutput: (o) => { for (const m of stageOutputMessages(id, o)) message(m); },
      onLog: (level, text) => message({ type: 'log', execution_id: id, level, message: redactSecrets(text), time: new Date().toISOString() }),
      onStageProgress: (stage, percentage, rows) => message({ type: 'stage_progress', execution_id: id, stage_name: stage, percentage, rows_processed: rows }),
    })
      .then((outcome): ExecutionOutcome => {
        if (outcome.status !== 'failed') return outcome;
        const code = isExecutionErrorCode(outcome.error.code) ? outcome.error.code : 'AQ_INTERNAL';
        return { status: 'failed', message: redactSecrets(outcome.error.message), code };
      })
      .catch((e: unknown): ExecutionOutcome => {
        log.error({ err: e }, 'execution crashed');
        return { status: 'failed', message: `internal error: ${redactSecrets((e as Error).message)}`, code: 'AQ_INTERNAL' };
      })
      .then((outcome) => {
        const ms = Math.round(performance.now() - started);
        if (outcome.status === 'failed') log.warn({ duration_ms: ms, code: outcome.code, error: outcome.message }, 'execution failed');
        else log.info({ duration_ms: ms, outcome: outcome.status }, `execution ${outcome.status}`);
        sendBack({ type: 'run.finished', outcome });
      });
    return () => ac.abort();
  });
}
