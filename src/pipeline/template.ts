/**
 * `${name}` template parameters (docs/pipeline-format.md, "Parameters"). Substitution happens inside string
 * values of the parsed tree (never in comments, never breaking quoting); any `${word}` left over
 * afterwards is a missing parameter.
 */
import { ExecutorError } from '../core/errors.js';

const LEFTOVER = /\$\{([A-Za-z0-9_]+)\}/g;

export type Substitute = (s: string) => string;

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Replaces `${key}` for every given parameter (values inserted verbatim, not re-scanned). */
export function makeSubstitute(params: Readonly<Record<string, string>>): Substitute {
  const keys = Object.keys(params).sort((a, b) => b.length - a.length);
  if (keys.length === 0) return (s) => s;
  const re = new RegExp(keys.map((k) => `\\$\\{${escapeRegExp(k)}\\}`).join('|'), 'g');
  return (s) => (s.includes('${') ? s.replace(re, (m) => params[m.slice(2, -1)] ?? m) : s);
}

/** Names of `${word}` placeholders left in any string or key of a parsed tree, sorted. */
export function leftoverPlaceholders(value: unknown): string[] {
  const names = new Set<string>();
  const scan = (s: string): void => {
    for (const m of s.matchAll(LEFTOVER)) names.add(m[1] ?? '');
  };
  // Iterative, in no particular order (the names are sorted): the tree may be nested as deeply as its reader allowed.
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const v = pending.pop();
    if (typeof v === 'string') scan(v);
    else if (Array.isArray(v)) for (const item of v) pending.push(item);
    else if (typeof v === 'object' && v !== null) {
      for (const [k, child] of Object.entries(v)) {
        scan(k);
        pending.push(child);
      }
    }
  }
  return [...names].sort();
}

export function missingParametersError(names: readonly string[]): ExecutorError {
  const list = names.map((n) => JSON.stringify(n)).join(', ');
  return new ExecutorError('AQ_MISSING_PARAMETERS', `Missing template parameters: {${list}}`);
}

/** `-p key=value` items (split on the first `=`) into a parameter map. */
export function parseParams(list: readonly string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq < 0) {
      throw new ExecutorError('AQ_INVALID_PIPELINE', `Invalid parameter \`${item}\`: expected key=value`);
    }
    Object.defineProperty(params, item.slice(0, eq), { value: item.slice(eq + 1), enumerable: true, writable: true, configurable: true });
  }
  return params;
}
