/** `aqueducts validate`: checks a definition (format, parameters, Delta fields, stage SQL) without running it. */
import { formatDiagnostic, toExecutorError } from '../core/errors.js';
import { loadPipelineFile, parseParams } from '../pipeline/load.js';
import { validatePipeline } from '../run/validate.js';
import { ExitCode, type CliIo } from './io.js';
import { messages } from './messages.js';

export interface ValidateOptions {
  file: string;
  param: string[];
}

export async function validateAction(opts: ValidateOptions, io: CliIo): Promise<number> {
  try {
    const { pipeline, warnings } = await loadPipelineFile(opts.file, parseParams(opts.param), { cwd: process.cwd() });
    for (const w of warnings) io.err(messages.warning(formatDiagnostic(w)));
    for (const w of await validatePipeline(pipeline)) io.err(messages.warning(formatDiagnostic(w)));
    io.out(messages.valid(opts.file));
    return ExitCode.ok;
  } catch (e) {
    const err = toExecutorError(e, 'AQ_INVALID_PIPELINE');
    io.err(messages.invalid(opts.file));
    io.err(`  ${err.message}`);
    for (const d of err.diagnostics) io.err(`  ${formatDiagnostic(d)}`);
    return ExitCode.failed;
  }
}
