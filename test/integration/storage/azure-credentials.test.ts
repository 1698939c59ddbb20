/**
 * The Entra ID token credentials for Azure Blob Storage against a scripted token endpoint (the
 * requests a service principal, workload identity and managed identity make, and their caching),
 * and the real executor signing in with one and then reading and writing blobs over HTTPS on
 * Azurite (`--oauth basic`, which accepts bearer tokens only over HTTPS and checks their audience,
 * issuer and lifetime).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  ClientSecretCredential,
  ManagedIdentityCredential,
  StaticTokenCredential,
  WorkloadIdentityCredential,
  tokenCredential,
} from '../../../src/storage/azure-credentials.js';
import { tempDir } from '../../support/engine.js';
import { startTokenIssuer, type TokenIssuer } from '../../support/token-issuer.js';
import { startAzuriteHttps, type AzureEmulator } from '../../support/emulators.js';
import { Client, startExecutor } from '../../support/executor.js';
import { TLS } from '../../support/paths.js';
import { loadPipelineText } from '../../../src/pipeline/load.js';
import { serializeAqueduct } from '../../../src/pipeline/serialize.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  form: URLSearchParams;
}

let server: http.Server;
let base = '';
const seen: Seen[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, form });
      res.setHeader('content-type', 'application/json');
      if (form.get('client_secret') === 'wrong-secret') {
        res.statusCode = 401;
        return res.end(JSON.stringify({ error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided. Trace ID: 1\r\nCorrelation ID: 2' }));
      }
      res.end(JSON.stringify({ access_token: `token-${seen.length}`, expires_in: 3600, token_type: 'Bearer' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

test('a service principal signs in with its secret, and the token is cached', async () => {
  seen.length = 0;
  const c = new ClientSecretCredential('tenant-1', 'client-1', 'the-secret', base);
  const t1 = await c.getToken('https://storage.azure.com/.default');
  const t2 = await c.getToken('https://storage.azure.com/.default');
  assert.equal(t1.token, 'token-1');
  assert.equal(t2.token, 'token-1');
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.url, '/tenant-1/oauth2/v2.0/token');
  assert.deepEqual(Object.fromEntries(seen[0]!.form), { client_id: 'client-1', client_secret: 'the-secret', scope: 'https://storage.azure.com/.default', grant_type: 'client_credentials' });
  assert.ok(t1.expiresOnTimestamp > Date.now() + 3_000_000);
});

test('a refused sign-in says why, without the secret', async () => {
  const c = new ClientSecretCredential('tenant-1', 'client-1', 'wrong-secret', base);
  await assert.rejects(c.getToken('x'), (e: Error) => {
    assert.equal(e.message, 'service principal sign-in failed: invalid_client: AADSTS7000215: Invalid client secret provided');
    return !e.message.includes('wrong-secret');
  });
});

test('workload identity sends the federated token as a client assertion', async () => {
  seen.length = 0;
  const dir = await tempDir('aq-wi-');
  const file = path.join(dir, 'token');
  await writeFile(file, 'eyJhbGciOi.federated.jwt\n');
  const t = await new WorkloadIdentityCredential('tenant-2', 'client-2', file, `${base}/`).getToken('x');
  assert.equal(t.token, 'token-1');
  assert.equal(seen[0]!.url, '/tenant-2/oauth2/v2.0/token');
  assert.equal(seen[0]!.form.get('client_assertion'), 'eyJhbGciOi.federated.jwt');
  assert.equal(seen[0]!.form.get('client_assertion_type'), 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
});

test('managed identity asks the metadata endpoint for a storage token', async () => {
  seen.length = 0;
  const t = await new ManagedIdentityCredential({ msiEndpoint: `${base}/metadata/identity/oauth2/token`, clientId: 'uami-1' }, {}).getToken('x');
  assert.equal(t.token, 'token-1');
  const u = new URL(seen[0]!.url, base);
  assert.equal(seen[0]!.method, 'GET');
  assert.equal(seen[0]!.headers.metadata, 'true');
  assert.deepEqual(Object.fromEntries(u.searchParams), { 'api-version': '2018-02-01', resource: 'https://storage.azure.com', client_id: 'uami-1' });
});

test('the chain picks credentials in object_store\'s order', () => {
  assert.ok(tokenCredential({ bearerToken: 't', accessKey: 'k' }) instanceof StaticTokenCredential);
  assert.equal(tokenCredential({ accessKey: 'k', clientId: 'c', clientSecret: 's', tenantId: 't' }), null);
  assert.ok(tokenCredential({ clientId: 'c', clientSecret: 's', tenantId: 't' }) instanceof ClientSecretCredential);
  assert.ok(tokenCredential({ clientId: 'c', tenantId: 't', federatedTokenFile: '/f' }) instanceof WorkloadIdentityCredential);
  assert.equal(tokenCredential({ sasToken: 'sv=1' }), null);
  assert.equal(tokenCredential({ connectionString: 'x' }), null);
  assert.ok(tokenCredential({}) instanceof ManagedIdentityCredential);
});

// ---------------------------------------------------------------------------------------------
// Signing in, then blob requests over HTTPS

const CERT = path.join(TLS, 'localhost-cert.pem');
const KEY = path.join(TLS, 'localhost-key.pem');
const wire = (yaml: string): unknown => JSON.parse(serializeAqueduct(loadPipelineText(yaml, 'yaml', {}, { cwd: '/tmp' }).pipeline));

/** The executor's environment for a service principal whose tokens come from `issuer`; Azurite's certificate trusted. */
function principalEnv(azurite: AzureEmulator, issuer: TokenIssuer): Record<string, string> {
  return {
    AZURE_STORAGE_ACCOUNT_NAME: 'devstoreaccount1',
    AZURE_STORAGE_ENDPOINT: azurite.accountUrl,
    AZURE_TENANT_ID: 'tenant-blob',
    AZURE_CLIENT_ID: 'client-blob',
    AZURE_CLIENT_SECRET: 'the-blob-secret',
    AZURE_AUTHORITY_HOST: issuer.url,
    NODE_EXTRA_CA_CERTS: CERT,
  };
}

const PIPELINE = `
sources: [{ type: file, name: a, format: { type: csv, options: {} }, location: "az://tok/in/a.csv" }]
stages: [[{ name: t, query: "SELECT sum(x) AS total, string_agg(y, '' ORDER BY y) AS ys FROM a" }]]
destination: { type: file, name: out, location: "az://tok/out/t.csv", format: { type: csv, options: {} } }
`;

test('the executor signs in as a service principal, then reads and writes blobs over HTTPS with the token', async () => {
  const azurite = await startAzuriteHttps(CERT, KEY);
  const issuer = await startTokenIssuer(CERT, KEY);
  const ex = await startExecutor([], principalEnv(azurite, issuer));
  try {
    assert.match(azurite.accountUrl, /^https:\/\//);
    await azurite.createContainer('tok');
    await azurite.put('tok', 'in/a.csv', 'x,y\n1,a\n2,b\n3,c\n');
    const c = await Client.connect(ex.wsUrl);
    c.send({ type: 'execution_request', pipeline: wire(PIPELINE) });
    const end = await c.terminal(await c.responseId());
    assert.equal(end.type, 'execution_succeeded', JSON.stringify(end));
    assert.equal((await azurite.get('tok', 'out/t.csv'))?.toString(), 'total,ys\n6,abc\n');
    // Every sign-in was the service principal's, over HTTPS, for storage.
    assert.ok(issuer.requests.length >= 1);
    for (const r of issuer.requests) {
      assert.equal(r.url, '/tenant-blob/oauth2/v2.0/token');
      assert.deepEqual(Object.fromEntries(r.form), { client_id: 'client-blob', client_secret: 'the-blob-secret', scope: 'https://storage.azure.com/.default', grant_type: 'client_credentials' });
    }
    assert.ok(!(JSON.stringify(c.messages) + ex.stderr()).includes('the-blob-secret'));
    c.close();
  } finally {
    await ex.stop();
    await issuer.stop();
    await azurite.stop();
  }
});

test('a token Azurite does not accept (another audience) fails the run naming the destination: the blob requests carry the token', async () => {
  const azurite = await startAzuriteHttps(CERT, KEY);
  const issuer = await startTokenIssuer(CERT, KEY, { audience: 'https://vault.azure.net' });
  const ex = await startExecutor([], principalEnv(azurite, issuer));
  try {
    await azurite.createContainer('tok');
    await azurite.put('tok', 'in/a.csv', 'x,y\n1,a\n');
    const c = await Client.connect(ex.wsUrl);
    c.send({ type: 'execution_request', pipeline: wire(PIPELINE) });
    const end = await c.terminal(await c.responseId());
    assert.equal(end.type, 'execution_error', JSON.stringify(end));
    assert.ok(end.type === 'execution_error' && /^destination "out": access denied to az:\/\/tok\/out\/t\.csv\/?: AuthenticationFailed /.test(end.message), JSON.stringify(end));
    assert.ok(issuer.requests.length >= 1, 'the executor signed in');
    assert.equal(await azurite.get('tok', 'out/t.csv'), null);
    c.close();
  } finally {
    await ex.stop();
    await issuer.stop();
    await azurite.stop();
  }
});
