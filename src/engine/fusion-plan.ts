/**
 * Stage fusion: which stages are stored as tables and which are registered as views, so that the
 * engine plans a chain of stages (and the destination's write) as one query instead of storing
 * every intermediate result in full. Pure: it decides from the pipeline and each stage's traits.
 *
 * A stage becomes a view when all of these hold (otherwise it is a table, as without fusion):
 * - it is read by exactly one later stage, which names it exactly once (a common table expression
 *   of the same name counts as two readings) — or it is the last stage and the destination reads
 *   its result exactly once (a file or in-memory destination);
 * - it has no `show` and no `explain_analyze` (both need its rows; `explain` and `print_schema`
 *   need only its plan and schema, and are produced from the view);
 * - its SQL calls no function whose result may change between evaluations (fusion-rules.ts);
 * - no stage of the pipeline reads the engine's state or names a relation by text.
 */
import type { Aqueduct, Stage } from '../pipeline/types.js';
import type { StageTraits } from './stage-traits.js';

export type StageRelation = 'table' | 'view';

/** How the destination reads the last stage: not at all, in one query, or in several. */
export type DestinationReading = 'none' | 'once' | 'many';

export interface FusionPlan {
  relation: ReadonlyMap<string, StageRelation>;
  /** Why a stage is a table (for the debug log); a view's entry names the stage that reads it. */
  reason: ReadonlyMap<string, string>;
  /**
   * The views computed inside a stage's query (transitively), in pipeline order; for the last
   * stage when it is a view, the views the destination's query computes, the stage included.
   */
  fusedInto: ReadonlyMap<string, readonly string[]>;
  /** Stage relations that can be dropped once the group at this index has finished. */
  dropAfter: ReadonlyMap<number, readonly string[]>;
}

export interface FusionOptions {
  destination: DestinationReading;
  /** false: every stage is a table (nothing fused). */
  enabled: boolean;
}

interface Placed { stage: Stage; group: number; order: number }

export function planFusion(pipeline: Aqueduct, traits: ReadonlyMap<string, StageTraits>, opts: FusionOptions): FusionPlan {
  const placed: Placed[] = [];
  pipeline.stages.forEach((group, g) => group.forEach((stage) => placed.push({ stage, group: g, order: placed.length })));
  const last = placed.at(-1);
  const traitsOf = (s: Stage) => traits.get(s.name)!;
  const engineState = placed.map((p) => traitsOf(p.stage).engineState).find((x) => x !== null) ?? null;

  /** Later stages reading `p`, with how many times each names it. */
  const readersOf = (p: Placed): Array<{ reader: Placed; times: number }> => {
    const key = p.stage.name.toLowerCase();
    return placed
      .filter((q) => q.group > p.group)
      .map((q) => ({ reader: q, times: (traitsOf(q.stage).reads.get(key) ?? 0) + (traitsOf(q.stage).ctes.has(key) ? 2 : 0) }))
      .filter((r) => r.times > 0);
  };

  const relation = new Map<string, StageRelation>();
  const reason = new Map<string, string>();
  const readerOf = new Map<string, Placed>();
  for (const p of placed) {
    const t = traitsOf(p.stage);
    const readers = readersOf(p);
    const why = !opts.enabled ? 'fusion is off'
      : engineState !== null ? `a stage reads the engine's state (${engineState})`
      : p.stage.show !== null ? 'it is shown'
      : p.stage.explain_analyze ? 'its query is analyzed'
      : t.nondeterministic !== null ? `it calls ${t.nondeterministic}(), which is not deterministic`
      : p === last ? (opts.destination === 'once' ? null : opts.destination === 'none' ? 'no destination reads it' : 'the destination reads it more than once')
      : readers.length === 0 ? 'no later stage reads it'
      : readers.length > 1 ? `${readers.length} later stages read it`
      : readers[0]!.times > 1 ? `stage "${readers[0]!.reader.stage.name}" reads it more than once`
      : null;
    relation.set(p.stage.name, why === null ? 'view' : 'table');
    if (why === null && p !== last) readerOf.set(p.stage.name, readers[0]!.reader);
    reason.set(p.stage.name, why ?? (p === last ? 'the destination reads it' : `read only by stage "${readers[0]!.reader.stage.name}"`));
  }

  // The views each stage's query computes: its own fused inputs and theirs, in pipeline order.
  const fusedInto = new Map<string, string[]>();
  for (const p of placed) {
    const inputs = placed.filter((q) => {
      for (let r = readerOf.get(q.stage.name); r; r = readerOf.get(r.stage.name)) if (r === p) return true;
      return false;
    }).map((q) => q.stage.name);
    if (p === last && relation.get(p.stage.name) === 'view') inputs.push(p.stage.name);
    fusedInto.set(p.stage.name, inputs);
  }

  // A relation is last used when the query that computes its reader runs: a view's reads happen
  // in its reader's query (and the last stage's view in the destination's, after every group).
  const runsAt = (p: Placed): number => {
    if (relation.get(p.stage.name) === 'table') return p.group;
    const reader = readerOf.get(p.stage.name);
    return reader ? runsAt(reader) : Infinity;
  };
  const dropAfter = new Map<number, string[]>();
  for (const p of placed) {
    if (p === last) continue;
    const lastUse = readersOf(p).reduce((m, r) => Math.max(m, runsAt(r.reader)), p.group);
    if (lastUse === Infinity) continue; // kept until the destination has read it
    dropAfter.set(lastUse, [...(dropAfter.get(lastUse) ?? []), p.stage.name]);
  }
  return { relation, reason, fusedInto, dropAfter };
}
