/** Messages from stores: SDK errors mapped to kinds, credentials scrubbed, progress throttled. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redactor } from '../../../src/core/redact.js';
import { s3Error } from '../../../src/storage/s3.js';
import { gcsError } from '../../../src/storage/gcs.js';
import { azureError } from '../../../src/storage/azure.js';
import { TransferProgress, formatBytes } from '../../../src/storage/transfer.js';

const live = new AbortController().signal;
const KEY = 'c2VjcmV0K2tleS93aXRoL3NsYXNoZXM9PQ==';
const SAS = 'sv=2022-11-02&ss=b&sig=AbC%2Bdef%2Fghi%3D';

test('the redactor removes configured secrets in raw, URL-encoded and structured forms', () => {
  const key = JSON.stringify({ client_email: 'x@y', private_key: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n' });
  const s = new Redactor([KEY, SAS, `DefaultEndpointsProtocol=https;AccountName=a;AccountKey=${KEY}`, key, 'ab']);
  const text = [
    `key ${KEY}`, `encoded ${encodeURIComponent(KEY)}`, `url https://a.blob.core.windows.net/c/x?${SAS}`,
    'sig=Zm9vYmFy&se=2030', 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7', 'Authorization: Bearer ya29.abc', 'ab stays',
  ].join('\n');
  const out = s.redact(text);
  for (const secret of [KEY, encodeURIComponent(KEY), 'AbC%2Bdef', 'Zm9vYmFy', 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7', 'ya29.abc']) {
    assert.ok(!out.includes(secret), `${secret} in:\n${out}`);
  }
  assert.match(out, /ab stays/, 'values shorter than 3 characters are not treated as secrets');
});

test('S3 errors map to kinds with messages naming the object and never the credentials', () => {
  const scrub = new Redactor(['AKIASECRETID', 'verysecretkey']);
  const err = (name: string, status: number, message: string) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
  assert.deepEqual(
    [
      s3Error(err('NoSuchBucket', 404, 'The specified bucket does not exist'), 's3://b/k', live, scrub),
      s3Error(err('NoSuchKey', 404, 'The specified key does not exist.'), 's3://b/k', live, scrub),
      s3Error(err('NotFound', 404, 'UnknownError'), 's3://b/k', live, scrub),
      s3Error(err('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold'), 's3://b/k', live, scrub),
    ].map((e) => [e.kind, e.message]),
    [
      ['bucket_not_found', 'bucket not found: s3://b/k'],
      ['not_found', 'object not found: s3://b/k'],
      ['not_found', 'object not found: s3://b/k'],
      ['precondition_failed', 's3://b/k: the object already exists'],
    ],
  );
  const denied = s3Error(err('InvalidAccessKeyId', 403, 'The AWS Access Key Id AKIASECRETID you provided does not exist (verysecretkey)'), 's3://b/k', live, scrub);
  assert.equal(denied.kind, 'access_denied');
  assert.equal(denied.message, 'access denied to s3://b/k: InvalidAccessKeyId: The AWS Access Key Id *** you provided does not exist (***)');
  const nocreds = s3Error(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), 's3://b/k', live, scrub);
  assert.match(nocreds.message, /no credentials in storage_config, the environment, a profile or instance metadata/);
  const refused = s3Error(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }), 's3://b/k', live, scrub);
  assert.equal(refused.message, 'cannot reach the S3 endpoint for s3://b/k (ECONNREFUSED)');
  const aborted = new AbortController();
  aborted.abort();
  assert.equal(s3Error(new Error('socket hang up'), 's3://b/k', aborted.signal, scrub).kind, 'cancelled');
});

test('GCS and Azure errors map to the same kinds', () => {
  const scrub = new Redactor(['tok-123456']);
  const gcs = (code: number, message: string) => gcsError(Object.assign(new Error(message), { code }), 'gs://b/k', live, scrub);
  assert.equal(gcs(404, 'The specified bucket does not exist.').kind, 'bucket_not_found');
  assert.equal(gcs(404, 'No such object: b/k').kind, 'not_found');
  assert.equal(gcs(412, 'conditionNotMet').kind, 'precondition_failed');
  assert.deepEqual([gcs(401, 'Invalid Credentials for tok-123456').kind, gcs(401, 'Invalid Credentials for tok-123456').message], ['access_denied', 'access denied to gs://b/k: Invalid Credentials for ***']);
  const az = (statusCode: number, code: string | undefined, message = '') => azureError(Object.assign(new Error(message), { statusCode, code }), 'az://c/k', live, new Redactor([KEY]));
  assert.equal(az(404, 'ContainerNotFound').kind, 'bucket_not_found');
  assert.equal(az(404, 'BlobNotFound').kind, 'not_found');
  assert.equal(az(409, 'BlobAlreadyExists').kind, 'precondition_failed');
  const denied = az(403, 'AuthenticationFailed', `Server failed to authenticate the request. key=${KEY}`);
  assert.equal(denied.kind, 'access_denied');
  assert.ok(!denied.message.includes(KEY), denied.message);
});

test('transfer progress reports the first and last object and otherwise at most every 500 ms', () => {
  let now = 0;
  const lines: string[] = [];
  const p = new TransferProgress('downloaded', 4, 4_000_000, (m) => lines.push(m), () => now);
  p.partial('a', 500_000, 1_000_000); // nothing finished yet, but 0 ms since start counts as "long ago"
  p.partial('a', 600_000, 1_000_000);
  now = 100;
  p.objectDone('a', 1_000_000);
  now = 200;
  p.objectDone('b', 1_000_000);
  p.partial('c', 1_000_000, 1_000_000); // complete: left to objectDone
  now = 700;
  p.partial('c', 400_000, 1_000_000);
  now = 800;
  p.objectDone('c', 1_000_000);
  p.objectDone('d', 1_000_000);
  assert.deepEqual(lines, [
    'downloaded 0/4 objects (500.0 kB of 4.0 MB)',
    'downloaded 1/4 objects (1.0 MB of 4.0 MB)',
    'downloaded 2/4 objects (2.4 MB of 4.0 MB)',
    'downloaded 4/4 objects (4.0 MB of 4.0 MB)',
  ]);
  assert.deepEqual([formatBytes(999), formatBytes(1500), formatBytes(12_500_000), formatBytes(1_073_741_824)], ['999 B', '1.5 kB', '12.5 MB', '1.07 GB']);
});
