import { ExecutorError } from '../../core/errors.js';

/** Wrong flags or configuration: the CLI prints `error: <message>` and exits with the usage code (2). */
export class UsageError extends ExecutorError {
  constructor(message: string) {
    super('AQ_USAGE', message);
    this.name = 'UsageError';
  }
}

export function isUsageError(e: unknown): e is UsageError {
  return e instanceof UsageError;
}
