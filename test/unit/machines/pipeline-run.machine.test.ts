import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createActor, fromCallback, fromPromise, waitFor } from 'xstate';
import { pipelineRunMachine, progressAt, totalSteps, type GroupEvent, type GroupInput, type RunEmitted } from '../../../machines/pipeline-run.machine.js';
import type { Aqueduct, Stage } from '../../../src/pipeline/types.js';

const stage = (name: string): Stage => ({ name, query: 'select 1', show: null, explain: false, explain_analyze: false, print_schema: false });

const pipeline: Aqueduct = {
  version: 'v2',
  sources: [
    { type: 'in_memory', name: 'a' },
    { type: 'in_memory', name: 'b' },
  ],
  stages: [[stage('s1')], [stage('p1'), stage('p2')], [stage('last')]],
  destination: { type: 'in_memory', name: 'out' },
};

interface Trace { log: string[]; signals: Map<string, AbortSignal> }

/** Fake actors that record what ran; each finishes on the next tick unless told otherwise. */
function fakes(trace: Trace, opts: { failAt?: string; holdAt?: string } = {}) {
  const step = (name: string, signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      trace.signals.set(name, signal);
      trace.log.push(`begin ${name}`);
      if (opts.failAt === name) return setImmediate(() => reject(new Error(`${name} broke`)));
      if (opts.holdAt === name) return signal.addEventListener('abort', () => reject(new Error('aborted')));
      setImmediate(() => { trace.log.push(`end ${name}`); resolve(); });
    });
  return pipelineRunMachine.provide({
    actors: {
      checkDestination: fromPromise(({ input, signal }) => step(`check:${input.destination.name}`, signal)),
      registerSource: fromPromise(({ input, signal }) => step(`source:${input.source.name}`, signal)),
      runStageGroup: fromCallback<{ type: 'none' }, GroupInput, GroupEvent>(({ input, sendBack }) => {
        const ac = new AbortController();
        Promise.all(
          input.stages.map(async (s, i) => {
            sendBack({ type: 'stage.started', name: s.name, position: input.position, subPosition: i });
            await step(`stage:${s.name}`, ac.signal);
            sendBack({ type: 'stage.completed', name: s.name, position: input.position, subPosition: i, durationMs: 1 });
          }),
        ).then(() => sendBack({ type: 'group.done' }), (error) => sendBack({ type: 'group.failed', error }));
        return () => ac.abort();
      }),
      writeDestination: fromPromise(({ input, signal }) => step(`destination:${input.destination.name}:${input.lastStage}`, signal)),
    },
  });
}

function run(opts: { failAt?: string; holdAt?: string } = {}) {
  const trace: Trace = { log: [], signals: new Map() };
  const emitted: RunEmitted[] = [];
  const actor = createActor(fakes(trace, opts), { input: { pipeline } });
  actor.on('*', (e) => emitted.push(e as RunEmitted));
  actor.start();
  return { actor, trace, emitted };
}

test('a full run reports every event in order with monotonic progress from 0 to 100', async () => {
  const { actor, emitted, trace } = run();
  await waitFor(actor, (s) => s.status === 'done', { timeout: 2000 });
  assert.equal(actor.getSnapshot().value, 'succeeded');
  const events = emitted.map((e) => (e.type === 'progress' ? e.event : null));
  assert.deepEqual(
    events.map((e) => e && ('name' in e ? `${e.type}:${e.name}` : e.type)),
    [
      'started', 'source_registered:a', 'source_registered:b',
      'stage_started:s1', 'stage_completed:s1',
      'stage_started:p1', 'stage_started:p2', 'stage_completed:p1', 'stage_completed:p2',
      'stage_started:last', 'stage_completed:last',
      'destination_completed', 'completed',
    ],
  );
  const progress = emitted.map((e) => (e.type === 'progress' ? e.progress : -1));
  assert.equal(progress[0], 0);
  assert.equal(progress.at(-1), 100);
  for (let i = 1; i < progress.length; i++) assert.ok(progress[i]! >= progress[i - 1]!, `progress decreased at ${i}`);
  assert.equal(emitted.length, totalSteps(pipeline));
  // positions and sub positions of the parallel group
  const p2 = events.find((e) => e?.type === 'stage_started' && e.name === 'p2');
  assert.deepEqual(p2, { type: 'stage_started', name: 'p2', position: 1, sub_position: 1 });
  // the destination receives the last stage of the last group
  assert.ok(trace.log.includes('begin destination:out:last'));
});

test('members of a group run in parallel and the next group waits for all of them', async () => {
  const { actor, trace } = run();
  await waitFor(actor, (s) => s.status === 'done', { timeout: 2000 });
  const i = (s: string) => trace.log.indexOf(s);
  assert.ok(i('begin stage:p2') < i('end stage:p1'), 'p2 started before p1 ended');
  assert.ok(i('begin stage:last') > i('end stage:p1') && i('begin stage:last') > i('end stage:p2'));
  assert.ok(i('begin stage:s1') > i('end source:b'));
});

test('the destination is checked before any source is registered', async () => {
  const { actor, trace, emitted } = run();
  await waitFor(actor, (s) => s.status === 'done', { timeout: 2000 });
  assert.deepEqual(trace.log.slice(0, 3), ['begin check:out', 'end check:out', 'begin source:a']);
  // the check is not a progress step
  assert.equal(emitted.length, totalSteps(pipeline));
});

for (const at of ['check:out', 'source:a', 'source:b', 'stage:s1', 'stage:p2', 'destination:out:last']) {
  test(`a failure in ${at} ends the run in failed with that error and runs nothing after it`, async () => {
    const { actor, trace, emitted } = run({ failAt: at });
    await waitFor(actor, (s) => s.status === 'done', { timeout: 2000 });
    const snap = actor.getSnapshot();
    assert.equal(snap.value, 'failed');
    assert.equal((snap.context.error as Error).message, `${at} broke`);
    const failedAt = trace.log.indexOf(`begin ${at}`);
    assert.ok(!trace.log.slice(failedAt + 1).some((l) => l.startsWith('begin ') && !l.includes('stage:p')), 'nothing new began after the failure');
    assert.ok(!emitted.some((e) => e.type === 'progress' && e.event.type === 'completed'));
  });
}

for (const at of ['check:out', 'source:a', 'stage:s1', 'stage:p1', 'destination:out:last']) {
  test(`cancel while in ${at} ends in cancelled and aborts the running actor`, async () => {
    const { actor, trace, emitted } = run({ holdAt: at });
    await new Promise<void>((resolve) => {
      const check = () => (trace.signals.has(at) ? resolve() : setTimeout(check, 1));
      check();
    });
    actor.send({ type: 'cancel' });
    assert.equal(actor.getSnapshot().value, 'cancelled');
    assert.equal(actor.getSnapshot().status, 'done');
    assert.equal(trace.signals.get(at)!.aborted, true);
    assert.ok(!emitted.some((e) => e.type === 'progress' && e.event.type === 'completed'));
  });
}

test('an empty pipeline succeeds with started then completed', async () => {
  const emitted: RunEmitted[] = [];
  const actor = createActor(fakes({ log: [], signals: new Map() }), { input: { pipeline: { version: 'v2', sources: [], stages: [], destination: null } } });
  actor.on('*', (e) => emitted.push(e as RunEmitted));
  actor.start();
  await waitFor(actor, (s) => s.status === 'done', { timeout: 1000 });
  assert.deepEqual(emitted.map((e) => e.type === 'progress' && [e.event.type, e.progress]), [['started', 0], ['completed', 100]]);
});

test('progress is an integer percentage of the step', () => {
  assert.equal(progressAt(0, 13), 0);
  assert.equal(progressAt(12, 13), 100);
  assert.equal(progressAt(6, 13), 50);
  assert.equal(progressAt(1, 3), 50);
});

test('stage outputs sent by a group are emitted', async () => {
  const m = pipelineRunMachine.provide({
    actors: {
      checkDestination: fromPromise(async () => {}),
      registerSource: fromPromise(async () => {}),
      runStageGroup: fromCallback<{ type: 'none' }, GroupInput, GroupEvent>(({ sendBack }) => {
        setImmediate(() => {
          sendBack({ type: 'stage.output', output: { stageName: 's1', kind: 'show', header: 'h', body: 'b', footer: '' } });
          sendBack({ type: 'group.done' });
        });
      }),
      writeDestination: fromPromise(async () => {}),
    },
  });
  const emitted: RunEmitted[] = [];
  const actor = createActor(m, { input: { pipeline: { ...pipeline, stages: [[stage('s1')]] } } });
  actor.on('stage_output', (e) => emitted.push(e));
  actor.start();
  await waitFor(actor, (s) => s.status === 'done', { timeout: 1000 });
  assert.equal(emitted.length, 1);
  assert.equal(emitted[0]!.type === 'stage_output' && emitted[0]!.output.body, 'b');
});
