/**
 * wss:// executors with a self-signed certificate, against a scripted peer (scripted-executor.ts).
 * test/fixtures/tls/localhost-{cert,key}.pem: a test-only self-signed pair for localhost and 127.0.0.1,
 * valid 2000–2100 (made with `openssl ca -selfsign -startdate 20000101000000Z`); it protects nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cancelAction } from '../../../src/cli/remote/cancel.command.js';
import { remoteRunAction } from '../../../src/cli/remote/remote-run.command.js';
import { FAST, captureIo, startScriptedExecutor } from './scripted-executor.js';
import { TLS } from '../../support/paths.js';

const FIXTURES = TLS;
const CERT = path.join(FIXTURES, 'localhost-cert.pem');
const tls = { key: readFileSync(path.join(FIXTURES, 'localhost-key.pem'), 'utf8'), cert: readFileSync(CERT, 'utf8') };
const KEY = 'tls-key';
const ID = '3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c';

async function pipelineFile(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aq-tls-'));
  const file = path.join(dir, 'p.json');
  await writeFile(file, '{"sources":[],"stages":[[{"name":"one","query":"SELECT 1 AS x"}]]}');
  return file;
}

test('wss:// with a self-signed certificate: refused without --ca-cert, with a hint', async (t) => {
  const executor = await startScriptedExecutor({ apiKey: KEY, tls });
  t.after(() => executor.stop());
  const io = captureIo();
  const code = await remoteRunAction({ file: await pipelineFile(), param: [], executor: `wss://${executor.address}`, apiKey: KEY }, io, undefined, {}, FAST);
  assert.equal(code, 1);
  assert.equal(io.errLines.length, 1);
  assert.match(io.errLines[0]!, new RegExp(`^❌ Cannot connect to executor at ${executor.wsUrl}: .*self.signed certificate.* \\(for a private CA or a self-signed certificate pass --ca-cert <pem file> or set NODE_EXTRA_CA_CERTS\\)$`));
  assert.deepEqual(executor.frames, []);
});

test('https:// with --ca-cert trusts the certificate and runs', async (t) => {
  const executor = await startScriptedExecutor({
    apiKey: KEY, tls,
    onFrame: (f, peer) => {
      peer.send({ type: 'execution_response', execution_id: f['execution_id'] });
      peer.send({ type: 'execution_succeeded', execution_id: f['execution_id'] });
    },
  });
  t.after(() => executor.stop());
  const io = captureIo();
  const code = await remoteRunAction(
    { file: await pipelineFile(), param: [], executor: `https://${executor.address}`, apiKey: KEY, caCert: CERT }, io, undefined, {}, FAST,
  );
  assert.equal(code, 0, io.errLines.join('\n'));
  assert.equal(executor.frames.length, 1);
});

test('cancel over wss:// with --ca-cert', async (t) => {
  const executor = await startScriptedExecutor({
    apiKey: KEY, tls, onFrame: (f, peer) => peer.send({ type: 'cancel_response', execution_id: f['execution_id'] }),
  });
  t.after(() => executor.stop());
  const io = captureIo();
  const code = await cancelAction({ executor: `wss://localhost:${executor.address.split(':')[1]}`, apiKey: KEY, executionId: ID, caCert: CERT }, io, {}, FAST);
  assert.equal(code, 0, io.errLines.join('\n'));
  assert.deepEqual(io.outLines, [`⏹ Execution ${ID} cancelled`]);
});

test('--ca-cert that is not a PEM certificate is a usage error', async () => {
  const io = captureIo();
  const code = await cancelAction({ executor: 'wss://127.0.0.1:1', apiKey: KEY, executionId: ID, caCert: path.join(path.dirname(fileURLToPath(import.meta.url)), 'scripted-executor.ts') }, io, {}, FAST);
  assert.equal(code, 2);
  assert.match(io.errLines[0]!, /^error: --ca-cert .*scripted-executor\.ts is not a PEM certificate \(expected -----BEGIN CERTIFICATE-----\)$/);
});
