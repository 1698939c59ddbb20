/** Loading a definition for a CLI command: warnings and errors printed the same way everywhere. */
import { formatDiagnostic, toExecutorError, type ExecutorError } from '../core/errors.js';
import { loadPipelineFile, parseParams, type LoadOptions, type LoadResult } from '../pipeline/load.js';
import type { CliIo } from './io.js';
import { messages } from './messages.js';

/** Prints an error and, indented, the findings behind it (path, line, column). */
export function printError(io: CliIo, headline: string, err: ExecutorError): void {
  io.err(headline);
  for (const d of err.diagnostics) io.err(`  ${formatDiagnostic(d)}`);
}

/** Loads `file` with `-p` parameters; prints warnings; on failure prints the error and returns null. */
export async function loadForCli(file: string, params: string[], io: CliIo, opts: Partial<LoadOptions> = {}): Promise<LoadResult | null> {
  try {
    const loaded = await loadPipelineFile(file, parseParams(params), { cwd: process.cwd(), ...opts });
    for (const w of loaded.warnings) io.err(messages.warning(formatDiagnostic(w)));
    return loaded;
  } catch (e) {
    const err = toExecutorError(e, 'AQ_INVALID_PIPELINE');
    printError(io, messages.failed(err.message), err);
    return null;
  }
}
