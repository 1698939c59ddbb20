/**
 * Conflict rules (delta-rs's, serializable isolation) for a transaction that lost the race for
 * its version: each commit that won in between is checked, and any of these aborts the attempt:
 *
 * 1. the winner changed the protocol or the metadata (or created the table this one was creating);
 * 2. the winner removed (dataChange) a file this transaction read;
 * 3. the winner removed a file this transaction also removes;
 * 4. the winner added files that could hold rows this transaction's predicate covers (a replace
 *    condition, a merge's keys), or any file when the transaction read the whole table;
 * 5. the winner recorded a `txn` for an application id this transaction also records.
 *
 * Otherwise the same actions are committed at the next version. A blind append reads nothing and
 * has no predicate, so two appends never conflict (as in Spark; delta-rs treats an append as
 * having read the whole table and also aborts it when a concurrent overwrite removed files).
 */
import type { Action, AddFile } from '../actions.js';
import { decodeAddPath } from '../paths.js';

export interface ConflictScope {
  /** The version this transaction was planned on; -1 when it creates the table. */
  readVersion: number;
  /** Paths (decoded) of the files this transaction read to plan itself. */
  readFiles: Set<string>;
  /** Paths (decoded) of the files this transaction removes. */
  removes: Set<string>;
  /** Whether it read the whole table (a merge without a filter on partition keys). */
  readsWholeTable: boolean;
  /** Whether an added file could hold rows the transaction's predicate covers; absent for no predicate. */
  mayMatch?: (adds: AddFile[]) => Promise<boolean[]>;
  /** Application ids of the `txn` actions this transaction writes. */
  appIds?: Set<string>;
}

const key = (p: string) => decodeAddPath(p) ?? p;

/** Why the winning commit conflicts with this transaction, or null when it does not. */
export async function findConflict(scope: ConflictScope, winner: number, actions: Action[]): Promise<string | null> {
  if (scope.readVersion < 0) return `the table was created by another writer (version ${winner}) while this write was creating it`;
  const added: AddFile[] = [];
  for (const a of actions) {
    if (a.kind === 'protocol') return `version ${winner} changed the table's protocol`;
    if (a.kind === 'metaData') return `version ${winner} changed the table's metadata (schema, partitioning or properties)`;
    if (a.kind === 'remove') {
      const k = key(a.remove.path);
      if (scope.removes.has(k)) return `version ${winner} removed file ${a.remove.path}, which this write also removes`;
      if (a.remove.dataChange !== false && scope.readFiles.has(k)) return `version ${winner} removed file ${a.remove.path}, which this write read`;
    }
    if (a.kind === 'add' && a.add.dataChange !== false) added.push(a.add);
    if (a.kind === 'txn' && scope.appIds?.has(a.txn.appId)) return `version ${winner} recorded a transaction of application ${a.txn.appId}, which this write also records`;
  }
  if (added.length === 0) return null;
  if (scope.readsWholeTable) return `version ${winner} added files to the table this write read as a whole`;
  if (scope.mayMatch) {
    const hits = await scope.mayMatch(added);
    const i = hits.findIndex(Boolean);
    if (i >= 0) return `version ${winner} added file ${added[i]!.path}, which may hold rows this write replaces`;
  }
  return null;
}
