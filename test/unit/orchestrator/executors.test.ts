/**
 * The orchestrator machine's executor side, in simulated time: registration, liveness, loss
 * after the grace period, re-attaching after a re-registration, fencing, adopted outcomes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, pipeline, progress, response, status, succeeded } from './harness.js';

test('registration: a second live connection with the same executor_id is refused and closed; it may register once the first is gone', () => {
  const h = harness();
  h.register('L1', 'ex-1');
  h.register('L2', 'ex-1');
  assert.deepEqual(h.sentTo('L2'), [{
    type: 'registration_response', success: false,
    message: 'executor ex-1 is already connected on another connection; a second registration of the same executor_id is refused',
  }]);
  assert.deepEqual(h.closed, [{ connectionId: 'L2', code: 1008, terminate: false }]);
  assert.equal(h.executor('ex-1')!.connectionId, 'L1');
  assert.equal(h.ctx().links['L2'], undefined);
  h.linkClosed('L1');
  h.register('L3', 'ex-1');
  assert.deepEqual(h.briefExec('L3'), ['registration_response:true']);
  assert.equal(h.executor('ex-1')!.connectionId, 'L3');
});

test('registration: a connection must register first and in time; a second register_executor on a link is a protocol error', () => {
  const h = harness();
  h.send({ type: 'executor.connected', connectionId: 'L1' });
  h.from('L1', progress('a'));
  assert.deepEqual(h.briefExec('L1'), ['registration_response:false']);
  assert.deepEqual(h.closed.map((c) => `${c.connectionId}:${c.code}`), ['L1:1008']);
  h.send({ type: 'executor.connected', connectionId: 'L2' });
  h.advance(29_999);
  assert.equal(h.closed.length, 1);
  h.advance(1);
  assert.deepEqual(h.closed.map((c) => `${c.connectionId}:${c.code}`), ['L1:1008', 'L2:1008']);
  h.register('L3', 'ex-3');
  h.register('L3', 'ex-4', 'idle', null, false);
  assert.deepEqual(h.briefExec('L3'), ['registration_response:true', 'protocol_error']);
  assert.equal(h.executor('ex-4'), undefined);
});

test('liveness: any frame or pong keeps a connection alive; 30 s of silence terminates it and starts the grace period', () => {
  const h = harness();
  h.register('L1', 'ex-1');
  h.advance(20_000);
  h.send({ type: 'executor.seen', connectionId: 'L1' });
  h.advance(20_000);
  h.from('L1', status('ex-1', 'idle'));
  h.advance(29_000);
  assert.deepEqual(h.closed, []);
  assert.equal(h.executor('ex-1')!.lastSeen, 40_000);
  h.advance(1_000);
  assert.deepEqual(h.closed, [{ connectionId: 'L1', code: 1001, terminate: true }]);
  assert.equal(h.executor('ex-1')!.connectionId, null, 'disconnected at once, before the socket reports its close');
  assert.equal(h.executor('ex-1')!.disconnectedAt, 70_000);
  h.linkClosed('L1'); // the socket's own close event afterwards changes nothing
  assert.equal(h.executor('ex-1')!.disconnectedAt, 70_000);
  h.from('L1', status('ex-1', 'idle')); // a frame still buffered from the dead link is dropped
  assert.equal(h.executor('ex-1')!.connectionId, null);
});

test('executor lost: not back within the grace period, its execution ends with executor_lost and it is forgotten', () => {
  const h = harness();
  h.register('L1', 'ex-1');
  h.submit('c1', 'a');
  h.from('L1', progress('a'));
  h.advance(5_000);
  h.linkClosed('L1');
  h.submit('c2', 'b');
  h.advance(89_999);
  assert.equal(h.executionState('a'), 'running');
  assert.equal(h.executor('ex-1')!.connectionId, null);
  h.advance(1);
  assert.deepEqual(h.to('c1').at(-1), {
    type: 'execution_error', execution_id: 'a', reason: 'executor_lost',
    message: 'executor ex-1 was lost: it did not reconnect within 90 s', code: 'AQ_EXECUTOR_LOST',
  });
  assert.equal(h.executionState('a'), 'executor_lost');
  assert.equal(h.executor('ex-1'), undefined);
  assert.equal(h.to('c1').filter((m) => m.type === 'execution_error').length, 1);
  // the fleet keeps serving
  h.register('L2', 'ex-2');
  assert.deepEqual(h.briefExec('L2'), ['registration_response:true', 'execution_request:b']);
});

test('the lease starts at dispatch: an executor lost before its first message still loses the execution', () => {
  const h = harness({ lostGraceMs: 1_000 });
  h.register('L1', 'ex-1');
  h.submit('c1', 'a');
  h.linkClosed('L1');
  h.advance(1_000);
  assert.deepEqual(h.brief('c1'), ['execution_response:a', 'execution_error:a:executor_lost']);
});

test('an idle executor that disconnects is forgotten after the grace period, nothing else happens', () => {
  const h = harness();
  h.register('L1', 'ex-1');
  h.linkClosed('L1');
  assert.equal(h.executor('ex-1')!.connectionId, null);
  h.advance(90_000);
  assert.equal(h.executor('ex-1'), undefined);
  assert.equal(h.notice('executor lost: not back within the grace period').length, 1);
});

test('re-attach: re-registering busy with its execution within the grace period; the client gets the rest', () => {
  const h = harness();
  h.register('L1', 'ex-1');
  h.submit('c1', 'a');
  h.from('L1', response('a'));
  h.from('L1', progress('a', 0));
  h.linkClosed('L1');
  h.advance(60_000);
  h.register('L2', 'ex-1', 'busy', 'a');
  assert.deepEqual(h.briefExec('L2'), ['registration_response:true'], 'nothing is sent again');
  h.from('L2', progress('a', 50));
  h.from('L2', succeeded('a'));
  h.advance(20_000);
  h.send({ type: 'executor.seen', connectionId: 'L2' });
  h.advance(20_000); // past the 90 s the first disconnect allowed
  assert.deepEqual(h.brief('c1'), ['execution_response:a', 'progress_update:a', 'progress_update:a', 'execution_succeeded:a']);
  assert.equal(h.executionState('a'), 'succeeded');
  assert.equal(h.executor('ex-1')!.connectionId, 'L2', 'not lost: the grace timer was cancelled');
  assert.equal(h.notice('execution re-attached').length, 1);
});

test('a cancel asked while the executor was away is forwarded when it comes back', () => {
  const h = harness();
  h.register('L1', 'ex-1');
  h.submit('c1', 'a');
  h.from('L1', progress('a'));
  h.linkClosed('L1');
  h.cancel('c1', 'a');
  assert.deepEqual(h.briefExec('L1'), ['registration_response:true', 'execution_request:a']);
  h.register('L2', 'ex-1', 'busy', 'a');
  assert.deepEqual(h.briefExec('L2'), ['registration_response:true', 'cancel_request:a']);
  h.from('L2', { type: 'cancel_response', execution_id: 'a' });
  assert.deepEqual(h.brief('c1').at(-1), 'cancel_response:a');
});

test('re-registering without its execution: the same request is sent again; a replayed outcome is delivered once', () => {
  const h = harness();
  h.register('L1', 'ex-1');
  h.submit('c1', 'a');
  h.from('L1', progress('a'));
  h.linkClosed('L1');
  h.register('L2', 'ex-1', 'idle', null);
  assert.deepEqual(h.sentTo('L2').at(-1), { type: 'execution_request', execution_id: 'a', pipeline });
  assert.equal(h.executionState('a'), 'dispatched');
  assert.equal(h.ctx().executions['a']!.dispatchedAt, 0, 'the lease keeps its start');
  h.from('L2', status('ex-1', 'idle')); // sent on connect, before the request arrived: stale
  h.from('L2', succeeded('a')); // flushed from the executor's outbox
  h.from('L2', response('a')); // the executor's answer to the repeated id: its state
  h.from('L2', succeeded('a'));
  assert.deepEqual(h.brief('c1'), ['execution_response:a', 'progress_update:a', 'execution_succeeded:a']);
  assert.equal(h.toExecutors.filter((s) => s.message.type === 'execution_request').length, 2);
});

test('re-registering busy with another execution: the one it held is lost, the other is adopted', () => {
  const h = harness();
  h.register('L1', 'ex-1');
  h.submit('c1', 'a');
  h.linkClosed('L1');
  h.register('L2', 'ex-1', 'busy', 'zz');
  assert.deepEqual(h.brief('c1').at(-1), 'execution_error:a:executor_lost');
  assert.equal(h.executionState('zz'), 'running');
  assert.equal(h.executor('ex-1')!.execution, 'zz');
});

test('fencing: messages from an executor that does not hold the lease are ignored and logged', () => {
  const h = harness();
  h.register('L1', 'ex-1');
  h.register('L2', 'ex-2');
  h.submit('c1', 'a');
  assert.equal(h.ctx().executions['a']!.executorId, 'ex-1');
  h.from('L2', progress('a'));
  h.from('L2', succeeded('a'));
  assert.deepEqual(h.brief('c1'), ['execution_response:a']);
  assert.equal(h.executionState('a'), 'dispatched');
  assert.equal(h.notice('message ignored: the execution is not leased to this executor').length, 2);
  h.from('L1', succeeded('a'));
  assert.deepEqual(h.brief('c1'), ['execution_response:a', 'execution_succeeded:a']);
});

test('terminal records never change: a later message or outcome is ignored', () => {
  const h = harness();
  h.register('L1', 'ex-1');
  h.submit('c1', 'a');
  h.from('L1', { type: 'execution_error', execution_id: 'a', reason: 'stage', message: 'boom' });
  const before = h.ctx().executions['a'];
  h.from('L1', succeeded('a'));
  h.from('L1', progress('a', 100));
  assert.equal(h.ctx().executions['a'], before);
  assert.deepEqual(h.brief('c1'), ['execution_response:a', 'execution_error:a:stage']);
});

test('a late success after executor_lost is logged, not applied', () => {
  const h = harness({ lostGraceMs: 1_000 });
  h.register('L1', 'ex-1');
  h.submit('c1', 'a');
  h.from('L1', progress('a'));
  h.linkClosed('L1');
  h.advance(1_000);
  assert.equal(h.executionState('a'), 'executor_lost');
  h.register('L2', 'ex-1', 'busy', 'a');
  assert.equal(h.executor('ex-1')!.execution, 'a', 'it is busy with it all the same');
  h.from('L2', succeeded('a'));
  assert.equal(h.executionState('a'), 'executor_lost');
  assert.equal(h.ctx().executions['a']!.terminal!.type, 'execution_error');
  assert.deepEqual(h.notice('late outcome ignored: the execution has already ended'), [{
    level: 'warn', msg: 'late outcome ignored: the execution has already ended',
    fields: { execution_id: 'a', executor_id: 'ex-1', state: 'executor_lost', type: 'execution_succeeded' },
  }]);
  assert.equal(h.brief('c1').length, 3, 'the client had exactly one terminal message');
  assert.equal(h.executor('ex-1')!.execution, null, 'and the executor is free again');
});

test('outcomes reported after re-registering are recorded even when no client waits (orchestrator restarted)', () => {
  const h = harness();
  // finished while the orchestrator was away: registers idle, then flushes the outcome
  h.register('L1', 'ex-1');
  h.from('L1', { type: 'progress_update', execution_id: 'old', progress: 100, event: { type: 'completed', duration_ms: 5 } });
  h.from('L1', succeeded('old'));
  assert.equal(h.executionState('old'), 'succeeded');
  assert.equal(h.ctx().executions['old']!.submitted, false);
  assert.equal(h.ctx().executions['old']!.executorId, 'ex-1');
  // still running: registers busy with it, and is not given other work until it ends
  h.register('L2', 'ex-2', 'busy', 'run');
  h.submit('c1', 'new');
  assert.deepEqual(h.briefExec('L2'), ['registration_response:true']);
  assert.equal(h.ctx().executions['new']!.executorId, 'ex-1');
  h.from('L2', { type: 'execution_error', execution_id: 'run', reason: 'stage', message: 'boom' });
  assert.equal(h.executionState('run'), 'failed');
  assert.equal(h.ctx().executions['run']!.terminal!.type, 'execution_error');
  // a refusal about an unknown id creates nothing
  h.from('L2', { type: 'execution_error', execution_id: 'nope', reason: 'unknown_execution', message: 'unknown' });
  assert.equal(h.executionState('nope'), undefined);
});

test('an adopted execution its executor comes back without: it has a while to report the outcome, then it is lost', () => {
  const h = harness();
  h.register('L1', 'ex-1', 'busy', 'run');
  h.linkClosed('L1');
  h.register('L2', 'ex-1', 'idle', null);
  assert.equal(h.executor('ex-1')!.execution, 'run', 'busy until it reports');
  h.advance(30_000);
  assert.equal(h.executionState('run'), 'executor_lost');
  assert.equal(h.executor('ex-1')!.execution, null);
  const g = harness();
  g.register('L1', 'ex-1', 'busy', 'run');
  g.linkClosed('L1');
  g.register('L2', 'ex-1', 'idle', null);
  g.from('L2', succeeded('run'));
  g.advance(30_000);
  assert.equal(g.executionState('run'), 'succeeded');
});

test('every state change is a debug notice; lifecycle is at info', () => {
  const h = harness();
  h.register('L1', 'ex-1');
  h.submit('c1', 'a');
  h.from('L1', succeeded('a'));
  const transitions = h.notices.filter((n) => n.level === 'debug').map((n) => `${n.msg}:${String(n.fields['executor_id'] ?? '')}:${String(n.fields['from'])}->${String(n.fields['to'])}`);
  assert.deepEqual(transitions, [
    'executor state:ex-1:null->idle',
    'execution state::null->queued',
    'execution state:ex-1:queued->dispatched',
    'executor state:ex-1:idle->busy',
    'execution state:ex-1:dispatched->succeeded',
    'executor state:ex-1:busy->idle',
  ]);
  assert.deepEqual(h.notices.filter((n) => n.level === 'info').map((n) => n.msg), [
    'executor registered', 'execution accepted', 'execution dispatched', 'execution finished',
  ]);
});
