// DRF-style throttles (rest_framework.throttling) and the counters behind every attempt limit of the
// server: REST throttles per client address (login, OTP, password reset), the OTP attempt counter
// (src/user/otpGuard.ts) and the admin log-in throttle (src/admin/throttle.ts). The counters live in
// Redis when REDIS_URL is set — shared by every process, atomic (INCR), each key on the host it hashes to
// when REDIS_URL names several (src/layers/ring.ts: losing one host loses only its counters) — else in
// the process.
// Fixed windows: a key's count starts at its first hit and expires `windowSeconds` later; DRF keeps a
// sliding list of timestamps instead, the answer is the same 429 with its text and Retry-After.
import type { Request } from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config, ThrottleRate } from '../config.ts';
import { hostList, RedisRing, ringClients } from '../layers/ring.ts';
import { ApiError } from './errors.ts';

export interface CounterHit {
  /** The key's count after this hit (1 for the first hit of a window). */
  count: number;
  /** Seconds until the window ends and the count starts again. */
  ttlSeconds: number;
}

export interface CounterStore {
  /** Adds one to `key`'s counter, starting a window of `windowSeconds` when there is none. Atomic:
   * concurrent hits each get their own count. */
  hit(key: string, windowSeconds: number): Promise<CounterHit>;
  /** The key's count and window left, without counting; count 0 when there is none. */
  peek(key: string): Promise<CounterHit>;
  reset(key: string): Promise<void>;
  /** Forgets every window (tests: a fresh start between cases). */
  clear(): Promise<void>;
  close(): Promise<void>;
}

/** In the process; at most `maxKeys` windows remembered (the oldest forgotten first), so a flood of
 * addresses or usernames cannot grow memory. */
export class MemoryCounterStore implements CounterStore {
  private readonly windows = new Map<string, { count: number; endsAt: number }>();

  constructor(
    private readonly maxKeys = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  async hit(key: string, windowSeconds: number): Promise<CounterHit> {
    const t = this.now();
    let w = this.windows.get(key);
    if (!w || w.endsAt <= t) w = { count: 0, endsAt: t + windowSeconds * 1000 };
    w.count += 1;
    this.windows.delete(key);
    this.windows.set(key, w);
    while (this.windows.size > this.maxKeys) this.windows.delete(this.windows.keys().next().value as string);
    return { count: w.count, ttlSeconds: Math.ceil((w.endsAt - t) / 1000) };
  }

  async peek(key: string): Promise<CounterHit> {
    const t = this.now();
    const w = this.windows.get(key);
    if (!w || w.endsAt <= t) return { count: 0, ttlSeconds: 0 };
    return { count: w.count, ttlSeconds: Math.ceil((w.endsAt - t) / 1000) };
  }

  async reset(key: string): Promise<void> {
    this.windows.delete(key);
  }

  async clear(): Promise<void> {
    this.windows.clear();
  }

  async close(): Promise<void> {}
}

// INCR, and the window's expiry set by the hit that created the key, in one atomic step.
const HIT_SCRIPT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}`;

export class RedisCounterStore implements CounterStore {
  private readonly ring: RedisRing;

  constructor(
    redis: Redis | readonly Redis[],
    private readonly prefix = 'csichat:throttle:',
  ) {
    this.ring = new RedisRing(redis);
  }

  async hit(key: string, windowSeconds: number): Promise<CounterHit> {
    const k = this.prefix + key;
    const [count, ttl] = (await this.ring.forKey(k).eval(HIT_SCRIPT, 1, k, String(windowSeconds))) as [number, number];
    return { count: Number(count), ttlSeconds: Number(ttl) };
  }

  async peek(key: string): Promise<CounterHit> {
    const k = this.prefix + key;
    const redis = this.ring.forKey(k);
    const [count, ttl] = await Promise.all([redis.get(k), redis.ttl(k)]);
    if (count === null || ttl < 0) return { count: 0, ttlSeconds: 0 };
    return { count: Number(count), ttlSeconds: ttl };
  }

  async reset(key: string): Promise<void> {
    const k = this.prefix + key;
    await this.ring.forKey(k).del(k);
  }

  async clear(): Promise<void> {
    for (const redis of this.ring.clients) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
    }
  }

  async close(): Promise<void> {
    this.ring.disconnect();
  }
}

/** `redisUrls`: REDIS_URL's hosts (one string: one host); none: this process only. */
export function createCounterStore(redisUrls: string | readonly string[] | null, log: Logger): CounterStore {
  const urls = hostList(redisUrls);
  if (!urls.length) return new MemoryCounterStore();
  return new RedisCounterStore(ringClients(urls, 'throttle store', log, { lazyConnect: true, enableOfflineQueue: true, commandTimeout: 5000 }));
}

/** DRF's Throttled: 429, "Request was throttled. Expected available in N second(s).", Retry-After: N. */
export function throttled(waitSeconds: number): ApiError {
  const wait = Math.max(1, Math.ceil(waitSeconds));
  const detail = `Request was throttled. Expected available in ${wait} ${wait === 1 ? 'second' : 'seconds'}.`;
  return new ApiError(429, { detail }, { 'Retry-After': String(wait) });
}

/** The client's address (DRF's get_ident): behind TRUST_PROXY the address the proxy saw (the last
 * X-Forwarded-For entry, the one the proxy appended), else the TCP peer. */
export function clientIdent(req: Request, config: Pick<Config, 'trustProxy'>): string {
  if (config.trustProxy) {
    const xff = req.headers['x-forwarded-for'];
    const list = (Array.isArray(xff) ? xff.join(',') : (xff ?? '')).split(',').map((s) => s.trim());
    const last = list.filter(Boolean).pop();
    if (last) return last;
  }
  return req.socket.remoteAddress ?? 'unknown';
}

export type ThrottleScope = keyof Config['throttleRates'];

/** ScopedRateThrottle.allow_request: counts this request against the scope's rate for the client's
 * address; throws DRF's 429 past it. Counting fails open (a Redis outage does not lock everyone out). */
export async function checkThrottle(store: CounterStore, config: Config, req: Request, scope: ThrottleScope, log: Logger): Promise<void> {
  const rate: ThrottleRate = config.throttleRates[scope];
  if (!rate) return;
  let hit: CounterHit;
  try {
    hit = await store.hit(`${scope}:${clientIdent(req, config)}`, rate.seconds);
  } catch (err) {
    log.warn({ err, scope }, 'throttle store unavailable: request not counted');
    return;
  }
  if (hit.count > rate.num) throw throttled(hit.ttlSeconds);
}
