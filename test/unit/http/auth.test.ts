import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FailureThrottle, keyMatches } from '../../../src/http/auth.js';

test('keys match only exactly', () => {
  assert.equal(keyMatches('secret', 'secret'), true);
  for (const bad of ['Secret', 'secret ', 'secre', '', undefined, ['secret']]) assert.equal(keyMatches('secret', bad as never), false);
});

test('repeated failures from one address are slowed down, doubling up to a cap; success resets', () => {
  const t = new FailureThrottle({ freeFailures: 3, windowMs: 60_000, maxDelayMs: 1000 });
  const delays = Array.from({ length: 8 }, () => t.fail('10.0.0.1', 1000));
  assert.deepEqual(delays, [0, 0, 0, 100, 200, 400, 800, 1000]);
  assert.equal(t.fail('10.0.0.2', 1000), 0, 'other addresses are unaffected');
  t.succeed('10.0.0.1');
  assert.equal(t.fail('10.0.0.1', 1000), 0);
  // the window expires
  for (let i = 0; i < 5; i++) t.fail('10.0.0.3', 0);
  assert.equal(t.fail('10.0.0.3', 61_000), 0);
});

test('the throttle forgets the oldest addresses beyond its bound', () => {
  const t = new FailureThrottle({ freeFailures: 0, maxAddresses: 2 });
  t.fail('a', 0); t.fail('b', 0); t.fail('c', 0);
  assert.equal(t.fail('a', 0), 100, 'a was forgotten, so this is its first failure again');
});
