/** The conflict rules applied to each commit that won the race for a version. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Action, AddFile } from '../../../src/delta/actions.js';
import { findConflict, type ConflictScope } from '../../../src/delta/write/conflicts.js';

const add = (path: string, p = 'x', dataChange = true): Action => ({ kind: 'add', add: { path, partitionValues: { p }, size: 1, modificationTime: 0, dataChange } });
const remove = (path: string, dataChange = true): Action => ({ kind: 'remove', remove: { path, dataChange } });
const blind: ConflictScope = { readVersion: 3, readFiles: new Set(), removes: new Set(), readsWholeTable: false };

test('two appends never conflict', async () => {
  assert.equal(await findConflict(blind, 4, [{ kind: 'commitInfo', commitInfo: {} }, add('a'), add('b')]), null);
});

test('a winner that changed the protocol or the metadata conflicts with everything', async () => {
  assert.match((await findConflict(blind, 4, [{ kind: 'metaData', metaData: { id: 'x', format: { provider: 'parquet' }, schemaString: '{}', partitionColumns: [], configuration: {} } }]))!, /version 4 changed the table's metadata/);
  assert.match((await findConflict(blind, 4, [{ kind: 'protocol', protocol: { minReaderVersion: 1, minWriterVersion: 2 } }]))!, /protocol/);
});

test('creating a table that another writer created meanwhile conflicts', async () => {
  assert.match((await findConflict({ ...blind, readVersion: -1 }, 0, [add('a')]))!, /created by another writer/);
});

test('removing a file this transaction read, or also removes, conflicts; a compaction removing a read file does not', async () => {
  const scope: ConflictScope = { ...blind, readFiles: new Set(['p=x/a b.parquet', 'c']), removes: new Set(['c']) };
  assert.match((await findConflict(scope, 5, [remove('p=x/a%20b.parquet')]))!, /removed file p=x\/a%20b\.parquet, which this write read/);
  assert.match((await findConflict(scope, 5, [remove('c', false)]))!, /which this write also removes/);
  assert.equal(await findConflict(scope, 5, [remove('p=x/a%20b.parquet', false)]), null);
  assert.equal(await findConflict(scope, 5, [remove('other')]), null);
});

test('added files that may hold rows of the predicate conflict; others, and a full overwrite, do not', async () => {
  const seen: AddFile[][] = [];
  const scope: ConflictScope = {
    ...blind,
    mayMatch: async (adds) => {
      seen.push(adds);
      return adds.map((a) => a.partitionValues.p === 'x');
    },
  };
  assert.equal(await findConflict(scope, 6, [add('y1', 'y')]), null);
  assert.match((await findConflict(scope, 6, [add('y2', 'y'), add('x1', 'x')]))!, /added file x1, which may hold rows this write replaces/);
  assert.equal(await findConflict(scope, 6, [add('x2', 'x', false)]), null, 'files added without data change (compaction) hold no new rows');
  assert.equal(seen.length, 2);
  assert.equal(await findConflict(blind, 6, [add('x1', 'x')]), null);
});

test('a transaction that read the whole table conflicts with any added data', async () => {
  assert.match((await findConflict({ ...blind, readsWholeTable: true }, 7, [add('z')]))!, /added files to the table this write read as a whole/);
  assert.equal(await findConflict({ ...blind, readsWholeTable: true }, 7, [{ kind: 'commitInfo', commitInfo: {} }]), null);
});

test('a txn of the same application conflicts', async () => {
  assert.match((await findConflict({ ...blind, appIds: new Set(['app']) }, 8, [{ kind: 'txn', txn: { appId: 'app', version: 3 } }]))!, /application app/);
});
