/** The state diagrams of docs/architecture.md are the machines' own (scripts/machine-diagrams.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { diagram, diagramNames, MACHINES, withDiagrams } from '../../../scripts/machine-diagrams.js';
import { pipelineRunMachine } from '../../../machines/pipeline-run.machine.js';
import { REPO } from '../../support/paths.js';

const DOC = path.join(REPO, 'docs/architecture.md');

test('docs/architecture.md has a diagram of every machine', () => {
  assert.deepEqual(diagramNames(readFileSync(DOC, 'utf8')).sort(), Object.keys(MACHINES).sort());
});

test('every diagram in docs/architecture.md is the one generated from its machine', () => {
  const doc = readFileSync(DOC, 'utf8');
  assert.equal(doc, withDiagrams(doc), 'a machine changed: run `node --import tsx scripts/machine-diagrams.ts --write`');
});

test('a diagram shows every state and every transition that changes state', () => {
  const d = diagram(pipelineRunMachine);
  for (const state of ['sources_checkingDestination', 'sources_registering', 'stages_running', 'destination_writing', 'succeeded', 'failed', 'cancelled']) {
    assert.match(d, new RegExp(`as ${state}\\b`), state);
  }
  assert.match(d, /sources_registering --> sources_registering : done\(registerSource\) \[hasMoreSources\] \(re-entered\)/);
  assert.match(d, /\n {2}destination --> failed : error\(writeDestination\)/);
  assert.match(d, /\n {2}stages --> cancelled : cancel/);
});

test('a machine changed without its diagram is caught', () => {
  const doc = readFileSync(DOC, 'utf8');
  const stale = doc.replace('stages --> cancelled : cancel', 'stages --> succeeded : cancel');
  assert.notEqual(stale, doc);
  assert.notEqual(withDiagrams(stale), stale);
});
