/**
 * Mermaid state diagrams of the machines, generated from their definitions, so the diagrams in
 * docs/architecture.md cannot drift: test/unit/architecture/diagrams.test.ts compares them.
 *
 *   node --import tsx scripts/machine-diagrams.ts           prints the diagrams
 *   node --import tsx scripts/machine-diagrams.ts --write   rewrites them in docs/architecture.md
 *
 * A diagram shows every state and every transition that changes state (actions that leave the
 * state as it is are not transitions). Labels: the event, `after <delay>`, `done(<actor>)` /
 * `error(<actor>)` for an invoked actor's end, `always` for an eventless transition; a named guard
 * in brackets, `[guarded]` for an inline one; `(re-entered)` when the state is left and entered
 * again. In the document each diagram sits between `<!-- diagram:<name> -->` and
 * `<!-- /diagram -->`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnyStateMachine } from 'xstate';
import { executorMachine } from '../machines/executor.machine.js';
import { orchestratorConnectionMachine } from '../machines/orchestrator-connection.machine.js';
import { orchestratorMachine } from '../machines/orchestrator.machine.js';
import { pipelineRunMachine } from '../machines/pipeline-run.machine.js';

export const MACHINES: Readonly<Record<string, AnyStateMachine>> = {
  'pipeline-run': pipelineRunMachine,
  executor: executorMachine,
  'orchestrator-connection': orchestratorConnectionMachine,
  orchestrator: orchestratorMachine,
};

/** The parts of XState's StateNode read here. */
interface Node {
  key: string;
  path: string[];
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  states: Record<string, Node>;
  initial?: { target?: Node[] };
  transitions: Map<string, Transition[]>;
  always?: Transition[];
  invoke: Array<{ id: string; src: unknown }>;
}
interface Transition {
  target?: Node[];
  guard?: unknown;
  reenter?: boolean;
}

const idOf = (n: Node) => n.path.join('_');


/** Invoked actors' ids → the names they were declared with in `setup({ actors })`. */
function actorNames(node: Node, out = new Map<string, string>()): Map<string, string> {
  for (const i of node.invoke) out.set(i.id, typeof i.src === 'string' ? i.src : i.id);
  for (const c of Object.values(node.states)) actorNames(c, out);
  return out;
}

let actors = new Map<string, string>();

function eventLabel(event: string): string {
  const after = /^xstate\.after\.([^.]+)\./.exec(event);
  if (after) return `after ${after[1]}`;
  const done = /^xstate\.(done|error)\.actor\.(.+)$/.exec(event);
  if (done) return `${done[1]}(${actors.get(done[2]!) ?? done[2]})`;
  if (/^xstate\.done\.state\./.test(event)) return 'done';
  return event;
}

function guardLabel(guard: unknown): string {
  if (guard === undefined) return '';
  if (typeof guard === 'function') return ' [guarded]';
  if (typeof guard === 'string') return ` [${guard}]`;
  const type = (guard as { type?: unknown }).type;
  return typeof type === 'string' ? ` [${type}]` : ' [guarded]';
}

function moves(node: Node): Array<[string, Transition]> {
  const out: Array<[string, Transition]> = [];
  for (const t of node.always ?? []) out.push(['always', t]);
  for (const [event, list] of node.transitions) for (const t of list) out.push([eventLabel(event), t]);
  return out;
}

/**
 * Mermaid cannot draw a transition between states of different composites, so a transition is
 * drawn between the two states (or ancestors) that are children of the nearest state containing
 * both, inside that state's block: `sources.registering → failed` appears as `sources → failed`.
 */
function place(from: Node, to: Node, label: string, edges: Map<string, string[]>): void {
  let common = 0;
  while (common < from.path.length - 1 && common < to.path.length - 1 && from.path[common] === to.path[common]) common++;
  const a = from.path.slice(0, common + 1).join('_');
  const b = to.path.slice(0, common + 1).join('_');
  const scope = from.path.slice(0, common).join('_');
  const line = `${a} --> ${b} : ${label}`;
  const list = edges.get(scope) ?? [];
  if (!list.includes(line)) list.push(line);
  edges.set(scope, list);
}

function collect(node: Node, edges: Map<string, string[]>): void {
  for (const [label, t] of moves(node)) {
    for (const target of t.target ?? []) {
      place(node, target, `${label}${guardLabel(t.guard)}${t.reenter && target === node ? ' (re-entered)' : ''}`, edges);
    }
  }
  for (const c of Object.values(node.states)) collect(c, edges);
}

function lines(node: Node, indent: string, edges: Map<string, string[]>, out: string[]): void {
  const children = Object.values(node.states);
  const block = (c: Node) => {
    if (Object.keys(c.states).length) {
      out.push(`${indent}state "${c.key}" as ${idOf(c)} {`);
      lines(c, `${indent}  `, edges, out);
      out.push(`${indent}}`);
    } else {
      out.push(`${indent}state "${c.key}" as ${idOf(c)}`);
    }
  };
  if (node.type === 'parallel') {
    children.forEach((region, i) => {
      if (i > 0) out.push(`${indent}--`);
      block(region);
    });
  } else {
    children.forEach(block);
    const initial = node.initial?.target?.[0];
    if (initial) out.push(`${indent}[*] --> ${idOf(initial)}`);
  }
  for (const e of edges.get(idOf(node)) ?? []) out.push(`${indent}${e}`);
  for (const c of children) if (c.type === 'final') out.push(`${indent}${idOf(c)} --> [*]`);
}

export function diagram(machine: AnyStateMachine): string {
  const root = machine.root as unknown as Node;
  actors = actorNames(root);
  const edges = new Map<string, string[]>();
  for (const c of Object.values(root.states)) collect(c, edges);
  // The machine's own transitions apply in every state until it is done: drawn from each
  // top-level state that is not final.
  for (const c of Object.values(root.states)) {
    if (c.type === 'final') continue;
    for (const [label, t] of moves(root)) for (const target of t.target ?? []) place(c, target, `${label}${guardLabel(t.guard)}`, edges);
  }
  const out = ['stateDiagram-v2'];
  lines(root, '  ', edges, out);
  return out.join('\n');
}

const BLOCK = /<!-- diagram:([a-z-]+) -->\n```mermaid\n[\s\S]*?\n```\n<!-- \/diagram -->/g;

/** The document with every diagram block replaced by the generated one. */
export function withDiagrams(doc: string): string {
  return doc.replace(BLOCK, (_, name: string) => {
    const machine = MACHINES[name];
    if (!machine) throw new Error(`docs/architecture.md: no machine named ${name}`);
    return `<!-- diagram:${name} -->\n\`\`\`mermaid\n${diagram(machine)}\n\`\`\`\n<!-- /diagram -->`;
  });
}

/** The names of the diagram blocks the document has. */
export function diagramNames(doc: string): string[] {
  return [...doc.matchAll(BLOCK)].map((m) => m[1]!);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../docs/architecture.md');
  if (process.argv.includes('--write')) {
    writeFileSync(file, withDiagrams(readFileSync(file, 'utf8')));
    process.stdout.write(`rewrote the diagrams in ${path.relative(process.cwd(), file)}\n`);
  } else {
    for (const [name, machine] of Object.entries(MACHINES)) process.stdout.write(`${name}\n${diagram(machine)}\n\n`);
  }
}
