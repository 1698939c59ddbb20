/**
 * docs/operations.md keeps the configuration honest. Its two option tables ("### Executor options"
 * and "### Orchestrator options") must list exactly the options the configuration code defines
 * (EXECUTOR_OPTIONS in src/config/executor.ts, ORCHESTRATOR_OPTIONS in src/config/orchestrator.ts):
 * every flag once, with the argument `--help` shows, its own environment variable, a default and
 * a meaning; no flag or variable the code does not have. The defaults the code keeps as constants
 * must appear in the default column. A new option in the code therefore fails this test until it
 * is documented, and a removed one until its row is deleted.
 *
 * The rest of the document may name flags of other programs (the `aqueducts` CLI, docker), but
 * every `--flag` it names must exist in one of them, so a removed or renamed server flag cannot
 * linger in the prose. And the links of the operations, ODBC, cloud storage and benchmark pages
 * must point at existing documents and headings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULTS, EXECUTOR_OPTIONS } from '../../../src/config/executor.js';
import { ORCHESTRATOR_DEFAULTS, ORCHESTRATOR_OPTIONS } from '../../../src/config/orchestrator.js';
import type { OptionSpec } from '../../../src/config/values.js';
import { REPO } from '../../support/paths.js';

const DOCS = path.join(REPO, 'docs');
const DOC_NAME = 'operations.md';
const DOC = readFileSync(path.join(DOCS, DOC_NAME), 'utf8');

/** The CLI's option definitions, read as text (the program is built when the module loads). */
const CLI_SOURCE = 'src/cli/aqueducts.ts';

/** Flags of programs other than ours that the document may show in commands. */
const OTHER_PROGRAMS_FLAGS: Record<string, string[]> = {
  docker: ['--name', '--stop-timeout', '--health-cmd', '--build'],
  'commander (both servers and the CLI)': ['--help', '--version'],
};

interface Row {
  line: number;
  cells: string[];
}

interface Program {
  heading: string;
  options: Record<string, OptionSpec>;
  /** Values the default column of a flag must show, from the code's constants. */
  defaults: Record<string, Array<string | number | undefined>>;
}

const PROGRAMS: Program[] = [
  {
    heading: '### Executor options',
    options: EXECUTOR_OPTIONS,
    defaults: {
      '--mode': [DEFAULTS.mode],
      '--bind-address': [DEFAULTS.bindAddress],
      '--log-level': [DEFAULTS.logLevel],
      '--queue-size': [DEFAULTS.queueSize?.standalone, DEFAULTS.queueSize?.managed],
      '--drain-timeout': [DEFAULTS.drainTimeoutSeconds],
      '--max-message-bytes': [DEFAULTS.maxMessageBytes],
    },
  },
  {
    heading: '### Orchestrator options',
    options: ORCHESTRATOR_OPTIONS,
    defaults: {
      '--bind-address': [ORCHESTRATOR_DEFAULTS.bindAddress],
      '--log-level': [ORCHESTRATOR_DEFAULTS.logLevel],
      '--queue-size': [ORCHESTRATOR_DEFAULTS.queueSize],
      '--liveness-timeout': [ORCHESTRATOR_DEFAULTS.livenessTimeoutSeconds],
      '--executor-lost-grace': [ORCHESTRATOR_DEFAULTS.lostGraceExtraSeconds],
      '--max-message-bytes': [ORCHESTRATOR_DEFAULTS.maxMessageBytes],
      '--history-size': [ORCHESTRATOR_DEFAULTS.historySize],
    },
  },
];

const FLAG = /--[a-z0-9][a-z0-9-]*/g;
const flagsIn = (text: string): string[] => text.match(FLAG) ?? [];

/** Splits a Markdown table row into cells; a `|` inside a code span does not split. */
function cells(line: string): string[] {
  const out: string[] = [];
  let cell = '';
  let ticks = 0;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '`') {
      let n = 1;
      while (line[i + n] === '`') n++;
      ticks = ticks === 0 ? n : ticks === n ? 0 : ticks;
      cell += line.slice(i, i + n);
      i += n - 1;
    } else if (ch === '|' && ticks === 0) {
      out.push(cell.trim());
      cell = '';
    } else {
      cell += ch;
    }
  }
  out.push(cell.trim());
  return out.slice(1, -1);
}

/** The rows (without header and separator) of the first table under `heading`, before the next heading. */
function tableUnder(heading: string): Row[] {
  const lines = DOC.split('\n');
  const start = lines.findIndex((l) => l.trim() === heading);
  assert.ok(start >= 0, `docs/${DOC_NAME}: no heading "${heading}"`);
  const rows: Row[] = [];
  let inTable = false;
  for (let i = start + 1; i < lines.length; i++) {
    const l = lines[i]!;
    if (/^#{1,6} /.test(l)) break;
    if (l.startsWith('|')) {
      inTable = true;
      rows.push({ line: i + 1, cells: cells(l) });
    } else if (inTable) {
      break;
    }
  }
  assert.ok(rows.length > 2, `docs/${DOC_NAME}: no table under "${heading}"`);
  assert.ok(rows[1]!.cells.every((c) => /^:?-{3,}:?$/.test(c)), `docs/${DOC_NAME}:${rows[1]!.line}: expected the table's separator row`);
  return rows.slice(2);
}

const codeSpans = (cell: string): string[] => [...cell.matchAll(/(`+)\s?(.*?)\s?\1/g)].map((m) => m[2]!);

for (const program of PROGRAMS) {
  const where = (row: Row) => `docs/${DOC_NAME}:${row.line}`;
  const specs = Object.values(program.options);

  test(`docs/${DOC_NAME} "${program.heading}": one row per flag, each with its variable, a default and a meaning`, () => {
    const seen = new Map<string, number>();
    for (const row of tableUnder(program.heading)) {
      assert.equal(row.cells.length, 4, `${where(row)}: expected 4 cells (flag | environment variable | default | meaning)`);
      const [flagCell, envCell, defaultCell, meaningCell] = row.cells as [string, string, string, string];
      const flags = codeSpans(flagCell).flatMap(flagsIn);
      assert.equal(flags.length, 1, `${where(row)}: expected exactly one flag in "${flagCell}"`);
      const flag = flags[0]!;
      assert.ok(!seen.has(flag), `${where(row)}: ${flag} is listed again (first at line ${seen.get(flag)})`);
      seen.set(flag, row.line);
      const envs = codeSpans(envCell).filter((s) => /^[A-Z][A-Z0-9_]*$/.test(s));
      assert.equal(envs.length, 1, `${where(row)}: expected exactly one environment variable in "${envCell}"`);
      assert.notEqual(defaultCell, '', `${where(row)}: ${flag} has no default (write — when there is none)`);
      assert.notEqual(meaningCell, '', `${where(row)}: ${flag} has no meaning`);

      const spec = specs.find((s) => s.flag === flag);
      if (!spec) continue; // reported by the next test, with the complete list
      assert.equal(envs[0], spec.env, `${where(row)}: ${flag} is set by ${spec.env} in the code, not ${envs[0]}`);
      const shown = spec.arg === '' ? spec.flag : `${spec.flag} ${spec.arg}`;
      assert.ok(codeSpans(flagCell).includes(shown), `${where(row)}: write the flag as --help shows it: \`${shown}\``);
    }
  });

  test(`docs/${DOC_NAME} "${program.heading}": exactly the flags and variables of the configuration code`, () => {
    const rows = tableUnder(program.heading);
    const docFlags = new Set(rows.flatMap((r) => codeSpans(r.cells[0] ?? '').flatMap(flagsIn)));
    const docEnvs = new Set(rows.flatMap((r) => codeSpans(r.cells[1] ?? '').filter((s) => /^[A-Z][A-Z0-9_]*$/.test(s))));
    const codeFlags = new Set(specs.map((s) => s.flag));
    const codeEnvs = new Set(specs.map((s) => s.env));
    const found = {
      'missing from the document (add a row with default and meaning)': [
        ...[...codeFlags].filter((f) => !docFlags.has(f)),
        ...[...codeEnvs].filter((e) => !docEnvs.has(e)),
      ],
      'documented but not in the code (remove the row, or add the option to the code)': [
        ...[...docFlags].filter((f) => !codeFlags.has(f)),
        ...[...docEnvs].filter((e) => !codeEnvs.has(e)),
      ],
    };
    assert.deepEqual(found, {
      'missing from the document (add a row with default and meaning)': [],
      'documented but not in the code (remove the row, or add the option to the code)': [],
    }, `"${program.heading}" in docs/${DOC_NAME} against ${program.heading.includes('Executor') ? 'src/config/executor.ts' : 'src/config/orchestrator.ts'}`);
  });

  test(`docs/${DOC_NAME} "${program.heading}": the defaults the code holds as constants`, () => {
    const rows = tableUnder(program.heading);
    for (const [flag, values] of Object.entries(program.defaults)) {
      const row = rows.find((r) => codeSpans(r.cells[0] ?? '').some((s) => flagsIn(s).includes(flag)));
      if (!row) continue; // a missing row is reported by the test above
      for (const value of values) {
        assert.notEqual(value, undefined, `the default of ${flag} moved in the code: update this test's PROGRAMS`);
        const re = new RegExp(`(?<![\\w.])${String(value).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w.])`);
        assert.ok(re.test(row.cells[2] ?? ''), `${where(row)}: the default of ${flag} is ${value} in the code; the table says "${row.cells[2]}"`);
      }
    }
  });
}

test(`docs/${DOC_NAME}: every --flag it names exists in one of the programs it speaks of`, () => {
  const cliSource = path.join(REPO, CLI_SOURCE);
  assert.ok(existsSync(cliSource), `${CLI_SOURCE} moved: update CLI_SOURCE in this test`);
  const cliFlags = [...readFileSync(cliSource, 'utf8').matchAll(/\.(?:requiredOption|option)\(\s*'([^']*)'/g)].flatMap((m) => flagsIn(m[1]!));
  assert.ok(cliFlags.includes('--executor'), `no option definitions found in ${CLI_SOURCE}: update this test`);
  const known = new Set([
    ...Object.values(EXECUTOR_OPTIONS).map((s) => s.flag),
    ...Object.values(ORCHESTRATOR_OPTIONS).map((s) => s.flag),
    ...cliFlags,
    ...Object.values(OTHER_PROGRAMS_FLAGS).flat(),
  ]);
  const unknown: string[] = [];
  DOC.split('\n').forEach((line, i) => {
    for (const flag of line.match(/(?<![\w-])--[a-z0-9][a-z0-9-]*/g) ?? []) {
      // An example of the error for a flag that does not exist is fine.
      if (line.includes(`unknown option '${flag}'`)) continue;
      if (!known.has(flag)) unknown.push(`docs/${DOC_NAME}:${i + 1}: ${flag}`);
    }
  });
  assert.deepEqual(unknown, [], 'flags no program defines (a server flag that was renamed or removed, or a new program: add it to OTHER_PROGRAMS_FLAGS)');
});
