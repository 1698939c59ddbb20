/**
 * A STAND-IN for Google Cloud Storage, for tests only. No real GCS emulator installs offline, so
 * this is a small in-memory implementation of the parts of the GCS JSON API that
 * @google-cloud/storage uses here, driven by the real client through its `apiEndpoint` option:
 *
 * - buckets: get (exists), insert;
 * - objects: get metadata, get media (with `Range` → 206), list (prefix, delimiter, maxResults,
 *   pageToken), delete;
 * - uploads: `uploadType=multipart` and `uploadType=media`, and resumable sessions
 *   (`uploadType=resumable` → a session URI; `PUT` chunks with `Content-Range`, `308 Resume
 *   Incomplete` with a `Range` header until the final chunk, status queries with `bytes *\/N`,
 *   chunk sizes checked to be multiples of 256 KiB like the real service);
 * - `ifGenerationMatch` preconditions (`0` = only if absent) → 412;
 * - `crc32c` and `md5Hash` in every object resource and the `x-goog-hash` header on downloads,
 *   computed here (CRC-32C implemented below, independently of the client's), so the client's
 *   upload and download validation runs for real;
 * - optional bearer-token authentication (401 for a missing or wrong token).
 *
 * It is not GCS: no ACLs, versioning, metadata patching, compose, or retries semantics.
 */
import http from 'node:http';
import { createHash, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';

interface StoredObject {
  data: Buffer;
  generation: number;
  contentType: string;
  updated: Date;
}

interface Session {
  bucket: string;
  name: string;
  contentType: string;
  ifGenerationMatch?: number;
  chunks: Buffer[];
  received: number;
  done?: Record<string, unknown>;
}

const CHUNK_MULTIPLE = 256 * 1024;

/** CRC-32C (Castagnoli), reflected, as GCS reports it (big-endian bytes, base64). */
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

export function crc32c(data: Buffer): string {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = CRC_TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((crc ^ 0xffffffff) >>> 0);
  return out.toString('base64');
}

export interface FakeGcs {
  endpoint: string;
  /** Requests seen, as `METHOD path?query` (for assertions about chunking, ranges, ...). */
  requests: string[];
  createBucket(name: string): void;
  put(bucket: string, name: string, data: Buffer | string): void;
  get(bucket: string, name: string): Buffer | undefined;
  names(bucket: string): string[];
  /** Open resumable sessions that were never finalised. */
  openSessions(): number;
  stop(): Promise<void>;
}

export async function startFakeGcs(opts: { token?: string } = {}): Promise<FakeGcs> {
  const buckets = new Map<string, Map<string, StoredObject>>();
  const sessions = new Map<string, Session>();
  const requests: string[] = [];
  let generation = 1000;
  let endpoint = '';

  const resource = (bucket: string, name: string, o: StoredObject): Record<string, unknown> => ({
    kind: 'storage#object',
    id: `${bucket}/${name}/${o.generation}`,
    name,
    bucket,
    generation: String(o.generation),
    metageneration: '1',
    contentType: o.contentType,
    size: String(o.data.length),
    md5Hash: createHash('md5').update(o.data).digest('base64'),
    crc32c: crc32c(o.data),
    etag: `CP${o.generation}`,
    timeCreated: o.updated.toISOString(),
    updated: o.updated.toISOString(),
    storageClass: 'STANDARD',
    mediaLink: `${endpoint}/download/storage/v1/b/${bucket}/o/${encodeURIComponent(name)}?generation=${o.generation}&alt=media`,
  });

  const store = (bucket: string, name: string, data: Buffer, contentType: string, ifGenerationMatch: number | undefined): StoredObject | 'precondition' | 'no-bucket' => {
    const b = buckets.get(bucket);
    if (!b) return 'no-bucket';
    const existing = b.get(name);
    if (ifGenerationMatch !== undefined && (existing?.generation ?? 0) !== ifGenerationMatch) return 'precondition';
    const o = { data, generation: ++generation, contentType, updated: new Date() };
    b.set(name, o);
    return o;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        handle(req, res, Buffer.concat(chunks));
      } catch (e) {
        sendError(res, 500, (e as Error).message, 'backendError');
      }
    });
  });

  const send = (res: http.ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { ...(body === undefined ? {} : { 'content-type': 'application/json; charset=UTF-8' }), ...headers });
    res.end(text);
  };
  const sendError = (res: http.ServerResponse, code: number, message: string, reason: string) =>
    send(res, code, { error: { code, message, errors: [{ message, domain: 'global', reason }] } });

  function handle(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
    const url = new URL(req.url ?? '/', endpoint);
    const method = req.method ?? 'GET';
    requests.push(`${method} ${url.pathname}${url.search}`);
    if (opts.token !== undefined && req.headers.authorization !== `Bearer ${opts.token}`) {
      return sendError(res, 401, 'Invalid Credentials', 'authError');
    }
    const q = url.searchParams;
    const ifGen = q.has('ifGenerationMatch') ? Number(q.get('ifGenerationMatch')) : undefined;
    let m: RegExpExecArray | null;

    // Resumable session chunks.
    if ((m = /^\/upload\/session\/([\w-]+)$/.exec(url.pathname)) && method === 'PUT') return resumableChunk(req, res, m[1]!, body);
    if ((m = /^\/upload\/session\/([\w-]+)$/.exec(url.pathname)) && method === 'DELETE') {
      sessions.delete(m[1]!);
      return send(res, 499);
    }

    // Uploads.
    if ((m = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname)) && method === 'POST') {
      const bucket = decodeURIComponent(m[1]!);
      if (!buckets.has(bucket)) return sendError(res, 404, 'The specified bucket does not exist.', 'notFound');
      const type = q.get('uploadType');
      if (type === 'resumable') {
        const meta = body.length ? (JSON.parse(body.toString('utf8')) as { name?: string; contentType?: string }) : {};
        const name = q.get('name') ?? meta.name;
        if (!name) return sendError(res, 400, 'Required: name', 'required');
        const id = randomUUID();
        sessions.set(id, {
          bucket, name, contentType: String(req.headers['x-upload-content-type'] ?? meta.contentType ?? 'application/octet-stream'),
          ...(ifGen !== undefined ? { ifGenerationMatch: ifGen } : {}), chunks: [], received: 0,
        });
        return send(res, 200, undefined, { location: `${endpoint}/upload/session/${id}` });
      }
      let name = q.get('name') ?? '';
      let data = body;
      let contentType = String(req.headers['content-type'] ?? 'application/octet-stream');
      if (type === 'multipart') {
        const parts = multipartParts(body, contentType);
        const meta = JSON.parse(parts[0]!.body.toString('utf8')) as { name?: string; contentType?: string };
        name = meta.name ?? name;
        data = parts[1]!.body;
        contentType = meta.contentType ?? parts[1]!.contentType ?? 'application/octet-stream';
      }
      if (!name) return sendError(res, 400, 'Required: name', 'required');
      const r = store(bucket, name, data, contentType, ifGen);
      if (r === 'precondition') return sendError(res, 412, 'At least one of the pre-conditions you specified did not hold.', 'conditionNotMet');
      if (r === 'no-bucket') return sendError(res, 404, 'The specified bucket does not exist.', 'notFound');
      return send(res, 200, resource(bucket, name, r));
    }

    // Buckets.
    if (url.pathname === '/storage/v1/b' && method === 'POST') {
      const { name } = JSON.parse(body.toString('utf8')) as { name: string };
      if (!buckets.has(name)) buckets.set(name, new Map());
      return send(res, 200, { kind: 'storage#bucket', name, id: name });
    }
    if ((m = /^\/storage\/v1\/b\/([^/]+)$/.exec(url.pathname)) && method === 'GET') {
      const name = decodeURIComponent(m[1]!);
      if (!buckets.has(name)) return sendError(res, 404, 'The specified bucket does not exist.', 'notFound');
      return send(res, 200, { kind: 'storage#bucket', name, id: name });
    }

    // Listing.
    if ((m = /^\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname)) && method === 'GET') {
      const bucket = decodeURIComponent(m[1]!);
      const b = buckets.get(bucket);
      if (!b) return sendError(res, 404, 'The specified bucket does not exist.', 'notFound');
      return send(res, 200, list(bucket, b, q));
    }

    // Objects.
    if ((m = /^\/(?:download\/)?storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(url.pathname))) {
      const bucket = decodeURIComponent(m[1]!);
      const name = decodeURIComponent(m[2]!);
      const b = buckets.get(bucket);
      if (!b) return sendError(res, 404, 'The specified bucket does not exist.', 'notFound');
      const o = b.get(name);
      if (method === 'DELETE') {
        if (!o) return sendError(res, 404, `No such object: ${bucket}/${name}`, 'notFound');
        b.delete(name);
        return send(res, 204);
      }
      if (method !== 'GET') return sendError(res, 405, `${method} not supported by the fake`, 'notImplemented');
      if (!o) return sendError(res, 404, `No such object: ${bucket}/${name}`, 'notFound');
      if (q.get('alt') !== 'media') return send(res, 200, resource(bucket, name, o));
      return media(req, res, o);
    }
    sendError(res, 501, `the fake GCS does not implement ${method} ${url.pathname}`, 'notImplemented');
  }

  function media(req: http.IncomingMessage, res: http.ServerResponse, o: StoredObject): void {
    const headers: Record<string, string> = {
      'content-type': o.contentType,
      'x-goog-generation': String(o.generation),
      'x-goog-stored-content-encoding': 'identity',
      'x-goog-stored-content-length': String(o.data.length),
      'x-goog-hash': `crc32c=${crc32c(o.data)},md5=${createHash('md5').update(o.data).digest('base64')}`,
      'accept-ranges': 'bytes',
    };
    const range = /^bytes=(\d*)-(\d*)$/.exec(String(req.headers.range ?? ''));
    if (range) {
      const size = o.data.length;
      let start = range[1] === '' ? size - Number(range[2]) : Number(range[1]);
      let end = range[1] === '' || range[2] === '' ? size - 1 : Math.min(Number(range[2]), size - 1);
      start = Math.max(0, start);
      if (start >= size) {
        res.writeHead(416, { 'content-range': `bytes */${size}` });
        return void res.end();
      }
      end = Math.max(start, end);
      const part = o.data.subarray(start, end + 1);
      delete headers['x-goog-hash']; // GCS sends the whole object's hash; the client does not validate ranges
      res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': String(part.length) });
      return void res.end(part);
    }
    res.writeHead(200, { ...headers, 'content-length': String(o.data.length) });
    res.end(o.data);
  }

  function list(bucket: string, b: Map<string, StoredObject>, q: URLSearchParams): Record<string, unknown> {
    const prefix = q.get('prefix') ?? '';
    const delimiter = q.get('delimiter') ?? '';
    const max = Math.max(1, Math.min(1000, Number(q.get('maxResults') ?? 1000)));
    const after = q.get('pageToken') ? Buffer.from(q.get('pageToken')!, 'base64url').toString('utf8') : '';
    // Entries in name order: objects, and (with a delimiter) common prefixes standing for many.
    const entries: Array<{ sortKey: string; prefix?: string; name?: string }> = [];
    const seen = new Set<string>();
    for (const name of [...b.keys()].sort()) {
      if (!name.startsWith(prefix)) continue;
      const rest = name.slice(prefix.length);
      const cut = delimiter ? rest.indexOf(delimiter) : -1;
      if (cut >= 0) {
        const p = prefix + rest.slice(0, cut + delimiter.length);
        if (!seen.has(p)) {
          seen.add(p);
          entries.push({ sortKey: p, prefix: p });
        }
      } else entries.push({ sortKey: name, name });
    }
    const pending = entries.filter((e) => e.sortKey > after);
    const page = pending.slice(0, max);
    const out: Record<string, unknown> = { kind: 'storage#objects' };
    const items = page.filter((e) => e.name !== undefined).map((e) => resource(bucket, e.name!, b.get(e.name!)!));
    const prefixes = page.filter((e) => e.prefix !== undefined).map((e) => e.prefix!);
    if (items.length) out.items = items;
    if (prefixes.length) out.prefixes = prefixes;
    if (pending.length > page.length) out.nextPageToken = Buffer.from(page.at(-1)!.sortKey, 'utf8').toString('base64url');
    return out;
  }

  function resumableChunk(req: http.IncomingMessage, res: http.ServerResponse, id: string, body: Buffer): void {
    const s = sessions.get(id);
    if (!s) return sendError(res, 404, 'No such upload session', 'notFound');
    if (s.done) return send(res, 200, s.done);
    const cr = String(req.headers['content-range'] ?? '');
    const incomplete = () => {
      res.writeHead(308, s.received > 0 ? { range: `bytes=0-${s.received - 1}` } : {});
      res.end();
    };
    let total: number | null = null;
    let m: RegExpExecArray | null;
    if ((m = /^bytes \*\/(\d+|\*)$/.exec(cr))) {
      // Status query (or an empty final request with the total).
      if (m[1] === '*' || Number(m[1]) !== s.received) return incomplete();
      total = Number(m[1]);
    } else if ((m = /^bytes (\d+)-(\d+|\*)\/(\d+|\*)$/.exec(cr))) {
      const start = Number(m[1]);
      if (start !== s.received) return incomplete(); // not contiguous: tell the client what we have
      if (m[2] !== '*' && Number(m[2]) - start + 1 !== body.length) return sendError(res, 400, 'Content-Range does not match the body length', 'badRequest');
      total = m[3] === '*' ? (m[2] === '*' ? start + body.length : null) : Number(m[3]);
      const final = total !== null && start + body.length === total;
      if (!final && body.length % CHUNK_MULTIPLE !== 0) return sendError(res, 400, 'non-final chunks must be a multiple of 256 KiB', 'badRequest');
      s.chunks.push(body);
      s.received += body.length;
      if (!final) return incomplete();
    } else {
      return sendError(res, 400, `bad Content-Range: ${cr}`, 'badRequest');
    }
    const data = Buffer.concat(s.chunks);
    const r = store(s.bucket, s.name, data, s.contentType, s.ifGenerationMatch);
    if (r === 'precondition') {
      sessions.delete(id);
      return sendError(res, 412, 'At least one of the pre-conditions you specified did not hold.', 'conditionNotMet');
    }
    if (r === 'no-bucket') return sendError(res, 404, 'The specified bucket does not exist.', 'notFound');
    s.done = resource(s.bucket, s.name, r);
    send(res, 200, s.done);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    requests,
    createBucket: (name) => void (buckets.has(name) || buckets.set(name, new Map())),
    put: (bucket, name, data) => {
      const r = store(bucket, name, Buffer.from(data), 'application/octet-stream', undefined);
      if (typeof r === 'string') throw new Error(`fake GCS: cannot put ${bucket}/${name}: ${r}`);
    },
    get: (bucket, name) => buckets.get(bucket)?.get(name)?.data,
    names: (bucket) => [...(buckets.get(bucket)?.keys() ?? [])].sort(),
    openSessions: () => [...sessions.values()].filter((s) => !s.done).length,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Splits a multipart/related body into its parts. */
function multipartParts(body: Buffer, contentType: string): Array<{ contentType?: string; body: Buffer }> {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (!boundary) throw new Error('multipart upload without a boundary');
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Array<{ contentType?: string; body: Buffer }> = [];
  let pos = body.indexOf(delimiter);
  while (pos >= 0) {
    const start = pos + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = body.subarray(start + 2, next - 2); // skip CRLF after the delimiter and before the next
    const headerEnd = part.indexOf('\r\n\r\n');
    const headers = part.subarray(0, headerEnd).toString('utf8');
    const ct = /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1];
    parts.push({ ...(ct ? { contentType: ct.trim() } : {}), body: part.subarray(headerEnd + 4) });
    pos = next;
  }
  return parts;
}
