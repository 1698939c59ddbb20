import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createActor, fromCallback, SimulatedClock } from 'xstate';
import {
  BACKOFF_CAP_MS, backoffDelay, orchestratorConnectionMachine,
  type ConnectionEmitted, type ConnectionEvent, type LinkCommand,
} from '../../../machines/orchestrator-connection.machine.js';
import type { ExecutorMessage } from '../../../src/protocol/messages.js';

/** A fake socket: records commands; the test plays the socket's events. */
function harness(opts: { random?: () => number; outboxCap?: number } = {}) {
  const links: Array<{ commands: LinkCommand[]; emit: (e: ConnectionEvent) => void; stopped: boolean }> = [];
  const emitted: ConnectionEmitted[] = [];
  const clock = new SimulatedClock();
  const machine = orchestratorConnectionMachine.provide({
    actors: {
      link: fromCallback<LinkCommand, undefined, ConnectionEvent>(({ sendBack, receive }) => {
        const link = { commands: [] as LinkCommand[], emit: sendBack, stopped: false };
        links.push(link);
        receive((c) => link.commands.push(c));
        return () => { link.stopped = true; };
      }),
    },
  });
  const actor = createActor(machine, {
    clock,
    input: { executorId: 'ex-1', version: '0.1.0', maxMemoryGb: 2, random: opts.random ?? (() => 0.5), outboxCap: opts.outboxCap },
  });
  actor.on('*', (e) => emitted.push(e as ConnectionEmitted));
  actor.start();
  const link = () => links.at(-1)!;
  const sent = (l = link()) => l.commands.filter((c) => c.type === 'send').map((c) => (c as { message: { type: string } }).message);
  const register = () => {
    link().emit({ type: 'link.open' });
    link().emit({ type: 'registration.response', success: true, message: 'welcome' });
  };
  const value = () => JSON.stringify(actor.getSnapshot().value);
  return { actor, links, link, sent, register, emitted, clock, value };
}

const progress = (n: number): ExecutorMessage => ({ type: 'progress_update', execution_id: 'e', progress: n, event: { type: 'started' } });

test('connects, registers with its identity and state, then sends messages as they come', () => {
  const h = harness();
  assert.equal(h.value(), '{"linked":{"session":"connecting","pinger":"waiting","liveness":"alive"}}');
  h.link().emit({ type: 'link.open' });
  assert.deepEqual(h.sent(), [{ type: 'register_executor', executor_id: 'ex-1', version: '0.1.0', max_memory_gb: 2, state: 'idle', execution_id: null }]);
  h.link().emit({ type: 'registration.response', success: true, message: 'ok' });
  assert.match(h.value(), /"session":"registered"/);
  h.actor.send({ type: 'outbound', message: progress(1) });
  assert.deepEqual(h.sent().at(-1), progress(1));
});

test('pings every 10 s; 30 s without any frame is a dead link; any frame keeps it alive', () => {
  const h = harness();
  h.register();
  h.clock.increment(10_000);
  h.clock.increment(10_000);
  assert.equal(h.link().commands.filter((c) => c.type === 'ping').length, 2);
  h.link().emit({ type: 'link.activity' });
  h.clock.increment(25_000);
  assert.match(h.value(), /registered/, 'activity 25 s ago: still alive');
  h.clock.increment(6_000);
  assert.equal(h.value(), '"backoff"');
  assert.equal(h.links[0]!.stopped, true, 'the dead socket is closed');
});

test('during a run lasting over a minute, a ping goes out every 10 s, whatever is sent or received meanwhile', () => {
  const h = harness();
  h.register();
  h.actor.send({ type: 'outbound', message: { type: 'executor_status', executor_id: 'ex-1', state: 'busy', execution_id: 'e', queue_length: 0 } });
  const pingsAt: number[] = [];
  for (let t = 500; t <= 65_000; t += 500) {
    h.clock.increment(500);
    h.actor.send({ type: 'outbound', message: progress(t) }); // the run keeps reporting
    if (t % 3_000 === 0) h.link().emit({ type: 'link.activity' }); // the orchestrator's pings and frames
    const pings = h.link().commands.filter((c) => c.type === 'ping').length;
    if (pings > pingsAt.length) pingsAt.push(t);
  }
  assert.deepEqual(pingsAt, [10_000, 20_000, 30_000, 40_000, 50_000, 60_000]);
  assert.equal(h.links.length, 1, 'the same link all along');
  assert.match(h.value(), /"session":"registered"/);
});

test('backoff is full jitter within [0, min(30 s, 0.5 s × 2^attempt)) and resets after registration', () => {
  for (let attempt = 0; attempt < 12; attempt++) {
    const ceiling = Math.min(30_000, 500 * 2 ** attempt);
    assert.equal(backoffDelay(attempt, () => 0), 0);
    assert.equal(backoffDelay(attempt, () => 0.999999), Math.floor(0.999999 * ceiling));
  }
  const h = harness({ random: () => 0.999 });
  const delays: number[] = [];
  h.actor.on('backoff', (e) => delays.push(e.delay));
  for (let i = 0; i < 8; i++) {
    h.link().emit({ type: 'link.failed', error: 'ECONNREFUSED', auth: false });
    h.clock.increment(h.actor.getSnapshot().context.delay);
  }
  assert.deepEqual(delays, [499, 999, 1998, 3996, 7992, 15984, 29970, 29970]);
  h.register();
  assert.equal(h.actor.getSnapshot().context.attempt, 0);
  h.link().emit({ type: 'link.closed', code: 1006, reason: '' });
  assert.equal(delays.at(-1), 499);
});

test('an authentication refusal backs off at the cap', () => {
  const h = harness({ random: () => 0 });
  h.link().emit({ type: 'link.failed', error: 'HTTP 401', auth: true });
  assert.equal(h.actor.getSnapshot().context.delay, BACKOFF_CAP_MS);
  h.clock.increment(BACKOFF_CAP_MS - 1);
  assert.equal(h.value(), '"backoff"');
  h.clock.increment(1);
  assert.equal(h.links.length, 2, 'tries again after the capped delay');
  h.link().emit({ type: 'link.open' });
  h.link().emit({ type: 'registration.response', success: false, message: 'invalid executor secret' });
  assert.equal(h.actor.getSnapshot().context.delay, BACKOFF_CAP_MS);
});

test('a registration that is never answered times out into backoff', () => {
  const h = harness();
  h.link().emit({ type: 'link.open' });
  h.clock.increment(15_000);
  assert.equal(h.value(), '"backoff"');
});

test('while disconnected, messages wait; terminal and lifecycle ones are always kept; flushed in order', () => {
  const h = harness({ outboxCap: 2 });
  h.register();
  h.link().emit({ type: 'link.closed', code: 1006, reason: 'cut' });
  const status: ExecutorMessage = { type: 'executor_status', executor_id: 'ex-1', state: 'busy', execution_id: 'e', queue_length: 0 };
  const order: ExecutorMessage[] = [
    status, progress(10), { type: 'execution_response', execution_id: 'f' }, progress(20), progress(30), progress(40),
    { type: 'execution_succeeded', execution_id: 'e' },
  ];
  for (const message of order) h.actor.send({ type: 'outbound', message });
  h.clock.increment(h.actor.getSnapshot().context.delay);
  const dropped: number[] = [];
  h.actor.on('dropped', (e) => dropped.push(e.count));
  h.link().emit({ type: 'link.open' });
  // re-registration says busy with the running execution, so the orchestrator re-attaches it
  assert.deepEqual(h.sent()[0], { type: 'register_executor', executor_id: 'ex-1', version: '0.1.0', max_memory_gb: 2, state: 'busy', execution_id: 'e' });
  h.link().emit({ type: 'registration.response', success: true, message: 'welcome back' });
  assert.deepEqual(h.sent().slice(1), [status, { type: 'execution_response', execution_id: 'f' }, progress(30), progress(40), { type: 'execution_succeeded', execution_id: 'e' }]);
  assert.deepEqual(dropped, [2]);
  assert.equal(h.actor.getSnapshot().context.outbox.length, 0);
});

test('stop while registered closes with 1001 and ends', () => {
  const h = harness();
  h.register();
  h.actor.send({ type: 'stop' });
  assert.deepEqual(h.link().commands.at(-1), { type: 'close', code: 1001, reason: 'executor shutting down' });
  h.link().emit({ type: 'link.closed', code: 1001, reason: '' });
  assert.equal(h.actor.getSnapshot().status, 'done');
});

test('stop while disconnected reconnects to deliver what waits, then closes with 1001', () => {
  const h = harness();
  h.register();
  h.link().emit({ type: 'link.closed', code: 1006, reason: '' });
  h.actor.send({ type: 'outbound', message: { type: 'execution_succeeded', execution_id: 'e' } });
  h.actor.send({ type: 'stop' });
  h.clock.increment(h.actor.getSnapshot().context.delay);
  assert.equal(h.links.length, 2);
  h.link().emit({ type: 'link.open' });
  h.link().emit({ type: 'registration.response', success: true, message: 'ok' });
  assert.deepEqual(h.sent().map((m) => m.type), ['register_executor', 'execution_succeeded']);
  assert.deepEqual(h.link().commands.at(-1), { type: 'close', code: 1001, reason: 'executor shutting down' });
  h.clock.increment(5_000);
  assert.equal(h.actor.getSnapshot().status, 'done');
});
