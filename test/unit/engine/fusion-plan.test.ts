/** planFusion: which stages become views, what each query computes, and when relations are dropped. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planFusion, type FusionOptions } from '../../../src/engine/fusion-plan.js';
import type { StageTraits } from '../../../src/engine/stage-traits.js';
import type { Aqueduct, Stage } from '../../../src/pipeline/types.js';

/** Groups of stages as `name: reads...` strings; `!` after a name marks a non-deterministic stage. */
function pipeline(groups: string[][]): { pipeline: Aqueduct; traits: Map<string, StageTraits> } {
  const traits = new Map<string, StageTraits>();
  const stages = groups.map((g) => g.map((spec): Stage => {
    const [head, ...reads] = spec.split(/[: ]+/).filter(Boolean);
    const name = head!.replace('!', '');
    const counts = new Map<string, number>();
    for (const r of reads) counts.set(r, (counts.get(r) ?? 0) + 1);
    traits.set(name, { reads: counts, ctes: new Set(), nondeterministic: head!.endsWith('!') ? 'random' : null, engineState: null });
    return { name, query: '', show: null, explain: false, explain_analyze: false, print_schema: false };
  }));
  return { pipeline: { version: 'v2', sources: [], stages, destination: null } as unknown as Aqueduct, traits };
}

const ONCE: FusionOptions = { destination: 'once', enabled: true };
const object = <V>(m: ReadonlyMap<string | number, V>) => Object.fromEntries(m);

test('a chain read once at each step is fused down to the destination, and what it reads is kept until then', () => {
  const { pipeline: p, traits } = pipeline([['a', 'x!'], ['b: a x'], ['c: b']]);
  const plan = planFusion(p, traits, ONCE);
  assert.deepEqual(object(plan.relation), { a: 'view', x: 'table', b: 'view', c: 'view' });
  assert.deepEqual(object(plan.fusedInto), { a: [], x: [], b: ['a'], c: ['a', 'b', 'c'] });
  // x is read by b, a view computed by the destination's query: it is never dropped before it.
  assert.deepEqual(object(plan.dropAfter), {});
});

test('a view is dropped, and what it reads is kept, until the group of the table that computes it', () => {
  const { pipeline: p, traits } = pipeline([['a', 'x!'], ['b: a x'], ['c: b', 'd: b'], ['e: c d']]);
  const plan = planFusion(p, traits, { destination: 'none', enabled: true });
  assert.deepEqual(object(plan.relation), { a: 'view', x: 'table', b: 'table', c: 'view', d: 'view', e: 'table' });
  assert.deepEqual(object(plan.fusedInto), { a: [], x: [], b: ['a'], c: [], d: [], e: ['c', 'd'] });
  assert.deepEqual(object(plan.dropAfter), { 1: ['a', 'x'], 3: ['b', 'c', 'd'] });
});

test('read twice, by two stages, by none, not deterministic, or the last stage of a destination reading it many times: a table', () => {
  const { pipeline: p, traits } = pipeline([['twice', 'shared', 'unread', 'rnd!'], ['r: twice twice shared rnd', 's: shared'], ['last: r s']]);
  const plan = planFusion(p, traits, { destination: 'many', enabled: true });
  assert.deepEqual(object(plan.relation), { twice: 'table', shared: 'table', unread: 'table', 'rnd': 'table', r: 'view', s: 'view', last: 'table' });
  assert.deepEqual(object(plan.reason), {
    twice: 'stage "r" reads it more than once',
    shared: '2 later stages read it',
    unread: 'no later stage reads it',
    rnd: 'it calls random(), which is not deterministic',
    r: 'read only by stage "last"',
    s: 'read only by stage "last"',
    last: 'the destination reads it more than once',
  });
});

test('a common table expression named like a stage counts as reading it twice; fusion off or a read of the engine state leaves only tables', () => {
  const { pipeline: p, traits } = pipeline([['a'], ['b: a']]);
  traits.get('b')!.ctes.add('a');
  assert.equal(planFusion(p, traits, ONCE).relation.get('a'), 'table');
  traits.get('b')!.ctes.clear();
  assert.equal(planFusion(p, traits, ONCE).relation.get('a'), 'view');
  assert.deepEqual(object(planFusion(p, traits, { destination: 'once', enabled: false }).relation), { a: 'table', b: 'table' });
  traits.get('b')!.engineState = 'duckdb_tables';
  assert.deepEqual(object(planFusion(p, traits, ONCE).relation), { a: 'table', b: 'table' });
});
