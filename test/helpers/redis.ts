// Helpers for the Redis layer suites: a private redis-server child process (for outage tests), key
// clean-up by prefix, and small waits.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import crypto from 'node:crypto';
import { Redis } from 'ioredis';
import { consistentHash } from '../../src/layers/ring.ts';

export function testPrefix(): string {
  return `csit6${crypto.randomBytes(3).toString('hex')}`;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export class RedisServerProcess {
  private child: ChildProcess | null = null;
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  static async start(port?: number): Promise<RedisServerProcess> {
    const s = new RedisServerProcess(port ?? (await freePort()));
    await s.start();
    return s;
  }

  async start(): Promise<void> {
    if (this.child) return;
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'],
      {
        stdio: 'ignore',
      },
    );
    this.child = child;
    child.once('exit', () => {
      if (this.child === child) this.child = null;
    });
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline) {
      const probe = new Redis({ port: this.port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return;
      } catch {
        probe.disconnect();
        await sleep(50);
      }
    }
    throw new Error(`redis-server on port ${this.port} did not start`);
  }

  /** SIGKILL: the abrupt outage (no FIN from a clean shutdown). */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGKILL');
    await exited;
    this.child = null;
  }
}

export async function deleteByPrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let n = 0;
  let rounds = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) n += await redis.del(...keys);
  } while (cursor !== '0' && ++rounds < 10000);
  return n;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `cond` every 10 ms until true or the deadline; returns whether it became true. */
export async function until(cond: () => boolean | Promise<boolean>, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await cond()) return true;
    await sleep(10);
  }
  return await cond();
}

// Several hosts (channels_redis consistent_hash): names that land on a chosen host.

/** A client prefix whose queue lives on host `index` of `n` (as channels_redis picks the receive host). */
export function prefixOnHost(index: number, n: number): string {
  for (;;) {
    const cp = crypto.randomBytes(16).toString('hex');
    if (consistentHash(`specific.${cp}!`, n) === index) return cp;
  }
}

/** A group name `<stem>_<i>` that lives on host `index` of `n`. */
export function groupOnHost(stem: string, index: number, n: number, skip = 0): string {
  let found = 0;
  for (let i = 1; ; i++) {
    const g = `${stem}_${i}`;
    if (consistentHash(g, n) === index && found++ === skip) return g;
  }
}
