/** The layer check (scripts/check-layers.ts) passes on the tree and fails on upward imports. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { checkImports, checkRepository, importsOf, LAYERS } from '../../../scripts/check-layers.js';
import { REPO } from '../../support/paths.js';

function tree(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(path.join(REPO, dir), { withFileTypes: true })) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(rel);
      else if (rel.endsWith('.ts')) files.set(rel, readFileSync(path.join(REPO, rel), 'utf8'));
    }
  };
  walk('src');
  walk('machines');
  return files;
}

function withLine(file: string, line: string): Map<string, string> {
  const files = tree();
  files.set(file, `${line}\n${files.get(file) ?? ''}`);
  return files;
}

test('every import of src/ and machines/ points down the layers', () => {
  assert.deepEqual(checkRepository(REPO), []);
});

test('every folder of src/ is a layer, and docs/architecture.md names each one', () => {
  const folders = readdirSync(path.join(REPO, 'src'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  assert.deepEqual(folders, Object.keys(LAYERS).filter((l) => l !== 'machines').sort());
  const doc = readFileSync(path.join(REPO, 'docs/architecture.md'), 'utf8');
  for (const layer of Object.keys(LAYERS)) assert.ok(doc.includes(layer === 'machines' ? '`machines/`' : `\`src/${layer}/\``), `docs/architecture.md does not name ${layer}`);
});

test('an upward import fails the check, naming the file and the rule', () => {
  const upward = checkImports(withLine('src/engine/session.ts', "import { runPipeline } from '../run/run-pipeline.js';"));
  assert.deepEqual(upward, [{ from: 'src/engine/session.ts', specifier: '../run/run-pipeline.js', rule: 'engine may not import run (it may import core, pipeline, storage)' }]);
});

test('an upward type-only import fails too (the protocol may not know engine types)', () => {
  const v = checkImports(withLine('src/protocol/messages.ts', "import type { EngineSession } from '../engine/session.js';"));
  assert.equal(v.length, 1);
  assert.match(v[0]!.rule, /^protocol may not import engine/);
});

test('machines may not import runtime values, nor packages other than xstate', () => {
  const runtime = checkImports(withLine('machines/executor.machine.ts', "import { createLogger } from '../src/core/log.js';"));
  assert.deepEqual(runtime.map((v) => v.rule), ['machines may import only types from core, or values from pure modules']);
  const pkg = checkImports(withLine('machines/pipeline-run.machine.ts', "import { pino } from 'pino';"));
  assert.deepEqual(pkg.map((v) => v.rule), ['machines import no package but xstate']);
  const typeOnly = checkImports(withLine('machines/executor.machine.ts', "import type { Logger } from '../src/core/log.js';"));
  assert.deepEqual(typeOnly, []);
});

test('a folder that is not a layer is reported', () => {
  const files = tree();
  files.set('src/extra/thing.ts', "import { ExecutorError } from '../core/errors.js';\n");
  assert.deepEqual(checkImports(files).map((v) => v.rule), ['extra is not a known layer (add it to LAYERS and docs/architecture.md)']);
});

test('imports are found in every form: multi-line, type-only, export-from, dynamic, import types', () => {
  const text = [
    "import {\n  a,\n  type B,\n} from './x.js';",
    "import type { C } from '../y.js';",
    "import { type D } from './z.js';",
    "export { e } from './w.js';",
    "export type { F } from './v.js';",
    "const g = await import('./u.js');",
    "let h: import('./t.js').H;",
  ].join('\n');
  assert.deepEqual(importsOf('src/engine/f.ts', text).map((i) => [i.target, i.typeOnly]), [
    ['src/engine/x.ts', false], ['src/y.ts', true], ['src/engine/z.ts', true], ['src/engine/w.ts', false],
    ['src/engine/v.ts', true], ['src/engine/u.ts', false], ['src/engine/t.ts', true],
  ]);
});
