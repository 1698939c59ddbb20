/**
 * The orchestrator machine: dispatch, queue positions, cancellation, busy refusals, idempotent
 * ids, client disconnects. Fake executors are just links the test plays messages on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, pipeline, progress, response, status, succeeded } from './harness.js';

test('a request is answered at once and dispatched FIFO to an idle executor as a v2 execution_request', () => {
  const h = harness();
  h.register('L1', 'ex-1');
  h.submit('c1', 'a');
  assert.deepEqual(h.brief('c1'), ['execution_response:a']);
  assert.deepEqual(h.sentTo('L1'), [
    { type: 'registration_response', success: true, message: 'registered' },
    { type: 'execution_request', execution_id: 'a', pipeline },
  ]);
  assert.equal(h.executionState('a'), 'dispatched');
  assert.equal(h.executor('ex-1')!.execution, 'a');
  assert.equal(h.ctx().executions['a']!.dispatchedAt, 0);
});

test('executor messages are forwarded in order; its own execution_response is not; one terminal message', () => {
  const h = harness();
  h.register('L1', 'ex-1');
  h.submit('c1', 'a');
  h.advance(1000);
  h.from('L1', response('a'));
  h.from('L1', status('ex-1', 'busy', 'a'));
  h.from('L1', progress('a', 0));
  h.from('L1', { type: 'stage_output', execution_id: 'a', stage_name: 's', payload: { type: 'output_start', output_header: 'h' } });
  h.from('L1', { type: 'log', execution_id: 'a', level: 'warn', message: 'w', time: '2024-01-01T00:00:00Z' });
  h.from('L1', { type: 'stage_progress', execution_id: 'a', stage_name: 's', percentage: null, rows_processed: 3 });
  h.from('L1', succeeded('a'));
  h.from('L1', succeeded('a'));
  h.from('L1', status('ex-1', 'idle'));
  assert.deepEqual(h.brief('c1'), [
    'execution_response:a', 'progress_update:a', 'stage_output:a', 'log:a', 'stage_progress:a', 'execution_succeeded:a',
  ]);
  const r = h.ctx().executions['a']!;
  assert.equal(r.state, 'succeeded');
  assert.equal(r.startedAt, 1000);
  assert.deepEqual(r.terminal, succeeded('a'));
  assert.equal(r.pipeline, null, 'a finished execution no longer holds its pipeline');
  assert.equal(h.executor('ex-1')!.execution, null);
});

test('never two executions on one executor; FIFO across executors; the executor idle longest goes first', () => {
  const h = harness();
  h.register('L1', 'ex-1');
  h.advance(10);
  h.register('L2', 'ex-2');
  for (const id of ['a', 'b', 'c', 'd', 'e']) h.submit(`c-${id}`, id);
  const requests = () => h.toExecutors.filter((s) => s.message.type === 'execution_request').map((s) => `${s.to}:${(s.message as { execution_id: string }).execution_id}`);
  assert.deepEqual(requests(), ['L1:a', 'L2:b']);
  assert.deepEqual(h.ctx().queue, ['c', 'd', 'e']);
  h.from('L2', succeeded('b'));
  assert.deepEqual(requests(), ['L1:a', 'L2:b', 'L2:c']);
  h.from('L1', { type: 'execution_error', execution_id: 'a', message: 'stage "s": boom', reason: 'stage' });
  assert.deepEqual(requests(), ['L1:a', 'L2:b', 'L2:c', 'L1:d'], 'each executor gets the next one only once it is free');
  h.from('L1', succeeded('d'));
  assert.deepEqual(requests(), ['L1:a', 'L2:b', 'L2:c', 'L1:d', 'L1:e']);
  assert.deepEqual(h.brief('c-a').at(-1), 'execution_error:a:stage');
  assert.equal(h.executionState('d'), 'succeeded');
  assert.equal(h.executionState('e'), 'dispatched');
});

test('exclusivity holds over a long random-ish schedule: an executor is never sent a second execution before the first ends', () => {
  const h = harness();
  const links = ['L1', 'L2', 'L3'];
  links.forEach((l, i) => h.register(l, `ex-${i}`));
  const running = new Map<string, string>();
  const dispatched: string[] = [];
  h.actor.on('executor.send', (e) => {
    if (e.message.type !== 'execution_request') return;
    assert.ok(!running.has(e.connectionId), `${e.connectionId} got ${e.message.execution_id} while running ${running.get(e.connectionId)}`);
    running.set(e.connectionId, e.message.execution_id);
    dispatched.push(e.message.execution_id);
  });
  let n = 0;
  for (let round = 0; round < 30; round++) {
    h.submit(`c${round}`, `x${n++}`);
    if (round % 2 === 0) h.submit(`c${round}b`, `x${n++}`);
    const link = links[round % 3]!;
    const id = running.get(link);
    if (id) {
      running.delete(link);
      h.from(link, succeeded(id));
    }
  }
  while (running.size > 0) {
    for (const [link, id] of [...running]) {
      running.delete(link);
      h.from(link, succeeded(id));
    }
  }
  assert.equal(dispatched.length, n);
  assert.equal(new Set(dispatched).size, n, 'none dispatched twice');
  assert.deepEqual(dispatched, Array.from({ length: n }, (_, i) => `x${i}`), 'FIFO');
});

test('queue positions while no executor is idle, and on every change', () => {
  const h = harness();
  h.submit('c1', 'a');
  h.submit('c2', 'b');
  h.submit('c3', 'c');
  assert.deepEqual(h.brief('c1'), ['execution_response:a', 'queue_position:a@0']);
  assert.deepEqual(h.brief('c3'), ['execution_response:c', 'queue_position:c@2']);
  h.register('L1', 'ex-1');
  assert.deepEqual(h.brief('c1'), ['execution_response:a', 'queue_position:a@0'], 'dispatched: no new position');
  assert.deepEqual(h.brief('c2'), ['execution_response:b', 'queue_position:b@1', 'queue_position:b@0']);
  assert.deepEqual(h.brief('c3'), ['execution_response:c', 'queue_position:c@2', 'queue_position:c@1']);
  h.cancel('c2', 'b');
  assert.deepEqual(h.brief('c3').at(-1), 'queue_position:c@0');
  h.from('L1', succeeded('a'));
  assert.equal(h.executionState('c'), 'dispatched');
  assert.equal(h.brief('c3').filter((m) => m.startsWith('queue_position')).length, 3, 'no repeated positions');
});

test('cancel: a queued execution is removed (canceller and submitter told); unknown and finished ids answer unknown_execution', () => {
  const h = harness();
  h.submit('c1', 'a');
  h.cancel('admin', 'a');
  assert.deepEqual(h.brief('c1'), ['execution_response:a', 'queue_position:a@0', 'cancel_response:a']);
  assert.deepEqual(h.brief('admin'), ['cancel_response:a']);
  assert.deepEqual(h.ctx().queue, []);
  assert.equal(h.executionState('a'), 'cancelled');
  h.cancel('admin', 'zzz');
  assert.deepEqual(h.to('admin').at(-1), { type: 'execution_error', execution_id: 'zzz', reason: 'unknown_execution', message: 'unknown execution zzz', code: 'AQ_UNKNOWN_EXECUTION' });
  h.cancel('admin', 'a');
  assert.deepEqual(h.to('admin').at(-1), { type: 'execution_error', execution_id: 'a', reason: 'unknown_execution', message: 'execution a has already finished (cancelled)', code: 'AQ_UNKNOWN_EXECUTION' });
  h.register('L1', 'ex-1');
  assert.equal(h.sentTo('L1').length, 1, 'the cancelled execution is never dispatched');
});

test('cancel of a dispatched execution is forwarded to its executor; the answer reaches submitter and canceller', () => {
  const h = harness();
  h.register('L1', 'ex-1');
  h.submit('c1', 'a');
  h.from('L1', progress('a'));
  h.cancel('admin', 'a');
  h.cancel('admin', 'a');
  assert.deepEqual(h.briefExec('L1'), ['registration_response:true', 'execution_request:a', 'cancel_request:a'], 'forwarded once');
  h.from('L1', { type: 'cancel_response', execution_id: 'a' });
  assert.deepEqual(h.brief('c1'), ['execution_response:a', 'progress_update:a', 'cancel_response:a']);
  assert.deepEqual(h.brief('admin'), ['cancel_response:a']);
  assert.equal(h.executionState('a'), 'cancelled');
});

test('a run that ends otherwise than cancelled after a cancel: the canceller hears it finished first', () => {
  const h = harness();
  h.register('L1', 'ex-1');
  h.submit('c1', 'a');
  h.cancel('admin', 'a');
  h.from('L1', succeeded('a'));
  assert.deepEqual(h.brief('c1'), ['execution_response:a', 'execution_succeeded:a']);
  assert.deepEqual(h.brief('admin'), ['execution_error:a:unknown_execution']);
});

test('busy refusal: the execution goes back to the head of the queue, the client is not told it failed', () => {
  const h = harness();
  h.register('L1', 'ex-1');
  h.submit('c1', 'a');
  h.submit('c2', 'b');
  h.from('L1', { type: 'execution_error', execution_id: 'a', reason: 'busy', message: 'executor is busy running another execution' });
  assert.equal(h.executionState('a'), 'queued');
  assert.deepEqual(h.ctx().queue, ['a', 'b']);
  assert.equal(h.executor('ex-1')!.reportedBusy, true);
  assert.deepEqual(h.brief('c1'), ['execution_response:a', 'queue_position:a@0']);
  assert.deepEqual(h.brief('c2'), ['execution_response:b', 'queue_position:b@0', 'queue_position:b@1']);
  h.register('L2', 'ex-2');
  assert.deepEqual(h.briefExec('L2'), ['registration_response:true', 'execution_request:a']);
  h.from('L1', status('ex-1', 'idle'));
  assert.deepEqual(h.briefExec('L1'), ['registration_response:true', 'execution_request:a', 'execution_request:b']);
  assert.equal(h.ctx().executions['a']!.executorId, 'ex-2');
});

test('a busy refusal of an execution whose cancel was requested ends it as cancelled', () => {
  const h = harness();
  h.register('L1', 'ex-1');
  h.submit('c1', 'a');
  h.cancel('c1', 'a');
  h.from('L1', { type: 'execution_error', execution_id: 'a', reason: 'busy', message: 'busy' });
  assert.deepEqual(h.brief('c1'), ['execution_response:a', 'cancel_response:a']);
  assert.deepEqual(h.ctx().queue, []);
});

test('a busy error after the run started is the run failing, not a refusal', () => {
  const h = harness();
  h.register('L1', 'ex-1');
  h.submit('c1', 'a');
  h.from('L1', response('a'));
  h.from('L1', { type: 'execution_error', execution_id: 'a', reason: 'busy', message: 'draining' });
  assert.equal(h.executionState('a'), 'failed');
  assert.deepEqual(h.brief('c1'), ['execution_response:a', 'execution_error:a:busy']);
});

test('a stale idle status (sent before the request arrived) does not free the executor', () => {
  const h = harness();
  h.register('L1', 'ex-1');
  h.submit('c1', 'a');
  h.from('L1', status('ex-1', 'idle'));
  h.submit('c2', 'b');
  assert.deepEqual(h.briefExec('L1'), ['registration_response:true', 'execution_request:a']);
  assert.deepEqual(h.brief('c2'), ['execution_response:b', 'queue_position:b@0']);
});

test('a draining executor gets no new work; its running execution continues', () => {
  const h = harness();
  h.register('L1', 'ex-1');
  h.submit('c1', 'a');
  h.from('L1', status('ex-1', 'draining', 'a'));
  h.from('L1', succeeded('a'));
  h.submit('c2', 'b');
  assert.equal(h.executor('ex-1')!.draining, true);
  assert.deepEqual(h.brief('c1').at(-1), 'execution_succeeded:a');
  assert.deepEqual(h.brief('c2'), ['execution_response:b', 'queue_position:b@0']);
  assert.deepEqual(h.briefExec('L1'), ['registration_response:true', 'execution_request:a']);
});

test('a full queue refuses with busy; queue size 0 still dispatches to an idle executor', () => {
  const h = harness({ queueSize: 1 });
  h.submit('c1', 'a');
  h.submit('c2', 'b');
  assert.deepEqual(h.brief('c2'), ['execution_error:b:busy']);
  assert.equal(h.executionState('b'), undefined);
  const z = harness({ queueSize: 0 });
  z.register('L1', 'ex-1');
  z.submit('c1', 'a');
  z.submit('c2', 'b');
  assert.deepEqual(z.brief('c1'), ['execution_response:a']);
  assert.deepEqual(z.brief('c2'), ['execution_error:b:busy']);
});

test('idempotent ids: a repeat is answered with the current state and never dispatched twice', () => {
  const h = harness();
  h.submit('c1', 'a');
  h.submit('c2', 'a');
  assert.deepEqual(h.brief('c2'), ['execution_response:a', 'queue_position:a@0']);
  assert.deepEqual(h.ctx().queue, ['a']);
  h.register('L1', 'ex-1');
  h.submit('c3', 'a');
  assert.deepEqual(h.brief('c3'), ['execution_response:a']);
  h.from('L1', progress('a'));
  assert.deepEqual(h.brief('c2').slice(2), ['progress_update:a']);
  assert.deepEqual(h.brief('c3').slice(1), ['progress_update:a']);
  h.from('L1', succeeded('a'));
  h.submit('c4', 'a');
  assert.deepEqual(h.brief('c4'), ['execution_response:a', 'execution_succeeded:a']);
  assert.equal(h.toExecutors.filter((s) => s.message.type === 'execution_request').length, 1);
  // the first subscriber leaving does not cancel what another still waits for
  h.submit('c5', 'b');
  h.submit('c6', 'b');
  h.clientGone('c5');
  assert.ok(!h.briefExec('L1').includes('cancel_request:b'));
});

test('client disconnect: its queued executions are removed, its running one is cancelled on the executor', () => {
  const h = harness();
  h.register('L1', 'ex-1');
  h.submit('c1', 'a');
  h.submit('c1', 'b');
  h.submit('c2', 'c');
  h.clientGone('c1');
  assert.deepEqual(h.briefExec('L1'), ['registration_response:true', 'execution_request:a', 'cancel_request:a']);
  assert.equal(h.executionState('b'), 'cancelled');
  assert.deepEqual(h.ctx().queue, ['c']);
  assert.deepEqual(h.brief('c2'), ['execution_response:c', 'queue_position:c@1', 'queue_position:c@0']);
  h.from('L1', { type: 'cancel_response', execution_id: 'a' });
  assert.equal(h.executionState('a'), 'cancelled', 'the outcome is recorded though nobody waits');
  assert.deepEqual(h.briefExec('L1').at(-1), 'execution_request:c');
  assert.equal(h.to('c1').filter((m) => m.type === 'cancel_response').length, 0, 'nothing is sent to a closed connection');
});

test('finished executions beyond the history size are forgotten, oldest first', () => {
  const h = harness({ historySize: 2 });
  for (const id of ['a', 'b', 'c']) {
    h.submit('c1', id);
    h.cancel('c1', id);
  }
  assert.deepEqual(Object.keys(h.ctx().executions).sort(), ['b', 'c']);
  assert.deepEqual(h.ctx().finished, ['b', 'c']);
});

test('after shutdown nothing changes: closing client sockets does not cancel runs on executors', () => {
  const h = harness();
  h.register('L1', 'ex-1');
  h.submit('c1', 'a');
  h.send({ type: 'shutdown' });
  h.clientGone('c1');
  assert.deepEqual(h.briefExec('L1'), ['registration_response:true', 'execution_request:a']);
  assert.equal(h.actor.getSnapshot().status, 'done');
});

test('a request that could not be written (the connection was closing) goes back to the head of the queue', () => {
  const h = harness();
  h.register('L1', 'ex-1');
  h.submit('c1', 'a');
  h.send({ type: 'executor.undeliverable', connectionId: 'L1', executionId: 'a' });
  assert.deepEqual(h.ctx().queue, ['a']);
  assert.deepEqual(h.brief('c1'), ['execution_response:a', 'queue_position:a@0']);
  assert.equal(h.executor('ex-1')!.connectionId, null, 'the link counts as gone at once');
  h.linkClosed('L1');
  h.register('L2', 'ex-2');
  assert.deepEqual(h.briefExec('L2'), ['registration_response:true', 'execution_request:a']);
});
