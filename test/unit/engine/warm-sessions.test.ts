/**
 * Engine sessions prepared ahead of runs (src/run/warm-sessions.ts) on a real DuckDB: a run takes
 * the session prepared before it asked, gets its own limits, sees nothing an earlier run left (the
 * compatibility macros it creates included), and closing leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, test } from 'node:test';
import type { DuckDBConnection } from '@duckdb/node-api';
import { silentLogger } from '../../../src/core/log.js';
import { EngineSession } from '../../../src/engine/session.js';
import { MACROS } from '../../../src/engine/sql/macros.js';
import { WarmSessions } from '../../../src/run/warm-sessions.js';
import { tempDir } from '../../support/engine.js';

const log = silentLogger();

async function rows(c: DuckDBConnection, sql: string): Promise<unknown[][]> {
  return (await c.runAndReadAll(sql)).getRowsJson() as unknown[][];
}

async function one(c: DuckDBConnection, sql: string): Promise<unknown> {
  return (await rows(c, sql))[0]![0];
}

/** Waits (polling the directory) until `root` holds `n` entries; returns them. */
async function entries(root: string, n: number): Promise<string[]> {
  for (let i = 0; i < 600; i++) {
    const names = await readdir(root).catch(() => []);
    if (names.length === n) return names.sort();
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${root} never held ${n} entries: ${JSON.stringify(await readdir(root).catch(() => []))}`);
}

/** Each test's supplier, closed even when the test fails. */
const started: WarmSessions[] = [];
after(async () => { for (const w of started) await w.close(); });

async function start(): Promise<{ warm: WarmSessions; spillRoot: string }> {
  const spillRoot = await tempDir('aq-warm-');
  const warm = WarmSessions.start({ spillRoot, log });
  started.push(warm);
  return { warm, spillRoot };
}

/** A macro of the compatibility layer and its definition as DuckDB shows it. */
const MACRO = MACROS.find((m) => m.name === 'to_hex') ?? MACROS[0]!;
const macroDefinition = (c: DuckDBConnection) => one(c, `SELECT string_agg(macro_definition, ' | ' ORDER BY macro_definition) FROM duckdb_functions() WHERE database_name = current_database() AND function_name = '${MACRO.name}'`);

test('a run takes the session prepared before it asked; what a run leaves, the next run never sees', async () => {
  const { warm, spillRoot } = await start();
  // The prepared session's spill directory.
  const prepared = await entries(spillRoot, 1);
  const a = await EngineSession.open({ spillRoot, log });
  assert.ok(prepared.includes(path.basename(a.spillDir)), `${a.spillDir} was not prepared ahead (${prepared.join(', ')})`);
  await a.useMacros([`SELECT ${MACRO.name.toUpperCase()}(255)`]);
  const original = await macroDefinition(a.main);
  assert.ok(original, `${MACRO.name} was not created`);
  // Everything a run (or the engine for it) can leave in its instance and spill directory.
  await a.main.run(`CREATE TABLE leftover AS SELECT 42 AS x;
    CREATE VIEW leftover_view AS SELECT 1 AS y;
    CREATE OR REPLACE MACRO ${MACRO.name}(x) AS 'replaced';
    CREATE MACRO leftover_macro() AS 1;
    CREATE SEQUENCE leftover_seq;
    SET GLOBAL default_order = 'DESC';
    SET GLOBAL memory_limit = '300MiB';`);
  await writeFile(path.join(a.spillDir, 'leftover.tmp'), 'x');
  await a.lockdown();
  await a.close();

  const b = await EngineSession.open({ spillRoot, log });
  try {
    assert.deepEqual(await rows(b.main, "SELECT table_name FROM duckdb_tables() UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT internal UNION ALL SELECT sequence_name FROM duckdb_sequences()"), []);
    assert.equal(await one(b.main, "SELECT count(*) FROM duckdb_functions() WHERE function_name = 'leftover_macro'"), '0');
    // No macro until the run's SQL calls one, then the original.
    assert.equal(await one(b.main, "SELECT count(*) FROM duckdb_functions() WHERE database_name = current_database() AND function_type IN ('macro', 'table_macro')"), '0');
    await b.useMacros([`SELECT ${MACRO.name}(255)`]);
    assert.equal(await macroDefinition(b.main), original);
    assert.equal(await one(b.main, "SELECT current_setting('default_order')"), 'ASCENDING');
    assert.notEqual(await one(b.main, "SELECT current_setting('memory_limit')"), '300.0 MiB');
    assert.deepEqual(await readdir(b.spillDir), []);
    assert.deepEqual(await rows(b.main, 'SELECT database_name FROM duckdb_databases() WHERE NOT internal ORDER BY 1'), [['memory']]);
    assert.notEqual(b.spillDir, a.spillDir);
    assert.notEqual(b.instance, a.instance);
    assert.equal(b.isLocked, false);
    // Not locked down: the run's own lockdown still applies.
    await b.main.run("SET allowed_directories = ['/nowhere/']");
    await b.lockdown();
    await assert.rejects(b.main.run("SET memory_limit = '1GiB'"), /lock|configuration/i);
  } finally {
    await b.close();
  }
  await warm.close();
  assert.deepEqual(await readdir(spillRoot), []);
});

test('a prepared session takes each run\'s memory and spill limits', async () => {
  const { spillRoot } = await start();
  const limits = async (opts: { memoryLimitGb?: number; maxSpillBytes?: number }) => {
    const s = await EngineSession.open({ spillRoot, log, ...opts });
    try {
      return await rows(s.main, "SELECT current_setting('memory_limit'), current_setting('max_temp_directory_size')");
    } finally {
      await s.close();
    }
  };
  await entries(spillRoot, 1);
  assert.deepEqual(await limits({ memoryLimitGb: 1, maxSpillBytes: 3 * 1024 ** 3 }), [['1.0 GiB', '3.0 GiB']]);
  await entries(spillRoot, 1);
  assert.deepEqual(await limits({ memoryLimitGb: 0.5, maxSpillBytes: 5 * 1024 ** 3 }), [['512.0 MiB', '5.0 GiB']]);
  await entries(spillRoot, 1);
  const [[memory]] = await limits({}) as [[string]];
  assert.notEqual(memory, '512.0 MiB');
});

test('closing waits for the closing of finished sessions, closes the prepared one, and removes everything', async () => {
  const { warm, spillRoot } = await start();
  const s = await EngineSession.open({ spillRoot, log });
  // The run's session and the next one, prepared; the run leaves many files to remove.
  await warm.ready();
  assert.equal((await readdir(spillRoot)).length, 2);
  await Promise.all(Array.from({ length: 10000 }, (_, i) => writeFile(path.join(s.spillDir, `spilled-${i}.tmp`), 'x')));
  await s.close();
  // The finished session is still being closed.
  await warm.close();
  assert.deepEqual(await readdir(spillRoot), []);
  // Sessions opened after that are the run's own.
  const own = await EngineSession.open({ spillRoot, log });
  assert.deepEqual(await readdir(spillRoot), [path.basename(own.spillDir)]);
  await own.close();
  assert.deepEqual(await readdir(spillRoot), []);
});

test('an executor\'s prepared session is created with its memory limit and spill budget; a run asking for another memory limit gets it', async () => {
  const spillRoot = await tempDir('aq-warm-');
  const warm = WarmSessions.start({ spillRoot, log, memoryLimitGb: 0.5, spillBudget: async () => 7 * 1024 ** 3 });
  started.push(warm);
  const limits = async (memoryLimitGb: number) => {
    await warm.ready();
    const s = await EngineSession.open({ spillRoot, log, memoryLimitGb, maxSpillBytes: 3 * 1024 ** 3 });
    try {
      return await rows(s.main, "SELECT current_setting('memory_limit'), current_setting('max_temp_directory_size')");
    } finally {
      await s.close();
    }
  };
  // DuckDB's own spill limit stays the one the instance was created with (the run's budget is
  // enforced on its spill directory, session.ts watchDisk).
  assert.deepEqual(await limits(0.5), [['512.0 MiB', '7.0 GiB']]);
  assert.deepEqual(await limits(1), [['1.0 GiB', '7.0 GiB']]);
});
