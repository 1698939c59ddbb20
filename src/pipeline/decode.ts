/**
 * Decodes a parsed definition (plain JSON-like value) into the Aqueduct model with the original's
 * serde rules, collecting every error and warning with its path (docs/pipeline-format.md).
 */
import { type Diagnostic, ExecutorError, formatDiagnostic } from '../core/errors.js';
import { DecodeContext, type Locator, type Path, formatPath, isPlainObject, showName } from './decode-context.js';
import { readDestination } from './decode-destination.js';
import { type Reader, complete, readBool, readOption, readSeq, readString, readUsize } from './decode-scalars.js';
import { readSource } from './decode-source.js';
import { openStruct } from './decode-struct.js';
import type { RelativeLocations } from './location.js';
import type { Aqueduct, Stage } from './types.js';

export type { Locator } from './decode-context.js';

export interface DecodeOptions {
  /** Directory that relative locations are resolved against. */
  cwd: string;
  /**
   * `'resolve'` (default): relative paths become file:// URLs under `cwd`. `'keep'`: they stay as
   * written, for a remote executor to resolve against its own directory.
   */
  relativeLocations?: RelativeLocations;
  /** Maps a path to its position in the document (the definition's text), for diagnostics. */
  locate?: Locator;
}

export interface DecodeResult {
  pipeline: Aqueduct;
  /** The first warnings (at most KEPT_FINDINGS), then one saying how many more were found. */
  warnings: Diagnostic[];
  /** Every warning found. */
  warningCount: number;
}

const STAGE_FIELDS = [
  { name: 'name' }, { name: 'query' }, { name: 'show' }, { name: 'explain' }, { name: 'explain_analyze' }, { name: 'print_schema' },
];

const nonEmpty = (what: string): Reader<string> => (ctx, v, path) => {
  const s = readString(ctx, v, path);
  if (s !== undefined && s.trim() === '') {
    ctx.error(path, `${what} must not be empty`);
    return undefined;
  }
  return s;
};

const readStage: Reader<Stage> = (ctx, v, path) => {
  const s = openStruct(ctx, v, path, 'Stage', STAGE_FIELDS);
  return s && complete<Stage>({
    name: s.required('name', nonEmpty('stage name')),
    query: s.required('query', nonEmpty('stage query')),
    show: s.optional('show', readOption(readUsize), null),
    explain: s.optional('explain', readBool, false),
    explain_analyze: s.optional('explain_analyze', readBool, false),
    print_schema: s.optional('print_schema', readBool, false),
  });
};

const TOP_FIELDS = [{ name: 'version' }, { name: 'sources' }, { name: 'stages' }, { name: 'destination' }];

export function decodeAqueduct(value: unknown, opts: DecodeOptions): DecodeResult {
  const ctx = new DecodeContext(opts.cwd, opts.locate, opts.relativeLocations);
  const s = openStruct(ctx, value, [], 'Aqueduct', TOP_FIELDS);
  const pipeline = s && complete<Aqueduct>({
    version: s.optional('version', readString, 'v2'),
    sources: s.required('sources', readSeq(readSource)),
    stages: s.required('stages', readSeq(readSeq(readStage))),
    destination: s.optional('destination', readOption(readDestination), null),
  });
  if (isPlainObject(value)) checkNames(ctx, value);
  if (ctx.errorCount > 0 || !pipeline) throw invalidPipeline(ctx.errors, ctx.errorCount, opts.locate !== undefined);
  const warnings = opts.locate ? sortByPosition(ctx.warnings) : ctx.warnings;
  const untold = ctx.warningCount - warnings.length;
  if (untold > 0) warnings.push({ path: '', message: `${untold} more warning${untold === 1 ? '' : 's'} not shown` });
  return { pipeline, warnings, warningCount: ctx.warningCount };
}

/** An invalid pipeline: the first findings (at most KEPT_FINDINGS) and how many there were in all. */
export class InvalidPipelineError extends ExecutorError {
  constructor(diagnostics: Diagnostic[], readonly findings: number) {
    const [first] = diagnostics;
    const more = Math.max(findings, diagnostics.length) - 1;
    const summary = first ? formatDiagnostic(first) : 'invalid pipeline';
    const suffix = more > 0 ? ` (and ${more} more error${more === 1 ? '' : 's'})` : '';
    super('AQ_INVALID_PIPELINE', `Invalid pipeline: ${summary}${suffix}`, { diagnostics });
  }
}

function invalidPipeline(errors: Diagnostic[], count: number, positioned: boolean): ExecutorError {
  return new InvalidPipelineError(positioned ? sortByPosition(errors) : errors, count);
}

function sortByPosition(ds: Diagnostic[]): Diagnostic[] {
  const key = (d: Diagnostic): number => (d.line === undefined ? Infinity : d.line * 1e6 + (d.column ?? 0));
  return [...ds].sort((a, b) => key(a) - key(b));
}

/**
 * Sources and stages become tables of one session: names must be unique among them
 * (compared case-insensitively, as DuckDB does).
 */
function checkNames(ctx: DecodeContext, root: Record<string, unknown>): void {
  const seen = new Map<string, { kind: 'source' | 'stage'; at: Path }>();
  const visit = (kind: 'source' | 'stage', item: unknown, at: Path): void => {
    if (!isPlainObject(item) || typeof item['name'] !== 'string' || item['name'].trim() === '') return;
    const name = item['name'];
    const prior = seen.get(name.toLowerCase());
    if (!prior) {
      seen.set(name.toLowerCase(), { kind, at });
    } else if (prior.kind === kind) {
      ctx.error([...at, 'name'], `duplicate ${kind} name ${showName(name)} (first used by ${formatPath(prior.at)})`);
    } else {
      ctx.error([...at, 'name'], `stage name ${showName(name)} is already used by source ${formatPath(prior.at)}`);
    }
  };
  const sources = root['sources'];
  if (Array.isArray(sources)) sources.forEach((src, i) => visit('source', src, ['sources', i]));
  const stages = root['stages'];
  if (Array.isArray(stages)) {
    stages.forEach((group, i) => {
      if (Array.isArray(group)) group.forEach((stage, j) => visit('stage', stage, ['stages', i, j]));
    });
  }
}
