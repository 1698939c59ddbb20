/**
 * Loading a definition file or text (docs/pipeline-format.md, "Parameters"): format from the extension, parse with
 * positions, substitute `${name}` parameters inside string values, fail on leftovers, decode.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { type Diagnostic, ExecutorError } from '../core/errors.js';
import { decodeAqueduct } from './decode.js';
import type { RelativeLocations } from './location.js';
import { readJson } from './json-document.js';
import { type ParsedDocument, type PipelineFormat, syntaxError } from './document.js';
import { type Substitute, leftoverPlaceholders, makeSubstitute, missingParametersError } from './template.js';
import { readToml } from './toml-document.js';
import type { Aqueduct } from './types.js';
import { readYaml } from './yaml-document.js';

export type { PipelineFormat } from './document.js';
export { parseParams } from './template.js';

export interface LoadOptions {
  /** Directory that relative locations are resolved against. */
  cwd: string;
  /**
   * `'resolve'` (default): relative paths become file:// URLs under `cwd`. `'keep'`: they stay as
   * written (`./data/x.csv`), for a remote executor to resolve against its own directory.
   */
  relativeLocations?: RelativeLocations;
}

export interface LoadResult {
  pipeline: Aqueduct;
  warnings: Diagnostic[];
}

const EXTENSIONS: Record<string, PipelineFormat> = { '.json': 'json', '.yml': 'yaml', '.yaml': 'yaml', '.toml': 'toml' };

const READERS: Record<PipelineFormat, (text: string, substitute: Substitute) => ParsedDocument> = {
  json: readJson,
  yaml: readYaml,
  toml: readToml,
};

export function pipelineFormatFromPath(path: string): PipelineFormat {
  const ext = extname(path).toLowerCase();
  const format = Object.hasOwn(EXTENSIONS, ext) ? EXTENSIONS[ext] : undefined;
  if (!format) {
    throw new ExecutorError(
      'AQ_UNSUPPORTED_FORMAT',
      `Unsupported configuration format: ${ext === '' ? path : ext} (expected .json, .yml, .yaml or .toml)`,
    );
  }
  return format;
}

/** Parses the document; one nested deeper than a reader can follow is a syntax error, not a crash. */
function readDocument(format: PipelineFormat, text: string, substitute: Substitute): ParsedDocument {
  try {
    return READERS[format](text, substitute);
  } catch (e) {
    if (e instanceof RangeError) throw syntaxError(format, 'the document is nested too deeply to be read');
    throw e;
  }
}

export function loadPipelineText(
  text: string, format: PipelineFormat, params: Readonly<Record<string, string>>, opts: LoadOptions,
): LoadResult {
  const document = readDocument(format, text.replace(/^\uFEFF/, ''), makeSubstitute(params));
  const missing = leftoverPlaceholders(document.value);
  if (missing.length > 0) throw missingParametersError(missing);
  const { pipeline, warnings } = decodeAqueduct(document.value, { cwd: opts.cwd, relativeLocations: opts.relativeLocations, locate: document.locate });
  return { pipeline, warnings: [...document.warnings, ...warnings] };
}

export async function loadPipelineFile(
  path: string, params: Readonly<Record<string, string>> = {}, opts: LoadOptions = { cwd: process.cwd() },
): Promise<LoadResult> {
  const format = pipelineFormatFromPath(path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    throw new ExecutorError('AQ_INVALID_PIPELINE', `Cannot read pipeline file ${path}: ${reason}`, { cause: e });
  }
  return loadPipelineText(text, format, params, opts);
}
