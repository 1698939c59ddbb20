/**
 * The storage interface: what sources, destinations and (later) the Delta Lake log need from a
 * place that holds objects. Four implementations: local disk, S3, Google Cloud Storage and Azure
 * Blob Storage. Keys are `/`-separated paths relative to the store's root (a bucket, a container,
 * or a local directory); they never start with `/`.
 *
 * Every operation takes an AbortSignal. Aborting rejects the operation with a StorageError of kind
 * `cancelled` and stops its network transfer.
 */
import type { Readable } from 'node:stream';

export interface ObjectMeta {
  /** Full key, relative to the store's root. */
  key: string;
  /** Size in bytes. */
  size: number;
  lastModified?: Date;
  /** Opaque version tag (ETag, generation); compare only for equality. */
  version?: string;
}

/** What `list` returns: an object, or (when not recursive) a common prefix ending with `/`. */
export type ListEntry = ({ kind: 'object' } & ObjectMeta) | { kind: 'prefix'; key: string };

export interface OperationOptions {
  signal: AbortSignal;
}

export interface ListOptions extends OperationOptions {
  /** false: only the level directly below `prefix`, deeper keys as common prefixes. Default true. */
  recursive?: boolean;
  /** Entries per request (the store's maximum by default); tests use small pages. */
  pageSize?: number;
}

export interface ReadOptions extends OperationOptions {
  /** Bytes [offset, offset + length) of the object; the whole object when absent. */
  range?: { offset: number; length: number };
}

export interface WriteOptions extends OperationOptions {
  /** Size of the body in bytes when known (lets stores choose single-request or chunked uploads). */
  size?: number;
  contentType?: string;
  /** Called with the number of bytes sent so far (throttling is the caller's business). */
  onProgress?: (bytes: number) => void;
}

export interface ObjectStore {
  readonly kind: StoreKind;
  /** The store's root as a URL for messages, e.g. `s3://bucket`; never credentials. */
  readonly root: string;

  /** Objects whose key starts with `prefix` (a plain string prefix), in key order per page. */
  list(prefix: string, opts: ListOptions): AsyncIterable<ListEntry>;

  /** The object's metadata, or null when there is no object under that key. */
  head(key: string, opts: OperationOptions): Promise<ObjectMeta | null>;

  /** The object's bytes (or a range of them) as a stream. Missing object: StorageError `not_found`. */
  read(key: string, opts: ReadOptions): Promise<Readable>;

  /**
   * Writes the stream as the object's new content. The new content becomes visible all at once,
   * only when the upload is complete (S3 multipart completion, GCS upload finalisation, Azure
   * block list commit, local rename); an aborted or failed write leaves the previous object as it
   * was. The body is streamed, never held in memory whole.
   */
  write(key: string, body: Readable, opts: WriteOptions): Promise<ObjectMeta>;

  /** Creates the object only if no object has that key. Returns false (and writes nothing) if one exists. */
  createIfAbsent(key: string, body: Buffer | string, opts: OperationOptions): Promise<boolean>;

  /** Deletes the object; a missing object is not an error. */
  delete(key: string, opts: OperationOptions): Promise<void>;

  /** Whether the bucket / container / root directory exists (used to explain a missing object). */
  rootExists(opts: OperationOptions): Promise<boolean>;
}

export type StoreKind = 'local' | 's3' | 'gcs' | 'azure';

export type StorageErrorKind =
  | 'not_found'
  | 'bucket_not_found'
  | 'access_denied'
  | 'precondition_failed'
  | 'invalid_config'
  | 'cancelled'
  | 'other';

/**
 * An error from a store, with a message that is safe to show: SDK messages are reduced to their
 * useful part and scrubbed of every credential the store was configured with.
 */
export class StorageError extends Error {
  constructor(
    readonly kind: StorageErrorKind,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StorageError';
  }
}
