// WS_MAX_SOCKETS_PER_USER across every process (WS_MAX_SOCKETS_PER_USER_SHARED=true, needs REDIS_URL). The
// hub (src/realtime/hub.ts) bounds a user's sockets in one process; this adds one count per user in Redis,
// `csichat:sockets:<user_id>`, a hash with two fields per process: `c:<process>` its sockets of that user,
// `e:<process>` until when that count holds (ms since the epoch). A claim sums the counts whose `e:` has not
// passed — dropping the others — and takes a place only below the bound, in one Lua script (atomic: two
// processes cannot both take the last place). A close gives the place back; each process refreshes its
// entries on a heartbeat, writing its own counts again (so a lost decrement heals), and a crashed process's
// entries lapse after ttlMs. With several Redis hosts each user's key lives on the host its name hashes to
// (src/layers/ring.ts). Redis away: the claim lets the socket in (the per-process bound still holds), as the
// throttles do rather than lock everyone out.
import crypto from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RedisRing, ringClients } from '../layers/ring.ts';

export const SOCKET_PLACES_KEY_PREFIX = 'csichat:sockets:';

const CLAIM = `
local key, me, now, expiry, max, ttl = KEYS[1], ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]), ARGV[5]
local all = redis.call('HGETALL', key)
local total = 0
for i = 1, #all, 2 do
  local f = all[i]
  if string.sub(f, 1, 2) == 'e:' then
    local p = string.sub(f, 3)
    if tonumber(all[i + 1]) < now then
      redis.call('HDEL', key, f, 'c:' .. p)
    else
      total = total + (tonumber(redis.call('HGET', key, 'c:' .. p)) or 0)
    end
  end
end
if total >= max then return 0 end
redis.call('HINCRBY', key, 'c:' .. me, 1)
redis.call('HSET', key, 'e:' .. me, expiry)
redis.call('PEXPIRE', key, ttl)
return 1`;

const RELEASE = `
local n = redis.call('HINCRBY', KEYS[1], 'c:' .. ARGV[1], -1)
if n <= 0 then redis.call('HDEL', KEYS[1], 'c:' .. ARGV[1], 'e:' .. ARGV[1]) end
return n`;

export class SharedSocketPlaces {
  private readonly ring: RedisRing;
  readonly processId = crypto.randomBytes(8).toString('hex');
  /** This process's places by user (what the heartbeat writes back). */
  private readonly local = new Map<number, number>();
  /** Users whose count in Redis may differ from `local` (a release that failed): rewritten by the heartbeat. */
  private readonly dirty = new Set<number>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    redis: Redis | readonly Redis[],
    private readonly log: Logger,
    private readonly ttlMs = 90_000,
    heartbeatMs = 30_000,
  ) {
    this.ring = new RedisRing(redis);
    this.timer = setInterval(() => void this.heartbeat(), heartbeatMs);
    this.timer.unref();
  }

  private key(userId: number): string {
    return `${SOCKET_PLACES_KEY_PREFIX}${userId}`;
  }

  /** Takes a place for one more socket of `userId`; false (nothing taken) when `max` are open on all processes. */
  async claim(userId: number, max: number): Promise<boolean> {
    const now = Date.now();
    try {
      const ok = await this.ring.forKey(this.key(userId)).eval(CLAIM, 1, this.key(userId), this.processId, now, now + this.ttlMs, max, this.ttlMs);
      if (ok !== 1) return false;
    } catch (err) {
      this.log.debug({ err, userId }, 'shared socket count unavailable: the per-process bound alone applies');
      this.dirty.add(userId);
    }
    this.local.set(userId, (this.local.get(userId) ?? 0) + 1);
    return true;
  }

  /** A socket that claim() let in is gone. */
  release(userId: number): void {
    const n = (this.local.get(userId) ?? 0) - 1;
    if (n > 0) this.local.set(userId, n);
    else this.local.delete(userId);
    this.ring
      .forKey(this.key(userId))
      .eval(RELEASE, 1, this.key(userId), this.processId)
      .catch((err: unknown) => {
        this.log.debug({ err, userId }, 'shared socket count: release failed (the heartbeat rewrites it)');
        this.dirty.add(userId);
      });
  }

  /** Writes this process's counts again (and their new expiry); counts of users it no longer has go. */
  async heartbeat(): Promise<void> {
    const users = [...new Set([...this.local.keys(), ...this.dirty])];
    if (!users.length) return;
    this.dirty.clear();
    const expiry = Date.now() + this.ttlMs;
    await Promise.all(
      [...this.ring.byHost(users, (id) => this.key(id))].map(([redis, ids]) => {
        const pipe = redis.pipeline();
        for (const id of ids) {
          const n = this.local.get(id) ?? 0;
          if (n > 0) pipe.hset(this.key(id), `c:${this.processId}`, n, `e:${this.processId}`, expiry).pexpire(this.key(id), this.ttlMs);
          else pipe.hdel(this.key(id), `c:${this.processId}`, `e:${this.processId}`);
        }
        return pipe.exec().catch((err: unknown) => {
          this.log.debug({ err }, 'shared socket count heartbeat failed');
          for (const id of ids) this.dirty.add(id);
        });
      }),
    );
  }

  /** Gives back this process's places (a clean stop) and disconnects. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    const users = [...this.local.keys()];
    this.local.clear();
    await Promise.all(
      [...this.ring.byHost(users, (id) => this.key(id))].map(([redis, ids]) => {
        const pipe = redis.pipeline();
        for (const id of ids) pipe.hdel(this.key(id), `c:${this.processId}`, `e:${this.processId}`);
        return pipe.exec().catch(() => undefined);
      }),
    );
    this.ring.disconnect();
  }

  /** Stops without giving anything back, as a crashed process would (tests). */
  abandon(): void {
    clearInterval(this.timer);
    this.ring.disconnect();
  }
}

/** `redisUrls`: REDIS_URL's hosts. */
export function createSharedSocketPlaces(redisUrls: readonly string[], log: Logger): SharedSocketPlaces {
  return new SharedSocketPlaces(ringClients(redisUrls, 'socket count', log, { lazyConnect: false, enableOfflineQueue: false }), log);
}
