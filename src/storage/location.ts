/**
 * Store locations: which store a location URL names, and the key inside it. The schemes are
 * object_store's (what the original reads), plus `gcs://`:
 *
 * | URL | store |
 * |---|---|
 * | `s3://bucket/key`, `s3a://bucket/key` | S3 |
 * | `https://bucket.s3.region.amazonaws.com/key`, `https://s3.region.amazonaws.com/bucket/key` | S3 |
 * | `gs://bucket/key`, `gcs://bucket/key`, `https://storage.googleapis.com/bucket/key` | GCS |
 * | `az://container/key`, `azure://container/key`, `adl://container/key`, `abfs[s]://container/key` | Azure |
 * | `abfs[s]://container@account.dfs.core.windows.net/key` | Azure (account from the host) |
 * | `https://account.blob.core.windows.net/container/key` (also `.dfs.`) | Azure |
 * | `file:///path`, plain paths (made `file://` by the loader) | local disk |
 */
import { locationToPath } from '../pipeline/location.js';
import { StorageError, type StoreKind } from './types.js';

export type StoreLocation =
  | { kind: 'local'; url: string; path: string }
  | { kind: 's3'; url: string; bucket: string; key: string; region?: string }
  | { kind: 'gcs'; url: string; bucket: string; key: string }
  | { kind: 'azure'; url: string; container: string; key: string; account?: string };

export function isObjectStoreUrl(url: string): boolean {
  return !url.startsWith('file:');
}

function keyOf(pathname: string): string {
  const raw = pathname.replace(/^\/+/, '');
  try {
    return raw.split('/').map((s) => decodeURIComponent(s)).join('/');
  } catch {
    throw new StorageError('invalid_config', `invalid percent-encoding in the location's path`);
  }
}

/** The URL's host name, lower-cased. */
function hostOf(u: URL): string {
  return u.hostname.toLowerCase();
}

function notRecognised(url: string, why: string): StorageError {
  return new StorageError('invalid_config', `${url} is not a supported location: ${why}`);
}

/** Container and account names never contain dots (object_store's check). */
function plainName(name: string, what: string, url: string): string {
  if (name === '' || name.includes('.')) throw notRecognised(url, `${what} "${name}" is not a valid name`);
  return name;
}

export function parseStoreLocation(url: string): StoreLocation {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new StorageError('invalid_config', `${url} is not a valid location URL`);
  }
  const scheme = u.protocol.replace(/:$/, '').toLowerCase();
  switch (scheme) {
    case 'file': {
      const path = locationToPath(url);
      if (path === null) throw notRecognised(url, 'not a local file path');
      return { kind: 'local', url, path };
    }
    case 's3':
    case 's3a':
      if (!u.hostname) throw notRecognised(url, 'the bucket is missing (s3://bucket/key)');
      return { kind: 's3', url, bucket: u.hostname, key: keyOf(u.pathname) };
    case 'gs':
    case 'gcs':
      if (!u.hostname) throw notRecognised(url, 'the bucket is missing (gs://bucket/key)');
      return { kind: 'gcs', url, bucket: u.hostname, key: keyOf(u.pathname) };
    case 'az':
    case 'azure':
    case 'adl':
    case 'abfs':
    case 'abfss': {
      const user = decodeURIComponent(u.username);
      if (user && (scheme === 'abfs' || scheme === 'abfss' || scheme === 'az')) {
        const m = /^([^.]+)\.(dfs|blob)\.core\.windows\.net$/.exec(hostOf(u));
        if (!m) throw notRecognised(url, 'expected container@account.dfs.core.windows.net');
        return { kind: 'azure', url, container: plainName(user, 'container', url), account: plainName(m[1]!, 'account', url), key: keyOf(u.pathname) };
      }
      return { kind: 'azure', url, container: plainName(u.hostname, 'container', url), key: keyOf(u.pathname) };
    }
    case 'https':
    case 'http':
      return parseHttpsLocation(u, url);
    default:
      throw new StorageError(
        'invalid_config',
        `${url}: locations with scheme ${scheme}:// are not supported (use s3://, s3a://, gs://, gcs://, az://, azure://, abfs://, abfss://, https://<account>.blob.core.windows.net/..., file:// or a path)`,
      );
  }
}

function parseHttpsLocation(u: URL, url: string): StoreLocation {
  const host = hostOf(u);
  const segments = u.pathname.replace(/^\/+/, '').split('/');
  const first = decodeURIComponent(segments[0] ?? '');
  const rest = keyOf(segments.slice(1).join('/'));
  const azure = /^([^.]+)\.(blob|dfs)\.core\.windows\.net$/.exec(host);
  if (azure) {
    if (!first) throw notRecognised(url, 'the container is missing (https://<account>.blob.core.windows.net/<container>/<path>)');
    return { kind: 'azure', url, account: plainName(azure[1]!, 'account', url), container: plainName(first, 'container', url), key: rest };
  }
  // https://bucket.s3.region.amazonaws.com/key and https://bucket.s3.amazonaws.com/key
  const vhost = /^(.+)\.s3(?:[.-]([a-z0-9-]+))?\.amazonaws\.com$/.exec(host);
  if (vhost && vhost[1] !== 's3') {
    const region = vhost[2] && vhost[2] !== 'dualstack' ? vhost[2] : undefined;
    return { kind: 's3', url, bucket: vhost[1]!, key: keyOf(u.pathname), ...(region ? { region } : {}) };
  }
  // https://s3.region.amazonaws.com/bucket/key
  const path = /^s3(?:[.-]([a-z0-9-]+))?\.amazonaws\.com$/.exec(host);
  if (path) {
    if (!first) throw notRecognised(url, 'the bucket is missing (https://s3.<region>.amazonaws.com/<bucket>/<key>)');
    return { kind: 's3', url, bucket: first, key: rest, ...(path[1] ? { region: path[1] } : {}) };
  }
  if (host === 'storage.googleapis.com' || host === 'storage.cloud.google.com') {
    if (!first) throw notRecognised(url, 'the bucket is missing (https://storage.googleapis.com/<bucket>/<key>)');
    return { kind: 'gcs', url, bucket: first, key: rest };
  }
  throw notRecognised(url, 'plain HTTP(S) servers are not object stores; https:// URLs must name an S3, GCS or Azure Blob Storage endpoint');
}

/** The root URL of a location's bucket/container, for messages. */
export function storeRoot(loc: StoreLocation): string {
  switch (loc.kind) {
    case 'local':
      return 'file://';
    case 's3':
      return `s3://${loc.bucket}`;
    case 'gcs':
      return `gs://${loc.bucket}`;
    case 'azure':
      return loc.account ? `az://${loc.container}@${loc.account}` : `az://${loc.container}`;
  }
}

export function kindName(kind: StoreKind): string {
  return { local: 'local disk', s3: 'S3', gcs: 'Google Cloud Storage', azure: 'Azure Blob Storage' }[kind];
}
