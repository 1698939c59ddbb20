/**
 * Object stores through the real executor process: credentials from the executor's environment,
 * download/upload progress as protocol v2 `log` lines, and no secret in any message or log line.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadPipelineText } from '../../../src/pipeline/load.js';
import { serializeAqueduct } from '../../../src/pipeline/serialize.js';
import { Client, startExecutor, type ExecutorProcess } from '../../support/executor.js';
import { startS3, type S3Emulator } from '../../support/emulators.js';

const wire = (yaml: string): unknown => JSON.parse(serializeAqueduct(loadPipelineText(yaml, 'yaml', {}, { cwd: '/tmp' }).pipeline));

let s3: S3Emulator;
let ex: ExecutorProcess;

before(async () => {
  s3 = await startS3();
  await s3.createBucket('exec');
  await s3.put('exec', 'in/a.csv', 'x,y\n1,a\n2,b\n3,c\n');
  // Credentials and endpoint only in the executor's environment.
  const { AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL, AWS_REGION, AWS_ALLOW_HTTP } = s3.config;
  ex = await startExecutor([], { AWS_ACCESS_KEY_ID: AWS_ACCESS_KEY_ID!, AWS_SECRET_ACCESS_KEY: AWS_SECRET_ACCESS_KEY!, AWS_ENDPOINT_URL: AWS_ENDPOINT_URL!, AWS_REGION: AWS_REGION!, AWS_ALLOW_HTTP: AWS_ALLOW_HTTP! });
});

after(async () => {
  await ex?.stop();
  await s3?.stop();
});

test('a pipeline on S3 with credentials from the executor environment, progress as v2 log lines', async () => {
  const c = await Client.connect(ex.wsUrl, { v2: true });
  const id = '5a0c2f7e-1b3d-4e6f-8a9b-0c1d2e3f4a5b';
  c.send({
    type: 'execution_request',
    execution_id: id,
    pipeline: wire(`
sources: [{ type: file, name: a, format: { type: csv, options: {} }, location: "s3://exec/in/a.csv" }]
stages: [[{ name: t, query: "SELECT sum(x) AS total, string_agg(y, '') AS ys FROM a" }]]
destination: { type: file, name: out, location: "s3://exec/out/t.csv", format: { type: csv, options: {} } }
`),
  });
  const end = await c.terminal(id);
  assert.equal(end.type, 'execution_succeeded', JSON.stringify(end));
  const logs = c.about(id).flatMap((m) => (m.type === 'log' ? [m.message] : []));
  assert.ok(logs.includes('source "a": downloading 1 object (16 B) from s3://exec/in/a.csv'), logs.join('\n'));
  assert.ok(logs.includes('destination "out": uploaded 1/1 objects (15 B of 15 B)'), logs.join('\n'));
  assert.equal((await s3.get('exec', 'out/t.csv'))?.toString(), 'total,ys\n6,abc\n');
  c.close();
});

test('a wrong key in storage_config fails naming the source; the secret appears nowhere', async () => {
  const secret = 'AKIAEXECUTORWRONGKEY';
  const unknownValue = 'never-print-this-value';
  const c = await Client.connect(ex.wsUrl, { v2: true });
  const id = '6b1d3a8f-2c4e-4f70-9bac-1d2e3f4a5b6c';
  c.send({
    type: 'execution_request',
    execution_id: id,
    pipeline: wire(`
sources: [{ type: file, name: a, format: { type: csv, options: {} }, location: "s3://exec/in/a.csv", storage_config: { AWS_ACCESS_KEY_ID: "${secret}", AWS_SECRET_ACCESS_KEY: "wrong-secret-value", aws_mystery: "${unknownValue}" } }]
stages: [[{ name: t, query: "SELECT 1 AS x" }]]
`),
  });
  const end = await c.terminal(id);
  assert.equal(end.type, 'execution_error');
  assert.ok(end.type === 'execution_error' && /^source "a": access denied to s3:\/\/exec\/in\/a.csv: InvalidAccessKeyId: /.test(end.message), JSON.stringify(end));
  const warnings = c.about(id).flatMap((m) => (m.type === 'log' && m.level === 'warn' ? [m.message] : []));
  assert.deepEqual(warnings, ['source "a": unknown storage_config key "aws_mystery" for S3 (s3://); it is ignored']);
  const everything = JSON.stringify(c.messages) + ex.stderr();
  for (const s of [secret, 'wrong-secret-value', unknownValue]) assert.ok(!everything.includes(s), `${s} leaked`);
  c.close();
});
