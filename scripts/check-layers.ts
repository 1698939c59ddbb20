/**
 * The layer check: every import in `machines/` and `src/` must point down the layers of
 * docs/architecture.md, never up. Run by the test suite (test/unit/architecture/layers.test.ts)
 * and by hand: `node --import tsx scripts/check-layers.ts` prints each violation and exits 1.
 *
 * A module's layer is its folder (`src/<folder>/…`, or `machines`). Each layer lists the layers
 * it may import from; imports inside a layer are free. `machines/` are pure: they may import
 * values only from `xstate`, from `machines/` and from pure modules (modules whose own imports
 * are types or other pure modules, with no package or Node built-in), and types from the
 * foundation, definition and protocol layers.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** Each layer and what it may import, from the bottom up. */
export const LAYERS: Readonly<Record<string, readonly string[]>> = {
  core: [],
  pipeline: ['core'],
  protocol: ['core', 'pipeline'],
  config: ['core'],
  storage: ['core', 'pipeline'],
  odbc: ['core'],
  engine: ['core', 'pipeline', 'storage'],
  delta: ['core', 'pipeline', 'storage', 'engine'],
  sources: ['core', 'pipeline', 'storage', 'odbc', 'engine', 'delta'],
  destinations: ['core', 'pipeline', 'storage', 'odbc', 'engine', 'delta'],
  machines: ['core', 'pipeline', 'protocol'],
  run: ['core', 'pipeline', 'storage', 'engine', 'delta', 'sources', 'destinations', 'machines'],
  executor: ['core', 'pipeline', 'protocol', 'run', 'machines'],
  http: ['core', 'protocol'],
  server: ['core', 'protocol', 'http', 'executor'],
  managed: ['core', 'protocol', 'executor', 'machines'],
  orchestrator: ['core', 'pipeline', 'protocol', 'config', 'http', 'machines'],
  cli: ['core', 'pipeline', 'protocol', 'config', 'storage', 'engine', 'run', 'executor', 'http', 'server', 'managed', 'orchestrator'],
};

export interface Import {
  /** Repository-relative path of the importing file. */
  from: string;
  /** The specifier as written. */
  specifier: string;
  /** Repository-relative path of the imported file (relative specifiers only). */
  target: string | null;
  typeOnly: boolean;
}

export interface Violation {
  from: string;
  specifier: string;
  rule: string;
}

/** The layer of a repository-relative path, or null outside `src/` and `machines/`. */
export function layerOf(file: string): string | null {
  const parts = file.split('/');
  if (parts[0] === 'machines') return 'machines';
  if (parts[0] !== 'src' || parts.length < 2) return null;
  return parts.length === 2 ? `src/${parts[1]}` : parts[1]!;
}

/** Every import, export-from and dynamic import of one file, with whether it is type-only. */
export function importsOf(file: string, text: string): Import[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const out: Import[] = [];
  const add = (specifier: string, typeOnly: boolean) => {
    const target = specifier.startsWith('.') ? path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)).replace(/\.js$/, '.ts') : null;
    out.push({ from: file, specifier, target, typeOnly });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly = clause !== undefined && (clause.isTypeOnly || (clause.name === undefined && clause.namedBindings !== undefined
        && ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier.text, typeOnly);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const typeOnly = node.isTypeOnly || (node.exportClause !== undefined && ts.isNamedExports(node.exportClause)
        && node.exportClause.elements.length > 0 && node.exportClause.elements.every((e) => e.isTypeOnly));
      add(node.moduleSpecifier.text, typeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteral(arg)) add(arg.text, false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node.argument.literal.text, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** Checks a set of files (repository-relative path → text). */
export function checkImports(files: ReadonlyMap<string, string>): Violation[] {
  const imports = new Map<string, Import[]>();
  for (const [file, text] of files) imports.set(file, importsOf(file, text));

  const pure = new Map<string, boolean>();
  const isPure = (file: string, seen = new Set<string>()): boolean => {
    if (pure.has(file)) return pure.get(file)!;
    if (seen.has(file)) return true;
    seen.add(file);
    const own = imports.get(file);
    const result = own !== undefined && own.every((i) => i.typeOnly || (i.target !== null && isPure(i.target, seen)));
    pure.set(file, result);
    return result;
  };

  const violations: Violation[] = [];
  for (const [file, list] of imports) {
    const layer = layerOf(file);
    if (layer === null) continue;
    const allowed = LAYERS[layer];
    for (const i of list) {
      if (i.target === null) {
        if (layer === 'machines' && !i.typeOnly && i.specifier !== 'xstate') {
          violations.push({ from: file, specifier: i.specifier, rule: 'machines import no package but xstate' });
        }
        continue;
      }
      const to = layerOf(i.target);
      if (to === null) {
        violations.push({ from: file, specifier: i.specifier, rule: 'imports a file outside src/ and machines/' });
        continue;
      }
      if (to === layer) continue;
      if (allowed === undefined) {
        violations.push({ from: file, specifier: i.specifier, rule: `${layer} is not a known layer (add it to LAYERS and docs/architecture.md)` });
        continue;
      }
      if (!allowed.includes(to)) {
        violations.push({ from: file, specifier: i.specifier, rule: `${layer} may not import ${to} (it may import ${allowed.join(', ') || 'nothing'})` });
        continue;
      }
      if (layer === 'machines' && !i.typeOnly && !isPure(i.target)) {
        violations.push({ from: file, specifier: i.specifier, rule: `machines may import only types from ${to}, or values from pure modules` });
      }
    }
  }
  return violations;
}

function walk(dir: string, root: string, out: Map<string, string>): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, root, out);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.set(path.relative(root, p).split(path.sep).join('/'), readFileSync(p, 'utf8'));
  }
}

/** Checks the repository at `root` (its `src/` and `machines/`). */
export function checkRepository(root: string): Violation[] {
  const files = new Map<string, string>();
  for (const top of ['src', 'machines']) walk(path.join(root, top), root, files);
  return checkImports(files);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const violations = checkRepository(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'));
  for (const v of violations) process.stderr.write(`${v.from}: import '${v.specifier}': ${v.rule}\n`);
  if (violations.length) process.exit(1);
  process.stdout.write('layers: every import points down\n');
}
