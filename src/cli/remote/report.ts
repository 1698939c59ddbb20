/** Turning connection failures into the CLI's lines and exit codes (shared by `run --executor` and `cancel`). */
import { toExecutorError } from '../../core/errors.js';
import { ExitCode, type CliIo } from '../io.js';
import { messages, remoteMessages } from '../messages.js';
import { type ConnectFailure, ConnectError } from './connection.js';
import { isUsageError } from './usage-error.js';

/** The line for a connection that could not be opened (null when the user aborted it). */
export function connectFailureLine(url: string, f: ConnectFailure): string | null {
  switch (f.kind) {
    case 'unreachable': return remoteMessages.cannotConnect(url, f.reason);
    case 'unauthorized': return remoteMessages.authenticationFailed;
    case 'refused': return remoteMessages.refused(url, f.status, f.statusText, f.body);
    case 'aborted': return null;
  }
}

/** Reports an error thrown before or while connecting; returns the exit code. */
export function reportSetupError(io: CliIo, url: string, e: unknown): number {
  if (isUsageError(e)) {
    io.err(messages.usage(e.message));
    return ExitCode.usage;
  }
  if (e instanceof ConnectError) {
    const line = connectFailureLine(url, e.failure);
    if (line === null) {
      io.err(messages.cancelled);
      return ExitCode.cancelled;
    }
    io.err(line);
    return ExitCode.failed;
  }
  io.err(remoteMessages.error(toExecutorError(e).message));
  return ExitCode.failed;
}
