/**
 * The error registry (src/core/errors.ts) and docs/operations.md agree: every code has a row in the
 * "Error codes" table with its protocol reason, and the documents name no code that does not exist.
 * Every error class the programs raise carries a code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ErrorCodes } from '../../../src/core/errors.js';
import { REPO } from '../../support/paths.js';

const OPERATIONS = readFileSync(path.join(REPO, 'docs/operations.md'), 'utf8');

function section(doc: string, heading: string): string {
  const start = doc.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `no "## ${heading}" section`);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
}

function files(dir: string, ext: string): string[] {
  return readdirSync(path.join(REPO, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(ext))
    .map((e) => path.join(e.parentPath, e.name));
}

test('every code of the registry has a row in docs/operations.md, with its reason', () => {
  const rows = new Map<string, string>();
  for (const m of section(OPERATIONS, 'Error codes').matchAll(/^\| `(AQ_[A-Z_]+)` \| ([^|]+) \|/gm)) rows.set(m[1]!, m[2]!.trim());
  for (const [code, { reason }] of Object.entries(ErrorCodes)) {
    assert.ok(rows.has(code), `${code} is not documented in docs/operations.md "Error codes"`);
    assert.equal(rows.get(code), reason === null ? '—' : `\`${reason}\``, `${code}: the documented reason`);
  }
  assert.deepEqual([...rows.keys()].filter((c) => !(c in ErrorCodes)), [], 'documented codes that do not exist');
});

test('no document, and no source file, names a code that is not in the registry', () => {
  const places = [...files('docs', '.md'), path.join(REPO, 'README.md'), ...files('src', '.ts'), ...files('machines', '.ts')];
  for (const file of places) {
    for (const m of readFileSync(file, 'utf8').matchAll(/\bAQ_[A-Z][A-Z_]*\b/g)) {
      assert.ok(m[0] in ErrorCodes, `${path.relative(REPO, file)} names ${m[0]}, which is not in src/core/errors.ts`);
    }
  }
});

/**
 * Error classes that never reach a user as they are: each is converted to a coded ExecutorError
 * at the boundary that catches it, or is not an error at all.
 */
const INTERNAL = new Map([
  ['StorageError', 'a store\'s failure; sources and destinations turn it into their own code'],
  ['GrammarError', 'the data-type parser\'s own; decoding turns it into AQ_INVALID_PIPELINE'],
  ['WrapFailed', 'control flow inside the ODBC source'],
  ['Escalate', 'control flow inside the ODBC source'],
  ['ConfigHelp', '--help and --version, not an error'],
  ['PartitionValueError', 'a Delta partition value that does not parse; the log reader turns it into a Delta code'],
  ['SchemaError', 'a Delta schema that does not parse; the log reader and the writer turn it into a Delta code'],
  ['ConflictError', 'a lost Delta commit race; the writer retries, then fails with AQ_DELTA_COMMIT_CONFLICT'],
]);

test('every error class of the programs carries a code (an ExecutorError), or is converted before it leaves', () => {
  const found: string[] = [];
  for (const file of [...files('src', '.ts'), ...files('machines', '.ts')]) {
    for (const m of readFileSync(file, 'utf8').matchAll(/class (\w+) extends (\w+)/g)) {
      if (m[2] === 'Error' || m[2] === 'ExecutorError') found.push(`${m[1]} extends ${m[2]}`);
    }
  }
  const bare = found.filter((c) => c.endsWith(' extends Error')).map((c) => c.split(' ')[0]!);
  assert.deepEqual(bare.filter((c) => c !== 'ExecutorError' && !INTERNAL.has(c)), [], 'error classes without a code');
  for (const c of ['ConfigError', 'UsageError', 'ConnectError']) assert.ok(found.includes(`${c} extends ExecutorError`), c);
});
