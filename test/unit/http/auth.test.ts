import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthLimiter, checkKey, keyMatches } from '../../../src/http/auth.js';

test('keys match only exactly', () => {
  assert.equal(keyMatches('secret', 'secret'), true);
  for (const bad of ['Secret', 'secret ', 'secre', '', undefined, ['secret']]) assert.equal(keyMatches('secret', bad as never), false);
});

test('repeated failures from one address are answered later and later, doubling up to a cap; the window expires', () => {
  const t = new AuthLimiter({ burst: 100, freeFailures: 3, windowMs: 60_000, maxDelayMs: 1000 });
  const delays = Array.from({ length: 8 }, () => { t.admit('10.0.0.1', 1000); return t.failed('10.0.0.1', 1000); });
  assert.deepEqual(delays, [0, 0, 0, 100, 200, 400, 800, 1000]);
  assert.equal(t.failed('10.0.0.2', 1000), 0, 'other addresses are unaffected');
  for (let i = 0; i < 5; i++) t.failed('10.0.0.3', 0);
  assert.equal(t.failed('10.0.0.3', 61_000), 0);
});

test('a success does not wipe the record of recent failures', () => {
  const t = new AuthLimiter({ burst: 100, freeFailures: 2 });
  for (let i = 0; i < 4; i++) t.failed('a', 0);
  t.admit('a', 0);
  t.succeeded('a', 0);
  assert.equal(t.failed('a', 0), 400, 'the fifth failure is delayed as the fifth, not as a first');
});

test('attempts are bounded per address: the bucket is taken at arrival, beyond it 429 without checking the key', () => {
  const t = new AuthLimiter({ burst: 3, refillMs: 1000 });
  const verdicts = Array.from({ length: 10 }, () => checkKey(t, 'secret', 'guess', '10.0.0.1'));
  assert.deepEqual(verdicts.map((v) => (v.ok ? 200 : v.status)), [401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);
  const refused = verdicts[3]!;
  assert.ok(!refused.ok && refused.status === 429 && refused.retryAfterSeconds >= 1);
  // Even the right key is not checked once the budget is spent.
  const right = checkKey(t, 'secret', 'secret', '10.0.0.1');
  assert.equal(right.ok ? 200 : right.status, 429);
  assert.equal(checkKey(t, 'secret', 'guess', '10.0.0.2').ok ? 200 : 401, 401, 'other addresses have their own budget');
});

test('the bucket refills over time, and a success gives its attempt back', () => {
  const t = new AuthLimiter({ burst: 2, refillMs: 1000 });
  assert.deepEqual([t.admit('a', 0).admitted, t.admit('a', 0).admitted, t.admit('a', 0).admitted], [true, true, false]);
  const refused = t.admit('a', 250);
  assert.deepEqual(refused, { admitted: false, retryAfterSeconds: 1 });
  assert.equal(t.admit('a', 1000).admitted, true, 'one attempt more after refillMs');
  assert.equal(t.admit('a', 1000).admitted, false);
  assert.equal(t.admit('a', 5000).admitted, true);
  t.succeeded('a', 5000);
  assert.equal(t.admit('a', 5000).admitted, true, 'the success gave its attempt back');
  t.succeeded('a', 5000);
  t.succeeded('a', 5000);
  t.succeeded('a', 5000);
  assert.deepEqual([t.admit('a', 5000).admitted, t.admit('a', 5000).admitted, t.admit('a', 5000).admitted], [true, true, false], 'never above the burst');
});

test('successes alone never run out of attempts', () => {
  const t = new AuthLimiter({ burst: 2 });
  for (let i = 0; i < 100; i++) assert.equal(checkKey(t, 'secret', 'secret', 'a').ok, true);
});

test('the limiter forgets the least recently seen addresses beyond its bound', () => {
  const t = new AuthLimiter({ burst: 1, maxAddresses: 2 });
  t.admit('a', 0); t.admit('b', 0); t.admit('c', 0);
  assert.equal(t.admit('a', 0).admitted, true, 'a was forgotten, so its bucket is full again');
  assert.equal(t.admit('c', 0).admitted, false);
});
