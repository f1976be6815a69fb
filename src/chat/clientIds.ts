// Idempotent socket sends (beyond the original, opt-in): a `send_message` with a `client_id` is stored at
// most once per user and client_id within 24 hours, whichever process a retry reaches.
//
// How: the first send of a (user, client_id) CLAIMS it — reserves a message id from Chat_message's own
// sequence and records {id, room} under the pair, atomically (SET NX in Redis; one map entry per process
// without Redis). Every attempt of that pair, the first and any retry on any process, then inserts the row
// WITH THAT ID (INSERT … ON CONFLICT (id) DO NOTHING, src/chat/socketQueries.ts): the primary key makes a
// second row impossible, and an attempt that finds the row acknowledges it instead. So two concurrent
// retries on two processes store one row, and a claim whose owner died — before its insert, or after the
// commit but before answering — needs no expiry or takeover: the next retry inserts that id, or finds it.
// A claim is kept (24 h) even when its insert was refused, so no second id can ever exist for the pair.
import type { Redis } from 'ioredis';
import { hostList, RedisRing, ringClients } from '../layers/ring.ts';
import type { Logger } from 'pino';

/** What a client_id stands for: the message id reserved for it, in the room it was first sent to. */
export interface ClientIdClaim {
  id: number;
  roomId: number;
}

export interface ClientIdStore {
  /**
   * The claim of (userId, clientId): the one recorded within the last 24 h, or a new one for `roomId` with
   * the id `reserve` gives (called at most once, only when there is none). Concurrent calls for one pair,
   * on any process, get the same claim.
   */
  claim(userId: number, clientId: string, roomId: number, reserve: () => Promise<number>): Promise<ClientIdClaim>;
  /**
   * Whether the caller is the one attempt of (userId, clientId) that publishes the stored message: true
   * once per pair, false after. The attempt that stored it asks after its commit; a retry that finds it
   * stored asks too, and wins only when the storing attempt never got that far (its connection broke
   * after the commit), so the message reaches the room once.
   */
  takePublication(userId: number, clientId: string): Promise<boolean>;
  close(): Promise<void>;
}

/** How long a client_id holds (the 24 hours). */
export const CLIENT_ID_TTL_SECONDS = 24 * 60 * 60;

/** Live client_ids kept per user (the memory store's bound too): past it the user's oldest claim goes. */
export const CLIENT_IDS_PER_USER = 1000;

// ---------------------------------------------------------------------------------------------
// One process (no REDIS_URL)

interface Entry {
  claim: Promise<ClientIdClaim>;
  expiresAt: number;
  published?: boolean;
}

/**
 * Claims in this process's memory, bounded: at most `perUser` live client_ids per user (the oldest go
 * first — retries come soon after a send) and `total` overall (the least recently sending user's oldest
 * go first). Entries are kept in insertion order, which is expiry order (one TTL for all).
 */
export class MemoryClientIdStore implements ClientIdStore {
  /** user id → client_id → entry; users in order of their last new claim. */
  private readonly byUser = new Map<number, Map<string, Entry>>();
  private size = 0;

  constructor(
    private readonly limits = { perUser: CLIENT_IDS_PER_USER, total: 100_000 },
    private readonly ttlMs = CLIENT_ID_TTL_SECONDS * 1000,
    private readonly now: () => number = Date.now,
  ) {}

  claim(userId: number, clientId: string, roomId: number, reserve: () => Promise<number>): Promise<ClientIdClaim> {
    const now = this.now();
    let mine = this.byUser.get(userId);
    if (mine) this.dropExpired(mine, now);
    const found = mine?.get(clientId);
    if (found) return found.claim;
    if (!mine) mine = new Map();
    // Most recently active user last (eviction order of the total bound).
    this.byUser.delete(userId);
    this.byUser.set(userId, mine);
    const claim = reserve().then((id) => ({ id, roomId }));
    const entry: Entry = { claim, expiresAt: now + this.ttlMs };
    mine.set(clientId, entry);
    this.size += 1;
    // No id was reserved: nothing can be stored under it, so a retry may reserve again.
    claim.catch(() => {
      if (mine.get(clientId) === entry) this.remove(userId, mine, clientId);
    });
    if (mine.size > this.limits.perUser) this.remove(userId, mine, mine.keys().next().value!);
    while (this.size > this.limits.total) {
      const [oldestUser, theirs] = this.byUser.entries().next().value!;
      this.remove(oldestUser, theirs, theirs.keys().next().value!);
    }
    return claim;
  }

  async takePublication(userId: number, clientId: string): Promise<boolean> {
    const entry = this.byUser.get(userId)?.get(clientId);
    // An entry evicted by the bounds: publish (a second broadcast is the lesser harm than none).
    if (!entry) return true;
    if (entry.published) return false;
    entry.published = true;
    return true;
  }

  private dropExpired(mine: Map<string, Entry>, now: number): void {
    for (const [clientId, e] of mine) {
      if (e.expiresAt > now) break;
      mine.delete(clientId);
      this.size -= 1;
    }
  }

  private remove(userId: number, mine: Map<string, Entry>, clientId: string): void {
    if (mine.delete(clientId)) this.size -= 1;
    if (mine.size === 0) this.byUser.delete(userId);
  }

  /** Live entries (for the bounds' tests and /metrics). */
  get entries(): number {
    return this.size;
  }

  async close(): Promise<void> {}
}

// ---------------------------------------------------------------------------------------------
// Every process (REDIS_URL)

const CLIENT_ID_KEY_PREFIX = 'csichat:clientid:';

/**
 * A new claim, atomically: SET NX of the claim; when it is made, the client_id joins the user's index (a
 * sorted set by claim time), entries older than the TTL leave it, and past the per-user bound the oldest
 * claims are deleted with their publication marks. Answers the standing claim when there was one.
 *   KEYS[1] the claim, KEYS[2] the user's index
 *   ARGV: claim value, TTL (s), now (ms), per-user bound, client_id, the user's claim key prefix, the user's mark prefix
 */
const CLAIM_SCRIPT = `
if not redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2], 'NX') then return redis.call('GET', KEYS[1]) end
local now = tonumber(ARGV[3])
redis.call('ZADD', KEYS[2], now, ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[2]) * 1000)
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if over > 0 then
  for _, cid in ipairs(redis.call('ZRANGE', KEYS[2], 0, over - 1)) do
    redis.call('DEL', ARGV[6] .. cid, ARGV[7] .. cid)
  end
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, over - 1)
end
redis.call('EXPIRE', KEYS[2], ARGV[2])
return false
`;

/**
 * Claims in Redis, `<prefix><user id>:<client_id>` → {"id": …, "room": …} with a 24-hour expiry; publication
 * marks at `<prefix>published:<user id>:<client_id>`, as long; at most `perUser` claims per user, indexed by
 * `<prefix>index:<user id>` (a client sending unique client_ids — each refused for a missing parent, say, so
 * storing nothing — could otherwise fill Redis, which also carries the channel layer, for 24 hours).
 */
export class RedisClientIdStore implements ClientIdStore {
  /** Several hosts: all of a user's keys on the host the user hashes to (src/layers/ring.ts), so one
   * script can bound them. */
  private readonly ring: RedisRing;

  constructor(
    redis: Redis | readonly Redis[],
    private readonly prefix = CLIENT_ID_KEY_PREFIX,
    private readonly ttlSeconds = CLIENT_ID_TTL_SECONDS,
    private readonly perUser = CLIENT_IDS_PER_USER,
  ) {
    this.ring = new RedisRing(redis);
  }

  private key(userId: number, clientId: string): string {
    return `${this.prefix}${userId}:${clientId}`;
  }

  /**
   * `<prefix>published:<user id>:<client_id>`: no claim key can be it (a claim's user id is digits). The mark
   * once lived at the claim's key + ':published', which is the claim key of the client_id '<it>:published'.
   */
  private publicationKey(userId: number, clientId: string): string {
    return `${this.prefix}published:${userId}:${clientId}`;
  }

  private host(userId: number): Redis {
    return this.ring.forKey(`${this.prefix}${userId}`);
  }

  async claim(userId: number, clientId: string, roomId: number, reserve: () => Promise<number>): Promise<ClientIdClaim> {
    const key = this.key(userId, clientId);
    const redis = this.host(userId);
    const found = await redis.get(key);
    if (found !== null) return parseClaim(found);
    const id = await reserve();
    const standing = (await redis.eval(
      CLAIM_SCRIPT,
      2,
      key,
      `${this.prefix}index:${userId}`,
      JSON.stringify({ id, room: roomId }),
      this.ttlSeconds,
      Date.now(),
      this.perUser,
      clientId,
      this.key(userId, ''),
      this.publicationKey(userId, ''),
    )) as string | null;
    if (standing === null) return { id, roomId };
    // Another attempt claimed it between the GET and the script: its claim stands (the id reserved here is
    // never used — a gap in the sequence, as a rolled-back insert leaves).
    return parseClaim(standing);
  }

  async takePublication(userId: number, clientId: string): Promise<boolean> {
    const key = this.publicationKey(userId, clientId);
    return (await this.host(userId).set(key, '1', 'EX', this.ttlSeconds, 'NX')) === 'OK';
  }

  async close(): Promise<void> {
    this.ring.disconnect();
  }
}

function parseClaim(text: string): ClientIdClaim {
  const v = JSON.parse(text) as { id?: unknown; room?: unknown };
  if (!Number.isSafeInteger(v.id) || !Number.isSafeInteger(v.room)) throw new Error(`malformed client_id claim ${text.slice(0, 100)}`);
  return { id: v.id as number, roomId: v.room as number };
}

/** Redis when the channel layer is (so a retry on another process finds the claim), else this process. */
export function createClientIdStore(redisUrls: string | readonly string[] | null, log: Logger): ClientIdStore {
  const urls = hostList(redisUrls);
  if (!urls.length) return new MemoryClientIdStore();
  // Connected by the first send with a client_id (a deployment whose clients never send one needs none); a
  // send with a client_id waits briefly for Redis, then is refused rather than stored without its guard.
  return new RedisClientIdStore(ringClients(urls, 'client_id store', log, { lazyConnect: true, enableOfflineQueue: true, commandTimeout: 5000 }));
}
