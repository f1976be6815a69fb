// A TCP proxy for fault tests: listens on a free loopback port and pipes every connection to a target
// (Postgres on 127.0.0.1:5432, a Redis server, …). Its mode decides what happens to the link:
//   'pass'       — bytes flow both ways (optionally each chunk delayed by `delayMs`);
//   'blackhole'  — connections stay open but nothing is forwarded either way (a hung server or a
//                  dropped route: the client waits until its own timeouts fire); new connections are
//                  accepted and held the same way;
//   'refuse'     — new connections are closed at once (the server is down), open ones are kept;
// and cut() destroys every open connection (a reset). Counters say what went through.
import net from 'node:net';

export type ProxyMode = 'pass' | 'blackhole' | 'refuse';

export interface TcpProxyOptions {
  targetHost?: string;
  targetPort: number;
  /** Delay (ms) added to each forwarded chunk in 'pass' mode: a slow link. */
  delayMs?: number;
}

interface Link {
  client: net.Socket;
  server: net.Socket;
}

export class TcpProxy {
  mode: ProxyMode = 'pass';
  delayMs: number;
  /** Connections accepted since start. */
  accepted = 0;
  /** Bytes forwarded client → server and server → client. */
  bytesUp = 0;
  bytesDown = 0;
  private readonly links = new Set<Link>();
  private readonly server: net.Server;
  private portNumber = 0;

  private constructor(private readonly opts: TcpProxyOptions) {
    this.delayMs = opts.delayMs ?? 0;
    this.server = net.createServer((client) => this.accept(client));
  }

  static async start(opts: TcpProxyOptions): Promise<TcpProxy> {
    const p = new TcpProxy(opts);
    await new Promise<void>((resolve, reject) => {
      p.server.once('error', reject);
      p.server.listen(0, '127.0.0.1', () => resolve());
    });
    p.portNumber = (p.server.address() as net.AddressInfo).port;
    return p;
  }

  get port(): number {
    return this.portNumber;
  }

  get host(): string {
    return '127.0.0.1';
  }

  /** Open connections. */
  get open(): number {
    return this.links.size;
  }

  /** A URL with the host and port replaced by the proxy's (e.g. a DATABASE_URL or REDIS_URL). */
  rewrite(url: string): string {
    const u = new URL(url);
    u.hostname = this.host;
    u.port = String(this.port);
    return u.toString();
  }

  /** Forward again (connections black-holed meanwhile resume; bytes held back are delivered). */
  pass(): void {
    this.setMode('pass');
  }

  blackhole(): void {
    this.setMode('blackhole');
  }

  refuse(): void {
    this.setMode('refuse');
  }

  setMode(mode: ProxyMode): void {
    this.mode = mode;
    for (const l of this.links) this.applyFlow(l);
  }

  /** Destroys every open connection (both sides see a reset/close). */
  cut(): void {
    for (const l of this.links) {
      l.client.destroy();
      l.server.destroy();
    }
    this.links.clear();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    this.accepted++;
    if (this.mode === 'refuse') {
      client.destroy();
      return;
    }
    const server = net.connect(this.opts.targetPort, this.opts.targetHost ?? '127.0.0.1');
    const link: Link = { client, server };
    this.links.add(link);
    const drop = () => {
      if (!this.links.delete(link)) return;
      client.destroy();
      server.destroy();
    };
    client.on('error', drop).on('close', drop);
    server.on('error', drop).on('close', drop);
    client.on('data', (chunk: Buffer) => this.forward(chunk, server, 'up'));
    server.on('data', (chunk: Buffer) => this.forward(chunk, client, 'down'));
    this.applyFlow(link);
  }

  // Black-holing pauses reading on both sides: the bytes stay in the kernel buffers and in the
  // peers' send queues, as with a link that stopped delivering, and resume in order on pass().
  private applyFlow(l: Link): void {
    if (this.mode === 'blackhole') {
      l.client.pause();
      l.server.pause();
    } else {
      l.client.resume();
      l.server.resume();
    }
  }

  private forward(chunk: Buffer, to: net.Socket, dir: 'up' | 'down'): void {
    const send = () => {
      if (to.destroyed) return;
      if (dir === 'up') this.bytesUp += chunk.length;
      else this.bytesDown += chunk.length;
      to.write(chunk);
    };
    if (this.delayMs > 0) setTimeout(send, this.delayMs);
    else send();
  }
}
