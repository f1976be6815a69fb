// Several Redis hosts (REDIS_URL with commas, channels_redis's `hosts` list): which host holds a key.
// The channel layer (redis.ts) places groups and process queues exactly as channels_redis 4.x does, so
// Django processes configured with the same list find them; csi-chat's own keys (presence in
// src/realtime/online.ts, client_id claims in src/chat/clientIds.ts) are spread with the same hash over
// the same hosts, so losing one host loses only the keys on it (README: multiple Redis hosts).
import zlib from 'node:zlib';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';

/**
 * channels_redis's `_consistent_hash(value, ring_size)` (utils.py, 4.x; docs/compat-notes.md §1.10): 0 for one
 * host, else int((crc32(utf8(value)) & 0xFFF) / (4096 / ring_size)). binascii.crc32 is zlib's CRC-32.
 */
export function consistentHash(value: string, ringSize: number): number {
  if (ringSize <= 1) return 0;
  const big = zlib.crc32(Buffer.from(value, 'utf8')) & 0xfff;
  return Math.floor(big / (4096 / ringSize));
}

/** One client per host; `forKey` picks the key's host. */
export class RedisRing {
  readonly clients: readonly Redis[];

  constructor(clients: Redis | readonly Redis[]) {
    this.clients = Array.isArray(clients) ? [...(clients as readonly Redis[])] : [clients as Redis];
    if (!this.clients.length) throw new Error('RedisRing needs at least one client');
  }

  forKey(key: string): Redis {
    return this.clients[consistentHash(key, this.clients.length)];
  }

  /** Groups items by the host of their key (one pipeline per host). */
  byHost<T>(items: readonly T[], key: (item: T) => string): Map<Redis, T[]> {
    const out = new Map<Redis, T[]>();
    for (const item of items) {
      const c = this.forKey(key(item));
      let list = out.get(c);
      if (!list) out.set(c, (list = []));
      list.push(item);
    }
    return out;
  }

  disconnect(): void {
    for (const c of this.clients) c.disconnect();
  }
}

/** REDIS_URL's hosts as a list (one string: one host; null: none). */
export function hostList(redisUrls: string | readonly string[] | null): readonly string[] {
  return redisUrls === null ? [] : typeof redisUrls === 'string' ? [redisUrls] : redisUrls;
}

/**
 * One client per host for csi-chat's own keys, with the options every such store uses: reconnect with a
 * capped linear backoff, one retry per command, errors logged at debug as `<what> redis error` (a store's
 * callers decide what an outage means). `options` adds the store's own (offline queue, timeouts).
 */
export function ringClients(urls: readonly string[], what: string, log: Logger, options: RedisOptions): Redis[] {
  return urls.map((url) => {
    const redis = new Redis(url, {
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => Math.min(times * 200, 5000),
      ...options,
    });
    redis.on('error', (err) => log.debug({ err }, `${what} redis error`));
    return redis;
  });
}
