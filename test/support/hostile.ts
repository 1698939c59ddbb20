/**
 * What the hardening tests share: frames built as text (a value nested 5,000 levels deep cannot
 * go through JSON.stringify), a scripted orchestrator that a real managed executor dials, raw
 * WebSocket peers that record what they get, and checks that a server's log stayed bounded.
 */
import { once } from 'node:events';
import WebSocket, { WebSocketServer } from 'ws';

/** A JSON array nested `depth` levels around `"x"`, as text. */
export function deepArray(depth = 5000): string {
  return `${'['.repeat(depth)}"x"${']'.repeat(depth)}`;
}

/** A JSON object nested `depth` levels (`{"a":{"a":…1}}`), as text. */
export function deepObject(depth = 5000): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** A pipeline of one stage that takes a few seconds (a bystander's run). */
export function slowPipeline(rows = 40_000_000): object {
  return {
    version: 'v2', sources: [],
    stages: [[{ name: 'work', query: `SELECT count(*) AS c FROM range(${rows}) t(x) WHERE md5(x::VARCHAR) LIKE 'ff%'`, show: 1 }]],
  };
}

/** A WebSocket peer that records every frame it receives (parsed when it is JSON). */
export class Peer {
  readonly frames: Array<Record<string, unknown>> = [];
  closeCode: number | null = null;
  readonly closed: Promise<number>;
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      try { this.frames.push(JSON.parse(String(d)) as Record<string, unknown>); } catch { this.frames.push({ unparsed: String(d).slice(0, 200) }); }
      this.wake();
    });
    ws.on('error', () => { /* seen as a close */ });
    this.closed = new Promise((resolve) => ws.on('close', (code) => { this.closeCode = code; this.wake(); resolve(code); }));
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  static async connect(url: string, headers: Record<string, string>): Promise<Peer> {
    const ws = new WebSocket(url, { headers, maxPayload: 64 * 1024 * 1024 });
    const peer = new Peer(ws);
    await once(ws, 'open');
    return peer;
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends text (or, with `binary`, the same bytes as a binary frame); resolves once written. */
  send(data: string | Buffer, binary = false): Promise<void> {
    return new Promise((resolve) => {
      if (!this.open) return resolve();
      this.ws.send(data, { binary }, () => resolve());
    });
  }

  async until(predicate: (frames: Array<Record<string, unknown>>) => boolean, timeoutMs = 20000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.frames)) {
      if (this.closeCode !== null) throw new Error(`closed (${this.closeCode}) while waiting; got ${JSON.stringify(this.frames.map((f) => f['type']))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; got ${JSON.stringify(this.frames.map((f) => f['type']))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }
}

/**
 * A scripted orchestrator for one managed executor: it accepts the registration, records every
 * frame, and lets the test send whatever it likes on the link.
 */
export async function scriptedOrchestrator(secret: string) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 64 * 1024 * 1024 });
  await once(wss, 'listening');
  const frames: Array<Record<string, unknown>> = [];
  let link: WebSocket | null = null;
  let waiters: Array<() => void> = [];
  const wake = () => { for (const w of waiters.splice(0)) w(); };
  wss.on('connection', (ws, req) => {
    ws.on('message', (d) => {
      const f = JSON.parse(String(d)) as Record<string, unknown>;
      frames.push(f);
      if (f['type'] === 'register_executor') {
        const ok = req.headers['x-api-key'] === secret;
        ws.send(JSON.stringify({ type: 'registration_response', success: ok, message: ok ? 'welcome' : 'invalid executor secret' }));
        if (ok) link = ws;
      }
      wake();
    });
  });
  const port = (wss.address() as { port: number }).port;
  return {
    url: `ws://127.0.0.1:${port}/ws/executor/register`,
    frames,
    /** The registered executor's link (after `registered()`). */
    link: (): WebSocket => {
      if (!link) throw new Error('no executor registered');
      return link;
    },
    async until(predicate: (frames: Array<Record<string, unknown>>) => boolean, timeoutMs = 30000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(frames)) {
        if (Date.now() > deadline) throw new Error(`timed out; frames: ${JSON.stringify(frames.map((f) => f['type']))}`);
        await new Promise<void>((r) => { const t = setTimeout(r, 200); waiters.push(() => { clearTimeout(t); r(); }); });
      }
    },
    async registered(timeoutMs = 30000): Promise<WebSocket> {
      await this.until(() => link !== null, timeoutMs);
      return link!;
    },
    send(data: string | Buffer, binary = false): Promise<void> {
      return new Promise((resolve) => {
        const ws = link;
        if (!ws || ws.readyState !== WebSocket.OPEN) return resolve();
        ws.send(data, { binary }, () => resolve());
      });
    },
    close: async () => { for (const c of wss.clients) c.terminate(); await new Promise<void>((r) => wss.close(() => r())); },
  };
}

/** The size of a server's log and its longest line, in bytes. */
export function logShape(stderr: string): { bytes: number; longest: number; lines: number } {
  let longest = 0;
  let lines = 0;
  for (const line of stderr.split('\n')) {
    lines++;
    longest = Math.max(longest, Buffer.byteLength(line));
  }
  return { bytes: Buffer.byteLength(stderr), longest, lines };
}

/** Whether a process is still running. */
export function alive(proc: { exitCode: number | null; signalCode: NodeJS.Signals | null }): boolean {
  return proc.exitCode === null && proc.signalCode === null;
}
