/**
 * docs/pipeline-format.md against the JSON Schema the executor generates (src/pipeline/schema.ts,
 * the same as aqueducts.schema.json): every source type, destination type, file format, write
 * mode and field name, with every accepted spelling and alias, appears in the section that
 * describes it, each alias on its field's row; the field tables list no field the schema lacks.
 * The pipeline examples of the document load without errors or warnings and their SQL passes the
 * stage check.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { getStaticTOMLValue, parseTOML } from 'toml-eslint-parser';
import { parse as parseYaml } from 'yaml';
import { ExecutorError, formatDiagnostic } from '../../../src/core/errors.js';
import { checkPipelineSql } from '../../../src/engine/validate.js';
import { decodeAqueduct } from '../../../src/pipeline/decode.js';
import { loadPipelineText, type PipelineFormat } from '../../../src/pipeline/load.js';
import { pipelineJsonSchema } from '../../../src/pipeline/schema.js';

const DOC_PATH = 'docs/pipeline-format.md';
const DOC = readFileSync(new URL('../../../docs/pipeline-format.md', import.meta.url), 'utf8');
const SCHEMA = pipelineJsonSchema() as unknown as JsonSchema;

interface JsonSchema {
  properties?: Record<string, JsonSchema>;
  definitions?: Record<string, JsonSchema>;
  oneOf?: JsonSchema[];
  enum?: unknown[];
  description?: string;
  [key: string]: unknown;
}

// ---------------------------------------------------------------------------------------------
// The document: sections (outside code blocks), tables, code spans, code blocks

const LINES = DOC.split('\n');

interface Heading { level: number; text: string; line: number }
interface CodeBlock { lang: string; text: string; line: number }

const HEADINGS: Heading[] = [];
const BLOCKS: CodeBlock[] = [];
{
  let fence: CodeBlock | null = null;
  const body: string[] = [];
  LINES.forEach((line, i) => {
    const f = /^```(\w*)\s*$/.exec(line);
    if (f && !fence) {
      fence = { lang: f[1] ?? '', text: '', line: i + 1 };
      body.length = 0;
    } else if (f && fence) {
      fence.text = body.join('\n');
      BLOCKS.push(fence);
      fence = null;
    } else if (fence) {
      body.push(line);
    } else {
      const h = /^(#{1,6}) (.*)$/.exec(line);
      if (h) HEADINGS.push({ level: h[1]!.length, text: h[2]!.trim(), line: i + 1 });
    }
  });
}

/**
 * The section under the heading, up to the next heading of the same or a higher level: its text,
 * the line of its heading and the line after its end.
 */
function section(heading: string): { text: string; line: number; end: number } {
  const at = HEADINGS.findIndex((h) => h.text === heading);
  assert.ok(at >= 0, `${DOC_PATH} has no heading "${heading}"`);
  const h = HEADINGS[at]!;
  const end = HEADINGS.slice(at + 1).find((n) => n.level <= h.level)?.line ?? LINES.length + 1;
  return { text: LINES.slice(h.line, end - 1).join('\n'), line: h.line, end };
}

function blocksIn(heading: string): CodeBlock[] {
  const { line, end } = section(heading);
  return BLOCKS.filter((b) => b.line > line && b.line < end);
}

function codeSpans(text: string): string[] {
  return [...text.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
}

function cells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/(?<!\\)\|$/, '');
  return inner.split(/(?<!\\)\|/).map((c) => c.replaceAll('\\|', '|').trim());
}

/** The first table of a section: header and rows of cells. */
function firstTable(text: string, where: string): { header: string[]; rows: string[][] } {
  const lines = text.split('\n');
  const start = lines.findIndex((l, i) => l.trim().startsWith('|') && /^\s*\|?\s*:?-{3,}/.test(lines[i + 1] ?? ''));
  assert.ok(start >= 0, `${where} has no table`);
  const rows: string[][] = [];
  for (let i = start + 2; lines[i]?.trim().startsWith('|'); i++) rows.push(cells(lines[i]!));
  return { header: cells(lines[start]!), rows };
}

function missingSpans(text: string, names: readonly string[]): string[] {
  const spans = new Set(codeSpans(text));
  return names.filter((n) => !spans.has(n));
}

// ---------------------------------------------------------------------------------------------
// The schema

function def(name: string): JsonSchema {
  const d = SCHEMA.definitions?.[name];
  assert.ok(d, `the JSON Schema has no definition ${name}`);
  return d;
}

function propsOf(s: JsonSchema | undefined): Record<string, JsonSchema> {
  return s?.properties ?? {};
}

/** The accepted spellings of a variant's tag (`type` or `operation`), canonical name first. */
function spellings(variant: JsonSchema, tag: string): string[] {
  const e = variant.properties?.[tag]?.enum;
  assert.ok(Array.isArray(e) && e.length > 0, `a variant without ${tag} spellings`);
  return e.map(String);
}

/**
 * Alias pairs among an object's properties: a property described as `Alias of x`, a property whose
 * description names `Alias: y`, and two properties with the same schema (`format`/`file_type`).
 */
function aliasPairs(props: Record<string, JsonSchema>): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  const names = Object.keys(props);
  for (const [name, p] of Object.entries(props)) {
    const of = /Alias of (\w+)/.exec(p.description ?? '')?.[1];
    if (of && props[of]) pairs.push([of, name]);
    const alias = /Alias: (\w+)/.exec(p.description ?? '')?.[1];
    if (alias && props[alias]) pairs.push([name, alias]);
  }
  names.forEach((a, i) => names.slice(i + 1).forEach((b) => {
    if (isDeepStrictEqual(props[a], props[b])) pairs.push([a, b]);
  }));
  return pairs.filter(([a, b], i) => pairs.findIndex(([c, d]) => c === a && d === b) === i);
}

/**
 * A section describing fields: every field and spelling appears in it; the first table (whose
 * field column is `column`) lists each field, puts each alias on its field's row, and lists
 * nothing else.
 */
function checkFieldSection(heading: string, props: Record<string, JsonSchema>, extraNames: readonly string[] = [], column = 0): void {
  const { text, line } = section(heading);
  const where = `${DOC_PATH}:${line} (${heading})`;
  const names = Object.keys(props);
  assert.deepEqual(missingSpans(text, [...names, ...extraNames]), [], `${where}: names of the schema that the section does not mention`);
  const table = firstTable(text, where);
  const listed = table.rows.map((r) => codeSpans(r[column] ?? ''));
  const unknown = listed.flat().filter((n) => !names.includes(n));
  assert.deepEqual(unknown, [], `${where}: the table lists fields the schema does not have`);
  const absent = names.filter((n) => !listed.flat().includes(n));
  assert.deepEqual(absent, [], `${where}: fields of the schema missing from the table`);
  for (const [field, alias] of aliasPairs(props)) {
    assert.ok(listed.some((row) => row.includes(field) && row.includes(alias)), `${where}: \`${alias}\` is not on the row of \`${field}\``);
  }
}

// ---------------------------------------------------------------------------------------------

describe('sources and destinations', () => {
  for (const [kind, definition] of [['Source', 'Source'], ['Destination', 'Destination']] as const) {
    const variants = def(definition).oneOf ?? [];
    test(`every ${kind.toLowerCase()} type has a section`, () => {
      assert.ok(variants.length >= 4);
      const headings = HEADINGS.map((h) => h.text).filter((t) => t.startsWith(`${kind} \``));
      assert.deepEqual(headings.sort(), variants.map((v) => `${kind} \`${spellings(v, 'type')[0]}\``).sort());
    });
    for (const variant of variants) {
      const [name, ...aliases] = spellings(variant, 'type');
      test(`${kind.toLowerCase()} ${name}: every field and alias, every spelling of its type`, () => {
        checkFieldSection(`${kind} \`${name}\``, propsOf(variant), [name!, ...aliases]);
      });
    }
  }
});

describe('file formats, write modes, stages, fields, partition columns', () => {
  /** Variants of an adjacently tagged enum: spellings of the tag, and the content's fields. */
  const adjacent = (definition: string, tag: string, content: string): { names: string[]; props: Record<string, JsonSchema> } => {
    const names: string[] = [];
    const props: Record<string, JsonSchema> = {};
    for (const v of def(definition).oneOf ?? []) {
      names.push(...spellings(v, tag));
      Object.assign(props, propsOf(v));
      const inner = v.properties?.[content];
      Object.assign(props, propsOf(inner), ...(inner?.oneOf ?? []).map(propsOf));
    }
    return { names, props };
  };

  for (const [heading, definition] of [['Source file formats', 'SourceFileType'], ['Destination file formats', 'DestinationFileType']] as const) {
    test(heading, () => {
      const { names, props } = adjacent(definition, 'type', 'options');
      const { text, line } = section(heading);
      assert.deepEqual(missingSpans(text, [...names, ...Object.keys(props)]), [], `${DOC_PATH}:${line} (${heading}): names of the schema that the section does not mention`);
      const options = firstTable(text, heading).rows.flatMap((r) => codeSpans(r[1] ?? ''));
      const known = Object.keys(props).filter((n) => n !== 'type' && n !== 'options');
      assert.deepEqual(options.filter((o) => !known.includes(o)), [], `${DOC_PATH}:${line} (${heading}): options the schema does not have`);
      assert.deepEqual(known.filter((o) => !options.includes(o)), [], `${DOC_PATH}:${line} (${heading}): options missing from the table`);
    });
  }

  test('ODBC write modes', () => {
    const { names, props } = adjacent('OdbcWriteMode', 'operation', 'transaction');
    checkFieldSection('ODBC write modes', props, names);
  });

  test('Delta write modes', () => {
    const { names, props } = adjacent('DeltaWriteMode', 'operation', 'params');
    checkFieldSection('Delta write modes', { ...props, ...propsOf(def('ReplaceCondition')) }, names);
  });

  test('stage fields', () => checkFieldSection('Stage fields', propsOf(def('Stage'))));
  test('field', () => checkFieldSection('Field', propsOf(def('Field'))));
  test('partition columns', () => {
    const object = (def('PartitionColumn').oneOf ?? []).find((v) => v.properties);
    checkFieldSection('Partition columns', propsOf(object));
  });
  test('top level', () => checkFieldSection('Top level', propsOf(SCHEMA)));
});

test('every definition of the schema is checked by this test', () => {
  const checked = ['Source', 'Destination', 'SourceFileType', 'DestinationFileType', 'OdbcWriteMode', 'DeltaWriteMode', 'ReplaceCondition', 'Stage', 'Field', 'PartitionColumn'];
  assert.deepEqual(Object.keys(SCHEMA.definitions ?? {}).sort(), checked.sort(), 'a new definition needs its section and a check here');
});

test('every property name and enum value of the schema appears in the document', () => {
  const names = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== 'object') return;
    const o = v as JsonSchema;
    if (o.properties) for (const k of Object.keys(o.properties)) names.add(k);
    if (Array.isArray(o.enum)) for (const e of o.enum) if (typeof e === 'string') names.add(e);
    Object.values(o).forEach(walk);
  };
  walk(SCHEMA);
  assert.ok(names.size > 50);
  assert.deepEqual(missingSpans(DOC, [...names]), [], `${DOC_PATH}: names of the schema that the document does not mention`);
});

// ---------------------------------------------------------------------------------------------
// The examples

const PARAMS = { month: 'jan', year: '2024', password: 'secret', rows: '10', day: '2024-01-01' };
const TOP_LEVEL = new Set(['version', 'sources', 'stages', 'destination']);
const CWD = '/srv/work';

function parseBlock(b: CodeBlock): unknown {
  if (b.lang === 'json') return JSON.parse(b.text);
  if (b.lang === 'toml') return getStaticTOMLValue(parseTOML(b.text));
  return parseYaml(b.text);
}

/** The invalid pipeline of "Errors and warnings", which is checked against the output shown after it. */
const INVALID = blocksIn('Errors and warnings').filter((b) => b.lang === 'yaml');

/** Code blocks that are pipelines or top-level parts of one (`sources:`, `destination:`, ...). */
const EXAMPLES = BLOCKS.filter((b) => ['yaml', 'json', 'toml'].includes(b.lang) && !INVALID.includes(b)).filter((b) => {
  const firstKey = /^\s*(?:\[+\s*)?"?([A-Za-z_]+)"?\s*[:=\]]/m.exec(b.text.replace(/^\s*#.*$/gm, '').replace(/^\s*\{/, ''))?.[1];
  return firstKey !== undefined && TOP_LEVEL.has(firstKey);
});

describe('examples', () => {
  test('the document has pipeline examples in YAML, JSON and TOML', () => {
    assert.deepEqual([...new Set(EXAMPLES.map((b) => b.lang))].sort(), ['json', 'toml', 'yaml']);
  });

  const first: Record<string, unknown> = {};
  for (const b of EXAMPLES) {
    test(`${DOC_PATH}:${b.line} (${b.lang}) loads without errors or warnings, and its SQL passes the check`, async () => {
      const raw = parseBlock(b) as Record<string, unknown>;
      const complete = 'sources' in raw && 'stages' in raw;
      let result;
      if (complete) {
        result = loadPipelineText(b.text, b.lang as PipelineFormat, PARAMS, { cwd: CWD });
      } else {
        // a part of a pipeline: completed with what it lacks
        const doc = { sources: [], stages: [[{ name: 'last', query: 'SELECT 1 AS x' }]], ...raw };
        result = decodeAqueduct(doc, { cwd: CWD });
      }
      assert.deepEqual(result.warnings, [], `${DOC_PATH}:${b.line}: warnings`);
      await checkPipelineSql(result.pipeline);
      if (complete && section('An example').text.includes(b.text)) first[b.lang] = result.pipeline;
    });
  }

  test('the first example is the same pipeline in YAML, JSON and TOML', () => {
    assert.deepEqual(Object.keys(first).sort(), ['json', 'toml', 'yaml']);
    assert.deepEqual(first['json'], first['yaml']);
    assert.deepEqual(first['toml'], first['yaml']);
  });
});

test('the invalid pipeline of "Errors and warnings" fails with the errors shown after it', () => {
  assert.equal(INVALID.length, 1, 'one invalid example');
  const invalid = INVALID[0]!;
  const output = BLOCKS[BLOCKS.indexOf(invalid) + 1];
  assert.ok(output && output.lang === '', `${DOC_PATH}:${invalid.line}: the block after the example is the output`);
  let error: ExecutorError | undefined;
  try {
    loadPipelineText(invalid.text, 'yaml', {}, { cwd: CWD });
  } catch (e) {
    assert.ok(e instanceof ExecutorError);
    error = e;
  }
  assert.ok(error, `${DOC_PATH}:${invalid.line}: the example should fail`);
  // the CLI prints a headline, then the message, then each finding, indented
  const expected = [error.message, ...error.diagnostics.map(formatDiagnostic)].map((l) => `  ${l}`);
  assert.deepEqual(output.text.split('\n').slice(1), expected, `${DOC_PATH}:${output.line}`);
});
