/**
 * docs/protocol.md stays honest. Every ```json block in it must parse; the word after `json` in a
 * block's info string says which way the frame travels, and the block must decode with the
 * decoder that receives such frames in the code:
 *
 *   json client        client → executor         src/protocol/decode.ts decodeClientMessage
 *   json executor      executor → client         src/protocol/wire.ts decodeExecutorFrame, and the
 *                                                 orchestrator's decodeExecutorFrameText (it receives
 *                                                 the same frames from managed executors)
 *   json register      executor → orchestrator   src/orchestrator/frames.ts decodeExecutorFrameText
 *   json orchestrator  orchestrator → executor   as a managed executor reads it (src/managed/link.actor.ts)
 *   json               anything else (HTTP bodies): only parsed
 *
 * And every message, event and payload type of the code's unions must have an example. The unions
 * are read from the TypeScript source with the compiler's type checker, so adding a type to the
 * code without documenting it fails this test even when it runs without a type check.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { decodeClientMessage } from '../../../src/protocol/decode.js';
import { decodeExecutorFrame } from '../../../src/protocol/wire.js';
import { decodeExecutorFrameText } from '../../../src/orchestrator/frames.js';
import { REPO } from '../../support/paths.js';

const DOC = path.join(REPO, 'docs/protocol.md');

/**
 * The unions whose members must all have an example, as type aliases of a small source file that
 * the type checker reads beside this test. Event and payload types are reached through the
 * messages that carry them. If a type moves, fix the import here.
 */
const UNIONS_SOURCE = `
import type { ClientMessage, ExecutorMessage, OrchestratorMessage, RegisterExecutor } from '../../../src/protocol/messages.js';
export type Client = ClientMessage;
export type Executor = ExecutorMessage;
export type Register = RegisterExecutor;
export type Orchestrator = OrchestratorMessage;
export type Event = Extract<ExecutorMessage, { type: 'progress_update' }>['event'];
export type Payload = Extract<ExecutorMessage, { type: 'stage_output' }>['payload'];
`;

type UnionName = 'Client' | 'Executor' | 'Register' | 'Orchestrator' | 'Event' | 'Payload';

interface CodeUnions {
  /** The `type` tags of each union's members. */
  tags: Record<UnionName, string[]>;
  /** The fields of `register_executor`. */
  registerFields: string[];
}

function readCodeUnions(): CodeUnions {
  const file = path.join(REPO, 'test/unit/docs/protocol-doc.unions.ts');
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true, skipLibCheck: true, noEmit: true, types: [],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  const isUnionsFile = (name: string) => path.resolve(name) === file;
  host.getSourceFile = (name, language, ...rest) =>
    isUnionsFile(name) ? ts.createSourceFile(name, UNIONS_SOURCE, language) : getSourceFile.call(host, name, language, ...rest);
  host.fileExists = (name) => isUnionsFile(name) || fileExists.call(host, name);
  host.readFile = (name) => (isUnionsFile(name) ? UNIONS_SOURCE : readFile.call(host, name));
  const program = ts.createProgram([file], options, host);
  const source = program.getSourceFile(file)!;
  const problems = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
  assert.deepEqual(problems.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')), [],
    'the unions could not be read from the code (did a type move? fix UNIONS_SOURCE)');
  const checker = program.getTypeChecker();
  const tags = {} as Record<UnionName, string[]>;
  let registerFields: string[] = [];
  for (const symbol of checker.getExportsOfModule(checker.getSymbolAtLocation(source)!)) {
    const name = symbol.getName() as UnionName;
    const type = checker.getDeclaredTypeOfSymbol(symbol);
    const members = type.isUnion() ? type.types : [type];
    tags[name] = members.map((member) => {
      const tag = member.getProperty('type');
      const tagType = tag && checker.getTypeOfSymbol(tag);
      assert.ok(tagType?.isStringLiteral(), `a member of ${name} has no string literal "type"`);
      return tagType.value;
    });
    assert.ok(tags[name].length > 0, `${name} has no members`);
    if (name === 'Register') registerFields = type.getProperties().map((p) => p.getName());
  }
  return { tags, registerFields };
}

type Direction = 'client' | 'executor' | 'register' | 'orchestrator' | 'plain';
const DIRECTIONS: readonly Direction[] = ['client', 'executor', 'register', 'orchestrator'];

interface Example {
  /** 1-based line of the opening fence. */
  line: number;
  direction: Direction;
  text: string;
  value: Record<string, unknown>;
}

/** Every ```json block of the document, with the direction its info string names. */
function examples(): Example[] {
  const lines = readFileSync(DOC, 'utf8').split('\n');
  const found: Example[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    assert.ok(i < lines.length, `docs/protocol.md:${start + 1}: code block never closed`);
    if (open[1] !== 'json') continue;
    const label = open[2]!.trim();
    const direction: Direction = label === '' ? 'plain' : (label as Direction);
    assert.ok(direction === 'plain' || DIRECTIONS.includes(direction), `docs/protocol.md:${start + 1}: unknown direction "${label}" (expected ${DIRECTIONS.join(', ')} or none)`);
    const text = body.join('\n');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      assert.fail(`docs/protocol.md:${start + 1}: not JSON: ${(e as Error).message}`);
    }
    assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value), `docs/protocol.md:${start + 1}: not a JSON object`);
    found.push({ line: start + 1, direction, text, value: value as Record<string, unknown> });
  }
  return found;
}

/** Read once, on first use, so that a failure is reported by the test that needed it. */
function once<T>(read: () => T): () => T {
  let value: { v: T } | undefined;
  return () => (value ??= { v: read() }).v;
}
const all = once(examples);
const unions = once(readCodeUnions);
const where = (e: Example) => `docs/protocol.md:${e.line}`;
const of = (direction: Direction) => all().filter((e) => e.direction === direction);

test('docs/protocol.md: every JSON block parses, and message examples name their direction', () => {
  assert.ok(all().length > 0);
  for (const e of of('plain')) {
    assert.ok(typeof e.value.type !== 'string', `${where(e)}: a message example needs its direction after \`json\``);
  }
});

test('docs/protocol.md: client examples decode as the executor decodes client frames', () => {
  for (const e of of('client')) {
    const d = decodeClientMessage(e.text, { cwd: '/srv/data' });
    assert.ok(d.ok, `${where(e)}: ${d.ok ? '' : d.error}`);
  }
});

test('docs/protocol.md: executor examples decode as the CLI and the orchestrator decode executor frames', () => {
  for (const e of of('executor')) {
    const d = decodeExecutorFrame(e.text);
    assert.equal(d.kind, 'message', `${where(e)}: ${JSON.stringify(d)}`);
    const o = decodeExecutorFrameText(e.text);
    assert.equal(o.kind, 'message', `${where(e)}: the orchestrator does not accept it: ${JSON.stringify(o)}`);
  }
});

test('docs/protocol.md: managed-mode examples decode as the orchestrator and the executor read them', () => {
  for (const e of of('register')) {
    const d = decodeExecutorFrameText(e.text);
    assert.equal(d.kind, 'register', `${where(e)}: ${JSON.stringify(d)}`);
    assert.deepEqual(Object.keys(e.value).sort(), [...unions().registerFields].sort(), `${where(e)}: not the fields the executor sends`);
  }
  for (const e of of('orchestrator')) {
    const type = String(e.value.type);
    assert.ok(unions().tags.Orchestrator.includes(type), `${where(e)}: the orchestrator sends no "${type}"`);
    if (type === 'execution_request' || type === 'cancel_request') {
      // a managed executor decodes requests from its orchestrator as client frames
      const d = decodeClientMessage(e.text, { cwd: '/srv/data' });
      assert.ok(d.ok, `${where(e)}: ${d.ok ? '' : d.error}`);
      if (type === 'execution_request') assert.equal(typeof e.value.execution_id, 'string', `${where(e)}: the orchestrator always sends the execution_id`);
    } else if (type === 'registration_response') {
      assert.equal(typeof e.value.success, 'boolean', `${where(e)}: success`);
      assert.equal(typeof e.value.message, 'string', `${where(e)}: message`);
    } else {
      assert.equal(typeof e.value.message, 'string', `${where(e)}: message`);
    }
  }
});

test('docs/protocol.md: every message, event and payload type of the code has an example', () => {
  const { tags } = unions();
  const typesOf = (direction: Direction, inner?: 'event' | 'payload') => new Set(of(direction).map((e) => {
    const v = inner === undefined ? e.value : e.value[inner];
    return typeof v === 'object' && v !== null ? String((v as Record<string, unknown>).type) : undefined;
  }));
  const missing = (what: string, code: string[], doc: Set<string | undefined>) => code.filter((t) => !doc.has(t)).map((t) => `${what} ${t}`);
  assert.deepEqual([
    ...missing('client → executor message', tags.Client, typesOf('client')),
    ...missing('executor → client message', tags.Executor, typesOf('executor')),
    ...missing('executor → orchestrator message', tags.Register, typesOf('register')),
    ...missing('orchestrator → executor message', tags.Orchestrator, typesOf('orchestrator')),
    ...missing('progress event', tags.Event, typesOf('executor', 'event')),
    ...missing('stage output payload', tags.Payload, typesOf('executor', 'payload')),
  ], [], 'types without an example in docs/protocol.md');
});
