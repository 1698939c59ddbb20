/**
 * S3 (and S3-compatible stores) through @aws-sdk/client-s3; uploads through @aws-sdk/lib-storage's
 * `Upload`: one PutObject below the part size, otherwise a multipart upload whose object appears
 * only when CompleteMultipartUpload succeeds (aborted or failed: AbortMultipartUpload).
 *
 * Credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY(/AWS_SESSION_TOKEN) from storage_config or
 * the environment; otherwise the SDK's default chain (environment, shared config/SSO profiles,
 * web identity, ECS and EC2 instance metadata).
 */
import https from 'node:https';
import type { Readable } from 'node:stream';
import type { S3Client, S3ClientConfig, ServerSideEncryption } from '@aws-sdk/client-s3';
import type { S3Options } from './config.js';
import type { Redactor } from '../core/redact.js';
import { abortError, checkAborted } from './abort.js';
import { s3Sdk, s3UploadSdk } from './sdks.js';
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

export interface S3Tuning {
  /** Multipart part size (S3's minimum is 5 MiB). */
  partSize: number;
  /** Parts uploaded at once per object; memory per upload is about partSize × queueSize. */
  queueSize: number;
}

export const S3_DEFAULT_TUNING: S3Tuning = { partSize: 8 * 1024 * 1024, queueSize: 4 };

export class S3Store implements ObjectStore {
  readonly kind = 's3' as const;
  readonly root: string;
  private clientPromise: Promise<S3Client> | null = null;

  constructor(
    private readonly bucket: string,
    private readonly options: S3Options,
    private readonly redactor: Redactor,
    private readonly urlRegion?: string,
    private readonly tuning: S3Tuning = S3_DEFAULT_TUNING,
  ) {
    this.root = `s3://${bucket}`;
    validate(options);
  }

  private client(): Promise<S3Client> {
    this.clientPromise ??= createClient(this.options, this.urlRegion);
    return this.clientPromise;
  }

  private fail(e: unknown, key: string | null, signal: AbortSignal): StorageError {
    return s3Error(e, key === null ? this.root : `${this.root}/${key}`, signal, this.redactor);
  }

  async *list(prefix: string, opts: ListOptions): AsyncIterable<ListEntry> {
    const { ListObjectsV2Command } = s3Sdk();
    const client = await this.client();
    let token: string | undefined;
    // Some S3-compatible servers repeat a common prefix on every page that reaches it.
    const prefixes = new Set<string>();
    do {
      checkAborted(opts.signal);
      let page;
      try {
        page = await client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ContinuationToken: token,
            ...(opts.pageSize ? { MaxKeys: opts.pageSize } : {}),
            ...(opts.recursive === false ? { Delimiter: '/' } : {}),
          }),
          { abortSignal: opts.signal },
        );
      } catch (e) {
        throw this.fail(e, prefix, opts.signal);
      }
      for (const p of page.CommonPrefixes ?? []) {
        if (p.Prefix && !prefixes.has(p.Prefix)) {
          prefixes.add(p.Prefix);
          yield { kind: 'prefix', key: p.Prefix };
        }
      }
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined) continue;
        yield { kind: 'object', key: o.Key, size: Number(o.Size ?? 0), ...(o.LastModified ? { lastModified: o.LastModified } : {}), ...(o.ETag ? { version: o.ETag } : {}) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async head(key: string, opts: OperationOptions): Promise<ObjectMeta | null> {
    const { HeadObjectCommand } = s3Sdk();
    const client = await this.client();
    try {
      const r = await client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: opts.signal });
      return { key, size: Number(r.ContentLength ?? 0), ...(r.LastModified ? { lastModified: r.LastModified } : {}), ...(r.ETag ? { version: r.ETag } : {}) };
    } catch (e) {
      const err = this.fail(e, key, opts.signal);
      if (err.kind === 'not_found') return null;
      if (err.kind === 'access_denied' && bodiless(e)) {
        // A HEAD response has no body to say why; a one-byte GET does (InvalidAccessKeyId, ...).
        await (await this.read(key, { ...opts, range: { offset: 0, length: 1 } })).destroy();
      }
      throw err;
    }
  }

  async read(key: string, opts: ReadOptions): Promise<Readable> {
    const { GetObjectCommand } = s3Sdk();
    const client = await this.client();
    const range = opts.range ? `bytes=${opts.range.offset}-${opts.range.offset + opts.range.length - 1}` : undefined;
    try {
      const r = await client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range }), { abortSignal: opts.signal });
      return r.Body as Readable;
    } catch (e) {
      throw this.fail(e, key, opts.signal);
    }
  }

  async write(key: string, body: Readable, opts: WriteOptions): Promise<ObjectMeta> {
    checkAborted(opts.signal);
    const { PutObjectCommand } = s3Sdk();
    const client = await this.client();
    const o = this.options;
    const params = {
      Bucket: this.bucket,
      Key: key,
      ...(opts.contentType ? { ContentType: opts.contentType } : {}),
      ...(o.serverSideEncryption ? { ServerSideEncryption: o.serverSideEncryption as ServerSideEncryption } : {}),
      ...(o.sseKmsKeyId ? { SSEKMSKeyId: o.sseKmsKeyId } : {}),
      ...(o.sseBucketKeyEnabled !== undefined ? { BucketKeyEnabled: o.sseBucketKeyEnabled } : {}),
    };
    if (opts.size !== undefined && opts.size <= this.tuning.partSize) {
      // One streamed PutObject whose HTTP request the signal aborts (lib-storage's Upload would
      // settle on abort while its request carried on).
      try {
        const r = await client.send(new PutObjectCommand({ ...params, Body: body, ContentLength: opts.size }), { abortSignal: opts.signal });
        opts.onProgress?.(opts.size);
        return { key, size: opts.size, ...(r.ETag ? { version: r.ETag } : {}) };
      } catch (e) {
        body.destroy();
        throw this.fail(e, key, opts.signal);
      }
    }
    const { Upload } = s3UploadSdk();
    const upload = new Upload({
      client,
      params: { ...params, Body: body },
      partSize: this.tuning.partSize,
      queueSize: this.tuning.queueSize,
      leavePartsOnError: false,
    });
    if (opts.onProgress) upload.on('httpUploadProgress', (p) => opts.onProgress!(p.loaded ?? 0));
    const onAbort = () => void upload.abort();
    opts.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const r = await upload.done();
      return { key, size: opts.size ?? 0, ...(r.ETag ? { version: r.ETag } : {}) };
    } catch (e) {
      body.destroy();
      throw this.fail(e, key, opts.signal);
    } finally {
      opts.signal.removeEventListener('abort', onAbort);
    }
  }

  async createIfAbsent(key: string, body: Buffer | string, opts: OperationOptions): Promise<boolean> {
    const { PutObjectCommand } = s3Sdk();
    const client = await this.client();
    try {
      await client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, IfNoneMatch: '*' }), { abortSignal: opts.signal });
      return true;
    } catch (e) {
      const err = this.fail(e, key, opts.signal);
      if (err.kind === 'precondition_failed') return false;
      throw err;
    }
  }

  async delete(key: string, opts: OperationOptions): Promise<void> {
    const { DeleteObjectCommand } = s3Sdk();
    const client = await this.client();
    try {
      await client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: opts.signal });
    } catch (e) {
      const err = this.fail(e, key, opts.signal);
      if (err.kind !== 'not_found') throw err;
    }
  }

  async rootExists(opts: OperationOptions): Promise<boolean> {
    const { HeadBucketCommand } = s3Sdk();
    const client = await this.client();
    try {
      await client.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal: opts.signal });
      return true;
    } catch (e) {
      const err = this.fail(e, null, opts.signal);
      if (err.kind === 'not_found' || err.kind === 'bucket_not_found') return false;
      throw err;
    }
  }
}

function validate(o: S3Options): void {
  if (o.endpoint) {
    let u: URL;
    try {
      u = new URL(o.endpoint);
    } catch {
      throw new StorageError('invalid_config', 'storage_config AWS_ENDPOINT_URL is not a valid URL');
    }
    if (u.protocol === 'http:' && !o.allowHttp) {
      throw new StorageError('invalid_config', 'the S3 endpoint uses http://; set AWS_ALLOW_HTTP to true to allow unencrypted connections');
    }
  }
  if ((o.accessKeyId === undefined) !== (o.secretAccessKey === undefined) && !o.skipSignature) {
    throw new StorageError('invalid_config', 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be given together');
  }
}

const QUIET_LOGGER = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

async function createClient(o: S3Options, urlRegion: string | undefined): Promise<S3Client> {
  const config: S3ClientConfig = {
    // Checksums only where S3 requires them: what object_store does, and what S3-compatible
    // stores (MinIO, Ceph, s3rver) understand.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(o.profile ? { profile: o.profile } : {}),
    // Without a logger the SDK prints some warnings (an aborted streaming request, ...) with
    // console.warn, which would break the executor's JSON-lines stderr; our errors say it all.
    logger: QUIET_LOGGER,
  };
  if (o.endpoint) {
    config.endpoint = o.endpoint;
    // object_store addresses custom endpoints path-style unless told otherwise.
    config.forcePathStyle = o.forcePathStyle ?? (o.virtualHostedStyle === undefined ? true : !o.virtualHostedStyle);
  } else if (o.forcePathStyle !== undefined || o.virtualHostedStyle !== undefined) {
    config.forcePathStyle = o.forcePathStyle ?? !o.virtualHostedStyle;
  }
  if (o.skipSignature) {
    config.credentials = { accessKeyId: '', secretAccessKey: '' };
    config.signer = { sign: async (request) => request };
  } else if (o.accessKeyId !== undefined && o.secretAccessKey !== undefined) {
    config.credentials = { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey, ...(o.sessionToken ? { sessionToken: o.sessionToken } : {}) };
  }
  if (o.timeoutMs !== undefined || o.connectTimeoutMs !== undefined || o.allowInvalidCertificates) {
    config.requestHandler = {
      ...(o.timeoutMs !== undefined ? { requestTimeout: o.timeoutMs } : {}),
      ...(o.connectTimeoutMs !== undefined ? { connectionTimeout: o.connectTimeoutMs } : {}),
      ...(o.allowInvalidCertificates ? { httpsAgent: new https.Agent({ rejectUnauthorized: false, keepAlive: true }) } : {}),
    };
  }
  config.region = urlRegion ?? o.region ?? o.defaultRegion ?? (await sdkRegion(o.profile));
  const { S3Client } = s3Sdk();
  return new S3Client(config);
}

/** The region the SDK's own chain finds (AWS_REGION, the profile), else us-east-1 like object_store. */
async function sdkRegion(profile: string | undefined): Promise<string> {
  const { S3Client } = s3Sdk();
  const probe = new S3Client(profile ? { profile } : {});
  try {
    return await probe.config.region();
  } catch {
    return 'us-east-1';
  } finally {
    probe.destroy();
  }
}

interface SdkError {
  name?: string;
  message?: string;
  code?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

/** An error decoded from a response without a body (HEAD): the SDK knows only the status. */
function bodiless(e: unknown): boolean {
  const err = (e ?? {}) as SdkError;
  return !err.message || err.message === 'UnknownError' || err.name === 'Unknown' || /^\d{3}$/.test(err.name ?? '');
}

export function s3Error(e: unknown, where: string, signal: AbortSignal, redactor: Redactor): StorageError {
  if (e instanceof StorageError) return e;
  const err = (e ?? {}) as SdkError;
  const name = err.name ?? err.Code ?? 'Error';
  if (signal.aborted || name === 'AbortError') return abortError();
  const status = err.$metadata?.httpStatusCode;
  const detail = redactor.redact(bodiless(e) ? `HTTP ${status ?? '?'}` : `${name}: ${err.message}`);
  if (name === 'NoSuchBucket') return new StorageError('bucket_not_found', `bucket not found: ${where}`);
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) return new StorageError('not_found', `object not found: ${where}`);
  if (name === 'PreconditionFailed' || status === 412) return new StorageError('precondition_failed', `${where}: the object already exists`);
  if (
    status === 401 || status === 403 ||
    ['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'ExpiredToken', 'InvalidToken', 'TokenRefreshRequired', 'CredentialsProviderError'].includes(name)
  ) {
    const hint = name === 'CredentialsProviderError' ? ' (no credentials in storage_config, the environment, a profile or instance metadata)' : '';
    return new StorageError('access_denied', `access denied to ${where}${hint}: ${detail}`);
  }
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code && /^(ECONNREFUSED|ENOTFOUND|ECONNRESET|ETIMEDOUT|EAI_AGAIN|EHOSTUNREACH)$/.test(code)) {
    return new StorageError('other', `cannot reach the S3 endpoint for ${where} (${code})`);
  }
  return new StorageError('other', `${where}: ${detail}`);
}
