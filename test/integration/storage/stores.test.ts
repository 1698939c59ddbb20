/**
 * The storage interface, one contract for four implementations: local disk, S3 (s3rver), GCS (the
 * fake of test/support/fake-gcs.ts, driven by the real client) and Azure (Azurite).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openLocation, type OpenOptions } from '../../../src/storage/open.js';
import { StorageError, type ObjectStore } from '../../../src/storage/types.js';
import { tempDir } from '../../support/engine.js';
import { startAzurite, startFakeGcs, startS3, type AzureEmulator, type FakeGcs, type S3Emulator } from '../../support/emulators.js';

const never = () => new AbortController().signal;

async function text(s: Readable): Promise<string> {
  let out = '';
  for await (const c of s) out += c;
  return out;
}

async function sha(s: Readable): Promise<string> {
  const h = createHash('sha256');
  for await (const c of s) h.update(c as Buffer);
  return h.digest('hex');
}

/**
 * A body of `chunks` chunks of `size` bytes that cancels its own upload: it aborts `ac` as it
 * hands out chunk `abortAt`, and counts the chunks pulled from it. A store that honours the abort
 * stops pulling (what it had buffered aside); one that ignored it would pull every chunk.
 */
function cancellingBody(chunks: number, size: number, ac: AbortController, abortAt = 2): { body: Readable; pulled: () => number } {
  let pulled = 0;
  const body = Readable.from(
    (function* () {
      for (let i = 0; i < chunks; i++) {
        pulled++;
        if (i === abortAt) ac.abort();
        yield Buffer.alloc(size, i % 251);
      }
    })(),
  );
  return { body, pulled: () => pulled };
}

interface Harness {
  /** A location URL for a prefix in the test bucket. */
  url(prefix: string): string;
  config: Record<string, string>;
  tuning: OpenOptions['tuning'];
  /** Data large enough to need several parts/blocks/chunks with `tuning`. */
  bigSize: number;
  missingBucketUrl?: string;
  /** storage_config with a wrong credential, and the secret that must never be shown. */
  wrong?: { config: Record<string, string>; secret: string };
  conditionalPut: boolean;
}

function open(h: Harness, prefix: string, config = h.config): { store: ObjectStore; base: string } {
  const o = openLocation(h.url(prefix), config, { tuning: h.tuning, env: {} });
  return { store: o.store, base: o.key };
}

function contract(name: string, setup: () => Promise<{ harness: Harness; stop: () => Promise<void> }>): void {
  describe(name, () => {
    let h: Harness;
    let stop: () => Promise<void> = async () => {};
    before(async () => {
      ({ harness: h, stop } = await setup());
    });
    after(() => stop());

    test('write, head, read, ranged read', async () => {
      const { store, base } = open(h, 'basic/');
      const meta = await store.write(`${base}a.txt`, Readable.from([Buffer.from('hello, world')]), { signal: never(), size: 12 });
      assert.equal(meta.key, `${base}a.txt`);
      const head = await store.head(`${base}a.txt`, { signal: never() });
      assert.equal(head?.size, 12);
      assert.equal(await store.head(`${base}missing.txt`, { signal: never() }), null);
      assert.equal(await text(await store.read(`${base}a.txt`, { signal: never() })), 'hello, world');
      assert.equal(await text(await store.read(`${base}a.txt`, { signal: never(), range: { offset: 7, length: 5 } })), 'world');
    });

    test('a large write is streamed in parts and reads back identical', async () => {
      const { store, base } = open(h, 'big/');
      const data = Buffer.alloc(h.bigSize);
      for (let i = 0; i < data.length; i += 4096) data.writeUInt32BE(i, i);
      const pieces = Array.from({ length: Math.ceil(data.length / 65536) }, (_, i) => data.subarray(i * 65536, (i + 1) * 65536));
      await store.write(`${base}blob.bin`, Readable.from(pieces), { signal: never() });
      assert.equal((await store.head(`${base}blob.bin`, { signal: never() }))?.size, data.length);
      assert.equal(await sha(await store.read(`${base}blob.bin`, { signal: never() })), createHash('sha256').update(data).digest('hex'));
      const last = Math.floor((data.length - 4) / 4096) * 4096;
      const tail = await text(await store.read(`${base}blob.bin`, { signal: never(), range: { offset: last, length: 4 } }).then((s) => s.setEncoding('hex')));
      assert.equal(tail, last.toString(16).padStart(8, '0'));
    });

    test('list: recursive, by level, and across pages', async () => {
      const { store, base } = open(h, 'list/');
      for (const k of ['a.csv', 'b.csv', 'day=1/x.csv', 'day=1/y.csv', 'day=2/z.csv', 'other.txt']) {
        await store.write(`${base}${k}`, Readable.from([Buffer.from(k)]), { signal: never(), size: k.length });
      }
      const all: string[] = [];
      for await (const e of store.list(base, { signal: never(), pageSize: 2 })) all.push(`${e.kind}:${e.key.slice(base.length)}`);
      assert.deepEqual(all.sort(), ['object:a.csv', 'object:b.csv', 'object:day=1/x.csv', 'object:day=1/y.csv', 'object:day=2/z.csv', 'object:other.txt']);
      const level: string[] = [];
      for await (const e of store.list(base, { signal: never(), recursive: false, pageSize: 2 })) level.push(`${e.kind}:${e.key.slice(base.length)}`);
      assert.deepEqual(level.sort(), ['object:a.csv', 'object:b.csv', 'object:other.txt', 'prefix:day=1/', 'prefix:day=2/']);
      const some: string[] = [];
      for await (const e of store.list(`${base}day=`, { signal: never() })) some.push(e.key.slice(base.length));
      assert.deepEqual(some.sort(), ['day=1/x.csv', 'day=1/y.csv', 'day=2/z.csv']);
    });

    test('create-if-absent writes once; delete is idempotent', async (t) => {
      const { store, base } = open(h, 'cia/');
      if (!h.conditionalPut) return t.skip('the emulator ignores If-None-Match (see the conditional-put test below)');
      assert.equal(await store.createIfAbsent(`${base}lock`, 'first', { signal: never() }), true);
      assert.equal(await store.createIfAbsent(`${base}lock`, 'second', { signal: never() }), false);
      assert.equal(await text(await store.read(`${base}lock`, { signal: never() })), 'first');
      await store.delete(`${base}lock`, { signal: never() });
      await store.delete(`${base}lock`, { signal: never() });
      assert.equal(await store.head(`${base}lock`, { signal: never() }), null);
      assert.equal(await store.createIfAbsent(`${base}lock`, 'third', { signal: never() }), true);
    });

    test('a missing object is not_found; a missing bucket is reported as such', async () => {
      const { store, base } = open(h, 'missing/');
      await assert.rejects(async () => text(await store.read(`${base}nope.csv`, { signal: never() })), (e: unknown) => e instanceof StorageError && e.kind === 'not_found' && /object not found/.test(e.message));
      assert.equal(await store.rootExists({ signal: never() }), true);
      if (!h.missingBucketUrl) return;
      const gone = openLocation(h.missingBucketUrl, h.config, { env: {} }).store;
      assert.equal(await gone.rootExists({ signal: never() }), false);
      await assert.rejects(
        async () => {
          for await (const _ of gone.list('', { signal: never() })) break;
        },
        (e: unknown) => e instanceof StorageError && e.kind === 'bucket_not_found',
      );
    });

    test('a cancelled upload leaves the previous object as it was', async () => {
      const { store, base } = open(h, 'cancel/');
      await store.write(`${base}obj`, Readable.from([Buffer.from('previous')]), { signal: never(), size: 8 });
      await store.write(`${base}fresh-done`, Readable.from([Buffer.from('x')]), { signal: never(), size: 1 });
      const chunk = Math.ceil(h.bigSize / 8);
      // 64 chunks are 8 times the large write: far more than any store buffers ahead
      for (const key of ['obj', 'fresh']) {
        const ac = new AbortController();
        const { body, pulled } = cancellingBody(64, chunk, ac);
        await assert.rejects(store.write(`${base}${key}`, body, { signal: ac.signal }), (e: unknown) => e instanceof StorageError && e.kind === 'cancelled');
        assert.ok(pulled() < 64, `${key}: the upload went on after the cancel (${pulled()} chunks of 64 pulled)`);
      }
      assert.equal(await text(await store.read(`${base}obj`, { signal: never() })), 'previous');
      assert.equal(await store.head(`${base}fresh`, { signal: never() }), null);
    });

    test('wrong credentials are access_denied, and the message never shows the secret', async (t) => {
      if (!h.wrong) return t.skip('no credentials on this store');
      const { store, base } = open(h, 'basic/', h.wrong.config);
      const attempts: Array<() => Promise<unknown>> = [
        () => store.head(`${base}a.txt`, { signal: never() }),
        async () => {
          for await (const _ of store.list(base, { signal: never() })) break;
        },
        () => store.write(`${base}w.txt`, Readable.from([Buffer.from('x')]), { signal: never(), size: 1 }),
      ];
      for (const attempt of attempts) {
        await assert.rejects(attempt, (e: unknown) => {
          assert.ok(e instanceof StorageError, String(e));
          assert.equal(e.kind, 'access_denied', e.message);
          assert.ok(!e.message.includes(h.wrong!.secret), e.message);
          return true;
        });
      }
    });
  });
}

contract('local disk', async () => {
  const dir = await tempDir('aq-store-local-');
  return {
    harness: { url: (p) => `file://${dir}/${p}`, config: {}, tuning: {}, bigSize: 3 * 1024 * 1024, conditionalPut: true },
    stop: async () => {},
  };
});

contract('S3 (s3rver)', async () => {
  const s3: S3Emulator = await startS3();
  await s3.createBucket('contract');
  return {
    harness: {
      url: (p) => `s3://contract/${p}`,
      config: s3.config,
      tuning: { s3: { partSize: 5 * 1024 * 1024, queueSize: 2 } },
      bigSize: 11 * 1024 * 1024,
      missingBucketUrl: 's3://no-such-bucket/x',
      // s3rver checks the access key id but not SigV4 signatures.
      wrong: { config: { ...s3.config, AWS_ACCESS_KEY_ID: 'AKIAWRONGKEYID123456' }, secret: 'AKIAWRONGKEYID123456' },
      conditionalPut: false,
    },
    stop: () => s3.stop(),
  };
});

contract('GCS (stand-in server)', async () => {
  const gcs: FakeGcs = await startFakeGcs({ token: 'good-token-123' });
  gcs.createBucket('contract');
  return {
    harness: {
      url: (p) => `gs://contract/${p}`,
      config: { GOOGLE_BASE_URL: gcs.endpoint, GOOGLE_BEARER_TOKEN: 'good-token-123' },
      tuning: { gcs: { chunkSize: 256 * 1024, singleRequestMax: 256 * 1024 } },
      bigSize: 1536 * 1024 + 77,
      missingBucketUrl: 'gs://no-such-bucket/x',
      wrong: { config: { GOOGLE_BASE_URL: gcs.endpoint, GOOGLE_BEARER_TOKEN: 'wrong-token-456' }, secret: 'wrong-token-456' },
      conditionalPut: true,
    },
    stop: () => gcs.stop(),
  };
});

contract('Azure (Azurite)', async () => {
  const az: AzureEmulator = await startAzurite();
  await az.createContainer('contract');
  const wrongKey = Buffer.from('not the right key, not at all!!').toString('base64');
  return {
    harness: {
      url: (p) => `az://contract/${p}`,
      config: az.config,
      tuning: { azure: { blockSize: 1024 * 1024, concurrency: 2 } },
      bigSize: 3 * 1024 * 1024 + 5,
      missingBucketUrl: 'az://no-such-container/x',
      wrong: { config: { ...az.config, AZURE_STORAGE_ACCOUNT_KEY: wrongKey }, secret: wrongKey },
      conditionalPut: true,
    },
    stop: () => az.stop(),
  };
});

describe('GCS uploads in detail (stand-in server)', () => {
  let gcs: FakeGcs;
  before(async () => {
    gcs = await startFakeGcs();
    gcs.createBucket('detail');
  });
  after(() => gcs.stop());

  test('a resumable upload is sent in 256 KiB chunks, each answered 308 until the last', async () => {
    const { store } = openLocation('gs://detail/x', { GOOGLE_BASE_URL: gcs.endpoint }, { env: {}, tuning: { gcs: { chunkSize: 256 * 1024, singleRequestMax: 1024 } } });
    const data = Buffer.alloc(700 * 1024, 7);
    const before = gcs.requests.length;
    await store.write('chunked.bin', Readable.from([data]), { signal: never() });
    const seen = gcs.requests.slice(before);
    assert.match(seen[0]!, /^POST \/upload\/storage\/v1\/b\/detail\/o\?.*uploadType=resumable/);
    assert.equal(seen.filter((r) => r.startsWith('PUT /upload/session/')).length, 3);
    assert.deepEqual(gcs.get('detail', 'chunked.bin'), data);
    assert.equal(gcs.openSessions(), 0);
  });

  test('a small upload of known size is one multipart request', async () => {
    const { store } = openLocation('gs://detail/x', { GOOGLE_BASE_URL: gcs.endpoint }, { env: {} });
    const before = gcs.requests.length;
    await store.write('small.txt', Readable.from([Buffer.from('abc')]), { signal: never(), size: 3 });
    assert.deepEqual(gcs.requests.slice(before), ['POST /upload/storage/v1/b/detail/o?uploadType=multipart&name=small.txt']);
  });

  test('a service account key with disable_oauth and gcs_base_url (object_store\'s emulator form) is honoured', async () => {
    const key = JSON.stringify({ gcs_base_url: gcs.endpoint, disable_oauth: true, client_email: '', private_key: '' });
    const { store } = openLocation('gs://detail/x', { google_service_account_key: key }, { env: {} });
    assert.equal((await store.head('small.txt', { signal: never() }))?.size, 3);
  });
});

describe('S3 conditional put', () => {
  test('create-if-absent sends If-None-Match: * and maps 412 to "exists"', async () => {
    // s3rver ignores If-None-Match, so a tiny server plays S3 for this one request.
    const seen: Array<string | undefined> = [];
    const server = http.createServer((req, res) => {
      seen.push(req.headers['if-none-match'] as string | undefined);
      req.resume();
      req.on('end', () => {
        res.writeHead(412, { 'content-type': 'application/xml' });
        res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const { store } = openLocation('s3://bkt/k', { AWS_ENDPOINT_URL: endpoint, AWS_ALLOW_HTTP: 'true', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b', AWS_REGION: 'us-east-1' }, { env: {} });
      assert.equal(await store.createIfAbsent('k', 'data', { signal: never() }), false);
      assert.deepEqual(seen, ['*']);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('local store', () => {
  test('writes are atomic renames; keys cannot leave the root', async () => {
    const dir = await tempDir('aq-store-local2-');
    await writeFile(path.join(dir, 'f.txt'), 'old');
    const { store, key } = openLocation(`file://${dir}/f.txt`, {}, { env: {} });
    const ac = new AbortController();
    const { body, pulled } = cancellingBody(64, 64 * 1024, ac);
    await assert.rejects(store.write(key, body, { signal: ac.signal }), (e: unknown) => e instanceof StorageError && e.kind === 'cancelled');
    assert.ok(pulled() < 64, `the write went on after the cancel (${pulled()} chunks of 64 pulled)`);
    assert.equal(await readFile(path.join(dir, 'f.txt'), 'utf8'), 'old');
    const { LocalStore } = await import('../../../src/storage/local.js');
    const rooted = new LocalStore(dir);
    await assert.rejects(rooted.head('../escape', { signal: never() }), /leaves the store's root/);
  });
});
