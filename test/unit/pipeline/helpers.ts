/** Helpers shared by the pipeline parser tests. */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Diagnostic, ExecutorError } from '../../../src/core/errors.js';
import { type DecodeResult, decodeAqueduct } from '../../../src/pipeline/decode.js';

export const CWD = '/srv/work';

export function decode(value: unknown): DecodeResult {
  return decodeAqueduct(value, { cwd: CWD });
}

/** A pipeline around one source. */
export const withSource = (source: unknown): unknown => ({ sources: [source], stages: [] });
/** A pipeline around one destination. */
export const withDestination = (destination: unknown): unknown => ({ sources: [], stages: [], destination });
/** A pipeline around one stage. */
export const withStage = (stage: unknown): unknown => ({ sources: [], stages: [[stage]] });

/** The error a decode throws (asserted to be AQ_INVALID_PIPELINE). */
export function decodeError(value: unknown): ExecutorError {
  try {
    decode(value);
  } catch (e) {
    assert.ok(e instanceof ExecutorError, String(e));
    assert.equal(e.code, 'AQ_INVALID_PIPELINE');
    return e;
  }
  assert.fail('expected the pipeline to be rejected');
}

/** `[path, message]` of every error of a rejected pipeline. */
export function errorsOf(value: unknown): Array<[string, string]> {
  return decodeError(value).diagnostics.map((d: Diagnostic) => [d.path, d.message]);
}

export function warningsOf(value: unknown): Array<[string, string]> {
  return decode(value).warnings.map((d) => [d.path, d.message]);
}

export { REPO, UPSTREAM } from '../../support/paths.js';
import { REPO, UPSTREAM } from '../../support/paths.js';

/** The original's pipeline files: its examples and its Delta test pipelines. */
export const PIPELINE_FILES = [
  ...readdirSync(path.join(UPSTREAM, 'examples')).filter((f) => /\.(yml|json|toml)$/.test(f)).map((f) => path.join(UPSTREAM, 'examples', f)),
  ...readdirSync(path.join(UPSTREAM, 'delta-tests')).filter((f) => f.endsWith('.yml')).map((f) => path.join(UPSTREAM, 'delta-tests', f)),
];
