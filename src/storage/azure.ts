/**
 * Azure Blob Storage through @azure/storage-blob. Uploads are block blobs: blocks are staged
 * (a bounded number buffered at a time) and the blob changes only when the block list is
 * committed at the end, so an aborted or failed upload leaves the previous blob as it was
 * (uncommitted blocks are discarded by the service).
 *
 * Credentials, in object_store's order: a bearer token, the account key, a service principal
 * (client id + secret + tenant), workload identity (federated token file), a SAS token, anonymous
 * (skip_signature), and otherwise managed identity. A connection string (AZURE_STORAGE_CONNECTION_STRING)
 * carries its own account, endpoint and key or SAS. `use_emulator` targets Azurite with its
 * well-known account (AZURITE_BLOB_STORAGE_URL, default http://127.0.0.1:10000).
 */
import type { Readable } from 'node:stream';
import type { BlobProperties, BlobServiceClient, ContainerClient, StorageSharedKeyCredential, StoragePipelineOptions } from '@azure/storage-blob';
import type { AzureOptions } from './config.js';
import type { Redactor } from '../core/redact.js';
import { abortError, checkAborted } from './abort.js';
import { tokenCredential } from './azure-credentials.js';
import { azureSdk } from './sdks.js';
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

/** Azurite's documented development account (public, not a secret). */
export const EMULATOR_ACCOUNT = 'devstoreaccount1';
export const EMULATOR_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzureTuning {
  /** Block size; memory per upload is about blockSize × concurrency. */
  blockSize: number;
  concurrency: number;
}

export const AZURE_DEFAULT_TUNING: AzureTuning = { blockSize: 8 * 1024 * 1024, concurrency: 4 };

export class AzureStore implements ObjectStore {
  readonly kind = 'azure' as const;
  readonly root: string;
  private readonly container: ContainerClient;

  constructor(
    containerName: string,
    urlAccount: string | undefined,
    options: AzureOptions,
    private readonly redactor: Redactor,
    private readonly tuning: AzureTuning = AZURE_DEFAULT_TUNING,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    const service = serviceClient(urlAccount, options, env);
    this.container = service.getContainerClient(containerName);
    // Named as users write it: the account only when the location carried one.
    this.root = urlAccount ? `az://${containerName}@${urlAccount}` : `az://${containerName}`;
  }

  private fail(e: unknown, key: string | null, signal: AbortSignal): StorageError {
    return azureError(e, key === null ? this.root : `${this.root}/${key}`, signal, this.redactor);
  }

  async *list(prefix: string, opts: ListOptions): AsyncIterable<ListEntry> {
    const page = opts.pageSize ? { maxPageSize: opts.pageSize } : {};
    try {
      if (opts.recursive === false) {
        for await (const r of this.container.listBlobsByHierarchy('/', { prefix, abortSignal: opts.signal }).byPage(page)) {
          for (const p of r.segment.blobPrefixes ?? []) yield { kind: 'prefix', key: p.name };
          for (const b of r.segment.blobItems) yield { kind: 'object', ...meta(b.name, b.properties) };
        }
        return;
      }
      for await (const r of this.container.listBlobsFlat({ prefix, abortSignal: opts.signal }).byPage(page)) {
        for (const b of r.segment.blobItems) yield { kind: 'object', ...meta(b.name, b.properties) };
      }
    } catch (e) {
      throw this.fail(e, prefix, opts.signal);
    }
  }

  async head(key: string, opts: OperationOptions): Promise<ObjectMeta | null> {
    try {
      const p = await this.container.getBlobClient(key).getProperties({ abortSignal: opts.signal });
      return meta(key, { contentLength: p.contentLength, lastModified: p.lastModified, etag: p.etag } as BlobProperties);
    } catch (e) {
      const err = this.fail(e, key, opts.signal);
      if (err.kind === 'not_found' || err.kind === 'bucket_not_found') return null;
      throw err;
    }
  }

  async read(key: string, opts: ReadOptions): Promise<Readable> {
    try {
      const r = await this.container
        .getBlobClient(key)
        .download(opts.range?.offset ?? 0, opts.range?.length, { abortSignal: opts.signal, maxRetryRequests: 3 });
      return r.readableStreamBody as Readable;
    } catch (e) {
      throw this.fail(e, key, opts.signal);
    }
  }

  async write(key: string, body: Readable, opts: WriteOptions): Promise<ObjectMeta> {
    checkAborted(opts.signal);
    // The SDK stops staging blocks on abort but waits for the body to end or fail: fail it now.
    const onAbort = () => body.destroy(abortError());
    opts.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const r = await this.container.getBlockBlobClient(key).uploadStream(body, this.tuning.blockSize, this.tuning.concurrency, {
        abortSignal: opts.signal,
        ...(opts.onProgress ? { onProgress: (p: { loadedBytes: number }) => opts.onProgress!(p.loadedBytes) } : {}),
        ...(opts.contentType ? { blobHTTPHeaders: { blobContentType: opts.contentType } } : {}),
      });
      return { key, size: opts.size ?? 0, ...(r.etag ? { version: r.etag } : {}) };
    } catch (e) {
      body.destroy();
      throw this.fail(e, key, opts.signal);
    } finally {
      opts.signal.removeEventListener('abort', onAbort);
    }
  }

  async createIfAbsent(key: string, body: Buffer | string, opts: OperationOptions): Promise<boolean> {
    const data = typeof body === 'string' ? Buffer.from(body) : body;
    try {
      await this.container.getBlockBlobClient(key).upload(data, data.length, { conditions: { ifNoneMatch: '*' }, abortSignal: opts.signal });
      return true;
    } catch (e) {
      const err = this.fail(e, key, opts.signal);
      if (err.kind === 'precondition_failed') return false;
      throw err;
    }
  }

  async delete(key: string, opts: OperationOptions): Promise<void> {
    try {
      await this.container.getBlobClient(key).deleteIfExists({ abortSignal: opts.signal });
    } catch (e) {
      const err = this.fail(e, key, opts.signal);
      if (err.kind !== 'not_found') throw err;
    }
  }

  async rootExists(opts: OperationOptions): Promise<boolean> {
    try {
      return await this.container.exists({ abortSignal: opts.signal });
    } catch (e) {
      throw this.fail(e, null, opts.signal);
    }
  }
}

function meta(key: string, p: Pick<BlobProperties, 'contentLength' | 'lastModified' | 'etag'>): ObjectMeta {
  return { key, size: Number(p.contentLength ?? 0), ...(p.lastModified ? { lastModified: p.lastModified } : {}), ...(p.etag ? { version: p.etag } : {}) };
}

function pipelineOptions(o: AzureOptions): StoragePipelineOptions {
  return {
    retryOptions: { maxTries: 4, ...(o.timeoutMs !== undefined ? { tryTimeoutInMs: o.timeoutMs } : {}) },
    userAgentOptions: { userAgentPrefix: 'aqueducts-executor' },
  };
}

function serviceClient(urlAccount: string | undefined, o: AzureOptions, env: NodeJS.ProcessEnv): BlobServiceClient {
  const { AnonymousCredential, BlobServiceClient, StorageSharedKeyCredential } = azureSdk();
  if (o.connectionString && !o.accessKey && !o.sasToken && !o.bearerToken) {
    try {
      return BlobServiceClient.fromConnectionString(o.connectionString, pipelineOptions(o));
    } catch {
      throw new StorageError('invalid_config', 'AZURE_STORAGE_CONNECTION_STRING is not a valid connection string');
    }
  }
  const fromConnection = o.connectionString ? parseConnectionString(o.connectionString) : {};
  let account = urlAccount ?? o.accountName ?? fromConnection.AccountName;
  let url: string;
  let key = o.accessKey ?? fromConnection.AccountKey;
  let allowHttp = o.allowHttp ?? false;
  if (o.useEmulator) {
    account ??= EMULATOR_ACCOUNT;
    key ??= EMULATOR_KEY;
    url = `${(env.AZURITE_BLOB_STORAGE_URL ?? 'http://127.0.0.1:10000').replace(/\/+$/, '')}/${account}`;
    allowHttp = true;
  } else {
    if (!account && !o.endpoint) {
      throw new StorageError('invalid_config', 'the storage account is unknown: give it in the location (abfss://container@account.dfs.core.windows.net/...) or as AZURE_STORAGE_ACCOUNT_NAME');
    }
    url = (o.endpoint ?? fromConnection.BlobEndpoint ?? `https://${account}.blob.core.windows.net`).replace(/\/+$/, '');
  }
  if (url.startsWith('http://') && !allowHttp && !fromConnection.BlobEndpoint) {
    throw new StorageError('invalid_config', 'the Azure endpoint uses http://; set AZURE_ALLOW_HTTP (or ALLOW_HTTP) to true, or AZURE_STORAGE_USE_EMULATOR for Azurite');
  }
  const opts = pipelineOptions(o);
  const token = tokenCredential({ ...o, accessKey: key }, env);
  if (token) return new BlobServiceClient(url, token, opts);
  if (key) {
    if (!account) throw new StorageError('invalid_config', 'AZURE_STORAGE_ACCOUNT_KEY needs the account name (AZURE_STORAGE_ACCOUNT_NAME or in the location)');
    let credential: StorageSharedKeyCredential;
    try {
      credential = new StorageSharedKeyCredential(account, key);
    } catch {
      throw new StorageError('invalid_config', 'AZURE_STORAGE_ACCOUNT_KEY is not a valid base64 account key');
    }
    return new BlobServiceClient(url, credential, opts);
  }
  const sas = o.sasToken ?? fromConnection.SharedAccessSignature;
  if (sas) return new BlobServiceClient(`${url}?${sas.replace(/^\?/, '')}`, new AnonymousCredential(), opts);
  return new BlobServiceClient(url, new AnonymousCredential(), opts);
}

function parseConnectionString(cs: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of cs.split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

interface RestErrorLike {
  name?: string;
  message?: string;
  code?: string;
  statusCode?: number;
  details?: { errorCode?: string };
}

export function azureError(e: unknown, where: string, signal: AbortSignal, redactor: Redactor): StorageError {
  if (e instanceof StorageError) return e;
  const err = (e ?? {}) as RestErrorLike;
  if (signal.aborted || err.name === 'AbortError') return abortError();
  const status = err.statusCode;
  const code = err.details?.errorCode ?? err.code;
  const text = redactor.redact(String(err.message ?? e).split('\n')[0]!);
  if (code === 'ContainerNotFound') return new StorageError('bucket_not_found', `container not found: ${where}`);
  if (status === 404 || code === 'BlobNotFound') return new StorageError('not_found', `object not found: ${where}`);
  if (status === 412 || code === 'BlobAlreadyExists' || code === 'ConditionNotMet') return new StorageError('precondition_failed', `${where}: the object already exists`);
  if (status === 401 || status === 403) {
    return new StorageError('access_denied', `access denied to ${where}: ${code ?? `HTTP ${status}`}${text && !/^(undefined|)$/.test(text) ? ` (${text})` : ''}`);
  }
  if (/ECONNREFUSED|ENOTFOUND|ECONNRESET|ETIMEDOUT|EAI_AGAIN|EHOSTUNREACH/.test(`${err.code ?? ''} ${text}`)) {
    return new StorageError('other', `cannot reach the Azure Blob Storage endpoint for ${where} (${err.code ?? text})`);
  }
  if (/sign-in failed|cannot reach .*login|managed identity/i.test(text)) return new StorageError('access_denied', `no usable Azure credentials for ${where}: ${text}`);
  return new StorageError('other', `${where}: ${text}`);
}
