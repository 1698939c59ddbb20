/**
 * The executor machine's `runExecution` actor: runs one pipeline on the engine and turns what it
 * reports into protocol messages for the machine to route. `cancel` aborts the run; the actor
 * reports `run.finished` only once the run has stopped and cleaned up.
 */
import { mkdirSync, statfsSync } from 'node:fs';
import os from 'node:os';
import { fromCallback } from 'xstate';
import type { ExecutionActorEvent, ExecutionInput, ExecutionOutcome, RunCancel } from '../../machines/executor.machine.js';
import { runPipeline } from '../run/run-pipeline.js';
import type { PathPolicy } from '../run/confinement.js';
import type { Logger } from '../core/log.js';
import { redactSecrets } from '../core/redact.js';
import { ErrorCodes, ExecutorError, type ErrorCode } from '../core/errors.js';
import { descriptorShortage, RUN_MIN_FREE_DESCRIPTORS } from '../core/descriptors.js';
import type { ExecutionErrorCode, ExecutorMessage } from '../protocol/messages.js';
import { stageOutputMessages } from '../protocol/stage-output.js';

export interface RunDeps {
  log: Logger;
  memoryLimitGb: number;
  spillRoot?: string;
  /** Where local locations of remote pipelines must lie (undefined: anywhere, --allow-any-path). */
  confinement?: PathPolicy;
  /** Directories a directory destination may never replace: the data root, the working directory. */
  protectedDirs?: readonly string[];
  /** Disk one run may spill to, in GB; null or absent = half the free space when the run starts. */
  maxSpillGb?: number | null;
}

/**
 * The spill budget of one run: the configured one, else half the free space of the spill root's
 * disk. Asked synchronously: two metadata calls answered from the kernel's cache, where handing
 * them to the thread pool would add two waits for a free thread to every run.
 */
export async function spillBudget(deps: RunDeps): Promise<number | undefined> {
  if (deps.maxSpillGb) return Math.floor(deps.maxSpillGb * 1024 ** 3);
  try {
    const root = deps.spillRoot ?? os.tmpdir();
    mkdirSync(root, { recursive: true });
    const fs = statfsSync(root);
    return Math.floor((fs.bavail * fs.bsize) / 2);
  } catch {
    return undefined;
  }
}

/**
 * Refuses to start a run when the process has too few free file descriptors: DuckDB aborts the
 * whole process when it cannot open what it needs, so the run fails here instead. Unknown (not
 * Linux): no check.
 */
function descriptorShortageError(): ExecutorError | null {
  const fds = descriptorShortage();
  if (fds === null) return null;
  return new ExecutorError('AQ_TOO_MANY_OPEN_FILES',
    `too few free file descriptors to start the run (${fds.free} of ${fds.limit} free, ${RUN_MIN_FREE_DESCRIPTORS} needed): too many connections or files are open; `
    + 'retry later, lower --max-connections, or raise the open-files limit (ulimit -n)');
}

/** A run's failure ends the execution with its own code when that code has a protocol reason. */
function isExecutionErrorCode(code: ErrorCode): code is ExecutionErrorCode {
  return ErrorCodes[code].reason !== null && ErrorCodes[code].reason !== 'cancelled';
}

export function runExecutionActor(deps: RunDeps) {
  return fromCallback<RunCancel, ExecutionInput, ExecutionActorEvent>(({ input, sendBack, receive }) => {
    const id = input.executionId;
    const log = deps.log.child({ execution_id: id });
    const ac = new AbortController();
    receive((e) => {
      if (e.type === 'cancel' && !ac.signal.aborted) {
        if (e.reason === 'timeout') log.warn({ code: 'AQ_RUN_TIMEOUT' }, 'maximum run time reached: cancelling execution');
        else log.info('cancelling execution');
        ac.abort();
      }
    });
    const message = (m: ExecutorMessage) => sendBack({ type: 'run.message', message: m });
    log.info('execution started');
    const started = performance.now();
    const shortage = descriptorShortageError();
    (shortage ? Promise.resolve({ status: 'failed' as const, error: shortage }) : spillBudget(deps).then((maxSpillBytes) => runPipeline({
      pipeline: input.pipeline,
      executionId: id,
      memoryLimitGb: deps.memoryLimitGb,
      spillRoot: deps.spillRoot,
      maxSpillBytes,
      confinement: deps.confinement,
      protectedDirs: deps.protectedDirs,
      signal: ac.signal,
      log,
      onProgress: (progress, event) => message({ type: 'progress_update', execution_id: id, progress, event }),
      onStageOutput: (o) => { for (const m of stageOutputMessages(id, o)) message(m); },
      onLog: (level, text) => message({ type: 'log', execution_id: id, level, message: redactSecrets(text), time: new Date().toISOString() }),
      onStageProgress: (stage, percentage, rows) => message({ type: 'stage_progress', execution_id: id, stage_name: stage, percentage, rows_processed: rows }),
    })))
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
