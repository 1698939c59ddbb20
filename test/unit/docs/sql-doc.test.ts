/**
 * docs/sql.md against the code: its tables of session settings, macros, helper macros, replaced
 * built-ins, rewrite rules, chrono specifiers and JavaScript functions must list exactly what the
 * compatibility layer installs. Macros and functions are read from a real DuckDB instance after
 * applySqlCompat (compared with a bare instance), so the tables follow what is installed, not a
 * list kept next to it; every rewrite example is run through rewriteSql.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { applySqlCompat } from '../../../src/engine/sql/compat.js';
import { REWRITE_RULES, chronoToDuckDBFormat, rewriteSql } from '../../../src/engine/sql/rewrite.js';
import { SESSION_SETTINGS } from '../../../src/engine/sql/settings.js';

const DOC_PATH = 'docs/sql.md';
const DOC = readFileSync(new URL('../../../docs/sql.md', import.meta.url), 'utf8');

// ---------------------------------------------------------------------------------------------
// Markdown tables

interface Table {
  header: string[];
  rows: string[][];
  line: number;
}

/** Cells of a table row: split on `|` not escaped as `\|`, then unescaped and trimmed. */
function cells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/(?<!\\)\|$/, '');
  return inner.split(/(?<!\\)\|/).map((c) => c.replaceAll('\\|', '|').trim());
}

function tables(markdown: string): Table[] {
  const lines = markdown.split('\n');
  const out: Table[] = [];
  for (let i = 0; i < lines.length; i++) {
    const isRow = (l: string | undefined): boolean => l !== undefined && l.trim().startsWith('|');
    if (!isRow(lines[i]) || !/^\s*\|?\s*:?-{3,}/.test(lines[i + 1] ?? '')) continue;
    const table: Table = { header: cells(lines[i]!), rows: [], line: i + 1 };
    let j = i + 2;
    for (; isRow(lines[j]); j++) table.rows.push(cells(lines[j]!));
    out.push(table);
    i = j - 1;
  }
  return out;
}

/** Every `code span` of a cell. */
function codeSpans(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
}

/** The single code span of a cell. */
function onlyCode(cell: string): string {
  const spans = codeSpans(cell);
  assert.equal(spans.length, 1, `expected one code span in ${JSON.stringify(cell)}`);
  return spans[0]!;
}

const ALL_TABLES = tables(DOC);

/** The tables whose first header cell is `first`. */
function tablesHeaded(first: string): Table[] {
  return ALL_TABLES.filter((t) => t.header[0] === first);
}

/** Rows of the tables headed `first`, with the names (code spans) of their first cell. */
function namedRows(first: string): Array<{ names: string[]; row: string[]; line: number }> {
  const found = tablesHeaded(first);
  assert.ok(found.length > 0, `${DOC_PATH} has no table headed "${first}"`);
  return found.flatMap((t) => t.rows.map((row, k) => ({ names: codeSpans(row[0] ?? ''), row, line: t.line + 2 + k })));
}

/** Set comparison with a message naming what is missing from the document and what is extra. */
function assertSameNames(listed: readonly string[], actual: readonly string[], what: string): void {
  const dup = listed.filter((n, i) => listed.indexOf(n) !== i);
  assert.deepEqual(dup, [], `${DOC_PATH} lists these ${what} more than once: ${dup.join(', ')}`);
  const missing = actual.filter((n) => !listed.includes(n));
  const extra = listed.filter((n) => !actual.includes(n));
  assert.deepEqual(
    { missing, extra },
    { missing: [], extra: [] },
    `${DOC_PATH}: ${what} in the code but not in the document: [${missing.join(', ')}]; `
      + `in the document but not in the code: [${extra.join(', ')}]`,
  );
}

/** "1, 2", "0–16", "2–4, 6": argument counts, runs of three or more written as ranges. */
function arityText(counts: Iterable<number>): string {
  const c = [...new Set(counts)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < c.length;) {
    let j = i;
    while (j + 1 < c.length && c[j + 1] === c[j]! + 1) j++;
    if (j - i >= 2) parts.push(`${c[i]}–${c[j]}`);
    else for (let k = i; k <= j; k++) parts.push(String(c[k]));
    i = j + 1;
  }
  return parts.join(', ');
}

// ---------------------------------------------------------------------------------------------
// What the code installs

interface Installed {
  /** Macros of the run's database: name → argument counts of its overloads. */
  macros: Map<string, Set<number>>;
  /** Functions the layer adds to the system catalog (the JavaScript functions). */
  functions: Map<string, Set<number>>;
  /** Names of the system catalog's functions before the layer is applied. */
  builtins: Set<string>;
}

const CATALOG = 'SELECT database_name, function_name, function_type, len(parameters) FROM duckdb_functions()';

async function catalog(compat: boolean): Promise<Array<[string, string, string, number]>> {
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const conn = await instance.connect();
    if (compat) await applySqlCompat(conn);
    const rows = (await conn.runAndReadAll(CATALOG)).getRowsJS();
    conn.closeSync();
    return rows.map(([db, name, type, n]) => [String(db), String(name), String(type), Number(n)]);
  } finally {
    instance.closeSync();
  }
}

async function installed(): Promise<Installed> {
  const bare = await catalog(false);
  const withLayer = await catalog(true);
  const bareKeys = new Set(bare.map(([db, name, type, n]) => `${db}|${name}|${type}|${n}`));
  const macros = new Map<string, Set<number>>();
  const functions = new Map<string, Set<number>>();
  for (const [db, name, type, n] of withLayer) {
    if (bareKeys.has(`${db}|${name}|${type}|${n}`)) continue;
    const into = db === 'system' ? functions : type === 'macro' ? macros : undefined;
    assert.ok(into, `unexpected catalog entry added by the compatibility layer: ${db}.${name} (${type})`);
    if (!into.has(name)) into.set(name, new Set());
    into.get(name)!.add(n);
  }
  return { macros, functions, builtins: new Set(bare.filter(([db]) => db === 'system').map(([, name]) => name)) };
}

let layer: Installed;
before(async () => { layer = await installed(); });

// ---------------------------------------------------------------------------------------------

test('the session settings table lists every setting with its value', () => {
  const rows = namedRows('setting');
  assertSameNames(rows.flatMap((r) => r.names), SESSION_SETTINGS.map((s) => s.name), 'session settings');
  for (const s of SESSION_SETTINGS) {
    const row = rows.find((r) => r.names.includes(s.name))!;
    assert.equal(onlyCode(row.row[1] ?? ''), s.sql, `${DOC_PATH}:${row.line}: the value of ${s.name}`);
  }
});

describe('macros', () => {
  const checkArities = (rows: ReturnType<typeof namedRows>): void => {
    for (const { names, row, line } of rows) {
      for (const name of names) {
        const counts = layer.macros.get(name);
        if (counts) assert.equal(row[1], arityText(counts), `${DOC_PATH}:${line}: arguments of ${name}`);
      }
    }
  };

  test('the macro tables list every macro stage SQL may call, with its argument counts', () => {
    const rows = namedRows('macro');
    const actual = [...layer.macros.keys()].filter((n) => !n.startsWith('aq_'));
    assert.ok(actual.length > 50, 'the compatibility layer installed its macros');
    assertSameNames(rows.flatMap((r) => r.names), actual, 'macros');
    checkArities(rows);
  });

  test('the helper macro table lists every aq_ macro', () => {
    const rows = namedRows('helper macro');
    assertSameNames(rows.flatMap((r) => r.names), [...layer.macros.keys()].filter((n) => n.startsWith('aq_')), 'helper macros');
    checkArities(rows);
  });

  test('the replaced built-ins table lists exactly the macros that hide a DuckDB function', () => {
    const rows = namedRows('replaced built-in');
    const shadowing = [...layer.macros.keys()].filter((n) => layer.builtins.has(n));
    assertSameNames(rows.flatMap((r) => r.names.slice(0, 1)), shadowing, 'replaced built-ins');
  });
});

describe('rewrite rules', () => {
  const rows = namedRows('rewrite rule');

  test('the table lists every rule, in the order the rules run', () => {
    const listed = rows.map((r) => r.names[0] ?? '');
    assertSameNames(listed, REWRITE_RULES, 'rewrite rules');
    assert.deepEqual(listed, [...REWRITE_RULES], `${DOC_PATH}: the rewrite rules in the order they run`);
  });

  for (const { names, row, line } of rows) {
    test(`the example of ${names[0]} is what the rewrite does`, () => {
      const input = onlyCode(row[1] ?? '');
      const output = onlyCode(row[2] ?? '');
      assert.notEqual(input, output, `${DOC_PATH}:${line}: the example should change`);
      assert.equal(rewriteSql(input), output, `${DOC_PATH}:${line}`);
    });
  }
});

test('the chrono specifier table is what the rewrite translates', () => {
  const rows = namedRows('chrono specifier');
  const listed = new Map(rows.map(({ row, line }) => [onlyCode(row[0] ?? ''), { to: onlyCode(row[1] ?? ''), line }]));
  for (const [from, { to, line }] of listed) assert.equal(chronoToDuckDBFormat(from), to, `${DOC_PATH}:${line}: ${from}`);
  // every specifier the rewrite changes is listed: %x, %:x, %.x, %Nx, %.Nx for any x and digit N
  const chars = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'];
  const candidates = chars.flatMap((x) => [`%${x}`, `%:${x}`, `%.${x}`, ...[...'0123456789'].flatMap((n) => [`%${n}${x}`, `%.${n}${x}`])]);
  const changed = candidates.filter((s) => chronoToDuckDBFormat(s) !== s);
  assertSameNames([...listed.keys()], changed, 'chrono specifiers');
});

test('the JavaScript function table lists every function the layer registers', () => {
  const rows = namedRows('JavaScript function');
  assert.ok(layer.functions.size > 0, 'the compatibility layer registered its functions');
  assertSameNames(rows.flatMap((r) => r.names), [...layer.functions.keys()], 'JavaScript functions');
  for (const { names, row, line } of rows) {
    for (const name of names) assert.equal(row[1], arityText(layer.functions.get(name) ?? []), `${DOC_PATH}:${line}: arguments of ${name}`);
  }
});
