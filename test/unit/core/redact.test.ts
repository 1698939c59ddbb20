/**
 * The Redactor on secrets as users paste them: with a trailing newline or over several lines,
 * echoed by an SDK cut at the line break; and `Bearer` tokens it was not told about.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redactor } from '../../../src/core/redact.js';

test('a token with a trailing newline is removed from an echo cut at the newline', () => {
  const token = 'ya29.Pasted-With-Newline\n';
  // the first line of what the GCS SDK says of such a header value
  const echoed = `Bearer ${token} is not a legal HTTP header value`.split('\n')[0]!;
  assert.equal(new Redactor([token]).redact(`gs://b/k: ${echoed}`), 'gs://b/k: Bearer ***');
  assert.equal(new Redactor([token]).redact('token ya29.Pasted-With-Newline expired'), 'token *** expired');
});

test('each line of a secret spanning lines is removed, and short lines are left alone', () => {
  const secret = 'first-line-of-secret\r\nsecond-line-of-secret\nab';
  const out = new Redactor([secret]).redact('saw second-line-of-secret and first-line-of-secret; ab stays');
  assert.equal(out, 'saw *** and ***; ab stays');
});

test('a Bearer token the redactor was not given is removed by its shape', () => {
  assert.equal(new Redactor([]).redact('request refused: Bearer abc.DEF-123_x is expired'), 'request refused: Bearer *** is expired');
  assert.equal(new Redactor([]).redact('a bearer token is required'), 'a bearer token is required');
});
