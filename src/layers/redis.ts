// channels_redis 4.x RedisChannelLayer, spoken from Node (docs/compat-notes.md §1), so csi-chat and Django
// processes share rooms on one Redis during the migration.
//
// Wire protocol (unchanged from channels_redis, see docs/compat-notes.md §1.2–§1.7, §1.17):
//   - keys: `<prefix><channel>` message queues (zsets, TTL `expiry`), `<prefix>:group:<g>` group zsets
//     (TTL `groupExpiry`), prefix "asgi"; one queue per process: `asgispecific.<client_prefix>!`.
//   - members: 12 random bytes + msgpack of the message dict; `__asgi_channel__` last: a string for a
//     direct send to a `!` channel, a list of every member channel of that queue for a group_send.
//   - group_send: prune the group (now-86400) and read its members (one Lua script), bucket by queue
//     key, one Lua script per send that prunes (now-60), checks capacity (100, full queues are skipped
//     like Django) and ZADD + EXPIRE 60 per queue. group_add: ZADD + EXPIRE (one Lua script).
//   - receive: one dedicated connection per process pops this process's queue and dispatches to every
//     local channel listed in `__asgi_channel__` (how it pops and waits differs, see below).
//
// Choices that differ from a Django process but are invisible on the wire:
//   - Batch draining: a Node process serves thousands of sockets from ONE queue whose capacity is 100
//     for the whole process (Django senders enforce it per queue key). The receive loop therefore pops
//     up to `batchSize` messages per round trip (ZPOPMIN key N, lowest scores first, i.e. in order) and
//     only blocks (BZPOPMIN) when the queue is empty; dispatch to sockets is synchronous (it only
//     queues frames), so the queue is emptied every round trip.
//   - Exactly-once receive across connection resets: channels_redis pops with BZPOPMIN and copies the
//     member to a `$inflight` backup afterwards, so a reset between the pop and its reply loses the
//     message. Here one Lua script pops a batch AND keeps it in `<queue>$inflight` (a list: batch id, then
//     the members) until the next pop names that batch id as done; a reply lost to a reset (ioredis
//     re-sends the command on reconnect) returns the same batch again instead of popping a new one.
//     Nobody else reads our queue or its backup (docs/compat-notes.md §1.17 item 7), so the shape of the
//     backup is ours to choose. A blocking pop cannot be made safe this way (BZPOPMIN cannot run inside
//     a script), so an empty queue is waited on without popping: Redis client-side tracking (CLIENT
//     TRACKING BCAST on the queue's name, redirected to a small RESP2 subscriber connection) tells us
//     when a sender wrote to it, and a poll every `blockTimeout` seconds covers a lost notification.
//     A Redis without tracking (before 6.0) is polled every 50 ms instead.
//   - Replays are recognisable: the 12 random bytes that prefix a member (docs/compat-notes.md §1.5) are
//     drawn once per group_send and reused for every queue it writes and for its replay from the outage
//     buffer, and the receive loop drops a member whose prefix it dispatched recently. A group_send that
//     timed out may still have reached Redis (a black-holed link delivers its bytes late); its replay then
//     reaches a csi-chat process once. (A Django receiver has no such check: it may see it twice.)
//   - Local short cut: members of a group that live in THIS process are delivered in-process from a
//     local mirror of this process's memberships, not through this process's own Redis queue. The
//     Redis memberships are still written exactly like Django (so Django senders reach us), our own
//     queue is just not used for our own sends. This keeps the 100-message queue free for other
//     processes' traffic, saves a round trip, and is what keeps local delivery working while Redis
//     is down.
//   - Scores are strictly increasing per process (microsecond steps), so two sends in the same
//     millisecond cannot be reordered by the random member prefix (equal scores sort by member).
//   - Memberships of live sockets are re-added every `refreshMs` (default 1 h; Django never refreshes,
//     but daphne closes sockets after 24 h and Node sockets may live longer than the 86400 s group
//     expiry). This also heals a Redis that lost its data without dropping our connections.
//
// Outage behaviour: while Redis is unreachable, groupAdd/groupDiscard update the local mirror (and
// are replayed on reconnect), groupSend delivers to this process's members at once and keeps the
// message in a bounded buffer (`outageBufferSize` messages, at most `expiry` seconds old) that is
// fanned out to the other processes when Redis returns (at-least-once: a send that timed out may have
// reached Redis). ioredis reconnects with capped exponential backoff; on reconnect the layer re-adds
// every membership of this process, replays the buffer, then reports healthy again ('health' event).
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Redis, type RedisOptions } from 'ioredis';
import { encode, decode } from '@msgpack/msgpack';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { ChannelHandler, ChannelLayer, LayerMessage } from './types.ts';
import { isValidGroupName } from './types.ts';
import { consistentHash } from './ring.ts';

export { consistentHash };

const RANDOM_PREFIX_LENGTH = 12;
const CHANNEL_RE = /^[a-zA-Z\d\-_.]+(![\d\w\-_.]*)?$/;

export class ChannelFull extends Error {
  constructor(channel: string) {
    super(`channel ${channel} is full`);
    this.name = 'ChannelFull';
  }
}

class LayerUnavailable extends Error {
  constructor(what: string, cause?: unknown) {
    super(`channel layer unavailable: ${what}`, { cause });
    this.name = 'LayerUnavailable';
  }
}

export interface RedisLayerOptions {
  /** One Redis URL, or the hosts of the ring in order (channels_redis's `hosts` list). */
  url: string | readonly string[];
  /** This process's client prefix (default: random, as channels_redis's uuid4().hex). */
  clientPrefix?: string;
  /** Key prefix; "asgi" for interop with Django (a different one isolates tests). */
  prefix?: string;
  expiry?: number;
  groupExpiry?: number;
  capacity?: number;
  /** Longest wait (s) for an empty queue before it is polled anyway (channels_redis: brpop_timeout = 5). */
  blockTimeout?: number;
  /** How many recently dispatched member prefixes the receive loop remembers to drop replays. */
  dedupeWindow?: number;
  /** Messages popped per round trip by the receive loop. */
  batchSize?: number;
  /** Group sends kept for the other processes while Redis is down. */
  outageBufferSize?: number;
  /** Re-add this process's memberships this often (ms); 0 disables. */
  refreshMs?: number;
  /** Deliver this process's group members in-process (see header). */
  localShortcut?: boolean;
  /** How long createRedisLayer waits for the first connection before starting degraded (ms). */
  connectWaitMs?: number;
  /** Cap of the reconnect backoff (ms). */
  maxBackoffMs?: number;
  /** After Redis came back EMPTY (a restart: new run_id), wait this long before fanning out again,
   * so the other processes have re-added their memberships (default maxBackoffMs + 1500). */
  rejoinGraceMs?: number;
  log?: Logger;
}

export interface RedisLayerStats {
  groupSends: number;
  /** Group sends that reached Redis (fan-out to the other processes). */
  remoteFanouts: number;
  /** Deliveries to local channels (in-process and from the queue). */
  localDeliveries: number;
  /** Messages popped from this process's queue. */
  received: number;
  /** Queue keys skipped because they held `capacity` messages (like Django, silently). */
  overCapacity: number;
  /** Group sends kept while Redis was down / replayed / dropped (buffer full or older than expiry). */
  buffered: number;
  replayed: number;
  droppedBuffered: number;
  /** Messages for channels no longer registered here, or undecodable. */
  undeliverable: number;
  reconnects: number;
  batches: number;
  maxBatch: number;
  /** Queue keys a group_send could not write because their host was down (several hosts only). */
  hostUnreachable: number;
  /** Members dropped by the receive loop because their prefix was dispatched already (a replay). */
  duplicatesDropped: number;
  /** Batches received again from `$inflight` because the reply of their pop was lost. */
  inflightRedelivered: number;
}

interface Buffered {
  group: string;
  message: LayerMessage;
  /** The member prefix of this group_send (the same on its first try and its replay). */
  id: Buffer;
  at: number;
}

// ARGV: msg per key..., capacity per key..., now, expiry. Per key: drop messages older than
// int(now) - expiry (channels_redis does this in a pipeline just before), then capacity check,
// ZADD, EXPIRE. Returns how many keys were over capacity (channels_redis returns the same).
const GROUP_SEND_LUA = `
local n = #KEYS
local now = ARGV[2 * n + 1]
local expiry = tonumber(ARGV[2 * n + 2])
local cutoff = math.floor(tonumber(now)) - expiry
local over = 0
for i = 1, n do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, cutoff)
  if redis.call('ZCOUNT', KEYS[i], '-inf', '+inf') < tonumber(ARGV[n + i]) then
    redis.call('ZADD', KEYS[i], now, ARGV[i])
    redis.call('EXPIRE', KEYS[i], expiry)
  else
    over = over + 1
  end
end
return over
`;

// KEYS[1] queue; ARGV: msg, capacity, now, expiry. Returns 1 when stored, 0 when full.
const SEND_LUA = `
local cutoff = math.floor(tonumber(ARGV[3])) - tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, cutoff)
if redis.call('ZCOUNT', KEYS[1], '-inf', '+inf') >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return 1
`;

// group_send's first step in one command (one write, one reply instead of MULTI/ZREMRANGEBYSCORE/ZRANGE/
// EXEC): KEYS[1] group key; ARGV[1] cutoff; ARGV[2] a non-local name whose channels are left out ('' for
// none). Drops expired memberships, returns the members. With the local short cut the sender's own
// process's channels are delivered in-process, so they are left out here: a room whose members are all on
// this process costs an empty reply instead of every member's name, read and decoded per message
// (bench/results.md: 12 % of a fan-out's busy time went to decoding those names).
const GROUP_MEMBERS_LUA = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, ARGV[1])
local all = redis.call('ZRANGE', KEYS[1], 0, -1)
local skip = ARGV[2]
if skip == '' then return all end
local out, n, k = {}, 0, #skip
for i = 1, #all do
  if string.sub(all[i], 1, k) ~= skip then
    n = n + 1
    out[n] = all[i]
  end
end
return out
`;

// KEYS[1] group key; ARGV: expiry, then score, channel, score, channel…: the group_adds of one turn to one
// group in one command (a reconnect storm joins thousands of channels to a few groups at once).
const GROUP_ADD_MANY_LUA = `
redis.call('ZADD', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1]))
return 1
`;

// The receive loop's pop (see header): KEYS[1] queue, KEYS[2] its `$inflight` backup; ARGV: count, the id of
// the batch the caller has dispatched ('' at first), the id for a new batch, expiry. A backup the caller
// has not dispatched (its pop's reply was lost) is returned again; otherwise it is dropped and up to
// `count` members are popped (lowest scores first, i.e. in order), kept in the backup and returned.
// Reply: {} when empty, else {batch id, member...}.
const RECEIVE_LUA = `
local kept = redis.call('LRANGE', KEYS[2], 0, -1)
if #kept > 0 then
  if kept[1] ~= ARGV[2] then return kept end
  redis.call('DEL', KEYS[2])
end
local popped = redis.call('ZPOPMIN', KEYS[1], tonumber(ARGV[1]))
if #popped == 0 then return {} end
local out = {ARGV[3]}
for i = 1, #popped, 2 do out[#out + 1] = popped[i] end
redis.call('RPUSH', KEYS[2], unpack(out))
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[4]))
return out
`;

/** Poll interval of an empty queue when Redis has no client-side tracking (before 6.0). */
const UNTRACKED_POLL_MS = 50;

/** At most this many channels per batched group_add command (Lua's unpack() has a stack limit). */
const GROUP_ADD_BATCH = 1000;

interface PendingAdd {
  score: string;
  channel: string;
  resolve(): void;
  reject(err: unknown): void;
}

type ReceiveRedis = Redis & {
  csiReceiveBuffer(queue: string, inflight: string, count: number, doneId: string, newId: string, expiry: number): Promise<Buffer[]>;
};

type ScriptRedis = Redis & {
  csiGroupAddMany(key: string, expiry: number, ...scoresAndChannels: string[]): Promise<number>;
  csiGroupSend(...args: Array<string | Buffer | number>): Promise<number>;
  csiSend(...args: Array<string | Buffer | number>): Promise<number>;
  csiGroupMembers(key: string, cutoff: number, skip: string): Promise<string[]>;
};

/** Everything up to and including the first "!" (BaseChannelLayer.non_local_name). */
export function nonLocalName(channel: string): string {
  const i = channel.indexOf('!');
  return i < 0 ? channel : channel.slice(0, i + 1);
}

function isValidChannelName(name: string): boolean {
  return name.length < 100 && CHANNEL_RE.test(name);
}

// Allow-listed module state: a pool of random bytes (one randomBytes call per 341 messages); what it
// holds has no meaning to any caller, so it is not per-context state.
/* eslint-disable no-restricted-syntax */
let randomPool = Buffer.alloc(0);
let randomPos = 0;
/* eslint-enable no-restricted-syntax */
function randomPrefix(): Buffer {
  if (randomPos + RANDOM_PREFIX_LENGTH > randomPool.length) {
    randomPool = crypto.randomBytes(4096);
    randomPos = 0;
  }
  const out = Buffer.from(randomPool.subarray(randomPos, randomPos + RANDOM_PREFIX_LENGTH));
  randomPos += RANDOM_PREFIX_LENGTH;
  return out;
}

/** 12 random bytes + msgpack (docs/compat-notes.md §1.5). `undefined` values are left out, as JSON would.
 * `prefix`: the group_send's own random bytes, shared by every queue it writes and by its replay. */
export function serialize(message: Record<string, unknown>, prefix: Buffer = randomPrefix()): Buffer {
  const body = encode(message, { ignoreUndefined: true });
  return Buffer.concat([prefix, body]);
}

export function deserialize(member: Uint8Array): Record<string, unknown> {
  const value = decode(member.subarray(RANDOM_PREFIX_LENGTH));
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new TypeError('layer message is not a map');
  return value as Record<string, unknown>;
}

/** One Redis host of the ring: its command connection and the outage state of what lives on it. */
class Shard {
  healthy = false;
  /** Memberships re-added, pending discards applied and the outage buffer replayed since it last came up. */
  synced = false;
  resyncing: Promise<void> | null = null;
  resyncAgain = false;
  resyncTimer: NodeJS.Timeout | null = null;
  everReady = false;
  /** run_id of the server at the last resync: a new one means it restarted (memberships lost). */
  runId: string | null = null;
  /** Discards that could not reach this host ("group\0channel"), replayed on reconnect. */
  readonly pendingDiscards = new Set<string>();
  /** Group sends of groups on this host made while it was down. */
  readonly buffer: Buffered[] = [];

  constructor(
    readonly index: number,
    readonly url: string,
    readonly cmd: ScriptRedis,
  ) {}

  /** host:port/db without credentials, for logs. */
  get label(): string {
    return redisUrlLabel(this.url);
  }
}

/** A Redis URL as `host:port/db` (no password), for logs and errors. */
export function redisUrlLabel(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '6379'}${u.pathname && u.pathname !== '/' ? u.pathname : '/0'}`;
  } catch {
    return '(unparsable URL)';
  }
}

export class RedisChannelLayer extends EventEmitter implements ChannelLayer {
  readonly kind = 'redis';
  readonly clientPrefix: string;
  readonly prefix: string;
  readonly expiry: number;
  readonly groupExpiry: number;
  readonly capacity: number;
  /** This process's queue key, e.g. "asgispecific.<cp>!". */
  readonly queueKey: string;
  /** The hosts, in the configured order (the ring). */
  readonly urls: readonly string[];
  readonly stats: RedisLayerStats = {
    groupSends: 0,
    remoteFanouts: 0,
    localDeliveries: 0,
    received: 0,
    overCapacity: 0,
    buffered: 0,
    replayed: 0,
    droppedBuffered: 0,
    undeliverable: 0,
    reconnects: 0,
    batches: 0,
    maxBatch: 0,
    hostUnreachable: 0,
    duplicatesDropped: 0,
    inflightRedelivered: 0,
  };

  private readonly nonLocal: string;
  private readonly shards: Shard[];
  /** The host of this process's queue: consistent_hash("specific.<cp>!"), where Django senders put our messages. */
  private readonly home: Shard;
  private readonly rx: ReceiveRedis;
  /** This process's queue backup (see RECEIVE_LUA). */
  private readonly inflightKey: string;
  /** RESP2 subscriber connection that receives the tracking notifications for our queue. */
  private readonly wake: Redis;
  /** CLIENT ID of `wake` while it is subscribed; null while it is not. */
  private wakeId: number | null = null;
  /** Tracking is armed on the current receive connection (notifications reach `wake`). */
  private tracking = false;
  /** Tracking unsupported by the server: poll instead. */
  private untracked = false;
  /** Set by every notification; the receive loop clears it before each pop. */
  private woken = false;
  private wakeWaiter: (() => void) | null = null;
  /** Prefixes of the members dispatched recently (insertion order = age), to drop replays. */
  private readonly recentIds = new Set<string>();
  private readonly handlers = new Map<string, ChannelHandler>();
  /** This process's memberships: group → channels, and channel → groups. */
  private readonly groups = new Map<string, Set<string>>();
  /** A local channel's groups: the group's name while it is in one (every consumer socket), a Set past that. */
  private readonly channelGroups = new Map<string, string | Set<string>>();
  private readonly opts: Required<Omit<RedisLayerOptions, 'log' | 'url' | 'prefix' | 'expiry' | 'groupExpiry' | 'capacity' | 'clientPrefix'>>;
  private readonly log: Logger | undefined;
  private healthy = false;
  private refreshTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private loop: Promise<void> | null = null;
  private lastScore = 0;

  constructor(options: RedisLayerOptions) {
    super();
    this.urls = typeof options.url === 'string' ? [options.url] : [...options.url];
    if (this.urls.length === 0) throw new Error('RedisChannelLayer needs at least one Redis URL');
    this.clientPrefix = options.clientPrefix ?? crypto.randomBytes(16).toString('hex');
    this.prefix = options.prefix ?? 'asgi';
    this.expiry = options.expiry ?? 60;
    this.groupExpiry = options.groupExpiry ?? 86400;
    this.capacity = options.capacity ?? 100;
    this.opts = {
      blockTimeout: options.blockTimeout ?? 5,
      dedupeWindow: options.dedupeWindow ?? 50_000,
      batchSize: options.batchSize ?? 100,
      outageBufferSize: options.outageBufferSize ?? 1000,
      refreshMs: options.refreshMs ?? 3600_000,
      localShortcut: options.localShortcut ?? true,
      connectWaitMs: options.connectWaitMs ?? 5000,
      maxBackoffMs: options.maxBackoffMs ?? 2000,
      rejoinGraceMs: options.rejoinGraceMs ?? (options.maxBackoffMs ?? 2000) + 1500,
    };
    this.log = options.log;
    this.nonLocal = `specific.${this.clientPrefix}!`;
    this.queueKey = this.prefix + this.nonLocal;
    this.inflightKey = `${this.queueKey}$inflight`;
    const maxBackoff = this.opts.maxBackoffMs;
    const base: RedisOptions = {
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), maxBackoff) + Math.floor(Math.random() * 100),
      connectTimeout: 3000,
      lazyConnect: true,
    };
    // Commands fail at once while disconnected (no offline queue): callers fall back to local
    // delivery instead of piling up promises.
    // Auto-pipelining: the commands issued in one turn of the event loop (hundreds of group_adds while
    // sockets connect, a group read per message) leave in one socket write instead of one write each.
    this.shards = this.urls.map((url, index) => {
      const cmd = new Redis(url, {
        ...base,
        enableAutoPipelining: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        commandTimeout: 2000,
        connectionName: `csi-chat:${this.clientPrefix}:cmd${this.urls.length > 1 ? index : ''}`,
      }) as ScriptRedis;
      cmd.defineCommand('csiGroupSend', { lua: GROUP_SEND_LUA });
      cmd.defineCommand('csiSend', { numberOfKeys: 1, lua: SEND_LUA });
      cmd.defineCommand('csiGroupMembers', { numberOfKeys: 1, lua: GROUP_MEMBERS_LUA });
      cmd.defineCommand('csiGroupAddMany', { numberOfKeys: 1, lua: GROUP_ADD_MANY_LUA });
      const shard = new Shard(index, url, cmd);
      cmd.on('error', (err) => this.log?.debug({ err: String(err), host: shard.label }, 'redis layer: command connection error'));
      cmd.on('close', () => this.onDown(shard, 'command connection closed'));
      cmd.on('ready', () => this.onCmdReady(shard));
      return shard;
    });
    this.home = this.shards[consistentHash(this.nonLocal, this.shards.length)];
    // The receive connection only ever pops this process's queue on the home host; it waits for reconnects
    // itself, and ioredis re-sends a pop whose reply a reset lost (RECEIVE_LUA makes that safe).
    this.rx = new Redis(this.home.url, {
      ...base,
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      connectionName: `csi-chat:${this.clientPrefix}:rx`,
    }) as ReceiveRedis;
    this.rx.defineCommand('csiReceive', { numberOfKeys: 2, lua: RECEIVE_LUA });
    this.rx.on('error', (err) => this.log?.debug({ err: String(err) }, 'redis layer: receive connection error'));
    this.rx.on('close', () => {
      this.tracking = false;
      this.updateHealth();
    });
    this.rx.on('ready', () => {
      this.updateHealth();
      void this.armTracking();
    });
    // Tracking notifications arrive as pub/sub messages only under RESP2 (ioredis drops RESP3 'invalidate'
    // pushes). A new connection has a new CLIENT ID, so it subscribes by hand and re-arms the tracking.
    this.wake = new Redis(this.home.url, {
      ...base,
      protocol: 2,
      autoResubscribe: false,
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      connectionName: `csi-chat:${this.clientPrefix}:wake`,
    });
    this.wake.on('error', (err) => this.log?.debug({ err: String(err) }, 'redis layer: wake-up connection error'));
    this.wake.on('close', () => {
      this.wakeId = null;
      this.tracking = false;
    });
    this.wake.on('ready', () => void this.subscribeWake());
    this.wake.on('messageBuffer', () => this.wakeUp());
  }

  /** Connects (waits up to connectWaitMs; starts degraded otherwise) and starts the receive loop. */
  async start(): Promise<void> {
    const wait = (r: Redis) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.opts.connectWaitMs);
        r.connect().then(
          () => {
            clearTimeout(t);
            resolve();
          },
          () => undefined,
        );
      });
    await Promise.all([...this.shards.map((s) => wait(s.cmd)), wait(this.rx), wait(this.wake)]);
    this.loop = this.receiveLoop();
    const down = this.shards.filter((s) => s.cmd.status !== 'ready');
    await Promise.all(this.shards.filter((s) => s.cmd.status === 'ready').map((s) => this.resync(s)));
    if (down.length === this.shards.length) {
      this.log?.warn({ hosts: down.map((s) => s.label) }, 'redis layer: Redis not reachable at start-up, running degraded');
    } else if (down.length) {
      this.log?.warn(
        { unreachable: down.map((s) => s.label), serving: this.shards.filter((s) => !down.includes(s)).map((s) => s.label) },
        `redis layer: ${down.length} of ${this.shards.length} Redis hosts not reachable at start-up (${down.map((s) => s.label).join(', ')}); ` +
          'serving the groups on the others, and retrying',
      );
    }
    if (this.opts.refreshMs > 0) {
      this.refreshTimer = setInterval(() => void this.refreshMemberships(), this.opts.refreshMs);
      this.refreshTimer.unref();
    }
  }

  /** Channels made by this layer: a channel's name is its number within the process's random prefix
   * (channels_redis's 32-hex shape; a random suffix per socket cost ~5 µs of a handshake in a storm). */
  private channelsMade = 0;

  newChannel(): string {
    return `${this.nonLocal}${(this.channelsMade++).toString(16).padStart(32, '0')}`;
  }

  register(channel: string, handler: ChannelHandler): void {
    this.handlers.set(channel, handler);
  }

  unregister(channel: string): void {
    this.handlers.delete(channel);
    // A consumer that forgot group_discard must not leave memberships behind (bounded memory).
    const gs = this.channelGroups.get(channel);
    if (gs) for (const g of typeof gs === 'string' ? [gs] : [...gs]) void this.groupDiscard(g, channel);
  }

  /** True when every host takes sends and this process's queue is read. */
  isHealthy(): boolean {
    return this.healthy;
  }

  /** Per host (in the configured order): reachable and synced. */
  hostHealth(): Array<{ host: string; ok: boolean }> {
    return this.shards.map((s) => ({ host: s.label, ok: this.sendOk(s) && (s !== this.home || this.rx.status === 'ready') }));
  }

  /** Index (in the configured list) of the host that holds `group` (channels_redis consistent_hash). */
  hostOfGroup(group: string): number {
    return this.shardOfGroup(group).index;
  }

  /** Index of the host that holds this process's queue. */
  get homeHost(): number {
    return this.home.index;
  }

  /** Outage buffers' length (for tests and /metrics). */
  bufferedCount(): number {
    return this.shards.reduce((n, s) => n + s.buffer.length, 0);
  }

  groupKey(group: string): string {
    return `${this.prefix}:group:${group}`;
  }

  private shardOfGroup(group: string): Shard {
    return this.shards[consistentHash(group, this.shards.length)];
  }

  /** Where a channel's queue lives: the non-local name for process-specific channels (as the receiver polls). */
  private shardOfChannel(channel: string): Shard {
    return this.shards[consistentHash(nonLocalName(channel), this.shards.length)];
  }

  private checkGroup(group: string) {
    if (!isValidGroupName(group)) throw new TypeError(`invalid group name ${JSON.stringify(group)}`);
  }

  private checkChannel(channel: string) {
    if (!isValidChannelName(channel)) throw new TypeError(`invalid channel name ${JSON.stringify(channel)}`);
  }

  private isLocal(channel: string): boolean {
    return channel.startsWith(this.nonLocal);
  }

  /** time.time() of the sender, strictly increasing in this process. */
  private score(): number {
    let now = Date.now() / 1000;
    if (now <= this.lastScore) now = this.lastScore + 1e-6;
    this.lastScore = now;
    return now;
  }

  async groupAdd(group: string, channel: string): Promise<void> {
    this.checkGroup(group);
    this.checkChannel(channel);
    const shard = this.shardOfGroup(group);
    if (this.isLocal(channel)) {
      let members = this.groups.get(group);
      if (!members) this.groups.set(group, (members = new Set()));
      members.add(channel);
      const gs = this.channelGroups.get(channel);
      if (gs === undefined || gs === group) this.channelGroups.set(channel, group);
      else if (typeof gs === 'string') this.channelGroups.set(channel, new Set([gs, group]));
      else gs.add(group);
      shard.pendingDiscards.delete(`${group}\0${channel}`);
    }
    const key = this.groupKey(group);
    try {
      await this.batchedGroupAdd(shard, key, String(this.score()), channel);
    } catch (err) {
      // Re-added on reconnect from the mirror. A remote channel cannot be remembered: report it.
      this.onCommandFailure(shard, err);
      if (!this.isLocal(channel)) throw new LayerUnavailable('group_add', err);
    }
  }

  /** group_adds waiting for the end of this turn, by group key. */
  private pendingAdds = new Map<string, { shard: Shard; adds: PendingAdd[] }>();

  /** ZADD + EXPIRE of one channel, sent with every other group_add of this turn to the same group as one
   * command; each caller gets the outcome of the command that carried its channel. */
  private batchedGroupAdd(shard: Shard, key: string, score: string, channel: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.pendingAdds.size === 0) setImmediate(this.flushAdds);
      let pending = this.pendingAdds.get(key);
      if (!pending) this.pendingAdds.set(key, (pending = { shard, adds: [] }));
      pending.adds.push({ score, channel, resolve, reject });
    });
  }

  private readonly flushAdds = (): void => {
    const all = this.pendingAdds;
    this.pendingAdds = new Map();
    for (const [key, { shard, adds }] of all) {
      for (let i = 0; i < adds.length; i += GROUP_ADD_BATCH) {
        const part = adds.slice(i, i + GROUP_ADD_BATCH);
        const args = part.flatMap((p) => [p.score, p.channel]);
        shard.cmd.csiGroupAddMany(key, this.groupExpiry, ...args).then(
          () => part.forEach((p) => p.resolve()),
          (err: unknown) => part.forEach((p) => p.reject(err)),
        );
      }
    }
  };

  async groupDiscard(group: string, channel: string): Promise<void> {
    this.checkGroup(group);
    this.checkChannel(channel);
    const shard = this.shardOfGroup(group);
    if (this.isLocal(channel)) {
      const members = this.groups.get(group);
      if (members) {
        members.delete(channel);
        if (members.size === 0) this.groups.delete(group);
      }
      const gs = this.channelGroups.get(channel);
      if (gs === group) this.channelGroups.delete(channel);
      else if (gs !== undefined && typeof gs !== 'string') {
        gs.delete(group);
        if (gs.size === 0) this.channelGroups.delete(channel);
      }
    }
    try {
      await shard.cmd.zrem(this.groupKey(group), channel);
    } catch (err) {
      this.onCommandFailure(shard, err);
      if (!this.isLocal(channel)) throw new LayerUnavailable('group_discard', err);
      shard.pendingDiscards.add(`${group}\0${channel}`);
      // Bounded: the oldest ones go (their memberships expire after groupExpiry anyway, and messages
      // for them are dropped on arrival as undeliverable).
      if (shard.pendingDiscards.size > 10000) {
        const first = shard.pendingDiscards.values().next().value;
        if (first !== undefined) shard.pendingDiscards.delete(first);
      }
    }
  }

  async groupSend(group: string, message: LayerMessage): Promise<void> {
    this.checkGroup(group);
    this.checkMessage(message);
    this.stats.groupSends++;
    const shortcut = this.opts.localShortcut;
    const shard = this.shardOfGroup(group);
    const id = randomPrefix();
    if (!this.sendOk(shard)) {
      this.deliverLocalGroup(group, message);
      this.bufferSend(shard, group, message, id);
      return;
    }
    if (shortcut) this.deliverLocalGroup(group, message);
    try {
      await this.remoteGroupSend(shard, group, message, shortcut, id);
    } catch (err) {
      // Unknown outcome (a timeout may have reached Redis): replayed with the same id, which receivers drop
      // if they had it already.
      this.onCommandFailure(shard, err);
      if (!shortcut) this.deliverLocalGroup(group, message);
      this.bufferSend(shard, group, message, id);
    }
  }

  async send(channel: string, message: LayerMessage): Promise<void> {
    this.checkChannel(channel);
    this.checkMessage(message);
    if (this.opts.localShortcut && this.isLocal(channel)) {
      const handler = this.handlers.get(channel);
      if (handler) setImmediate(() => this.call(handler, message));
      return;
    }
    const bang = channel.includes('!');
    const key = this.prefix + (bang ? nonLocalName(channel) : channel);
    const payload = serialize(bang ? { ...message, __asgi_channel__: channel } : { ...message });
    // The receiver's host (docs/compat-notes.md §1.10: channels_redis's own send() hashes the full name, a
    // known bug with several hosts; hashing the non-local name is where the receiving process polls).
    const shard = this.shardOfChannel(channel);
    let stored: number;
    try {
      stored = await shard.cmd.csiSend(key, payload, this.capacity, String(this.score()), this.expiry);
    } catch (err) {
      this.onCommandFailure(shard, err);
      throw new LayerUnavailable('send', err);
    }
    if (!stored) throw new ChannelFull(channel);
  }

  private checkMessage(message: LayerMessage) {
    if (!message || typeof message !== 'object' || Array.isArray(message)) throw new TypeError('message must be a dict');
    if (typeof message.type !== 'string') throw new TypeError('message needs a string "type"');
    if ('__asgi_channel__' in message) throw new TypeError('message must not contain __asgi_channel__');
  }

  private deliverLocalGroup(group: string, message: LayerMessage) {
    const members = this.groups.get(group);
    if (!members || members.size === 0) return;
    const targets = [...members];
    // A later tick, like a transport: the sender's own code finishes first.
    setImmediate(() => {
      for (const ch of targets) {
        const h = this.handlers.get(ch);
        if (h) this.call(h, message);
      }
    });
  }

  private call(handler: ChannelHandler, message: LayerMessage) {
    this.stats.localDeliveries++;
    try {
      handler(message);
    } catch (err) {
      this.log?.warn({ err }, 'redis layer: channel handler threw');
    }
  }

  /**
   * channels_redis group_send, without this process's own queue when the local short cut is on: the
   * members are read on the group's host, each member process's queue is written on ITS host
   * (consistent_hash of the non-local name). A queue host that is down loses that send for the processes
   * on it (they are cut off from every other process until it returns, as with one host); the others get it.
   */
  private async remoteGroupSend(groupShard: Shard, group: string, message: LayerMessage, excludeSelf: boolean, id: Buffer): Promise<void> {
    const key = this.groupKey(group);
    const nowInt = Math.floor(Date.now() / 1000);
    const members = await groupShard.cmd.csiGroupMembers(key, nowInt - this.groupExpiry, excludeSelf ? this.nonLocal : '');
    const buckets = new Map<string, string[]>();
    for (const m of members) {
      const qk = this.prefix + nonLocalName(m);
      if (excludeSelf && qk === this.queueKey) continue;
      let b = buckets.get(qk);
      if (!b) buckets.set(qk, (b = []));
      b.push(m);
    }
    this.stats.remoteFanouts++;
    if (buckets.size === 0) return;
    const byShard = new Map<Shard, string[]>();
    for (const [qk, chans] of buckets) {
      const s = this.shards.length === 1 ? this.shards[0] : this.shardOfChannel(chans[0]);
      let keys = byShard.get(s);
      if (!keys) byShard.set(s, (keys = []));
      keys.push(qk);
    }
    const score = String(this.score());
    await Promise.all(
      [...byShard].map(async ([s, keys]) => {
        const payloads = keys.map((k) => serialize({ ...message, __asgi_channel__: buckets.get(k)! }, id));
        const caps = keys.map(() => this.capacity);
        let over: number;
        try {
          over = await s.cmd.csiGroupSend(keys.length, ...keys, ...payloads, ...caps, score, this.expiry);
        } catch (err) {
          // The group's own host failing is the caller's outage (buffer and replay); another host's is not.
          if (s === groupShard) throw err;
          this.stats.hostUnreachable += keys.length;
          this.onCommandFailure(s, err);
          this.log?.debug({ group, host: s.label, queues: keys.length }, 'redis layer: group_send could not reach the queues on a host that is down');
          return;
        }
        if (over > 0) {
          this.stats.overCapacity += over;
          this.log?.info({ group, over }, 'redis layer: group_send skipped full channel queue(s)');
        }
      }),
    );
  }

  private bufferSend(shard: Shard, group: string, message: LayerMessage, id: Buffer) {
    shard.buffer.push({ group, message, id, at: Date.now() });
    this.stats.buffered++;
    while (shard.buffer.length > this.opts.outageBufferSize) {
      shard.buffer.shift();
      this.stats.droppedBuffered++;
    }
  }

  // ---- receive ------------------------------------------------------------------------------

  private async receiveLoop(): Promise<void> {
    const batch = this.opts.batchSize;
    let idleBackoff = 50;
    // The id of the last batch dispatched: the next pop tells the script it may drop that backup.
    let doneId = '';
    let nextId = 0;
    while (!this.closed) {
      try {
        if (this.rx.status !== 'ready' && this.rx.status !== 'connect') {
          await this.waitFor(this.rx, 'ready', 1000);
          continue;
        }
        this.woken = false;
        const newId = String(++nextId);
        const reply = await this.rx.csiReceiveBuffer(this.queueKey, this.inflightKey, batch, doneId, newId, this.expiry);
        idleBackoff = 50;
        if (reply.length > 0) {
          const id = reply[0].toString();
          if (id !== newId) this.stats.inflightRedelivered++;
          const n = reply.length - 1;
          this.stats.batches++;
          if (n > this.stats.maxBatch) this.stats.maxBatch = n;
          for (let i = 1; i < reply.length; i++) this.dispatch(reply[i]);
          doneId = id;
          continue;
        }
        if (!this.woken) await this.waitForWrite();
      } catch (err) {
        if (this.closed) break;
        this.log?.debug({ err: String(err) }, 'redis layer: receive failed, retrying');
        await sleep(idleBackoff);
        idleBackoff = Math.min(idleBackoff * 2, this.opts.maxBackoffMs);
      }
    }
  }

  /** Until a sender writes to our queue (a tracking notification), or the poll interval passes. */
  private waitForWrite(): Promise<void> {
    const ms = this.tracking
      ? this.opts.blockTimeout * 1000
      : this.untracked
        ? UNTRACKED_POLL_MS
        : Math.min(UNTRACKED_POLL_MS * 4, this.opts.blockTimeout * 1000);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wakeWaiter = null;
        resolve();
      }, ms);
      this.wakeWaiter = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private wakeUp() {
    this.woken = true;
    const w = this.wakeWaiter;
    if (w) {
      this.wakeWaiter = null;
      w();
    }
  }

  private async subscribeWake(): Promise<void> {
    try {
      const id = Number(await this.wake.client('ID'));
      await this.wake.subscribe('__redis__:invalidate');
      this.wakeId = id;
      await this.armTracking();
    } catch (err) {
      this.log?.debug({ err: String(err) }, 'redis layer: wake-up subscription failed (polling until it reconnects)');
    }
  }

  /** Tracking of our queue's name on the receive connection, notifications redirected to `wake`. Called
   * whenever either connection is (re)established; then the queue is popped once (writes in between). */
  private async armTracking(): Promise<void> {
    if (this.closed || this.untracked || this.wakeId === null || this.rx.status !== 'ready') return;
    const redirect = String(this.wakeId);
    try {
      // OFF then ON in one transaction: two calls at once (both connections came back) must not interleave
      // into ON, ON (Redis refuses a prefix registered twice).
      const replies = await this.rx
        .multi()
        .client('TRACKING', 'OFF')
        .client('TRACKING', 'ON', 'REDIRECT', redirect, 'BCAST', 'PREFIX', this.queueKey, 'NOLOOP')
        .exec();
      const failed = replies?.find(([err]) => err)?.[0];
      if (!replies || failed) throw failed ?? new Error('CLIENT TRACKING transaction aborted');
      this.tracking = String(this.wakeId) === redirect;
    } catch (err) {
      if (/unknown (sub)?command/i.test(String(err))) {
        this.untracked = true;
        this.log?.warn({ err: String(err) }, `redis layer: no client-side tracking on this Redis; polling the queue every ${UNTRACKED_POLL_MS} ms`);
      }
    }
    this.wakeUp();
  }

  private waitFor(emitter: EventEmitter, event: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        emitter.off(event, done);
        resolve();
      };
      const t = setTimeout(done, ms);
      emitter.on(event, done);
    });
  }

  private dispatch(member: Buffer) {
    this.stats.received++;
    const id = member.toString('latin1', 0, RANDOM_PREFIX_LENGTH);
    if (this.recentIds.has(id)) {
      this.stats.duplicatesDropped++;
      return;
    }
    this.recentIds.add(id);
    if (this.recentIds.size > this.opts.dedupeWindow) {
      const oldest = this.recentIds.values().next().value;
      if (oldest !== undefined) this.recentIds.delete(oldest);
    }
    let msg: Record<string, unknown>;
    try {
      msg = deserialize(member);
    } catch (err) {
      this.stats.undeliverable++;
      this.log?.warn({ err: String(err) }, 'redis layer: undecodable message dropped');
      return;
    }
    const target = msg.__asgi_channel__;
    delete msg.__asgi_channel__;
    const channels = typeof target === 'string' ? [target] : Array.isArray(target) ? target : [];
    if (typeof msg.type !== 'string') {
      this.stats.undeliverable++;
      return;
    }
    for (const ch of channels) {
      const h = typeof ch === 'string' ? this.handlers.get(ch) : undefined;
      if (h) this.call(h, msg as LayerMessage);
      else this.stats.undeliverable++;
    }
  }

  // ---- health, reconnect, resync -----------------------------------------------------------

  private onDown(shard: Shard, reason: string) {
    if (this.closed) return;
    shard.synced = false;
    if (shard.healthy) {
      const many = this.shards.length > 1;
      this.log?.warn(
        { reason, host: shard.label },
        many
          ? `redis layer: Redis host ${shard.label} unreachable, delivering its groups locally only`
          : 'redis layer: Redis unreachable, delivering locally only',
      );
    }
    this.updateHealth();
  }

  private onCommandFailure(shard: Shard, err: unknown) {
    this.log?.debug({ err: String(err), host: shard.label }, 'redis layer: command failed');
    // A timeout on a live connection: resync (and replay) once it answers again.
    if (shard.cmd.status === 'ready') {
      shard.synced = false;
      this.updateHealth();
      this.scheduleResync(shard, 500);
    }
  }

  private onCmdReady(shard: Shard) {
    if (this.closed) return;
    if (shard.everReady) this.stats.reconnects++;
    shard.everReady = true;
    if (this.loop) void this.resync(shard);
  }

  private scheduleResync(shard: Shard, ms: number) {
    if (shard.resyncTimer || this.closed) return;
    shard.resyncTimer = setTimeout(() => {
      shard.resyncTimer = null;
      if (shard.cmd.status === 'ready') void this.resync(shard);
    }, ms);
    shard.resyncTimer.unref();
  }

  /** Group sends of this host's groups go to Redis (memberships re-added and the outage buffer replayed). */
  private sendOk(shard: Shard): boolean {
    return !this.closed && shard.synced && shard.cmd.status === 'ready';
  }

  private updateHealth() {
    for (const s of this.shards) s.healthy = this.sendOk(s);
    const now = this.shards.every((s) => s.healthy) && this.rx.status === 'ready';
    if (now !== this.healthy) {
      this.healthy = now;
      this.emit('health', now);
    }
  }

  /**
   * Re-adds every membership of this process (on every host when none is given), applies pending
   * discards, replays the outage buffer.
   */
  resync(shard?: Shard): Promise<void> {
    if (!shard) return Promise.all(this.shards.filter((s) => s.cmd.status === 'ready').map((s) => this.resync(s))).then(() => undefined);
    if (shard.resyncing) {
      shard.resyncAgain = true;
      return shard.resyncing;
    }
    shard.resyncing = (async () => {
      try {
        do {
          shard.resyncAgain = false;
          await this.writeMemberships(shard);
          const runId = await this.serverRunId(shard);
          // Redis restarted and lost every membership, or a host unreachable since start-up is reached for
          // the first time with sends waiting for it: the other processes (csi-chat) write their memberships
          // when they reconnect. Sending now would miss them, so keep delivering locally and buffering for a
          // moment, then replay. Our own are back already.
          const restarted = shard.runId !== null && runId !== shard.runId;
          const lateFirstContact = shard.runId === null && shard.buffer.length > 0;
          if ((restarted || lateFirstContact) && this.opts.rejoinGraceMs > 0) {
            this.log?.info(
              { graceMs: this.opts.rejoinGraceMs, host: shard.label },
              'redis layer: Redis restarted, waiting for other processes to rejoin',
            );
            await sleep(this.opts.rejoinGraceMs);
            await this.writeMemberships(shard);
          }
          shard.runId = runId;
          if (shard.pendingDiscards.size) {
            const p = shard.cmd.pipeline();
            const done = [...shard.pendingDiscards];
            for (const d of done) {
              const [g, ch] = d.split('\0');
              p.zrem(this.groupKey(g), ch);
            }
            await execOrThrow(p);
            for (const d of done) shard.pendingDiscards.delete(d);
          }
          while (shard.buffer.length) {
            const item = shard.buffer[0];
            if (Date.now() - item.at > this.expiry * 1000) {
              this.stats.droppedBuffered++;
            } else {
              await this.remoteGroupSend(shard, item.group, item.message, true, item.id);
              this.stats.replayed++;
            }
            shard.buffer.shift();
          }
        } while (shard.resyncAgain && !this.closed);
        shard.synced = true;
        if (shard.everReady && this.shards.length > 1) this.log?.info({ host: shard.label }, 'redis layer: Redis host serving again');
        this.updateHealth();
      } catch (err) {
        this.log?.debug({ err: String(err), host: shard.label }, 'redis layer: resync failed, retrying');
        this.scheduleResync(shard, 500);
      } finally {
        shard.resyncing = null;
      }
    })();
    return shard.resyncing;
  }

  private async serverRunId(shard: Shard): Promise<string> {
    const info = await shard.cmd.info('server');
    return /run_id:(\w+)/.exec(info)?.[1] ?? '';
  }

  /** This process's memberships of the groups that live on `shard`. */
  private async writeMemberships(shard: Shard): Promise<void> {
    let p = shard.cmd.pipeline();
    let n = 0;
    for (const [group, members] of this.groups) {
      if (!members.size || this.shardOfGroup(group) !== shard) continue;
      const key = this.groupKey(group);
      const args: string[] = [];
      for (const ch of members) args.push(String(this.score()), ch);
      p.zadd(key, ...args);
      p.expire(key, this.groupExpiry);
      n += members.size;
      if (n >= 1000) {
        await execOrThrow(p);
        p = shard.cmd.pipeline();
        n = 0;
      }
    }
    if (p.length) await execOrThrow(p);
  }

  private async refreshMemberships() {
    for (const shard of this.shards) {
      if (!shard.healthy) continue;
      try {
        await this.writeMemberships(shard);
      } catch (err) {
        this.onCommandFailure(shard, err);
      }
    }
  }

  /** Graceful close: ZREM every local membership, stop the receive loop, quit. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    for (const s of this.shards) if (s.resyncTimer) clearTimeout(s.resyncTimer);
    if (this.groups.size) {
      await Promise.all(
        this.shards
          .filter((s) => s.cmd.status === 'ready')
          .map((s) => {
            const p = s.cmd.pipeline();
            for (const [group, members] of this.groups) if (members.size && this.shardOfGroup(group) === s) p.zrem(this.groupKey(group), ...members);
            return Promise.race([p.exec().catch(() => undefined), sleep(2000)]);
          }),
      );
    }
    this.closed = true;
    this.healthy = false;
    this.handlers.clear();
    this.groups.clear();
    this.recentIds.clear();
    this.channelGroups.clear();
    for (const s of this.shards) s.buffer.length = 0;
    this.rx.disconnect();
    this.wake.disconnect();
    this.wakeUp();
    await Promise.all(
      this.shards.map(async (s) => {
        await Promise.race([s.cmd.quit().catch(() => undefined), sleep(1000)]);
        s.cmd.disconnect();
      }),
    );
    await Promise.race([this.loop?.catch(() => undefined), sleep(1000)]);
    this.removeAllListeners();
  }
}

async function execOrThrow(p: ReturnType<Redis['pipeline']>): Promise<void> {
  const res = await p.exec();
  if (!res) throw new Error('pipeline aborted');
  for (const [err] of res) if (err) throw err;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

export async function createRedisLayer(config: Config, log: Logger): Promise<ChannelLayer> {
  if (!config.redisUrl || !config.redisUrls.length) throw new Error('REDIS_URL is not set');
  if (config.channelLayer === 'pubsub') {
    throw new Error('CHANNEL_LAYER=pubsub is not implemented; use the default "core" (channels_redis RedisChannelLayer)');
  }
  const layer = new RedisChannelLayer({ url: config.redisUrls, log });
  await layer.start();
  return layer;
}
