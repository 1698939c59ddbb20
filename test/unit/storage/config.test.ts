import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBool, parseDuration, resolveStorageConfig } from '../../../src/storage/config.js';
import { StorageError } from '../../../src/storage/types.js';

test('S3 keys: object_store names and aliases, in any case', () => {
  const { options, notes } = resolveStorageConfig(
    's3',
    {
      AWS_ACCESS_KEY_ID: 'AKIA1', aws_secret_access_key: 'sk', Session_Token: 'st', REGION: 'eu-west-1',
      AWS_ENDPOINT_URL: 'http://minio:9000', aws_allow_http: 'TRUE', AWS_S3_FORCE_PATH_STYLE: 'yes',
      AWS_VIRTUAL_HOSTED_STYLE_REQUEST: 'off', aws_timeout: '30s', CONNECT_TIMEOUT: '1m 30s', aws_skip_signature: '0',
      AWS_SERVER_SIDE_ENCRYPTION: 'aws:kms', AWS_SSE_KMS_KEY_ID: 'kms-1', aws_profile: 'dev',
    },
    {},
  );
  assert.deepEqual(options, {
    accessKeyId: 'AKIA1', secretAccessKey: 'sk', sessionToken: 'st', region: 'eu-west-1', endpoint: 'http://minio:9000',
    allowHttp: true, forcePathStyle: true, virtualHostedStyle: false, timeoutMs: 30_000, connectTimeoutMs: 90_000, skipSignature: false,
    serverSideEncryption: 'aws:kms', sseKmsKeyId: 'kms-1', profile: 'dev',
  });
  assert.deepEqual(notes, []);
  assert.deepEqual(resolveStorageConfig('s3', { aws_endpoint: 'x', AWS_DEFAULT_REGION: 'r' }, {}).options, { endpoint: 'x', defaultRegion: 'r' });
  assert.deepEqual(resolveStorageConfig('s3', { endpoint_url: 'y', aws_token: 't' }, {}).options, { endpoint: 'y', sessionToken: 't' });
});

test('GCS keys', () => {
  const { options, notes } = resolveStorageConfig(
    'gcs',
    { GOOGLE_SERVICE_ACCOUNT: '/k.json', google_service_account_key: '{}', GOOGLE_CLOUD_PROJECT: 'p', GOOGLE_BASE_URL: 'http://x', google_bearer_token: 'b', GOOGLE_ALLOW_HTTP: 'true' },
    {},
  );
  assert.deepEqual(options, { serviceAccountPath: '/k.json', serviceAccountKey: '{}', projectId: 'p', baseUrl: 'http://x', bearerToken: 'b', allowHttp: true });
  assert.deepEqual(notes, []);
  assert.deepEqual(resolveStorageConfig('gcs', { GOOGLE_SERVICE_ACCOUNT_PATH: '/a', service_account: '/b' }, {}).options, { serviceAccountPath: '/b' });
});

test('Azure keys', () => {
  const { options } = resolveStorageConfig(
    'azure',
    {
      AZURE_STORAGE_ACCOUNT_NAME: 'acct', AZURE_STORAGE_ACCOUNT_KEY: 'k', AZURE_STORAGE_SAS_TOKEN: 'sv=1&sig=2', AZURE_STORAGE_CONNECTION_STRING: 'cs',
      AZURE_STORAGE_ENDPOINT: 'http://127.0.0.1:10000/acct', azure_storage_use_emulator: 'true', AZURE_CLIENT_ID: 'cid', AZURE_CLIENT_SECRET: 'cs2',
      AZURE_TENANT_ID: 'tid', azure_federated_token_file: '/t', AZURE_ALLOW_HTTP: 'true', azure_storage_token: 'bt',
    },
    {},
  );
  assert.deepEqual(options, {
    accountName: 'acct', accessKey: 'k', sasToken: 'sv=1&sig=2', connectionString: 'cs', endpoint: 'http://127.0.0.1:10000/acct', useEmulator: true,
    clientId: 'cid', clientSecret: 'cs2', tenantId: 'tid', federatedTokenFile: '/t', allowHttp: true, bearerToken: 'bt',
  });
  assert.deepEqual(resolveStorageConfig('azure', { account_key: 'a', sas_key: 's', master_key: 'm' }, {}).options, { accessKey: 'm', sasToken: 's' });
});

test('the environment fills what storage_config leaves out; storage_config wins', () => {
  const env = { AWS_ACCESS_KEY_ID: 'env-id', AWS_SECRET_ACCESS_KEY: 'env-secret', AWS_REGION: 'env-region', AWS_ENDPOINT_URL: 'http://env', aws_region: 'lower-case-ignored', PATH: '/bin' };
  const { options, secrets } = resolveStorageConfig('s3', { aws_region: 'cfg-region' }, env);
  assert.deepEqual(options, { accessKeyId: 'env-id', secretAccessKey: 'env-secret', region: 'cfg-region', endpoint: 'http://env' });
  assert.ok(secrets.includes('env-secret'));
  assert.deepEqual(resolveStorageConfig('azure', {}, { AZURE_STORAGE_ACCOUNT_NAME: 'a', IDENTITY_ENDPOINT: 'http://msi' }).options, { accountName: 'a', msiEndpoint: 'http://msi' });
  assert.deepEqual(resolveStorageConfig('gcs', {}, { SERVICE_ACCOUNT: '/sa.json', GOOGLE_CLOUD_PROJECT: 'p' }).options, { serviceAccountPath: '/sa.json', projectId: 'p' });
  // A malformed variable meant for something else does not fail the run.
  assert.deepEqual(resolveStorageConfig('s3', {}, { AWS_ALLOW_HTTP: 'maybe' }).options, {});
});

test('unknown, foreign and ignored keys become notes naming the key and never the value', () => {
  const { notes, options, secrets } = resolveStorageConfig(
    's3',
    { AWS_SECRET_ACESS_KEY: 'typo-secret-value', AZURE_STORAGE_ACCOUNT_KEY: 'azure-secret-value', AWS_S3_ALLOW_UNSAFE_RENAME: 'true', aws_bucket: 'b', AWS_PROXY_URL: 'http://p' },
    {},
  );
  assert.deepEqual(options, {});
  assert.deepEqual(notes, [
    { key: 'AWS_SECRET_ACESS_KEY', kind: 'unknown', message: 'unknown storage_config key "AWS_SECRET_ACESS_KEY" for S3 (s3://); it is ignored' },
    { key: 'AZURE_STORAGE_ACCOUNT_KEY', kind: 'other_store', message: 'storage_config key "AZURE_STORAGE_ACCOUNT_KEY" applies to Azure Blob Storage (az://, abfss://), not to this S3 (s3://) location; it is ignored' },
    { key: 'AWS_S3_ALLOW_UNSAFE_RENAME', kind: 'ignored', category: 'delta', message: 'storage_config key "AWS_S3_ALLOW_UNSAFE_RENAME" is a Delta Lake (delta-rs) option; it has no effect on file sources and destinations' },
    { key: 'aws_bucket', kind: 'ignored', message: 'storage_config key "aws_bucket" is taken from the location URL; the key is ignored' },
    { key: 'AWS_PROXY_URL', kind: 'ignored', message: 'storage_config key "AWS_PROXY_URL" has no effect in this executor' },
  ]);
  for (const n of notes) assert.ok(!/secret-value|http:\/\/p/.test(n.message));
  // Values of keys that might have been meant as credentials are still scrubbed from messages.
  assert.ok(secrets.includes('typo-secret-value') && secrets.includes('azure-secret-value'));
  assert.equal(resolveStorageConfig('gcs', { GOOGLE_STORAGE_ENDPOINT: 'x' }, {}).notes[0]?.kind, 'unknown');
  // Client options a store's SDK cannot honour are reported, not silently dropped.
  assert.deepEqual(resolveStorageConfig('azure', { allow_invalid_certificates: 'true', azure_timeout: '10s' }, {}), {
    options: { timeoutMs: 10_000 },
    notes: [{ key: 'allow_invalid_certificates', kind: 'ignored', message: 'storage_config key "allow_invalid_certificates" has no effect in this executor' }],
    secrets: [],
  });
  assert.equal(resolveStorageConfig('gcs', { AWS_REGION: 'x' }, {}).notes[0]?.kind, 'other_store');
});

test('malformed values fail naming the key, not the value', () => {
  assert.throws(
    () => resolveStorageConfig('s3', { AWS_ALLOW_HTTP: 'perhaps-secret' }, {}),
    (e: unknown) => e instanceof StorageError && e.message === 'storage_config key "AWS_ALLOW_HTTP" must be true or false',
  );
  assert.throws(() => resolveStorageConfig('azure', { azure_timeout: 'soon' }, {}), /storage_config key "azure_timeout" must be a duration such as 30s or 2m/);
});

test('booleans and durations are parsed the way object_store parses them', () => {
  for (const v of ['1', 'true', 'TRUE', ' on ', 'yes', 'Y']) assert.equal(parseBool(v), true, v);
  for (const v of ['0', 'false', 'Off', 'no', 'n']) assert.equal(parseBool(v), false, v);
  assert.equal(parseBool('enabled'), null);
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('2 minutes'), 120_000);
  assert.equal(parseDuration('1h 1m 1s'), 3_661_000);
  assert.equal(parseDuration('5'), 5000);
  assert.equal(parseDuration('5 parsecs'), null);
  assert.equal(parseDuration('fast'), null);
});
