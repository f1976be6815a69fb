// A WebSocket test client that records every frame and close, so tests can assert exact frames,
// silence, and server-side closes.
import WebSocket from 'ws';

export interface Received {
  text: string;
  json: unknown;
}

export class WsClient {
  readonly frames: Received[] = [];
  closed: { code: number; reason: string } | null = null;
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? `<binary ${(data as Buffer).length}>` : data.toString();
      let json: unknown = undefined;
      try {
        json = JSON.parse(text);
      } catch {
        // keep text only
      }
      this.frames.push({ text, json });
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
    ws.on('error', () => this.wake());
  }

  private wake() {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }

  /** Connects; resolves with the client, or rejects with the HTTP status of a refused handshake. */
  static connect(url: string, timeoutMs = 5000): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
      const client = new WsClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => {
        reject(Object.assign(new Error(`handshake refused with ${res.statusCode}`), { status: res.statusCode }));
        ws.terminate();
      });
      ws.once('error', (err) => reject(err));
    });
  }

  /** The HTTP status a refused handshake got, or 101 if accepted. */
  static async handshakeStatus(url: string): Promise<number> {
    try {
      const c = await WsClient.connect(url);
      c.ws.terminate();
      return 101;
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status) return status;
      throw err;
    }
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Waits until at least `count` unread frames exist (or timeout), then returns and consumes them. */
  async take(count: number, timeoutMs = 3000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length < count && Date.now() < deadline && !this.closed) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    if (this.frames.length < count) {
      throw new Error(`expected ${count} frame(s), got ${this.frames.length}: ${this.frames.map((f) => (f.text.length > 300 ? `${f.text.slice(0, 300)}… (${f.text.length} chars)` : f.text)).join(' | ')}`);
    }
    return this.frames.splice(0, count);
  }

  async next(timeoutMs = 3000): Promise<Received> {
    return (await this.take(1, timeoutMs))[0];
  }

  async nextJson<T = Record<string, unknown>>(timeoutMs = 3000): Promise<T> {
    return (await this.next(timeoutMs)).json as T;
  }

  /** Asserts nothing arrives within `ms`; returns whatever did arrive otherwise (for diagnostics). */
  async silence(ms = 200): Promise<Received[]> {
    await new Promise((r) => setTimeout(r, ms));
    return this.frames.splice(0);
  }

  async waitClosed(timeoutMs = 3000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    if (!this.closed) throw new Error('socket was not closed');
    return this.closed;
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
  }
}
