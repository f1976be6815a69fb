// The recording WebSocket client of the tests and of the contract runner (contract-tests/runner.ts): it
// keeps every frame (text exactly as received) and the close, so a test can assert exact frames, silence
// and server-side closes, and a transcript step can take "everything since the previous expect".
import WebSocket from 'ws';

export interface Received {
  text: string;
  binary: boolean;
  /** The text parsed as JSON; undefined for a binary frame or text that is not JSON. */
  json: unknown;
}

export interface Closed {
  code: number;
  reason: string;
  /** True when this side started the close. */
  byClient: boolean;
}

/** A refused handshake: its HTTP status and body. */
export interface Refused {
  status: number;
  body: string;
}

export class WsClient {
  readonly frames: Received[] = [];
  closed: Closed | null = null;
  private closing = false;
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      const text = isBinary ? `<binary frame, ${buf.length} bytes>` : buf.toString('utf8');
      let json: unknown = undefined;
      if (!isBinary) {
        try {
          json = JSON.parse(text);
        } catch {
          // keep the text only
        }
      }
      this.frames.push({ text, binary: isBinary, json });
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString(), byClient: this.closing };
      this.wake();
    });
    ws.on('error', () => this.wake());
  }

  /** Resolves with the client when accepted, with the status and body when the handshake was refused;
   * rejects when the connection failed. `headers`: more handshake headers (e.g. an Origin, which the ws
   * client, like the app's OkHttp, does not send by itself). */
  static open(url: string, timeoutMs = 5000, headers?: Record<string, string>): Promise<{ client: WsClient } | Refused> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs, headers });
      const client = new WsClient(ws);
      ws.once('open', () => resolve({ client }));
      ws.once('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        const done = () => {
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
          ws.terminate();
        };
        res.once('end', done);
        res.once('error', done);
        setTimeout(done, 500).unref();
      });
      ws.once('error', (err) => reject(err));
    });
  }

  /** Connects; resolves with the client, or rejects with the HTTP status of a refused handshake. */
  static async connect(url: string, timeoutMs = 5000): Promise<WsClient> {
    const res = await WsClient.open(url, timeoutMs);
    if ('client' in res) return res.client;
    throw Object.assign(new Error(`handshake refused with ${res.status}`), { status: res.status });
  }

  /** The HTTP status a refused handshake got, or 101 if accepted. */
  static async handshakeStatus(url: string): Promise<number> {
    const res = await WsClient.open(url);
    if ('status' in res) return res.status;
    res.client.ws.terminate();
    return 101;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Waits until at least `count` unread frames exist, the socket closed, or the timeout passed; says
   * whether the frames are there. */
  async waitFrames(count: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length < count && !this.closed && Date.now() < deadline) await this.sleepOrWake(deadline - Date.now());
    return this.frames.length >= count;
  }

  /** Waits until at least `count` unread frames exist (or timeout), then returns and consumes them. */
  async take(count: number, timeoutMs = 3000): Promise<Received[]> {
    if (!(await this.waitFrames(count, timeoutMs))) {
      throw new Error(
        `expected ${count} frame(s), got ${this.frames.length}: ${this.frames.map((f) => (f.text.length > 300 ? `${f.text.slice(0, 300)}… (${f.text.length} chars)` : f.text)).join(' | ')}`,
      );
    }
    return this.frames.splice(0, count);
  }

  /** Every unread frame, consumed. */
  takeAll(): Received[] {
    return this.frames.splice(0);
  }

  async next(timeoutMs = 3000): Promise<Received> {
    return (await this.take(1, timeoutMs))[0];
  }

  async nextJson<T = Record<string, unknown>>(timeoutMs = 3000): Promise<T> {
    return (await this.next(timeoutMs)).json as T;
  }

  /** Waits `ms` and returns (consumes) whatever arrived meanwhile: [] when the socket stayed silent. */
  async silence(ms = 200): Promise<Received[]> {
    await new Promise((r) => setTimeout(r, ms));
    return this.takeAll();
  }

  /** The close, once it happened within `timeoutMs`; null otherwise. */
  async waitForClose(timeoutMs: number): Promise<Closed | null> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await this.sleepOrWake(deadline - Date.now());
    return this.closed;
  }

  /** The close; throws when the socket is still open after `timeoutMs`. */
  async waitClosed(timeoutMs = 3000): Promise<Closed> {
    const closed = await this.waitForClose(timeoutMs);
    if (!closed) throw new Error('socket was not closed');
    return closed;
  }

  /** Starts a client-initiated close (no code, as the golden recorder did). */
  close(): void {
    this.closing = true;
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
  }

  /** close(), then waits briefly for the server's close frame; cuts the connection if none comes. */
  async closeAndWait(waitMs = 1000): Promise<void> {
    if (this.closed) return;
    this.close();
    await this.waitForClose(waitMs);
    if (!this.closed) this.ws.terminate();
  }

  terminate(): void {
    this.closing = true;
    this.ws.terminate();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private sleepOrWake(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, Math.max(1, ms));
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
