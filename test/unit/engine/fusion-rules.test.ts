/**
 * The names that keep a stage from being fused, checked against the engine's own catalogue (a
 * real DuckDB with the compatibility layer), and what a stage's parse tree tells about it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ENGINE_STATE_FUNCTIONS, isNondeterministic, NONDETERMINISTIC_FUNCTIONS, readsEngineState } from '../../../src/engine/fusion-rules.js';
import { stageTraits } from '../../../src/engine/stage-traits.js';
import { openCompatDb, type CompatDb } from '../sql/helpers.js';

let db: CompatDb;
before(async () => { db = await openCompatDb(); });
after(() => db.close());

interface Fn { name: string; type: string; stability: string | null; definition: string | null }

async function catalogue(): Promise<Fn[]> {
  const rows = await db.rows('SELECT lower(function_name), function_type, stability, macro_definition FROM duckdb_functions()');
  return rows.map(([name, type, stability, definition]) => ({ name: String(name), type: String(type), stability: stability as string | null, definition: definition as string | null }));
}

/** Names in `fns` that are in `seed`, or are macros whose definition names one of them (to a fixed point). */
function closure(fns: Fn[], seed: (name: string) => boolean): Set<string> {
  const found = new Set(fns.map((f) => f.name).filter(seed));
  for (let grew = true; grew;) {
    grew = false;
    for (const f of fns) {
      if (found.has(f.name) || !f.definition) continue;
      if ((f.definition.toLowerCase().match(/[a-z_][a-z0-9_]*/g) ?? []).some((w) => found.has(w) || seed(w))) {
        found.add(f.name);
        grew = true;
      }
    }
  }
  return found;
}

describe('the lists match the engine', () => {
  test('every function DuckDB calls volatile or consistent only within a query, and every macro calling one, is not deterministic', async () => {
    const fns = await catalogue();
    const unstable = new Set(fns.filter((f) => f.stability === 'VOLATILE' || f.stability === 'CONSISTENT_WITHIN_QUERY').map((f) => f.name));
    assert.ok(unstable.has('random') && unstable.has('now') && unstable.has('nextval'), [...unstable].join(', '));
    const missing = [...closure(fns, (n) => unstable.has(n) || NONDETERMINISTIC_FUNCTIONS.has(n))].filter((n) => !isNondeterministic(n));
    assert.deepEqual(missing, []);
  });

  test('every table function and macro reading the catalog is one that reads the engine\'s state', async () => {
    const fns = await catalogue();
    const catalogReaders = closure(fns, (n) => n.startsWith('duckdb_') || n === 'information_schema' || n === 'pg_catalog');
    const missing = [...catalogReaders].filter((n) => !readsEngineState(n));
    assert.deepEqual(missing, []);
    for (const n of ENGINE_STATE_FUNCTIONS) assert.ok(fns.some((f) => f.name === n), `${n} is not a function of this engine`);
  });
});

describe('stage traits', () => {
  test('count the relations a query names, wherever it names them, and its common table expressions', async () => {
    const t = await stageTraits(db.conn, 'WITH w AS (SELECT * FROM a) SELECT * FROM w JOIN "B" USING (k) WHERE k IN (SELECT k FROM a) AND EXISTS (FROM main.c)');
    assert.deepEqual(Object.fromEntries(t.reads), { a: 2, w: 1, b: 1, c: 1 });
    assert.deepEqual([...t.ctes], ['w']);
    assert.equal(t.nondeterministic, null);
    assert.equal(t.engineState, null);
  });

  test('find a non-deterministic function in a lambda, a macro of the compatibility layer, or a keyword without parentheses', async () => {
    assert.equal((await stageTraits(db.conn, 'SELECT list_transform([1, 2], lambda x: x + random()) AS l')).nondeterministic, 'random');
    assert.equal((await stageTraits(db.conn, 'SELECT uuid() AS id')).nondeterministic, 'uuid');
    assert.equal((await stageTraits(db.conn, 'SELECT CURRENT_DATE AS d')).nondeterministic, 'CURRENT_DATE');
    assert.equal((await stageTraits(db.conn, 'SELECT sum(x) OVER (ORDER BY x) FROM t')).nondeterministic, null);
  });

  test('find reads of the engine\'s state: catalog functions and schemas, relations named by text', async () => {
    assert.equal((await stageTraits(db.conn, 'SELECT * FROM duckdb_tables()')).engineState, 'duckdb_tables');
    assert.equal((await stageTraits(db.conn, 'SELECT * FROM information_schema.columns')).engineState, 'information_schema.columns');
    assert.equal((await stageTraits(db.conn, "SELECT * FROM query_table('a')")).engineState, 'query_table');
    assert.equal((await stageTraits(db.conn, 'SELECT * FROM range(3)')).engineState, null);
  });
});
