/**
 * Client values shown in messages and logs: short, marked prefixes whatever the value's size or
 * nesting; and the logger's backstop that keeps every line bounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { clientString, clientText, clientValue, nestedDeeperThan } from '../../../src/core/client-value.js';
import { boundLogArguments, createLogger, LOG_STRING_CHARS } from '../../../src/core/log.js';

/** `[[[…"x"…]]]` nested `depth` levels, built without recursion. */
function nested(depth: number, inner: unknown = 'x'): unknown {
  let v: unknown = inner;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

test('short strings are shown whole, quoted as asked', () => {
  assert.equal(clientString('kafka'), '"kafka"');
  assert.equal(clientString('a"b\n'), '"a\\"b\\n"');
  assert.equal(clientString('kafka', 'backtick'), '`kafka`');
  assert.equal(clientText('kafka'), 'kafka');
  assert.equal(clientString('x'.repeat(64)), `"${'x'.repeat(64)}"`);
});

test('long strings show a prefix and their length, outside the quotes', () => {
  const big = 'a'.repeat(12_582_912);
  assert.equal(clientString(big), `"${'a'.repeat(64)}…" (12582912 characters)`);
  assert.equal(clientString(big, 'backtick', 4), '`aaaa…` (12582912 characters)');
  assert.equal(clientText(big, 4), 'aaaa… (12582912 characters)');
  // a surrogate pair is never split
  assert.equal(clientText(`${'a'.repeat(3)}😀tail`, 4), 'aaa… (9 characters)');
});

test('scalars as JSON writes them', () => {
  assert.equal(clientValue(null), 'null');
  assert.equal(clientValue(undefined), 'undefined');
  assert.equal(clientValue(true), 'true');
  assert.equal(clientValue(-0.5), '-0.5');
  assert.equal(clientValue(1e400), 'Infinity');
  assert.equal(clientValue(12n), '12');
  assert.equal(clientValue(BigInt(`1${'0'.repeat(100)}`)), `1${'0'.repeat(63)}… (101 characters)`);
  assert.equal(clientValue('abc'), '"abc"');
});

test('arrays and objects show their first items', () => {
  assert.equal(clientValue([]), '[]');
  assert.equal(clientValue({}), '{}');
  assert.equal(clientValue([1, 'a', null, { k: [true] }]), '[1, "a", null, {"k": [true]}]');
  assert.equal(clientValue(Array.from({ length: 1000 }, (_, i) => i)), '[0, 1, 2, 3, 4, 5, 6, 7, … 992 more]');
  const many: Record<string, number> = {};
  for (let i = 0; i < 100_000; i++) many[`k${i}`] = i;
  assert.equal(clientValue(many), '{"k0": 0, "k1": 1, "k2": 2, "k3": 3, "k4": 4, "k5": 5, "k6": 6, "k7": 7, …}');
  assert.equal(clientValue(JSON.parse('{"__proto__": {"polluted": 1}}')), '{"__proto__": {"polluted": 1}}');
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
});

test('deep nesting is cut at 4 levels and marked, without recursing into it', () => {
  assert.equal(clientValue(nested(3)), '[[["x"]]]');
  assert.equal(clientValue(nested(4)), '[[[["x"]]]]');
  assert.equal(clientValue(nested(5)), '[[[[[…]]]]] (nested deeper than 4)');
  // 1,000,000 levels: JSON.stringify would overflow the stack; this looks at 5 of them
  assert.equal(clientValue(nested(1_000_000)), '[[[[[…]]]]] (nested deeper than 4)');
  assert.equal(clientValue({ a: { b: { c: { d: { e: 1 } } } } }), '{"a": {"b": {"c": {"d": {…}}}}} (nested deeper than 4)');
  assert.equal(clientValue(nested(3), { depth: 1 }), '[[…]] (nested deeper than 1)');
});

test('the whole rendering stays near its total, however wide the value', () => {
  const wide = Array.from({ length: 8 }, () => Array.from({ length: 8 }, () => Array.from({ length: 8 }, () => 'y'.repeat(1000))));
  const text = clientValue(wide);
  assert.ok(text.length < 400, `${text.length}: ${text}`);
  assert.match(text, /^\[\[\["y+…" \(1000 characters\)/);
  assert.ok(clientValue(['z'.repeat(10_000_000)]).length < 120);
});

test('nestedDeeperThan counts levels without recursion, and gives up on too many containers', () => {
  assert.equal(nestedDeeperThan('x', 0), false);
  assert.equal(nestedDeeperThan([], 0), true);
  assert.equal(nestedDeeperThan(nested(32), 32), false);
  assert.equal(nestedDeeperThan(nested(33), 32), true);
  assert.equal(nestedDeeperThan({ a: [1, { b: nested(30) }] }, 32), true);
  assert.equal(nestedDeeperThan({ a: [1, { b: nested(29) }] }, 32), false);
  assert.equal(nestedDeeperThan(nested(1_000_000), 32), true);
  assert.equal(nestedDeeperThan(Array.from({ length: 20 }, () => ({})), 32, 10), true);
});

test('the logger cuts long strings, wide and deep objects and long errors (the backstop)', () => {
  const big = 'q'.repeat(5_000_000);
  const [fields, msg] = boundLogArguments([{ type: big, nested: { deep: nested(100_000) }, list: Array.from({ length: 500 }, (_, i) => i) }, big]) as [Record<string, unknown>, string];
  assert.equal(fields['type'], clientText(big, LOG_STRING_CHARS));
  assert.equal(msg, clientText(big, LOG_STRING_CHARS));
  assert.equal(((fields['nested'] as Record<string, unknown>)['deep'] as unknown[]).length, 1);
  assert.equal((fields['list'] as unknown[]).length, 51);
  const small = new Error('short');
  assert.equal((boundLogArguments([{ err: small }])[0] as { err: unknown }).err, small);

  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
  const log = createLogger('debug', sink as never);
  log.warn({ type: big, deep: nested(200_000) }, big);
  log.error({ err: new Error(`stage "${big}": failed`) }, 'execution crashed');
  log.info({ connection_string: 'Driver=x;PWD=secret' }, 'redaction still applies');
  assert.equal(lines.length, 3);
  for (const l of lines) assert.ok(l.length < 20_000, `a log line of ${l.length} characters`);
  const [warn, error, info] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(warn!['msg'], clientText(big, LOG_STRING_CHARS));
  assert.match(String((error!['err'] as { message: string }).message), /^stage "q+… \(5000016 characters\)$/);
  assert.equal(info!['connection_string'], '[redacted]');
});
