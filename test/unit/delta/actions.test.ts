/** Commit files: one action per line, each line an object with one key; unknown actions pass through. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actionLine, commitText, parseCommit, type Action } from '../../../src/delta/actions.js';
import { ExecutorError } from '../../../src/core/errors.js';

const parse = (text: string) => parseCommit(text, 'file:///t', 3, 'commit 00000000000000000003.json');

function invalid(...patterns: RegExp[]) {
  return (e: unknown) => {
    assert.ok(e instanceof ExecutorError);
    assert.equal(e.code, 'AQ_DELTA_INVALID_LOG');
    assert.match(e.message, /^Delta table file:\/\/\/t at version 3: commit 00000000000000000003\.json line \d+: /);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  };
}

test('parses every known action and keeps unknown ones', () => {
  const text = [
    '{"commitInfo":{"timestamp":1,"operation":"WRITE"}}',
    '{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}',
    '{"metaData":{"id":"x","format":{"provider":"parquet","options":{}},"schemaString":"{}","partitionColumns":["p"],"configuration":{"a":"b"}}}',
    '{"add":{"path":"p=1/f.parquet","partitionValues":{"p":"1"},"size":10,"modificationTime":5,"dataChange":true,"stats":"{}","tags":null}}',
    '',
    '{"remove":{"path":"old.parquet","deletionTimestamp":7,"dataChange":true}}',
    '{"txn":{"appId":"app","version":4}}',
    '{"cdc":{"path":"c.parquet"}}',
    '{"domainMetadata":{"domain":"d"}}',
  ].join('\n');
  const actions = parse(`${text}\n`);
  assert.deepEqual(actions.map((a) => a.kind), ['commitInfo', 'protocol', 'metaData', 'add', 'remove', 'txn', 'other', 'other']);
  const add = actions[3] as Extract<Action, { kind: 'add' }>;
  assert.equal(add.add.path, 'p=1/f.parquet');
  assert.deepEqual(add.add.partitionValues, { p: '1' });
  assert.equal(add.add.tags, null);
  assert.equal((actions[6] as Extract<Action, { kind: 'other' }>).name, 'cdc');
});

test('a missing dataChange counts as true; a metaData without configuration gets an empty one', () => {
  const [add, meta] = parse('{"add":{"path":"a","partitionValues":{},"size":1}}\n{"metaData":{"id":"x","schemaString":"{}"}}');
  assert.equal((add as Extract<Action, { kind: 'add' }>).add.dataChange, true);
  const m = (meta as Extract<Action, { kind: 'metaData' }>).metaData;
  assert.deepEqual(m.configuration, {});
  assert.deepEqual(m.partitionColumns, []);
});

test('malformed lines are errors naming the file, the line and what is wrong', () => {
  assert.throws(() => parse('{"commitInfo":{}}\n{"add": {'), invalid(/line 2: not valid JSON/));
  assert.throws(() => parse('{"add":{"path":"a","partitionValues":{},"size":1},"remove":{"path":"b"}}'), invalid(/exactly one key, found add, remove/));
  assert.throws(() => parse('[1,2]'), invalid(/an action must be a JSON object/));
  assert.throws(() => parse('{"add":{"path":"a","size":1}}'), invalid(/add\.partitionValues is missing/));
  assert.throws(() => parse('{"add":{"path":"a","partitionValues":{"p":1},"size":1}}'), invalid(/partitionValues\.p must be a string or null/));
  assert.throws(() => parse('{"add":{"path":7,"partitionValues":{},"size":1}}'), invalid(/add\.path must be a string/));
  assert.throws(() => parse('{"protocol":{"minReaderVersion":"1","minWriterVersion":2}}'), invalid(/protocol\.minReaderVersion must be a number/));
  assert.throws(() => parse('{"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":"x"}}'), invalid(/readerFeatures must be a list of strings/));
});

test('writing: one action per line, in order, no blank lines; parsing it back gives the same actions', () => {
  const actions: Action[] = [
    { kind: 'commitInfo', commitInfo: { timestamp: 1, operation: 'WRITE' } },
    { kind: 'protocol', protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
    { kind: 'add', add: { path: 'a%20b.parquet', partitionValues: { p: null }, size: 3, modificationTime: 4, dataChange: true } },
    { kind: 'remove', remove: { path: 'c.parquet', dataChange: true, deletionTimestamp: 9 } },
  ];
  const text = commitText(actions);
  assert.equal(text.split('\n').length, 4);
  assert.ok(!text.includes('\n\n') && !text.endsWith('\n'));
  assert.equal(actionLine(actions[1]!), '{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}');
  assert.deepEqual(parse(text), actions);
});
