/**
 * With TLS, nothing readable crosses the wire: the bytes between a client and the executor,
 * captured by a relay in between, hold neither the API key nor the pipeline nor its results. The
 * same capture without TLS shows all three, so the capture does see what it looks for.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { API_KEY, Client, startExecutor } from '../../support/executor.js';
import { TLS } from '../../support/paths.js';
import { tempDir } from '../../support/engine.js';
import { clientFramePayloads, startWireCapture, type WireCapture } from '../../support/wire-capture.js';

const CERT = path.join(TLS, 'localhost-cert.pem');
const KEY = path.join(TLS, 'localhost-key.pem');
/** Appears in the pipeline (a stage's SQL) and, computed, in its output. */
const MARKER = 'wire-marker-5e1f';

const pipeline = {
  version: 'v2',
  sources: [],
  stages: [[{ name: 'shown', query: `SELECT upper('${MARKER}') AS m`, show: 1 }]],
};

/** Runs the pipeline through a capturing relay; returns what crossed the wire each way. */
async function capturedRun(tls: boolean): Promise<{ up: Buffer; down: Buffer }> {
  const dir = await tempDir('aq-wire-');
  const ex = await startExecutor(['--data-root', dir, ...(tls ? ['--tls-cert', CERT, '--tls-key', KEY] : [])]);
  let wire: WireCapture | undefined;
  try {
    wire = await startWireCapture(Number(new URL(ex.url).port));
    const url = `${tls ? 'wss' : 'ws'}://127.0.0.1:${wire.port}/ws/connect`;
    const c = await Client.connect(url, tls ? { ca: await readFile(CERT, 'utf8') } : {});
    c.send({ type: 'execution_request', pipeline });
    const end = await c.terminal(await c.responseId());
    assert.equal(end.type, 'execution_succeeded', JSON.stringify(end));
    assert.ok(JSON.stringify(c.messages).includes(MARKER.toUpperCase()), 'the stage output reached the client');
    c.close();
    await c.closed;
    return { up: wire.toServer(), down: wire.toClient() };
  } finally {
    await wire?.close();
    await ex.stop();
  }
}

test('over TLS the API key, the pipeline and its results never cross in clear', async () => {
  const { up, down } = await capturedRun(true);
  // A TLS handshake record opens each direction.
  assert.equal(up[0], 0x16);
  assert.equal(down[0], 0x16);
  for (const secret of [API_KEY, 'X-API-Key', MARKER, MARKER.toUpperCase(), 'execution_request', 'Upgrade: websocket']) {
    assert.equal(up.indexOf(secret), -1, `${secret} crossed to the server in clear`);
    assert.equal(down.indexOf(secret), -1, `${secret} crossed to the client in clear`);
  }
});

test('the same capture without TLS sees the key, the pipeline and the results', async () => {
  const { up, down } = await capturedRun(false);
  assert.notEqual(up.indexOf(`X-API-Key: ${API_KEY}`), -1);
  // Client frames are masked, with the mask key in the frame: unmasked, the pipeline is there.
  assert.notEqual(clientFramePayloads(up).indexOf(MARKER), -1);
  assert.notEqual(down.indexOf(MARKER.toUpperCase()), -1);
});
