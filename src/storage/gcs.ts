/**
 * Google Cloud Storage through @google-cloud/storage. Uploads of large or unknown size are
 * resumable uploads sent in chunks (one chunk buffered at a time); the object exists only when the
 * final chunk is accepted, so an aborted or failed upload leaves the previous object as it was.
 * Small uploads are single multipart requests, equally all-or-nothing.
 *
 * Credentials: GOOGLE_SERVICE_ACCOUNT (a key file path), GOOGLE_SERVICE_ACCOUNT_KEY (the key JSON),
 * GOOGLE_APPLICATION_CREDENTIALS, GOOGLE_BEARER_TOKEN; otherwise Application Default Credentials
 * (GOOGLE_APPLICATION_CREDENTIALS, gcloud's user credentials, the metadata server / workload
 * identity). A key with `"disable_oauth": true` and a `gcs_base_url` (object_store's emulator
 * convention) sends unauthenticated requests to that endpoint.
 *
 * The SDK takes no AbortSignal for metadata calls: cancelling abandons the request (its answer is
 * ignored); transfers are streams and are destroyed.
 */
import { readFileSync } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Storage, StorageOptions, File, FileMetadata } from '@google-cloud/storage';
import type { GcsOptions } from './config.js';
import type { Redactor } from '../core/redact.js';
import { abortError, checkAborted, raceAbort } from './abort.js';
import { gcsSdk, googleAuthSdk } from './sdks.js';
import {
  StorageError,
  type ListEntry,
  type ListOptions,
  type ObjectMeta,
  type ObjectStore,
  type OperationOptions,
  type ReadOptions,
  type WriteOptions,
} from './types.js';

export interface GcsTuning {
  /**
   * Resumable upload chunk size (a multiple of 256 KiB; one chunk is held in memory per upload), or
   * undefined: the whole object streamed in one request of the resumable session.
   */
  chunkSize?: number;
  /** Uploads up to this size (when known) are single requests. */
  singleRequestMax: number;
}

export const GCS_DEFAULT_TUNING: GcsTuning = { singleRequestMax: 8 * 1024 * 1024 };

type RequestOptions = ReturnType<File['interceptors'][number]['request']>;

interface ServiceAccountJson {
  client_email?: string;
  private_key?: string;
  project_id?: string;
  gcs_base_url?: string;
  disable_oauth?: boolean;
}

export class GcsStore implements ObjectStore {
  readonly kind = 'gcs' as const;
  readonly root: string;
  private readonly storage: Storage;
  /** Credentials sent to a custom endpoint (see `write`). */
  private readonly authenticatedCustomEndpoint: boolean;

  constructor(
    private readonly bucketName: string,
    options: GcsOptions,
    private readonly redactor: Redactor,
    private readonly tuning: GcsTuning = GCS_DEFAULT_TUNING,
  ) {
    this.root = `gs://${bucketName}`;
    const opts = storageOptions(options);
    const { Storage } = gcsSdk();
    this.storage = new Storage(opts);
    this.authenticatedCustomEndpoint = opts.useAuthWithCustomEndpoint === true;
  }

  private file(key: string): File {
    return this.storage.bucket(this.bucketName).file(key);
  }

  private fail(e: unknown, key: string | null, signal: AbortSignal): StorageError {
    return gcsError(e, key === null ? this.root : `${this.root}/${key}`, signal, this.redactor);
  }

  async *list(prefix: string, opts: ListOptions): AsyncIterable<ListEntry> {
    const bucket = this.storage.bucket(this.bucketName);
    let pageToken: string | undefined;
    do {
      checkAborted(opts.signal);
      let files: File[];
      let next: { pageToken?: string } | null;
      let response: { prefixes?: string[] };
      try {
        [files, next, response] = (await raceAbort(
          bucket.getFiles({ prefix, autoPaginate: false, maxResults: opts.pageSize ?? 1000, ...(pageToken ? { pageToken } : {}), ...(opts.recursive === false ? { delimiter: '/' } : {}) }),
          opts.signal,
        )) as unknown as [File[], { pageToken?: string } | null, { prefixes?: string[] }];
      } catch (e) {
        throw this.fail(e, prefix, opts.signal);
      }
      for (const p of response?.prefixes ?? []) yield { kind: 'prefix', key: p };
      for (const f of files) yield { kind: 'object', ...meta(f.name, f.metadata) };
      pageToken = next?.pageToken;
    } while (pageToken);
  }

  async head(key: string, opts: OperationOptions): Promise<ObjectMeta | null> {
    try {
      const [m] = await raceAbort(this.file(key).getMetadata(), opts.signal);
      return meta(key, m);
    } catch (e) {
      const err = this.fail(e, key, opts.signal);
      if (err.kind === 'not_found' || err.kind === 'bucket_not_found') return null;
      throw err;
    }
  }

  async read(key: string, opts: ReadOptions): Promise<Readable> {
    checkAborted(opts.signal);
    const source = this.file(key).createReadStream(
      opts.range ? { start: opts.range.offset, end: opts.range.offset + opts.range.length - 1, validation: false } : { validation: 'crc32c' },
    );
    // Errors surface once the consumer reads; give them this store's meaning and no secrets.
    const out = new PassThrough();
    const onAbort = () => source.destroy(abortError());
    opts.signal.addEventListener('abort', onAbort, { once: true });
    source.on('error', (e) => out.destroy(this.fail(e, key, opts.signal)));
    out.on('close', () => opts.signal.removeEventListener('abort', onAbort));
    return source.pipe(out);
  }

  async write(key: string, body: Readable, opts: WriteOptions): Promise<ObjectMeta> {
    checkAborted(opts.signal);
    const resumable = opts.size === undefined || opts.size > this.tuning.singleRequestMax;
    const file = this.file(key);
    if (resumable && this.authenticatedCustomEndpoint) {
      // @google-cloud/storage 7 does not pass `useAuthWithCustomEndpoint` on to resumable uploads,
      // which then go out unauthenticated to a custom endpoint; add the headers ourselves.
      const headers = (await raceAbort(this.storage.authClient.getRequestHeaders(), opts.signal)) as Record<string, string>;
      file.interceptors.push({
        request: (r) => {
          r.headers = { ...r.headers, ...headers };
          return r as RequestOptions;
        },
      });
    }
    const sink = file.createWriteStream({
      resumable,
      ...(resumable && this.tuning.chunkSize ? { chunkSize: this.tuning.chunkSize } : {}),
      validation: 'crc32c',
      ...(opts.contentType ? { contentType: opts.contentType } : {}),
    });
    if (opts.onProgress) sink.on('progress', (p: { bytesWritten?: number }) => opts.onProgress!(p.bytesWritten ?? 0));
    try {
      await pipeline(body, sink, { signal: opts.signal });
    } catch (e) {
      throw this.fail(e, key, opts.signal);
    }
    return meta(key, file.metadata);
  }

  async createIfAbsent(key: string, body: Buffer | string, opts: OperationOptions): Promise<boolean> {
    try {
      await raceAbort(this.file(key).save(body, { resumable: false, validation: 'crc32c', preconditionOpts: { ifGenerationMatch: 0 } }), opts.signal);
      return true;
    } catch (e) {
      const err = this.fail(e, key, opts.signal);
      if (err.kind === 'precondition_failed') return false;
      throw err;
    }
  }

  async delete(key: string, opts: OperationOptions): Promise<void> {
    try {
      await raceAbort(this.file(key).delete({ ignoreNotFound: true }), opts.signal);
    } catch (e) {
      const err = this.fail(e, key, opts.signal);
      if (err.kind !== 'not_found') throw err;
    }
  }

  async rootExists(opts: OperationOptions): Promise<boolean> {
    try {
      const [exists] = await raceAbort(this.storage.bucket(this.bucketName).exists(), opts.signal);
      return exists;
    } catch (e) {
      throw this.fail(e, null, opts.signal);
    }
  }
}

function meta(key: string, m: FileMetadata): ObjectMeta {
  return {
    key,
    size: Number(m.size ?? 0),
    ...(m.updated ? { lastModified: new Date(m.updated) } : {}),
    ...(m.generation !== undefined ? { version: String(m.generation) } : {}),
  };
}

function readServiceAccount(text: string, what: string): ServiceAccountJson {
  try {
    const j = JSON.parse(text) as unknown;
    if (j && typeof j === 'object') return j as ServiceAccountJson;
  } catch {
    /* reported below */
  }
  throw new StorageError('invalid_config', `${what} is not a service account key in JSON`);
}

function storageOptions(o: GcsOptions): StorageOptions {
  let account: ServiceAccountJson | undefined;
  if (o.serviceAccountKey !== undefined) account = readServiceAccount(o.serviceAccountKey, 'storage_config GOOGLE_SERVICE_ACCOUNT_KEY');
  else if (o.serviceAccountPath !== undefined) {
    let text: string;
    try {
      text = readFileSync(o.serviceAccountPath, 'utf8');
    } catch {
      throw new StorageError('invalid_config', 'the GOOGLE_SERVICE_ACCOUNT key file cannot be read');
    }
    account = readServiceAccount(text, 'the GOOGLE_SERVICE_ACCOUNT key file');
  }
  const endpoint = o.baseUrl ?? account?.gcs_base_url;
  const opts: StorageOptions = {
    ...(o.projectId ?? account?.project_id ? { projectId: o.projectId ?? account?.project_id } : {}),
    ...(o.timeoutMs !== undefined ? { timeout: o.timeoutMs } : {}),
    retryOptions: { autoRetry: true, maxRetries: 3 },
  };
  if (endpoint) opts.apiEndpoint = endpoint.replace(/\/+$/, '');
  const anonymous = o.skipSignature === true || account?.disable_oauth === true;
  if (anonymous) {
    // The SDK skips authentication only for a custom endpoint; the default endpoint written with a
    // trailing slash counts as one (it is normalised before use).
    opts.apiEndpoint = `${opts.apiEndpoint ?? 'https://storage.googleapis.com'}/`;
    return opts;
  }
  const explicit = o.bearerToken !== undefined || account !== undefined || o.applicationCredentials !== undefined;
  if (o.bearerToken !== undefined) {
    const { OAuth2Client } = googleAuthSdk();
    const client = new OAuth2Client();
    client.setCredentials({ access_token: o.bearerToken });
    opts.authClient = client;
  } else if (account && o.serviceAccountKey !== undefined) {
    opts.credentials = { client_email: account.client_email, private_key: account.private_key };
  } else if (o.serviceAccountPath !== undefined) {
    opts.keyFilename = o.serviceAccountPath;
  } else if (o.applicationCredentials !== undefined) {
    opts.keyFilename = o.applicationCredentials;
  }
  // A custom endpoint is unauthenticated by default (emulators); explicit credentials are sent.
  if (endpoint && explicit) opts.useAuthWithCustomEndpoint = true;
  return opts;
}

interface ApiErrorLike {
  code?: number | string;
  message?: string;
  name?: string;
  errors?: Array<{ reason?: string; message?: string }>;
}

export function gcsError(e: unknown, where: string, signal: AbortSignal, redactor: Redactor): StorageError {
  if (e instanceof StorageError) return e;
  if (signal.aborted || (e as Error | undefined)?.name === 'AbortError') return abortError();
  const err = (e ?? {}) as ApiErrorLike;
  const status = typeof err.code === 'number' ? err.code : Number(err.code);
  const text = redactor.redact(String(err.message ?? err.errors?.[0]?.message ?? e).split('\n')[0]!);
  if (status === 404) {
    if (/bucket/i.test(text) && !/no such object/i.test(text)) return new StorageError('bucket_not_found', `bucket not found: ${where}`);
    return new StorageError('not_found', `object not found: ${where}`);
  }
  if (status === 412) return new StorageError('precondition_failed', `${where}: the object already exists`);
  if (status === 401 || status === 403) return new StorageError('access_denied', `access denied to ${where}: ${text}`);
  if (/Could not load the default credentials|Unable to detect a Project Id|invalid_grant|No access, refresh token/i.test(text)) {
    return new StorageError('access_denied', `no usable Google credentials for ${where}: ${text}`);
  }
  const code = typeof err.code === 'string' ? err.code : undefined;
  if (code && /^(ECONNREFUSED|ENOTFOUND|ECONNRESET|ETIMEDOUT|EAI_AGAIN|EHOSTUNREACH)$/.test(code)) {
    return new StorageError('other', `cannot reach the Google Cloud Storage endpoint for ${where} (${code})`);
  }
  return new StorageError('other', `${where}: ${text}`);
}
