/** A TCP relay on 127.0.0.1 that keeps every byte it passes on, both ways: what an eavesdropper sees. */
import net from 'node:net';
import { once } from 'node:events';

export interface WireCapture {
  port: number;
  /** Everything sent so far, client to server and server to client. */
  toServer(): Buffer;
  toClient(): Buffer;
  close(): Promise<void>;
}

export async function startWireCapture(targetPort: number): Promise<WireCapture> {
  const up: Buffer[] = [];
  const down: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => { client.destroy(); upstream.destroy(); });
      s.on('close', () => { sockets.delete(s); client.destroy(); upstream.destroy(); });
    }
    client.on('data', (d: Buffer) => { up.push(Buffer.from(d)); upstream.write(d); });
    upstream.on('data', (d: Buffer) => { down.push(Buffer.from(d)); client.write(d); });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    toServer: () => Buffer.concat(up),
    toClient: () => Buffer.concat(down),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The payloads of the WebSocket frames a client sent in clear (after its HTTP upgrade request),
 * unmasked: client frames are masked with a key sent along, which hides nothing from an
 * eavesdropper. Stops at the first incomplete frame.
 */
export function clientFramePayloads(stream: Buffer): Buffer {
  const headerEnd = stream.indexOf('\r\n\r\n');
  if (headerEnd < 0) return Buffer.alloc(0);
  const out: Buffer[] = [];
  let p = headerEnd + 4;
  while (p + 2 <= stream.length) {
    const masked = (stream[p + 1]! & 0x80) !== 0;
    let len = stream[p + 1]! & 0x7f;
    let q = p + 2;
    if (len === 126) { len = stream.readUInt16BE(q); q += 2; } else if (len === 127) { len = Number(stream.readBigUInt64BE(q)); q += 8; }
    const key = masked ? stream.subarray(q, q + 4) : null;
    if (masked) q += 4;
    if (q + len > stream.length) break;
    const payload = Buffer.from(stream.subarray(q, q + len));
    if (key) for (let i = 0; i < payload.length; i++) payload[i]! ^= key[i % 4]!;
    out.push(payload);
    p = q + len;
  }
  return Buffer.concat(out);
}
