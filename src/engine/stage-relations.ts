/**
 * The stage relations of one run: what each stage is stored as (table or view) and the query it
 * holds, so that fused views can be stored as the tables they stand for when a query computing
 * them fails (the fallback that attributes the failure to the stage whose SQL failed), and so
 * that each is dropped as what it is.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { classifyEngineError } from './session.js';
import { quoteIdent } from './sql-text.js';
import type { StageRelation } from './fusion-plan.js';
import { stageSubject } from './stages.js';

interface Entry { relation: StageRelation; query: string }

export class StageRelations {
  private readonly entries = new Map<string, Entry>();

  record(name: string, relation: StageRelation, query: string): void {
    this.entries.set(name, { relation, query });
  }

  relationOf(name: string): StageRelation | undefined {
    return this.entries.get(name)?.relation;
  }

  /**
   * Stores each of these stages that is still a view as a table, in the order given (a view's
   * inputs first), exactly as it would have been stored without fusion; a failure is that
   * stage's (AQ_STAGE_FAILED or AQ_OUT_OF_MEMORY naming it). Returns whether any view was stored.
   */
  async materialise(conn: DuckDBConnection, names: readonly string[]): Promise<boolean> {
    let stored = false;
    for (const name of names) {
      const entry = this.entries.get(name);
      if (entry?.relation !== 'view') continue;
      const relation = quoteIdent(name);
      try {
        await conn.run(`DROP VIEW ${relation}`);
        entry.relation = 'table';
        await conn.run(`CREATE TABLE ${relation} AS ${entry.query}`);
      } catch (e) {
        throw classifyEngineError(e, 'AQ_STAGE_FAILED', stageSubject(name));
      }
      stored = true;
    }
    return stored;
  }

  /** Drops the stage's relation, if it has one; returns what it was. */
  async drop(conn: DuckDBConnection, name: string): Promise<StageRelation | undefined> {
    const entry = this.entries.get(name);
    if (!entry) return undefined;
    await conn.run(`DROP ${entry.relation === 'view' ? 'VIEW' : 'TABLE'} IF EXISTS ${quoteIdent(name)}`);
    this.entries.delete(name);
    return entry.relation;
  }
}
