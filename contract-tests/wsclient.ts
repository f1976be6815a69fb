// The runner's WebSocket client: buffers every frame (text exactly as received) and the close code, so
// a ws_expect can take "everything since the previous expect".
import WebSocket from 'ws';

export interface Frame {
  text: string;
  binary: boolean;
}

export class ContractSocket {
  readonly frames: Frame[] = [];
  /** Set when the connection closed; `byClient` when we initiated it. */
  closed: { code: number; reason: string; byClient: boolean } | null = null;
  private closing = false;
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      this.frames.push({ text: isBinary ? `<binary frame, ${buf.length} bytes>` : buf.toString('utf8'), binary: isBinary });
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString(), byClient: this.closing };
      this.wake();
    });
    ws.on('error', () => this.wake());
  }

  private wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves {socket} when accepted, {status} when the handshake was refused with an HTTP status. */
  static connect(url: string, timeoutMs = 5000): Promise<{ socket: ContractSocket } | { status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
      const socket = new ContractSocket(ws);
      ws.once('open', () => resolve({ socket }));
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

  /** Waits until at least `count` frames are buffered, the socket closed, or the timeout passed. */
  async waitFrames(count: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length < count && !this.closed && Date.now() < deadline) await this.sleepOrWake(deadline - Date.now());
  }

  async waitClosed(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await this.sleepOrWake(deadline - Date.now());
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

  take(): Frame[] {
    return this.frames.splice(0);
  }

  send(text: string): void {
    this.ws.send(text);
  }

  /** Client-initiated close (no code, as the recorder did); waits briefly for the server's close frame. */
  async close(waitMs = 1000): Promise<void> {
    if (this.closed) return;
    this.closing = true;
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
    await this.waitClosed(waitMs);
    if (!this.closed) this.ws.terminate();
  }

  terminate(): void {
    this.closing = true;
    this.ws.terminate();
  }
}
