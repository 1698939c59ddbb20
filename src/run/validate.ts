/**
 * What is checked about a decoded pipeline beyond its format, before anything runs and without
 * touching a store: the fields of Delta sources and destinations (versions, table properties,
 * partition columns and write-mode columns against a declared schema), and, for
 * `aqueducts validate`, every stage's SQL.
 */
import { ExecutorError, type Diagnostic } from '../core/errors.js';
import type { Aqueduct } from '../pipeline/types.js';
import { checkPipelineSql } from '../engine/validate.js';
import type { SqlParser } from '../engine/sql-parser.js';
import { deltaDestinationFindings, deltaSourceFindings, type DeltaFinding } from '../delta/validate.js';

export interface Findings {
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

function pathOf(prefix: string, parts: Array<string | number>): string {
  return parts.reduce<string>((p, part) => (typeof part === 'number' ? `${p}[${part}]` : `${p}.${part}`), prefix);
}

/** The findings about the pipeline's Delta sources and destination, with their paths. */
export function pipelineFindings(pipeline: Aqueduct): Findings {
  const out: Findings = { errors: [], warnings: [] };
  const add = (prefix: string, list: DeltaFinding[]) => {
    for (const f of list) (f.severity === 'error' ? out.errors : out.warnings).push({ path: pathOf(prefix, f.path), message: f.message });
  };
  pipeline.sources.forEach((s, i) => { if (s.type === 'delta') add(`sources[${i}]`, deltaSourceFindings(s)); });
  if (pipeline.destination?.type === 'delta') add('destination', deltaDestinationFindings(pipeline.destination));
  return out;
}

/** Throws AQ_INVALID_PIPELINE with every error found; returns the warnings. */
export function assertNoFindings(pipeline: Aqueduct): Diagnostic[] {
  const { errors, warnings } = pipelineFindings(pipeline);
  if (errors.length) {
    const first = errors[0]!;
    throw new ExecutorError('AQ_INVALID_PIPELINE', `${first.path}: ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`, { diagnostics: errors });
  }
  return warnings;
}

/** Everything `aqueducts validate` checks after loading: the findings above, then the stage SQL (with `parser`, if given). */
export async function validatePipeline(pipeline: Aqueduct, parser?: Promise<SqlParser>): Promise<Diagnostic[]> {
  const warnings = assertNoFindings(pipeline);
  await checkPipelineSql(pipeline, parser);
  return warnings;
}
