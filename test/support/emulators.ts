/**
 * Object-store emulators for tests, each started on a loopback port by the test that needs it and
 * stopped by it:
 *
 * - S3: `s3rver` as a child process (it needs `--openssl-legacy-provider` for paged listings,
 *   which must not leak into the test process). It checks that the access key id exists but does
 *   not verify SigV4 signatures, so a wrong *secret* is not detectable there.
 * - Azure: Azurite's blob service as a child process, in memory.
 * - GCS: the in-process stand-in of test/support/fake-gcs.ts.
 *
 * Also raw-SDK helpers to put and inspect objects independently of src/storage.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import https from 'node:https';
import { BlobServiceClient, StorageSharedKeyCredential, newPipeline, type RequestPolicy, type WebResource } from '@azure/storage-blob';
import { REPO } from './paths.js';
import { startFakeGcs, type FakeGcs } from './fake-gcs.js';

export { startFakeGcs, type FakeGcs };

const START_TIMEOUT_MS = 20_000;

// As in src/storage/s3.ts: the SDK's notice about future Node versions is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** Starts `args` with node and resolves with the first match of `ready` in its stdout. */
async function startChild(args: string[], ready: RegExp, env: NodeJS.ProcessEnv = process.env): Promise<{ proc: ChildProcess; match: RegExpExecArray; stop: () => Promise<void> }> {
  const proc = spawn(process.execPath, args, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args[0]} did not start: ${out}${err}`)), START_TIMEOUT_MS);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d;
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args[0]} exited with ${code}: ${out}${err}`));
    });
  });
  proc.stdout!.resume();
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await exited;
  };
  return { proc, match, stop };
}

// ---------------------------------------------------------------- S3 (s3rver)

export const S3_KEY_ID = 'S3RVER';
export const S3_SECRET = 'S3RVER';

export interface S3Emulator {
  endpoint: string;
  client: S3Client;
  /** storage_config for pipelines using this emulator. */
  config: Record<string, string>;
  createBucket(name: string): Promise<void>;
  put(bucket: string, key: string, body: Buffer | string): Promise<void>;
  get(bucket: string, key: string): Promise<Buffer | null>;
  keys(bucket: string, prefix?: string): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startS3(): Promise<S3Emulator> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aq-s3rver-'));
  const child = await startChild(
    [path.join(REPO, 'node_modules/s3rver/bin/s3rver.js'), '-d', dir, '-a', '127.0.0.1', '-p', '0', '--silent', '--no-vhost-buckets'],
    /listening on [\d.]+:(\d+)/,
    { ...process.env, NODE_OPTIONS: '--openssl-legacy-provider' },
  );
  const endpoint = `http://127.0.0.1:${child.match[1]}`;
  const client = new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: S3_KEY_ID, secretAccessKey: S3_SECRET },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    endpoint,
    client,
    config: { AWS_ACCESS_KEY_ID: S3_KEY_ID, AWS_SECRET_ACCESS_KEY: S3_SECRET, AWS_ENDPOINT_URL: endpoint, AWS_REGION: 'us-east-1', AWS_ALLOW_HTTP: 'true' },
    createBucket: async (name) => void (await client.send(new CreateBucketCommand({ Bucket: name }))),
    put: async (bucket, key, body) => void (await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }))),
    get: async (bucket, key) => {
      try {
        const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return Buffer.from(await r.Body!.transformToByteArray());
      } catch (e) {
        if ((e as Error).name === 'NoSuchKey') return null;
        throw e;
      }
    },
    keys: async (bucket, prefix = '') => {
      const out: string[] = [];
      let token: string | undefined;
      do {
        const r = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        for (const o of r.Contents ?? []) out.push(o.Key!);
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
      return out.sort();
    },
    stop: async () => {
      client.destroy();
      await child.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------- Azure (Azurite)

/** Azurite's documented development account and key (public). */
export const AZURE_ACCOUNT = 'devstoreaccount1';
export const AZURE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzureEmulator {
  /** The account URL: http://127.0.0.1:<port>/devstoreaccount1 */
  accountUrl: string;
  /** The blob service root: http://127.0.0.1:<port> (what AZURITE_BLOB_STORAGE_URL names). */
  blobUrl: string;
  service: BlobServiceClient;
  config: Record<string, string>;
  connectionString: string;
  createContainer(name: string): Promise<void>;
  put(container: string, key: string, body: Buffer | string): Promise<void>;
  get(container: string, key: string): Promise<Buffer | null>;
  keys(container: string, prefix?: string): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startAzurite(): Promise<AzureEmulator> {
  const child = await startChild(
    [
      path.join(REPO, 'node_modules/azurite/dist/src/blob/main.js'),
      '--skipApiVersionCheck', '--inMemoryPersistence', '--disableTelemetry', '--silent',
      '--blobHost', '127.0.0.1', '--blobPort', '0',
    ],
    /successfully listens on (http:\/\/127\.0\.0\.1:\d+)/,
  );
  const blobUrl = child.match[1]!;
  const accountUrl = `${blobUrl}/${AZURE_ACCOUNT}`;
  const service = new BlobServiceClient(accountUrl, new StorageSharedKeyCredential(AZURE_ACCOUNT, AZURE_KEY));
  return {
    accountUrl,
    blobUrl,
    service,
    config: { AZURE_STORAGE_ACCOUNT_NAME: AZURE_ACCOUNT, AZURE_STORAGE_ACCOUNT_KEY: AZURE_KEY, AZURE_STORAGE_ENDPOINT: accountUrl, AZURE_ALLOW_HTTP: 'true' },
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURE_ACCOUNT};AccountKey=${AZURE_KEY};BlobEndpoint=${accountUrl};`,
    ...blobAccess(service),
    stop: () => child.stop(),
  };
}

/** The blob operations the tests use, through a client of the emulator. */
function blobAccess(service: BlobServiceClient): Pick<AzureEmulator, 'createContainer' | 'put' | 'get' | 'keys'> {
  return {
    createContainer: async (name) => void (await service.getContainerClient(name).createIfNotExists()),
    put: async (container, key, body) => {
      const data = typeof body === 'string' ? Buffer.from(body) : body;
      await service.getContainerClient(container).getBlockBlobClient(key).upload(data, data.length);
    },
    get: async (container, key) => {
      const blob = service.getContainerClient(container).getBlobClient(key);
      if (!(await blob.exists())) return null;
      return blob.downloadToBuffer();
    },
    keys: async (container, prefix = '') => {
      const out: string[] = [];
      for await (const b of service.getContainerClient(container).listBlobsFlat({ prefix })) out.push(b.name);
      return out.sort();
    },
  };
}

/**
 * Azurite over HTTPS with `--oauth basic`, the only way it accepts bearer tokens: it checks a
 * token's audience, issuer prefix and lifetime, not its signature. `cert`/`key` are PEM files;
 * the returned `service` (shared key) trusts `cert`. The executor under test must trust it too
 * (NODE_EXTRA_CA_CERTS).
 */
export async function startAzuriteHttps(cert: string, key: string): Promise<AzureEmulator> {
  const child = await startChild(
    [
      path.join(REPO, 'node_modules/azurite/dist/src/blob/main.js'),
      '--skipApiVersionCheck', '--inMemoryPersistence', '--disableTelemetry', '--silent',
      '--blobHost', '127.0.0.1', '--blobPort', '0', '--cert', cert, '--key', key, '--oauth', 'basic',
    ],
    /successfully listens on (https:\/\/127\.0\.0\.1:\d+)/,
  );
  const blobUrl = child.match[1]!;
  const accountUrl = `${blobUrl}/${AZURE_ACCOUNT}`;
  // Every request of this client goes through an agent that trusts the test certificate.
  const agent = new https.Agent({ ca: await readFile(cert, 'utf8'), keepAlive: true });
  const pipeline = newPipeline(new StorageSharedKeyCredential(AZURE_ACCOUNT, AZURE_KEY));
  pipeline.factories.unshift({
    create: (next: RequestPolicy): RequestPolicy => ({ sendRequest: (req: WebResource) => next.sendRequest(Object.assign(req, { agent })) }),
  });
  const service = new BlobServiceClient(accountUrl, pipeline);
  return {
    accountUrl,
    blobUrl,
    service,
    config: { AZURE_STORAGE_ACCOUNT_NAME: AZURE_ACCOUNT, AZURE_STORAGE_ACCOUNT_KEY: AZURE_KEY, AZURE_STORAGE_ENDPOINT: accountUrl },
    connectionString: `DefaultEndpointsProtocol=https;AccountName=${AZURE_ACCOUNT};AccountKey=${AZURE_KEY};BlobEndpoint=${accountUrl};`,
    ...blobAccess(service),
    stop: async () => {
      agent.destroy();
      await child.stop();
    },
  };
}
