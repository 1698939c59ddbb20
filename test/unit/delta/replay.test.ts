/**
 * Rebuilding a version from a listing: which checkpoint and commits are used (never a checkpoint
 * newer than the version; contiguous commits or a clear error), and how actions are applied.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Action } from '../../../src/delta/actions.js';
import { ExecutorError } from '../../../src/core/errors.js';
import type { LogListing } from '../../../src/delta/listing.js';
import { replayPlan, SnapshotBuilder } from '../../../src/delta/snapshot.js';

function listing(commits: number[], checkpoints: number[] = [], v2: number[] = []): LogListing {
  return {
    commits: new Map(commits.map((v) => [v, { key: `t/_delta_log/${v}.json`, size: 1 }])),
    checkpoints: new Map(checkpoints.map((v) => [v, { version: v, parts: [{ key: `t/_delta_log/${v}.checkpoint.parquet`, size: 1 }] }])),
    v2Checkpoints: new Set(v2),
    from: 0,
  };
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

function fails(code: string, pattern: RegExp) {
  return (e: unknown) => e instanceof ExecutorError && e.code === code && pattern.test(e.message);
}

test('the newest checkpoint at or before the version, then the commits after it', () => {
  const l = listing(range(0, 25), [10, 20]);
  assert.deepEqual(replayPlan('t', l, 25), { checkpoint: l.checkpoints.get(20)!, commits: range(21, 25) });
  assert.deepEqual(replayPlan('t', l, 20), { checkpoint: l.checkpoints.get(20)!, commits: [] });
  assert.deepEqual(replayPlan('t', l, 19), { checkpoint: l.checkpoints.get(10)!, commits: range(11, 19) });
  assert.deepEqual(replayPlan('t', l, 5), { checkpoint: null, commits: range(0, 5) });
});

test('missing commits: "versions are not contiguous", or "not available" when the start was cleaned up', () => {
  assert.throws(() => replayPlan('t', listing([0, 1, 3, 4]), 4), fails('AQ_DELTA_VERSION_NOT_AVAILABLE', /at version 4: versions are not contiguous: commit 00000000000000000002\.json is missing .*commits 0\.\.1, 3\.\.4/));
  assert.deepEqual(replayPlan('t', listing([0, 1, 3, 4]), 1).commits, [0, 1]);
  assert.throws(() => replayPlan('t', listing(range(5, 12), [8]), 6), fails('AQ_DELTA_VERSION_NOT_AVAILABLE', /version 6 not available: the log starts at version 5/));
  assert.deepEqual(replayPlan('t', listing(range(5, 12), [8]), 12).commits, range(9, 12));
  assert.throws(() => replayPlan('t', listing([10, 12], [10]), 12), fails('AQ_DELTA_VERSION_NOT_AVAILABLE', /commit 00000000000000000011\.json is missing/));
});

test('a version that needs a V2 checkpoint is refused as such', () => {
  assert.throws(() => replayPlan('t', listing(range(6, 9), [], [5]), 9), fails('AQ_DELTA_UNSUPPORTED', /V2 checkpoint at version 5 \(v2Checkpoint\)/));
});

const P: Action = { kind: 'protocol', protocol: { minReaderVersion: 1, minWriterVersion: 2 } };
const M = (schema = '{"type":"struct","fields":[{"name":"x","type":"long","nullable":true,"metadata":{}}]}'): Action => ({
  kind: 'metaData', metaData: { id: 'i', format: { provider: 'parquet' }, schemaString: schema, partitionColumns: [], configuration: {} },
});
const add = (path: string, size = 1): Action => ({ kind: 'add', add: { path, partitionValues: {}, size, modificationTime: 0, dataChange: true } });
const remove = (path: string): Action => ({ kind: 'remove', remove: { path, dataChange: true } });

test('actions in order: remove and re-add of a path, keys decoded once, the latest metaData and txn win', () => {
  const b = new SnapshotBuilder('t', 3);
  b.apply([P, M(), add('a%20b.parquet'), add('c.parquet'), { kind: 'txn', txn: { appId: 'app', version: 1 } }], 0);
  b.apply([remove('a b.parquet'), add('d.parquet')], 1);
  b.apply([remove('c.parquet'), add('c.parquet', 9), M('{"type":"struct","fields":[{"name":"y","type":"string","nullable":true,"metadata":{}}]}'), { kind: 'txn', txn: { appId: 'app', version: 2 } }], 2);
  const s = b.finish();
  assert.deepEqual([...s.files.keys()].sort(), ['c.parquet', 'd.parquet']);
  assert.equal(s.files.get('c.parquet')!.size, 9);
  assert.deepEqual([...s.tombstones.keys()], ['a b.parquet']);
  assert.equal(s.schema.fields[0]!.name, 'y');
  assert.equal(s.txns.get('app')!.version, 2);
});

test('a state without protocol or metaData, or with a deletion vector, is refused', () => {
  const noProtocol = new SnapshotBuilder('t', 0);
  noProtocol.apply([M()], 0);
  assert.throws(() => noProtocol.finish(), fails('AQ_DELTA_INVALID_LOG', /no protocol action/));
  const dv = new SnapshotBuilder('t', 1);
  dv.apply([P, M(), { kind: 'add', add: { path: 'f', partitionValues: {}, size: 1, modificationTime: 0, dataChange: true, deletionVector: { storageType: 'u' } } }], 1);
  assert.throws(() => dv.finish(), fails('AQ_DELTA_UNSUPPORTED', /has a deletion vector/));
  const badPartition = new SnapshotBuilder('t', 0);
  badPartition.apply([P, { kind: 'metaData', metaData: { id: 'i', format: { provider: 'parquet' }, schemaString: '{"type":"struct","fields":[]}', partitionColumns: ['p'], configuration: {} } }], 0);
  assert.throws(() => badPartition.finish(), fails('AQ_DELTA_INVALID_LOG', /partition column "p" is not in the schema/));
});
