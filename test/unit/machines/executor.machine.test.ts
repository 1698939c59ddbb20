import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createActor, fromCallback, SimulatedClock } from 'xstate';
import { executorMachine, type ExecutionActorEvent, type ExecutionInput, type ExecutionOutcome } from '../../../machines/executor.machine.js';
import type { ExecutorMessage } from '../../../src/protocol/messages.js';
import type { Aqueduct } from '../../../src/pipeline/types.js';

const pipeline: Aqueduct = { version: 'v2', sources: [], stages: [], destination: null };

/** A fake run the test finishes by hand; `cancel` makes it finish as cancelled (after a tick). */
interface FakeRun {
  id: string;
  cancelRequested: boolean;
  finish: (outcome: ExecutionOutcome) => void;
  message: (m: ExecutorMessage) => void;
}

function harness(opts: { queueSize?: number; drainTimeoutMs?: number; cancelFinishes?: boolean; maxRunTimeMs?: number | null } = {}) {
  const runs: FakeRun[] = [];
  const active = new Set<string>();
  let maxActive = 0;
  const sent: Array<{ to: string; message: ExecutorMessage }> = [];
  const broadcasts: ExecutorMessage[] = [];
  const clock = new SimulatedClock();
  const machine = executorMachine.provide({
    actors: {
      runExecution: fromCallback<{ type: 'cancel' }, ExecutionInput, ExecutionActorEvent>(({ input, sendBack, receive }) => {
        let done = false;
        active.add(input.executionId);
        maxActive = Math.max(maxActive, active.size);
        const run: FakeRun = {
          id: input.executionId,
          cancelRequested: false,
          finish: (outcome) => {
            if (done) return;
            done = true;
            active.delete(input.executionId);
            sendBack({ type: 'run.finished', outcome });
          },
          message: (message) => sendBack({ type: 'run.message', message }),
        };
        runs.push(run);
        receive((e) => {
          if (e.type === 'cancel') {
            run.cancelRequested = true;
            if (opts.cancelFinishes !== false) run.finish({ status: 'cancelled' });
          }
        });
        return () => active.delete(input.executionId);
      }),
    },
  });
  const actor = createActor(machine, {
    input: { executorId: 'ex-1', queueSize: opts.queueSize ?? 16, drainTimeoutMs: opts.drainTimeoutMs ?? 60_000, maxRunTimeMs: opts.maxRunTimeMs ?? null },
    clock,
  });
  actor.on('deliver', (e) => { for (const to of e.to) sent.push({ to, message: e.message }); });
  actor.on('broadcast', (e) => broadcasts.push(e.message));
  actor.start();
  const submit = (connectionId: string, executionId: string) => actor.send({ type: 'execution.requested', connectionId, executionId, pipeline });
  const to = (c: string) => sent.filter((s) => s.to === c).map((s) => s.message);
  const brief = (c: string) => to(c).map((m) => ('position' in m ? `${m.type}:${m.execution_id}@${m.position}` : `${m.type}:${'execution_id' in m ? m.execution_id : ''}`));
  const run = (id: string) => runs.find((r) => r.id === id)!;
  return { actor, runs, sent, broadcasts, clock, submit, to, brief, run, get maxActive() { return maxActive; }, state: () => actor.getSnapshot().value };
}

test('an idle executor runs a request at once: response first, then the run, one terminal message', () => {
  const h = harness();
  h.submit('c1', 'a');
  assert.deepEqual(h.state(), { busy: 'running' });
  h.run('a').message({ type: 'progress_update', execution_id: 'a', progress: 0, event: { type: 'started' } });
  h.run('a').finish({ status: 'succeeded' });
  assert.equal(h.state(), 'idle');
  assert.deepEqual(h.brief('c1'), ['execution_response:a', 'progress_update:a', 'execution_succeeded:a']);
});

test('never two runs at once; FIFO order; positions sent on acceptance and on every change', () => {
  const h = harness();
  h.submit('c1', 'a');
  h.submit('c2', 'b');
  h.submit('c3', 'c');
  assert.equal(h.runs.length, 1);
  assert.deepEqual(h.brief('c2'), ['execution_response:b', 'queue_position:b@0']);
  assert.deepEqual(h.brief('c3'), ['execution_response:c', 'queue_position:c@1']);
  h.run('a').finish({ status: 'succeeded' });
  assert.deepEqual(h.runs.map((r) => r.id), ['a', 'b']);
  assert.deepEqual(h.brief('c3'), ['execution_response:c', 'queue_position:c@1', 'queue_position:c@0']);
  h.run('b').finish({ status: 'failed', message: 'stage "x": boom', code: 'AQ_STAGE_FAILED' });
  h.run('c').finish({ status: 'succeeded' });
  assert.equal(h.maxActive, 1);
  assert.deepEqual(h.runs.map((r) => r.id), ['a', 'b', 'c']);
  assert.deepEqual(h.to('c2').at(-1), { type: 'execution_error', execution_id: 'b', message: 'stage "x": boom', reason: 'stage', code: 'AQ_STAGE_FAILED' });
  assert.equal(h.state(), 'idle');
});

test('cancel a queued execution: removed, both sides told, later positions move up', () => {
  const h = harness();
  h.submit('c1', 'a');
  h.submit('c2', 'b');
  h.submit('c3', 'c');
  h.actor.send({ type: 'cancel.requested', connectionId: 'other', executionId: 'b' });
  assert.deepEqual(h.brief('c2'), ['execution_response:b', 'queue_position:b@0', 'cancel_response:b']);
  assert.deepEqual(h.brief('other'), ['cancel_response:b']);
  assert.deepEqual(h.brief('c3').at(-1), 'queue_position:c@0');
  h.run('a').finish({ status: 'succeeded' });
  assert.deepEqual(h.runs.map((r) => r.id), ['a', 'c']);
});

test('cancel the running execution from another connection: the run is asked, and the terminal comes when it stops', () => {
  const h = harness({ cancelFinishes: false });
  h.submit('c1', 'a');
  h.submit('c2', 'b');
  h.actor.send({ type: 'cancel.requested', connectionId: 'other', executionId: 'a' });
  assert.equal(h.run('a').cancelRequested, true);
  assert.deepEqual(h.brief('c1'), ['execution_response:a']);
  assert.equal(h.runs.length, 1, 'the next run waits until the cancelled one has stopped');
  h.run('a').finish({ status: 'cancelled' });
  assert.deepEqual(h.brief('c1'), ['execution_response:a', 'cancel_response:a']);
  assert.deepEqual(h.brief('other'), ['cancel_response:a']);
  assert.deepEqual(h.runs.map((r) => r.id), ['a', 'b']);
});

test('a run that finishes before the cancel takes effect reports its real outcome', () => {
  const h = harness({ cancelFinishes: false });
  h.submit('c1', 'a');
  h.actor.send({ type: 'cancel.requested', connectionId: 'other', executionId: 'a' });
  h.run('a').finish({ status: 'succeeded' });
  assert.deepEqual(h.brief('c1'), ['execution_response:a', 'execution_succeeded:a']);
  assert.equal(h.to('other')[0]!.type, 'execution_error');
  assert.equal((h.to('other')[0] as { reason: string }).reason, 'unknown_execution');
});

test('cancel of an unknown or finished id answers unknown_execution', () => {
  const h = harness();
  h.actor.send({ type: 'cancel.requested', connectionId: 'c1', executionId: 'nope' });
  assert.deepEqual(h.to('c1'), [{ type: 'execution_error', execution_id: 'nope', reason: 'unknown_execution', message: 'unknown execution nope', code: 'AQ_UNKNOWN_EXECUTION' }]);
  h.submit('c1', 'a');
  h.run('a').finish({ status: 'succeeded' });
  h.actor.send({ type: 'cancel.requested', connectionId: 'c2', executionId: 'a' });
  assert.deepEqual(h.to('c2'), [{ type: 'execution_error', execution_id: 'a', reason: 'unknown_execution', message: 'execution a has already finished (succeeded)', code: 'AQ_UNKNOWN_EXECUTION' }]);
});

test('submitter disconnect cancels its running execution and drops its queued ones', () => {
  const h = harness();
  h.submit('c1', 'a');
  h.submit('c1', 'b');
  h.submit('c2', 'c');
  h.actor.send({ type: 'connection.closed', connectionId: 'c1' });
  assert.equal(h.run('a').cancelRequested, true);
  assert.deepEqual(h.runs.map((r) => r.id), ['a', 'c']);
  assert.deepEqual(h.brief('c2'), ['execution_response:c', 'queue_position:c@1', 'queue_position:c@0']);
  // another client's disconnect does not touch c's run
  h.actor.send({ type: 'connection.closed', connectionId: 'c9' });
  assert.equal(h.run('c').cancelRequested, false);
});

test('a full queue refuses with reason busy; a queue of 0 refuses whenever a run is active', () => {
  const h = harness({ queueSize: 1 });
  h.submit('c1', 'a');
  h.submit('c2', 'b');
  h.submit('c3', 'c');
  assert.deepEqual(h.to('c3'), [{ type: 'execution_error', execution_id: 'c', reason: 'busy', message: 'executor is busy: the queue is full (1 of 1 waiting)', code: 'AQ_BUSY' }]);
  const z = harness({ queueSize: 0 });
  z.submit('c1', 'a');
  z.submit('c2', 'b');
  assert.equal((z.to('c2')[0] as { reason: string }).reason, 'busy');
  assert.equal(z.runs.length, 1);
});

test('a repeated execution id is answered with its state and never run twice', () => {
  const h = harness();
  h.submit('c1', 'a');
  h.submit('c2', 'b');
  h.submit('c3', 'b');
  assert.deepEqual(h.brief('c3'), ['execution_response:b', 'queue_position:b@0']);
  h.submit('c3', 'a');
  h.run('a').finish({ status: 'succeeded' });
  assert.deepEqual(h.brief('c3'), ['execution_response:b', 'queue_position:b@0', 'execution_response:a', 'execution_succeeded:a']);
  h.run('b').finish({ status: 'succeeded' });
  h.submit('c4', 'b');
  assert.deepEqual(h.brief('c4'), ['execution_response:b', 'execution_succeeded:b']);
  assert.deepEqual(h.runs.map((r) => r.id), ['a', 'b']);
});

test('drain while idle stops at once', () => {
  const h = harness();
  h.actor.send({ type: 'drain' });
  assert.equal(h.state(), 'stopped');
  assert.equal(h.actor.getSnapshot().status, 'done');
  assert.deepEqual(h.broadcasts.map((m) => m.type === 'executor_status' && m.state), ['idle', 'draining']);
});

test('drain while busy lets the run finish in time, refuses queued and new requests', () => {
  const h = harness({ drainTimeoutMs: 5000 });
  h.submit('c1', 'a');
  h.submit('c2', 'b');
  h.actor.send({ type: 'drain' });
  assert.deepEqual(h.state(), { busy: 'draining' });
  assert.deepEqual(h.to('c2').at(-1), { type: 'execution_error', execution_id: 'b', reason: 'busy', message: 'executor is draining (shutting down); this queued execution was not run', code: 'AQ_DRAINING' });
  h.submit('c3', 'c');
  assert.deepEqual(h.to('c3'), [{ type: 'execution_error', execution_id: 'c', reason: 'busy', message: 'executor is draining (shutting down) and accepts no new executions', code: 'AQ_DRAINING' }]);
  h.clock.increment(4000);
  assert.equal(h.run('a').cancelRequested, false);
  h.run('a').finish({ status: 'succeeded' });
  assert.equal(h.state(), 'stopped');
  assert.deepEqual(h.brief('c1'), ['execution_response:a', 'execution_succeeded:a']);
  assert.deepEqual(h.runs.map((r) => r.id), ['a']);
});

test('drain while busy cancels the run after the drain timeout', () => {
  const h = harness({ drainTimeoutMs: 5000 });
  h.submit('c1', 'a');
  h.actor.send({ type: 'drain' });
  h.clock.increment(5001);
  assert.equal(h.run('a').cancelRequested, true);
  assert.equal(h.state(), 'stopped');
  assert.deepEqual(h.brief('c1'), ['execution_response:a', 'cancel_response:a']);
});

test('executor_status is broadcast on every lifecycle transition and sent to a new connection', () => {
  const h = harness();
  h.actor.send({ type: 'connection.opened', connectionId: 'v2' });
  h.submit('c1', 'a');
  h.actor.send({ type: 'connection.opened', connectionId: 'late' });
  h.run('a').finish({ status: 'succeeded' });
  assert.deepEqual(h.broadcasts, [
    { type: 'executor_status', executor_id: 'ex-1', state: 'idle', execution_id: null, queue_length: 0 },
    { type: 'executor_status', executor_id: 'ex-1', state: 'busy', execution_id: 'a', queue_length: 0 },
    { type: 'executor_status', executor_id: 'ex-1', state: 'idle', execution_id: null, queue_length: 0 },
  ]);
  assert.deepEqual(h.to('v2'), [{ type: 'executor_status', executor_id: 'ex-1', state: 'idle', execution_id: null, queue_length: 0 }]);
  assert.deepEqual(h.to('late'), [{ type: 'executor_status', executor_id: 'ex-1', state: 'busy', execution_id: 'a', queue_length: 0 }]);
});

const TIMEOUT_MESSAGE = "the run took longer than the executor's maximum run time (5 s) and was cancelled; its destination was left as it was";

test('a run past the maximum run time is cancelled and ends with execution_error, reason timeout', () => {
  const h = harness({ maxRunTimeMs: 5000 });
  h.submit('c1', 'a');
  h.clock.increment(4999);
  assert.equal(h.run('a').cancelRequested, false);
  h.clock.increment(1);
  assert.equal(h.run('a').cancelRequested, true);
  assert.equal(h.state(), 'idle');
  assert.deepEqual(h.to('c1'), [
    { type: 'execution_response', execution_id: 'a' },
    { type: 'execution_error', execution_id: 'a', reason: 'timeout', message: TIMEOUT_MESSAGE, code: 'AQ_RUN_TIMEOUT' },
  ]);
  h.submit('c1', 'a');
  assert.deepEqual(h.brief('c1').slice(-2), ['execution_response:a', 'execution_error:a'], 'a repeated id gets the same outcome');
});

test('each run gets the whole maximum run time: the timer restarts with the next run', () => {
  const h = harness({ maxRunTimeMs: 5000 });
  h.submit('c1', 'a');
  h.submit('c2', 'b');
  h.clock.increment(3000);
  h.run('a').finish({ status: 'succeeded' });
  h.clock.increment(4000);
  assert.equal(h.run('b').cancelRequested, false, 'b has run 4 s of its 5');
  h.clock.increment(1000);
  assert.equal(h.run('b').cancelRequested, true);
  assert.deepEqual(h.brief('c1'), ['execution_response:a', 'execution_succeeded:a']);
  assert.deepEqual(h.brief('c2'), ['execution_response:b', 'queue_position:b@0', 'execution_error:b']);
});

test('without a maximum run time nothing is cancelled, however long the run', () => {
  const h = harness();
  h.submit('c1', 'a');
  h.clock.increment(30 * 24 * 3600 * 1000);
  assert.equal(h.run('a').cancelRequested, false);
  h.run('a').finish({ status: 'succeeded' });
  assert.deepEqual(h.brief('c1'), ['execution_response:a', 'execution_succeeded:a']);
});

test('a run that ends its own way before the timeout cancel takes effect keeps its outcome; the limit holds while draining', () => {
  const h = harness({ maxRunTimeMs: 5000, cancelFinishes: false, drainTimeoutMs: 60_000 });
  h.submit('c1', 'a');
  h.actor.send({ type: 'drain' });
  h.clock.increment(5000);
  assert.equal(h.run('a').cancelRequested, true, 'the run time limit applies during a drain');
  h.run('a').finish({ status: 'succeeded' });
  assert.equal(h.state(), 'stopped');
  assert.deepEqual(h.brief('c1'), ['execution_response:a', 'execution_succeeded:a']);
});

test('a client cancel before the timeout is a cancel; a canceller of a timed-out run is told it finished', () => {
  const h = harness({ maxRunTimeMs: 5000, cancelFinishes: false });
  h.submit('c1', 'a');
  h.clock.increment(5000);
  h.actor.send({ type: 'cancel.requested', connectionId: 'c2', executionId: 'a' });
  h.run('a').finish({ status: 'cancelled' });
  assert.deepEqual(h.to('c1').at(-1), { type: 'execution_error', execution_id: 'a', reason: 'timeout', message: TIMEOUT_MESSAGE, code: 'AQ_RUN_TIMEOUT' });
  assert.deepEqual(h.brief('c2'), ['execution_error:a']);
  assert.match((h.to('c2')[0] as { message: string }).message, /finished \(failed\) before it could be cancelled/);

  const k = harness({ maxRunTimeMs: 5000 });
  k.submit('c1', 'b');
  k.clock.increment(1000);
  k.actor.send({ type: 'cancel.requested', connectionId: 'c1', executionId: 'b' });
  k.clock.increment(10_000);
  assert.deepEqual(k.brief('c1'), ['execution_response:b', 'cancel_response:b']);
});
