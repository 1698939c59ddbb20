/**
 * Secrets through the real executor process, logging at `trace`. Each failure is one whose raw
 * text really carries a secret: the test first shows that the driver or SDK, called directly the
 * way the executor calls it, echoes the secret; then it runs the same thing through the executor
 * and looks for the secret in every frame the client received and every log line.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { OAuth2Client } from 'google-auth-library';
import { Storage } from '@google-cloud/storage';
import { loadOdbc } from '../../../src/odbc/driver.js';
import { Client, refusedUpgrade, startExecutor, waitForLog, type ExecutorProcess } from '../../support/executor.js';
import { startFakeGcs, type FakeGcs } from '../../support/emulators.js';
import { startPostgres, type PgServer } from '../../support/postgres.js';

/** The executor's own key, given as a flag. */
const KEY = 'executor-own-key-Vq93Lw';

let ex: ExecutorProcess;
let pg: PgServer;
let gcs: FakeGcs;
const clients: Client[] = [];

before(async () => {
  [ex, pg, gcs] = await Promise.all([startExecutor(['--api-key', KEY], { API_KEY: KEY, RUST_LOG: 'trace' }), startPostgres(), startFakeGcs({ token: 'ya29.the-right-token' })]);
  gcs.createBucket('data');
  gcs.put('data', 'in.csv', 'x\n1\n');
});

after(async () => {
  for (const c of clients) c.close();
  await Promise.all([ex?.stop(), pg?.stop(), gcs?.stop()]);
});

/** Runs a pipeline on a fresh v2 connection and returns the failure, once its log line is written. */
async function failedRun(pipeline: unknown): Promise<string> {
  const c = await Client.connect(ex.wsUrl, { key: KEY, v2: true });
  clients.push(c);
  c.send({ type: 'execution_request', pipeline });
  const id = await c.responseId();
  const end = await c.terminal(id, 120_000);
  assert.equal(end.type, 'execution_error', JSON.stringify(end));
  await waitForLog(ex, (l) => l.msg === 'execution failed' && l.execution_id === id);
  return end.type === 'execution_error' ? end.message : '';
}

/** Every frame received by every client and every log line, with `secret` absent. */
function assertNowhere(secret: string): void {
  const frames = clients.flatMap((c) => c.messages.map((m) => JSON.stringify(m)));
  assert.ok(frames.length > 0);
  for (const f of frames) assert.ok(!f.includes(secret), `a reply carries the secret: ${f}`);
  for (const line of ex.stderr().split('\n')) assert.ok(!line.includes(secret), `a log line carries the secret: ${line}`);
}

/** The raw error of connecting with node-odbc directly, as the executor does. */
async function rawOdbcError(connectionString: string): Promise<string> {
  const odbc = await loadOdbc('test', 'AQ_SOURCE_FAILED');
  const conn = await odbc.connect({ connectionString }).catch((e: unknown) => e);
  assert.ok(conn instanceof Error, 'the connection was expected to fail');
  return JSON.stringify({ message: conn.message, odbcErrors: (conn as { odbcErrors?: unknown }).odbcErrors });
}

const odbcSource = (connectionString: string) => ({
  sources: [{ type: 'odbc', name: 'db', connection_string: connectionString, load_query: 'SELECT 1' }],
  stages: [[{ name: 's', query: 'SELECT * FROM db' }]],
});

test('a password unixODBC echoes (the driver name left unclosed swallows it) reaches no reply and no log line', async () => {
  const secret = 'Unclosed-Brace-Pw-4471';
  const cs = `Driver={PostgreSQL Unicode;Pwd=${secret}};Server=127.0.0.1;Uid=u;`;
  const raw = await rawOdbcError(cs);
  assert.ok(raw.includes(`Can't open lib 'PostgreSQL Unicode;Pwd=${secret}'`), `the driver manager echoes the password: ${raw}`);
  const message = await failedRun(odbcSource(cs));
  assert.match(message, /^source "db": could not connect: SQLSTATE 01000: .*Can't open lib/);
  assertNowhere(secret);
});

test('a password PostgreSQL echoes (a user name equal to the password) reaches no reply and no log line', async () => {
  const secret = 'Same-As-User-Pw-8830';
  const cs = pg.connectionString({ user: secret, password: secret });
  const raw = await rawOdbcError(cs);
  assert.ok(raw.includes(`password authentication failed for user \\"${secret}\\"`), `the server echoes the password: ${raw}`);
  const message = await failedRun(odbcSource(cs));
  assert.match(message, /^source "db": could not connect: SQLSTATE 08001: .*password authentication failed for user "\*\*\*"/);
  assertNowhere(secret);
});

test('a GCS bearer token with a trailing newline, which the SDK echoes, reaches no reply and no log line', async () => {
  // A token pasted from a file keeps its newline; the SDK refuses the header and quotes it.
  const token = 'ya29.Pasted-Token-From-File-5521\n';
  const client = new OAuth2Client();
  client.setCredentials({ access_token: token });
  const storage = new Storage({ apiEndpoint: gcs.endpoint, authClient: client, useAuthWithCustomEndpoint: true, retryOptions: { autoRetry: false } });
  const raw = await storage.bucket('data').file('in.csv').download().then(() => '', (e: Error) => e.message);
  assert.ok(raw.includes(`Bearer ${token}`), `the SDK echoes the token: ${raw}`);
  const message = await failedRun({
    sources: [{ type: 'file', name: 'a', format: { type: 'csv', options: {} }, location: 'gs://data/in.csv', storage_config: { GOOGLE_BASE_URL: gcs.endpoint, GOOGLE_BEARER_TOKEN: token } }],
    stages: [[{ name: 's', query: 'SELECT * FROM a' }]],
  });
  assert.match(message, /^source "a": gs:\/\/data\/in\.csv: /);
  assertNowhere(token.trim());
});

test('the executor\'s own API key appears in no reply and no log line at trace, through runs, refusals and shutdown', async () => {
  const c = await Client.connect(ex.wsUrl, { key: KEY, v2: true });
  clients.push(c);
  c.send({ type: 'execution_request', pipeline: { sources: [], stages: [[{ name: 's', query: 'SELECT 1 AS one', show: 1 }]] } });
  assert.equal((await c.terminal(await c.responseId())).type, 'execution_succeeded');
  // wrong keys that contain the right one: logging the attempted key would show it
  for (const wrong of [`${KEY}x`, `x${KEY}`]) assert.equal((await refusedUpgrade(ex.wsUrl, { 'X-API-Key': wrong })).status, 401);
  assert.equal((await fetch(`${ex.url}/api/health`)).status, 200);
  await waitForLog(ex, (l) => l.msg === 'authentication failed');
  ex.proc.kill('SIGTERM');
  assert.equal(await ex.exited, 0);
  // the log really was at the most verbose level, and has the start-up configuration line
  assert.ok(ex.logs.some((l) => l.level === 20), 'debug lines were written');
  assert.ok(ex.logs.some((l) => l.msg === 'starting executor' && (l.config as { log_level?: string }).log_level === 'trace'));
  assertNowhere(KEY);
});
