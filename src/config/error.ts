/** Configuration errors shared by the executor and the orchestrator. */
import { ExecutorError } from '../core/errors.js';

/** Invalid configuration. The message is one line; the entry point prints `error: <message>` and exits 2. */
export class ConfigError extends ExecutorError {
  readonly exitCode = 2;
  constructor(message: string) {
    super('AQ_CONFIG_INVALID', message);
    this.name = 'ConfigError';
  }
}

/** Not an error: `--help` or `--version` was asked for. Print `text` to stdout and exit 0. */
export class ConfigHelp extends Error {
  readonly exitCode = 0;
  constructor(readonly kind: 'help' | 'version', readonly text: string) {
    super(kind === 'help' ? 'help requested' : 'version requested');
    this.name = 'ConfigHelp';
  }
}
