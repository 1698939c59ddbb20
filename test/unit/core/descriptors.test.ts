/** File descriptors: the limit read from /proc, the count, and the connection caps derived from the limit. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectionCaps, descriptorLimit, FALLBACK_CAPS, freeDescriptors, openDescriptors, parseDescriptorLimit } from '../../../src/core/descriptors.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max processes             96362                96362                processes
Max open files            256                  20000                files
Max locked memory         8388608              8388608              bytes
`;

test('the soft open-files limit is read from /proc/<pid>/limits', () => {
  assert.equal(parseDescriptorLimit(LIMITS), 256);
  assert.equal(parseDescriptorLimit(LIMITS.replace('256                 ', 'unlimited           ')), null);
  assert.equal(parseDescriptorLimit('nothing here'), null);
});

test('connection caps leave the process its own descriptors and a reserve for runs', () => {
  assert.deepEqual(connectionCaps(256), { maxConnections: 160, maxPending: 80 }, '256 - 64 reserved - 32 own');
  assert.deepEqual(connectionCaps(1024), { maxConnections: 736, maxPending: 256 }, 'a quarter reserved');
  assert.deepEqual(connectionCaps(1_048_576), { maxConnections: 10_000, maxPending: 256 });
  assert.deepEqual(connectionCaps(64), { maxConnections: 1, maxPending: 1 }, 'never below one');
  assert.deepEqual(connectionCaps(null), FALLBACK_CAPS);
});

test('on Linux the limit and the open descriptors of this process are known', { skip: process.platform !== 'linux' }, () => {
  const limit = descriptorLimit();
  const open = openDescriptors();
  assert.ok(limit !== null && limit > 0);
  assert.ok(open !== null && open > 2 && open < limit);
  const free = freeDescriptors()!;
  assert.equal(free.limit, limit);
  assert.ok(free.free > 0 && free.free <= limit);
});
