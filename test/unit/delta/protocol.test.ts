/** The protocol gate for readers and writers, and the table properties of a new table. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Metadata, Protocol } from '../../../src/delta/actions.js';
import { checkReadable, checkWritable, readProblem, tablePropertyProblems, writeProblem } from '../../../src/delta/protocol.js';
import { ExecutorError } from '../../../src/core/errors.js';
import { parseSchemaString } from '../../../src/delta/schema.js';

const meta = (configuration: Record<string, string> = {}): Metadata => ({ id: 'x', format: { provider: 'parquet' }, schemaString: '{}', partitionColumns: [], configuration });
const proto = (r: number, w: number, readerFeatures?: string[], writerFeatures?: string[]): Protocol => ({ minReaderVersion: r, minWriterVersion: w, ...(readerFeatures ? { readerFeatures } : {}), ...(writerFeatures ? { writerFeatures } : {}) });

test('readable: reader 1; reader 2 without column mapping; reader 3 with known features only', () => {
  assert.equal(readProblem(proto(1, 2), meta()), null);
  assert.equal(readProblem(proto(1, 7, undefined, ['changeDataFeed']), meta()), null, 'writer features do not concern readers');
  assert.equal(readProblem(proto(2, 5), meta()), null);
  assert.equal(readProblem(proto(2, 5), meta({ 'delta.columnMapping.mode': 'none' })), null);
  assert.equal(readProblem(proto(3, 7, ['timestampNtz', 'vacuumProtocolCheck'], ['timestampNtz']), meta()), null);
  assert.equal(readProblem(proto(3, 7, ['columnMapping'], ['columnMapping']), meta({ 'delta.columnMapping.mode': 'none' })), null);
});

test('not readable: column mapping, deletion vectors, V2 checkpoints, unknown features, reader 4', () => {
  assert.match(readProblem(proto(2, 5), meta({ 'delta.columnMapping.mode': 'name' }))!, /column mapping \(mode=name\) is not supported.*protocol \(2,5\)/);
  assert.match(readProblem(proto(3, 7, ['columnMapping'], ['columnMapping']), meta({ 'delta.columnMapping.mode': 'id' }))!, /column mapping \(mode=id\)/);
  assert.match(readProblem(proto(3, 7, ['deletionVectors'], ['deletionVectors']), meta())!, /^unsupported reader features: deletionVectors \(deletion vectors \(deletionVectors\); protocol \(3,7\)\)$/);
  assert.match(readProblem(proto(3, 7, ['v2Checkpoint', 'timestampNtz']), meta())!, /unsupported reader features: v2Checkpoint/);
  assert.match(readProblem(proto(3, 7, ['somethingNew']), meta())!, /the unknown feature "somethingNew"/);
  assert.match(readProblem(proto(4, 7), meta())!, /reader version 4 is not supported/);
});

test('writable: writer ≤ 2, or 7 with appendOnly / invariants / timestampNtz; not 3–6 or other features', () => {
  assert.equal(writeProblem(proto(1, 2), meta()), null);
  assert.equal(writeProblem(proto(3, 7, ['timestampNtz'], ['timestampNtz', 'appendOnly', 'invariants']), meta()), null);
  assert.match(writeProblem(proto(1, 3), meta())!, /writer version 3 \(CHECK constraints\)/);
  assert.match(writeProblem(proto(1, 4), meta())!, /change data feed and generated columns/);
  assert.match(writeProblem(proto(2, 5), meta())!, /column mapping/);
  assert.match(writeProblem(proto(1, 6), meta())!, /identity columns/);
  assert.match(writeProblem(proto(1, 7, undefined, ['changeDataFeed', 'appendOnly']), meta())!, /unsupported writer features: changeDataFeed/);
  assert.match(writeProblem(proto(1, 7, undefined, ['inCommitTimestamp']), meta())!, /in-commit timestamps/);
  assert.match(writeProblem(proto(3, 7, ['deletionVectors'], ['deletionVectors']), meta())!, /unsupported reader features: deletionVectors/);
});

test('errors name the table, the version and the feature', () => {
  assert.throws(() => checkReadable('s3://b/t', 7, proto(3, 7, ['deletionVectors']), meta()), (e: unknown) =>
    e instanceof ExecutorError && e.code === 'AQ_DELTA_UNSUPPORTED' && e.message === 'Delta table s3://b/t at version 7: unsupported reader features: deletionVectors (deletion vectors (deletionVectors); protocol (3,7))');
  const invariants = parseSchemaString('{"type":"struct","fields":[{"name":"x","type":"integer","nullable":true,"metadata":{"delta.invariants":"{\\"expression\\":{\\"expression\\":\\"x > 3\\"}}"}}]}');
  assert.throws(() => checkWritable('file:///t', 2, proto(1, 2), meta(), invariants), /column "x" has a column invariant/);
  const generated = parseSchemaString('{"type":"struct","fields":[{"name":"g","type":"integer","nullable":true,"metadata":{"delta.generationExpression":"1"}}]}');
  assert.throws(() => checkWritable('file:///t', 2, proto(1, 2), meta(), generated), /column "g" is generated/);
});

test('table properties that would turn on unimplemented features are refused; others kept', () => {
  assert.deepEqual(tablePropertyProblems({ 'delta.appendOnly': 'true', 'delta.checkpointInterval': '10', 'delta.enableDeletionVectors': 'false', 'delta.columnMapping.mode': 'none', 'my.key': 'v', 'delta.logRetentionDuration': 'interval 30 days' }), []);
  const problems = tablePropertyProblems({
    'delta.enableChangeDataFeed': 'true', 'delta.enableDeletionVectors': 'TRUE', 'delta.columnMapping.mode': 'name', 'delta.enableInCommitTimestamps': 'true',
    'delta.minReaderVersion': '3', 'delta.feature.v2Checkpoint': 'supported', 'delta.checkpointInterval': 'often', 'delta.appendOnly': 'maybe',
  });
  assert.equal(problems.length, 8);
  assert.match(problems.join('\n'), /change data feed[\s\S]*deletion vectors[\s\S]*column mapping \(mode=name\)[\s\S]*in-commit timestamps[\s\S]*explicit protocol version[\s\S]*table feature explicitly[\s\S]*positive integer[\s\S]*true or false/);
});
