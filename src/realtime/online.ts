// Who has at least one open socket (chat or notifications), across every process: decides whether a
// mention also goes out as an FCM push. One process counts its own sockets; with Redis, each process
// advertises its online users in `csichat:online:<user_id>` (a zset of process ids scored by expiry),
// refreshed on a heartbeat so a crashed process's users expire on their own. With several Redis hosts
// each user's key lives on the host its name hashes to (src/layers/ring.ts).
import crypto from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { hostList, RedisRing, ringClients } from '../layers/ring.ts';

export interface OnlineRegistry {
  connected(userId: number): void;
  disconnected(userId: number): void;
  /** The subset of `userIds` with an open socket on any process. */
  onlineAmong(userIds: number[]): Promise<Set<number>>;
  close(): Promise<void>;
}

class LocalCounts {
  private readonly counts = new Map<number, number>();

  /** Returns true when this is the user's first socket here. */
  up(userId: number): boolean {
    const n = (this.counts.get(userId) ?? 0) + 1;
    this.counts.set(userId, n);
    return n === 1;
  }

  /** Returns true when this was the user's last socket here. */
  down(userId: number): boolean {
    const n = (this.counts.get(userId) ?? 0) - 1;
    if (n > 0) {
      this.counts.set(userId, n);
      return false;
    }
    this.counts.delete(userId);
    return true;
  }

  has(userId: number): boolean {
    return this.counts.has(userId);
  }

  users(): number[] {
    return [...this.counts.keys()];
  }
}

export class MemoryOnlineRegistry implements OnlineRegistry {
  private readonly local = new LocalCounts();

  connected(userId: number): void {
    this.local.up(userId);
  }

  disconnected(userId: number): void {
    this.local.down(userId);
  }

  async onlineAmong(userIds: number[]): Promise<Set<number>> {
    return new Set(userIds.filter((id) => this.local.has(id)));
  }

  async close(): Promise<void> {}
}

export const ONLINE_KEY_PREFIX = 'csichat:online:';

/** One turn's advertise ('1': ZADD this process at its expiry, then PEXPIRE) and withdraw ('0': ZREM)
 * operations on one host, one per key in order: one command however many sockets came and went
 * together (a MULTI of ZADD + PEXPIRE per user cost the process more than the rest of the handshake's
 * Redis work in a reconnect storm). */
const PRESENCE_LUA = `for i, key in ipairs(KEYS) do
  if string.byte(ARGV[4], i) == 49 then
    redis.call('ZADD', key, ARGV[2], ARGV[1])
    redis.call('PEXPIRE', key, ARGV[3])
  else
    redis.call('ZREM', key, ARGV[1])
  end
end
return #KEYS`;
const PRESENCE_CHUNK = 1000;

export class RedisOnlineRegistry implements OnlineRegistry {
  private readonly local = new LocalCounts();
  private readonly processId = crypto.randomBytes(8).toString('hex');
  private readonly timer: NodeJS.Timeout;
  private readonly ring: RedisRing;

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
    return `${ONLINE_KEY_PREFIX}${userId}`;
  }

  connected(userId: number): void {
    if (this.local.up(userId)) this.enqueue(true, userId);
  }

  disconnected(userId: number): void {
    if (this.local.down(userId)) this.enqueue(false, userId);
  }

  /** Advertise (true) / withdraw (false) operations of this turn, in order: one script per turn and host,
   * so a reconnect storm writes one command for every socket that came up together, not two each. */
  private pending: Array<[boolean, number]> = [];

  private enqueue(up: boolean, userId: number): void {
    if (this.pending.length === 0) setImmediate(this.flush);
    this.pending.push([up, userId]);
  }

  private readonly flush = (): void => {
    const ops = this.pending;
    this.pending = [];
    if (!ops.length) return;
    const expiry = Date.now() + this.ttlMs;
    for (const [redis, hostOps] of this.ring.byHost(ops, ([, id]) => this.key(id))) {
      this.write(redis, hostOps, expiry).catch((err: unknown) =>
        this.log.debug({ err, users: hostOps.length }, 'presence: could not advertise or withdraw (the heartbeat retries; entries expire)'),
      );
    }
  };

  /** PRESENCE_LUA on one host, PRESENCE_CHUNK keys per script (a heartbeat of every user here would
   * otherwise hold Redis for one long script). */
  private async write(redis: Redis, ops: ReadonlyArray<readonly [boolean, number]>, expiry: number): Promise<void> {
    for (let i = 0; i < ops.length; i += PRESENCE_CHUNK) {
      const chunk = ops.slice(i, i + PRESENCE_CHUNK);
      const keys = chunk.map(([, id]) => this.key(id));
      const flags = chunk.map(([up]) => (up ? '1' : '0')).join('');
      await redis.eval(PRESENCE_LUA, keys.length, ...keys, this.processId, expiry, this.ttlMs, flags);
    }
  }

  private async heartbeat(): Promise<void> {
    const users = this.local.users();
    if (!users.length) return;
    const expiry = Date.now() + this.ttlMs;
    await Promise.all(
      [...this.ring.byHost(users, (id) => this.key(id))].map(([redis, ids]) =>
        this.write(
          redis,
          ids.map((id) => [true, id] as const),
          expiry,
        ).catch((err: unknown) => this.log.debug({ err }, 'presence heartbeat failed')),
      ),
    );
  }

  async onlineAmong(userIds: number[]): Promise<Set<number>> {
    const online = new Set(userIds.filter((id) => this.local.has(id)));
    const remote = userIds.filter((id) => !online.has(id));
    if (!remote.length) return online;
    const now = Date.now();
    await Promise.all(
      [...this.ring.byHost(remote, (id) => this.key(id))].map(async ([redis, ids]) => {
        try {
          const pipe = redis.pipeline();
          for (const id of ids) pipe.zrangebyscore(this.key(id), now, '+inf', 'LIMIT', 0, 1);
          const results = (await pipe.exec()) ?? [];
          results.forEach(([err, members], i) => {
            if (!err && Array.isArray(members) && members.length) online.add(ids[i]);
          });
        } catch (err) {
          // That Redis host away: only this process's knowledge of its users; at worst an online user also gets a push.
          this.log.debug({ err }, 'presence lookup failed');
        }
      }),
    );
    return online;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.pending = [];
    const users = this.local.users();
    await Promise.all(
      [...this.ring.byHost(users, (id) => this.key(id))].map(([redis, ids]) => {
        const pipe = redis.pipeline();
        for (const id of ids) pipe.zrem(this.key(id), this.processId);
        return pipe.exec().catch(() => undefined);
      }),
    );
    this.ring.disconnect();
  }
}

/** `redisUrls`: REDIS_URL's hosts (one string: one host); none: this process only. */
export function createOnlineRegistry(redisUrls: string | readonly string[] | null, log: Logger): OnlineRegistry {
  const urls = hostList(redisUrls);
  if (!urls.length) return new MemoryOnlineRegistry();
  return new RedisOnlineRegistry(ringClients(urls, 'presence', log, { lazyConnect: false, enableOfflineQueue: false }), log);
}
