/**
 * Errors of the Delta Lake library: ExecutorErrors (src/core/errors.ts) whose message names the
 * table, the version when there is one, and what is wrong. The entry points (source.ts,
 * destination.ts) put the source's or destination's name in front.
 */
import { ExecutorError, type ErrorCode } from '../core/errors.js';
import { StorageError } from '../storage/types.js';

/** `Delta table s3://bucket/t` or `Delta table s3://bucket/t at version 4`. */
export function tableAt(table: string, version?: number | null): string {
  return version === undefined || version === null ? `Delta table ${table}` : `Delta table ${table} at version ${version}`;
}

export function deltaError(code: ErrorCode, table: string, version: number | null | undefined, what: string, cause?: unknown): ExecutorError {
  return new ExecutorError(code, `${tableAt(table, version)}: ${what}`, cause === undefined ? {} : { cause });
}

export function isCancellation(e: unknown): boolean {
  return (e instanceof ExecutorError && e.code === 'AQ_CANCELLED') || (e instanceof StorageError && e.kind === 'cancelled');
}

export function cancelledError(cause?: unknown): ExecutorError {
  return new ExecutorError('AQ_CANCELLED', 'the run was cancelled', cause === undefined ? {} : { cause });
}

/**
 * Converts whatever a Delta operation threw into the error of a source or a destination: the
 * subject (`source "x"`) goes in front; storage and engine errors get the side's generic code;
 * on the destination side, errors of the shared log-reading code (reason `source`) become
 * AQ_DESTINATION_FAILED, so the protocol reason always names the side that failed.
 */
export function atBoundary(e: unknown, side: 'source' | 'destination', subject: string): ExecutorError {
  if (isCancellation(e)) return e instanceof ExecutorError ? e : cancelledError(e);
  const generic: ErrorCode = side === 'source' ? 'AQ_SOURCE_FAILED' : 'AQ_DESTINATION_FAILED';
  if (e instanceof ExecutorError) {
    const prefixed = e.message.startsWith(`${subject}: `) ? e.message : `${subject}: ${e.message}`;
    const code: ErrorCode = side === 'destination' && e.reason === 'source' ? generic : e.code;
    if (code === e.code && prefixed === e.message) return e;
    return new ExecutorError(code, prefixed, { cause: e.cause ?? e, diagnostics: e.diagnostics });
  }
  const message = e instanceof Error ? e.message : String(e);
  const oom = /Out of Memory Error|could not allocate|failed to allocate/i.test(message);
  return new ExecutorError(oom ? 'AQ_OUT_OF_MEMORY' : generic, `${subject}: ${oom ? 'out of memory: ' : ''}${message.split('\n')[0]}`, { cause: e });
}
