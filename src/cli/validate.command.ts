/**
 * `aqueducts validate`: checks a definition (format, parameters, Delta fields, stage SQL) without
 * running it. The engine instance that parses the stage SQL opens on DuckDB's own thread while the
 * definition's modules load and the file is read; it is closed whatever the outcome.
 */
import { formatDiagnostic, toExecutorError } from '../core/errors.js';
import { openSqlParser } from '../engine/sql-parser.js';
import { ExitCode, type CliIo } from './io.js';
import { messages } from './messages.js';

export interface ValidateOptions {
  file: string;
  param: string[];
}

export async function validateAction(opts: ValidateOptions, io: CliIo): Promise<number> {
  const parser = openSqlParser();
  parser.catch(() => undefined); // reported by the SQL check, unless the definition fails first
  try {
    const [{ loadPipelineFile, parseParams }, { validatePipeline }] = await Promise.all([import('../pipeline/load.js'), import('../run/validate.js')]);
    const { pipeline, warnings } = await loadPipelineFile(opts.file, parseParams(opts.param), { cwd: process.cwd() });
    for (const w of warnings) io.err(messages.warning(formatDiagnostic(w)));
    for (const w of await validatePipeline(pipeline, parser)) io.err(messages.warning(formatDiagnostic(w)));
    io.out(messages.valid(opts.file));
    return ExitCode.ok;
  } catch (e) {
    const err = toExecutorError(e, 'AQ_INVALID_PIPELINE');
    io.err(messages.invalid(opts.file));
    io.err(`  ${err.message}`);
    for (const d of err.diagnostics) io.err(`  ${formatDiagnostic(d)}`);
    return ExitCode.failed;
  } finally {
    await parser.then((p) => p.close(), () => undefined);
  }
}
