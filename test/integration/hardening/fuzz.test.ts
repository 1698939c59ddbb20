/**
 * A seeded fuzz of the real processes. Thousands of frames (valid, truncated, of wrong types,
 * 12 MB strings, values nested 5,000+ levels deep in every field, unknown types, binary frames,
 * invalid UTF-8, big numbers, `__proto__` keys, too large) go from authenticated peers to:
 *
 * - a standalone `aqueducts-executor` (`/ws/connect`, protocol 1 and 2),
 * - an `aqueducts-orchestrator`, on its client endpoint and its executor endpoint,
 * - a managed `aqueducts-executor`, from a scripted orchestrator on its link,
 *
 * while a bystander's execution runs on each executor. Every process stays alive and healthy,
 * every bystander's run succeeds, and every log stays small beside what was sent to it, with no
 * long line. The seed is printed; FUZZ_SEED=<n> replays a run, and FUZZ_DUMP=<dir> writes the
 * servers' logs into <dir>.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { API_KEY, startExecutor, type ExecutorProcess } from '../../support/executor.js';
import { CLIENT_KEY, EXECUTOR_SECRET, startOrchestrator, type OrchestratorProcess } from '../../support/orchestrator.js';
import { alive, deepArray, deepObject, logShape, Peer, scriptedOrchestrator, slowPipeline } from '../../support/hostile.js';

const SEED = Number(process.env['FUZZ_SEED'] ?? 20_240_131);
/** Random frames per target (the fixed special frames come on top). */
const FRAMES_PER_TARGET = 1000;
/** Frames sent between two pings that wait for the server to have read them all. */
const BATCH = 40;
/** Longest log line allowed, in bytes. */
const LINE_LIMIT = 4096;
/** Rows of the bystanders' runs: a few seconds of work each, still going when the fuzz begins. */
const BYSTANDER_ROWS = 15_000_000;

// ---- a seeded generator --------------------------------------------------------------------

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
class Rng {
  constructor(private state: number) {}
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  uuid(): string {
    const hex = () => this.int(16).toString(16);
    const part = (n: number) => Array.from({ length: n }, hex).join('');
    return `${part(8)}-${part(4)}-4${part(3)}-${this.pick(['8', '9', 'a', 'b'])}${part(3)}-${part(12)}`;
  }
  text(max: number): string {
    const alphabet = 'abcXYZ019 _-./\\"\'{}[]:,<>${}\u00e9\u4e2d\u{1F600}\n\t';
    const chars = Array.from(alphabet);
    return Array.from({ length: this.int(max) }, () => this.pick(chars)).join('');
  }
}

const HUGE = 'a'.repeat(12_582_912);
const HUGE_JSON = JSON.stringify(HUGE);

/** A hostile JSON value, as text: nothing here is larger than about 60 KB. */
function hostileValue(r: Rng): string {
  switch (r.int(16)) {
    case 0: return deepArray(5000 + r.int(2000));
    case 1: return deepObject(5000 + r.int(2000));
    case 2: return mixedDeep(r);
    case 3: return r.pick(['1e400', '-1e400', '-0', '123456789012345678901234567890', '18446744073709551616', '-9223372036854775809', '4.9e-324', '0.1']);
    case 4: return r.pick(['true', 'false', 'null', '[]', '{}', '""']);
    case 5: return JSON.stringify(r.text(40));
    case 6: return JSON.stringify('b'.repeat(10_000 + r.int(20_000)));
    case 7: return JSON.stringify(r.uuid());
    case 8: return JSON.stringify(r.uuid().toUpperCase());
    case 9: return '{"__proto__":{"polluted":true,"type":"cancel_request"},"constructor":{"prototype":{"polluted":true}}}';
    case 10: return JSON.stringify(Array.from({ length: 1000 + r.int(2000) }, (_, i) => i));
    case 11: return JSON.stringify(Object.fromEntries(Array.from({ length: 1000 + r.int(2000) }, (_, i) => [`k${i}`, i])));
    case 12: return JSON.stringify(r.pick(['execution_request', 'cancel_request', 'register_executor', 'progress_update', 'file', 'csv', 'kafka', 'in_memory']));
    case 13: return '"\\ud800\\udfff\\ud800 lone surrogates \\u0000"';
    case 14: return JSON.stringify(`${'list<'.repeat(3000 + r.int(2000))}int${'>'.repeat(3000)}`);
    default: return JSON.stringify({ nested: [1, { deeper: r.text(20) }], n: r.int(1e9) });
  }
}

/** Arrays and objects alternating, 5,000+ levels. */
function mixedDeep(r: Rng): string {
  const depth = 2500 + r.int(2500);
  return `${'[{"x":'.repeat(depth)}1${'}]'.repeat(depth)}`;
}

const HOLE = '@@hole@@';

/** The base pipeline, with the value at `at` replaced by `value` (JSON text). */
function pipelineWith(at: readonly (string | number)[], value: string): string {
  const p: Record<string, unknown> = {
    version: 'v2',
    sources: [{ type: 'file', name: 'src', location: './no-such-file.csv', format: { type: 'csv', options: { has_header: true, delimiter: ',', schema: [{ name: 'a', data_type: 'int32' }] } }, storage_config: { k: 'v' } }],
    stages: [[{ name: 's', query: 'SELECT 1 AS one', show: 1, explain: false }]],
    destination: null,
  };
  let node: Record<string | number, unknown> = p as Record<string | number, unknown>;
  for (const key of at.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[at[at.length - 1]!] = HOLE;
  return JSON.stringify(p).replace(`"${HOLE}"`, () => value);
}

const PIPELINE_HOLES: ReadonlyArray<readonly (string | number)[]> = [
  ['version'], ['sources'], ['stages'], ['destination'], ['unknown_key'],
  ['sources', 0], ['sources', 0, 'type'], ['sources', 0, 'name'], ['sources', 0, 'location'], ['sources', 0, 'format'],
  ['sources', 0, 'format', 'type'], ['sources', 0, 'format', 'options'], ['sources', 0, 'format', 'options', 'delimiter'],
  ['sources', 0, 'format', 'options', 'schema'], ['sources', 0, 'format', 'options', 'schema', 0, 'data_type'],
  ['sources', 0, 'storage_config'], ['sources', 0, 'storage_config', 'k'],
  ['stages', 0], ['stages', 0, 0], ['stages', 0, 0, 'name'], ['stages', 0, 0, 'query'], ['stages', 0, 0, 'show'], ['stages', 0, 0, 'explain'],
];

/** `sync`: wait for the server after sending it (it may close the connection: 1007, 1008, 1009). */
type Frame = { data: string | Buffer; binary?: boolean; sync?: boolean };

/** A client → executor frame (also what an orchestrator sends a managed executor). */
function clientFrame(r: Rng): Frame {
  const v = () => hostileValue(r);
  switch (r.int(14)) {
    case 0: return { data: `{"type":"cancel_request","execution_id":${v()}}` };
    case 1: return { data: `{"type":"cancel_request","execution_id":"${r.uuid()}"}` };
    case 2: return { data: `{"type":"execution_request","execution_id":${v()},"pipeline":{"sources":[],"stages":[]}}` };
    case 3: return { data: `{"type":"execution_request","execution_id":"${r.uuid()}","pipeline":${pipelineWith(r.pick(PIPELINE_HOLES), v())}}` };
    case 4: return { data: `{"type":"execution_request","pipeline":${pipelineWith(r.pick(PIPELINE_HOLES), v())}}` };
    case 5: return { data: `{"type":${v()},"execution_id":${v()}}` };
    case 6: return { data: v() };
    case 7: return { data: `{"type":${JSON.stringify(r.text(30))},"pipeline":${v()}}` };
    case 8: {
      const whole = `{"type":"execution_request","pipeline":${pipelineWith(r.pick(PIPELINE_HOLES), v())}}`;
      return { data: whole.slice(0, r.int(whole.length)) };
    }
    case 9: return { data: Buffer.from(`{"type":"cancel_request","execution_id":"${r.uuid()}"}`), binary: true };
    case 10: return { data: Buffer.from(Array.from({ length: 1 + r.int(200) }, () => r.int(256))), binary: true };
    case 11: return { data: `{"__proto__":{"type":"cancel_request"},"type":"execution_request","pipeline":{"__proto__":{"sources":[]},"sources":[],"stages":[[{"name":"p","query":"SELECT 1","constructor":{"prototype":{"x":1}}}]]}}` };
    case 12: return { data: `{"type":"execution_request","pipeline":{"sources":[],"stages":[],${Array.from({ length: 2000 + r.int(8000) }, (_, i) => `"u${i}":${i}`).join(',')}}}` };
    default: return { data: JSON.stringify(r.text(200)) };
  }
}

/** Frames every client-side target gets once: the 12 MB and over-limit ones. */
const SPECIAL_CLIENT_FRAMES: Frame[] = [
  { data: `{"type":${HUGE_JSON}}`, sync: true },
  { data: `{"type":"cancel_request","execution_id":${HUGE_JSON}}`, sync: true },
  { data: `{"type":"execution_request","execution_id":${HUGE_JSON},"pipeline":{}}`, sync: true },
  { data: `{"type":"execution_request","pipeline":${pipelineWith(['sources', 0, 'type'], HUGE_JSON)}}`, sync: true },
  { data: `{"type":"execution_request","pipeline":{"sources":[],"stages":[],${HUGE_JSON}:1}}`, sync: true },
  { data: Buffer.from(`{"type":"execution_request","pipeline":${pipelineWith(['sources', 0, 'format', 'options', 'schema', 0, 'data_type'], HUGE_JSON)}}`), binary: true, sync: true },
  { data: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), sync: true }, // invalid UTF-8 as text: closed with 1007
  { data: `{"type":"cancel_request","execution_id":"${'c'.repeat(17 * 1024 * 1024)}"}`, sync: true }, // over the limit: closed with 1009
];

/** Stands for the session's own executor id in an executor frame. */
const OWN_ID = '@@own-executor-id@@';

/** An executor → orchestrator frame. */
function executorFrame(r: Rng, executorId = OWN_ID): Frame {
  const v = () => hostileValue(r);
  const id = r.chance(0.5) ? JSON.stringify(r.uuid()) : v();
  switch (r.int(13)) {
    case 0: return { data: `{"type":"register_executor","executor_id":${r.chance(0.5) ? `"${executorId}"` : v()},"version":${v()},"max_memory_gb":${v()},"state":${v()},"execution_id":${v()}}` };
    case 1: return { data: `{"type":"progress_update","execution_id":${id},"progress":${v()},"event":{"type":${v()},"name":${v()},"position":${v()}}}` };
    case 2: return { data: `{"type":"progress_update","execution_id":${id},"progress":1,"event":{"type":"started","extra":${v()}}}` };
    case 3: return { data: `{"type":"stage_output","execution_id":${id},"stage_name":${v()},"payload":{"type":${v()},"body":${v()},"sequence":${v()}}}` };
    case 4: return { data: `{"type":"execution_error","execution_id":${id},"message":${v()},"reason":${v()}}` };
    case 5: return { data: `{"type":"protocol_error","message":${v()}}` };
    case 6: return { data: `{"type":"executor_status","executor_id":${v()},"state":${v()},"execution_id":${v()},"queue_length":${v()}}` };
    case 7: return { data: `{"type":${v()},"execution_id":${id}}` };
    case 8: return { data: v() };
    case 9: return { data: Buffer.from(`{"type":"execution_succeeded","execution_id":"${r.uuid()}"}`), binary: true };
    case 10: return { data: `{"type":"execution_succeeded","execution_id":${id},${JSON.stringify(r.text(10))}:${v()}}` };
    case 11: {
      const whole = `{"type":"log","execution_id":${id},"level":${v()},"message":${v()},"time":${v()}}`;
      return { data: whole.slice(0, r.int(whole.length)) };
    }
    default: return { data: `{"type":"execution_response","execution_id":${id}}` };
  }
}

const SPECIAL_EXECUTOR_FRAMES: Frame[] = [
  { data: `{"type":${HUGE_JSON}}` },
  { data: `{"type":"protocol_error","message":${HUGE_JSON}}` },
  { data: `{"type":"execution_error","execution_id":"${randomUUID()}","message":${HUGE_JSON},"reason":"stage"}` },
  { data: `{"type":"register_executor","executor_id":"${OWN_ID}","version":${HUGE_JSON}}` },
  { data: Buffer.from([0xc3, 0x28]) },
];

/** An orchestrator → managed executor frame: the client's, plus the orchestrator's own types. */
function orchestratorFrame(r: Rng): Frame {
  if (r.chance(0.85)) return clientFrame(r);
  const v = () => hostileValue(r);
  switch (r.int(5)) {
    case 0: return { data: r.pick(['null', '"text"', '42', '[]', 'true']) };
    case 1: return { data: `{"type":"protocol_error","message":${v()}}` };
    case 2: return { data: `{"type":"registration_response","success":true,"message":${v()}}` }; // a refusal would only make it reconnect
    case 3: return { data: `{"type":${v()}}` };
    default: return { data: `{"type":"execution_request","execution_id":"${r.uuid()}","pipeline":${pipelineWith(r.pick(PIPELINE_HOLES), v())}}` };
  }
}

// ---- the processes -------------------------------------------------------------------------

const stops: Array<() => Promise<unknown>> = [];
after(async () => { for (const stop of stops.reverse()) await stop(); });

function tracked<T extends { stop(): Promise<unknown> }>(p: T): T {
  stops.push(() => p.stop());
  return p;
}

function size(f: Frame): number {
  return typeof f.data === 'string' ? Buffer.byteLength(f.data) : f.data.length;
}

/** A v1 or v2 client connection that reconnects when the server closes it (1007, 1009). */
async function fuzzClientEndpoint(url: string, key: string, frames: Frame[]): Promise<number> {
  let bytes = 0;
  const connect = (i: number) => Peer.connect(url, { 'X-API-Key': key, ...(i % 2 === 0 ? { 'X-Aqueducts-Protocol': '2' } : {}) })
    .catch((e: Error) => { throw new Error(`${url} refuses connections after frame ${i} (${e.message}): is the server gone?`); });
  let peer = await connect(0);
  for (let i = 0; i < frames.length; i++) {
    if (!peer.open) {
      peer.close();
      peer = await connect(i);
    }
    const f = frames[i]!;
    bytes += size(f);
    await peer.send(f.data, f.binary ?? false);
    if (f.sync || i % BATCH === BATCH - 1) await synced(peer);
  }
  await synced(peer);
  peer.close();
  return bytes;
}

/** Waits until the server has read everything sent so far (frames are handled in order, then the ping). */
async function synced(peer: Peer): Promise<void> {
  if (!peer.open) return;
  await pingAndWait(peer.ws);
}

/**
 * Executor-endpoint sessions: most register first; the orchestrator closes those that misbehave
 * (1008), and the next frame opens a new session. Every frame is waited for, so the sessions are
 * the same on every run of a seed.
 */
async function fuzzExecutorEndpoint(url: string, r: Rng, frames: Frame[]): Promise<number> {
  let bytes = 0;
  let peer: Peer | null = null;
  let executorId = '';
  for (const f of frames) {
    if (!peer || !peer.open) {
      peer?.close();
      peer = await Peer.connect(url, { 'X-API-Key': EXECUTOR_SECRET, 'X-Aqueducts-Protocol': '2' });
      executorId = r.uuid();
      if (r.chance(0.8)) {
        await peer.send(JSON.stringify({ type: 'register_executor', executor_id: executorId, version: '0.1.0-fuzz', max_memory_gb: 1, state: 'idle', execution_id: null }));
        await synced(peer);
      }
    }
    const data = typeof f.data === 'string' ? f.data.replaceAll(OWN_ID, executorId) : f.data;
    bytes += size(f);
    await peer.send(data, f.binary ?? false);
    await synced(peer);
  }
  if (peer) {
    await synced(peer);
    peer.close();
  }
  return bytes;
}

function checkLog(name: string, stderr: string, frameBytes: number): void {
  const shape = logShape(stderr);
  assert.ok(shape.longest <= LINE_LIMIT, `${name}: a log line of ${shape.longest} bytes`);
  assert.ok(shape.bytes * 20 < frameBytes, `${name}: ${shape.bytes} bytes of log for ${frameBytes} bytes of frames`);
}

test(`fuzz: the executor, the orchestrator and a managed executor survive hostile frames (seed ${SEED})`, { timeout: 180_000 }, async (t) => {
  t.diagnostic(`seed ${SEED} (FUZZ_SEED=${SEED} replays this run)`);
  console.log(`fuzz seed: ${SEED}`);
  const r = new Rng(SEED);
  const t0 = Date.now();
  const sessions = new Rng(SEED + 1);
  const dataRoot = await mkdtemp(path.join(os.tmpdir(), 'aq-fuzz-'));
  const secret = 'fuzz-link-secret';
  const fakeOrchestrator = await scriptedOrchestrator(secret);
  stops.push(() => fakeOrchestrator.close());
  const [ex, orch]: [ExecutorProcess, OrchestratorProcess] = await Promise.all([
    startExecutor(['--data-root', dataRoot]).then(tracked),
    startOrchestrator().then(tracked),
  ]);
  const [worker, linked] = await Promise.all([
    startExecutor(['--mode', 'managed', '--orchestrator-url', orch.executorUrl, '--data-root', dataRoot], { API_KEY: EXECUTOR_SECRET }).then(tracked),
    startExecutor(['--mode', 'managed', '--orchestrator-url', fakeOrchestrator.url, '--api-key', secret, '--data-root', dataRoot]).then(tracked),
  ]);

  t.diagnostic(`processes up after ${Date.now() - t0} ms`);
  // the bystanders: one run on each executor, started before the fuzz
  const started = (fs: Array<Record<string, unknown>>, id: string) => fs.some((f) => f['execution_id'] === id && f['type'] === 'progress_update' && (f['event'] as { type: string }).type === 'stage_started');
  const ended = (fs: Array<Record<string, unknown>>, id: string) => fs.find((f) => f['execution_id'] === id && ['execution_succeeded', 'execution_error', 'cancel_response'].includes(String(f['type'])));
  const ids = { ex: randomUUID(), orch: randomUUID(), linked: randomUUID() };
  const exClient = await Peer.connect(ex.wsUrl, { 'X-API-Key': API_KEY, 'X-Aqueducts-Protocol': '2' });
  await exClient.send(JSON.stringify({ type: 'execution_request', execution_id: ids.ex, pipeline: slowPipeline(BYSTANDER_ROWS) }));
  await fetchUntil(`${orch.url}/api/health`, (b) => Number((b as { idle?: number }).idle ?? 0) >= 1);
  const orchClient = await Peer.connect(orch.wsUrl, { 'X-API-Key': CLIENT_KEY, 'X-Aqueducts-Protocol': '2' });
  await orchClient.send(JSON.stringify({ type: 'execution_request', execution_id: ids.orch, pipeline: slowPipeline(BYSTANDER_ROWS) }));
  await fakeOrchestrator.registered();
  await fakeOrchestrator.send(JSON.stringify({ type: 'execution_request', execution_id: ids.linked, pipeline: slowPipeline(BYSTANDER_ROWS) }));
  await exClient.until((fs) => started(fs, ids.ex), 30_000);
  await orchClient.until((fs) => started(fs, ids.orch), 30_000);
  await fakeOrchestrator.until((fs) => started(fs, ids.linked), 30_000);

  // the frames: fixed special ones, then seeded random ones, per target
  const withSpecials = (special: Frame[], make: () => Frame): Frame[] => {
    const frames = Array.from({ length: FRAMES_PER_TARGET }, make);
    for (const s of special) frames.splice(r.int(frames.length), 0, s);
    return frames;
  };
  const exFrames = withSpecials(SPECIAL_CLIENT_FRAMES, () => clientFrame(r));
  const orchClientFrames = withSpecials(SPECIAL_CLIENT_FRAMES, () => clientFrame(r));
  const orchExecutorFrames = withSpecials(SPECIAL_EXECUTOR_FRAMES, () => executorFrame(r));
  const linkFrames = withSpecials(SPECIAL_CLIENT_FRAMES.slice(0, -2), () => orchestratorFrame(r));
  t.diagnostic(`bystanders running after ${Date.now() - t0} ms`);
  t.diagnostic(`frames: ${exFrames.length} + ${orchClientFrames.length} + ${orchExecutorFrames.length} + ${linkFrames.length}`);

  const linkBytes = (async () => {
    let bytes = 0;
    for (let i = 0; i < linkFrames.length; i++) {
      const f = linkFrames[i]!;
      bytes += size(f);
      await fakeOrchestrator.send(f.data, f.binary ?? false);
      if (f.sync || i % BATCH === BATCH - 1) await linkSynced(fakeOrchestrator.link());
    }
    return bytes;
  })();
  const [exBytes, orchClientBytes, orchExecutorBytes, linkedBytes] = await Promise.all([
    fuzzClientEndpoint(ex.wsUrl, API_KEY, exFrames),
    fuzzClientEndpoint(orch.wsUrl, CLIENT_KEY, orchClientFrames),
    fuzzExecutorEndpoint(orch.executorUrl, sessions, orchExecutorFrames),
    linkBytes,
  ]);
  t.diagnostic(`fuzz done after ${Date.now() - t0} ms`);
  t.diagnostic(`bytes sent: executor ${exBytes}, orchestrator ${orchClientBytes} + ${orchExecutorBytes}, managed link ${linkedBytes}`);

  // every process is alive and healthy
  for (const [name, p] of [['executor', ex], ['orchestrator', orch], ['managed executor (worker)', worker], ['managed executor (linked)', linked]] as const) {
    assert.ok(alive(p.proc), `${name} died: ${p.stderr().slice(-1000)}`);
    const res = await fetch(`${p.url}/api/health`);
    assert.equal(res.status, 200, `${name} health`);
  }
  if (process.env['FUZZ_DUMP']) {
    const { writeFile } = await import('node:fs/promises');
    for (const [name, p] of [['ex', ex], ['orch', orch], ['worker', worker], ['linked', linked]] as const) await writeFile(`${process.env['FUZZ_DUMP']}/${name}.log`, p.stderr());
  }
  // every bystander's run succeeds
  await exClient.until((fs) => ended(fs, ids.ex) !== undefined, 120_000);
  await orchClient.until((fs) => ended(fs, ids.orch) !== undefined, 120_000);
  await fakeOrchestrator.until((fs) => ended(fs, ids.linked) !== undefined, 120_000);
  assert.equal(ended(exClient.frames, ids.ex)?.['type'], 'execution_succeeded', JSON.stringify(ended(exClient.frames, ids.ex)));
  assert.equal(ended(orchClient.frames, ids.orch)?.['type'], 'execution_succeeded', JSON.stringify(ended(orchClient.frames, ids.orch)));
  assert.equal(ended(fakeOrchestrator.frames, ids.linked)?.['type'], 'execution_succeeded', JSON.stringify(ended(fakeOrchestrator.frames, ids.linked)));
  t.diagnostic(`bystanders done after ${Date.now() - t0} ms`);
  // the logs stayed bounded
  checkLog('executor', ex.stderr(), exBytes);
  checkLog('orchestrator', orch.stderr(), orchClientBytes + orchExecutorBytes);
  checkLog('managed executor (linked)', linked.stderr(), linkedBytes);
  assert.ok(logShape(worker.stderr()).longest <= LINE_LIMIT);
  for (const [name, p] of [['executor', ex], ['orchestrator', orch], ['linked', linked]] as const) {
    const s = logShape(p.stderr());
    t.diagnostic(`${name} log: ${s.bytes} bytes, ${s.lines} lines, longest ${s.longest}`);
  }
  exClient.close();
  orchClient.close();
});

/** Pings a managed executor's link from the scripted orchestrator and waits for the pong. */
async function linkSynced(ws: import('ws').WebSocket): Promise<void> {
  if (ws.readyState !== ws.OPEN) return;
  await pingAndWait(ws);
}

/** Pings and waits for the pong (or the close): the peer has read every frame sent before. */
function pingAndWait(ws: import('ws').WebSocket): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      ws.off('pong', done);
      ws.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, 30_000);
    ws.on('pong', done);
    ws.on('close', done);
    ws.ping();
  });
}

async function fetchUntil(url: string, check: (body: unknown) => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (check(await (await fetch(url)).json())) return;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error(`timed out waiting on ${url}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}
