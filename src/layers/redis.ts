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
//   - receive: one dedicated connection per process, BZPOPMIN on this process's queue, dispatch to
//     every local channel listed in `__asgi_channel__`.
//
// Choices that differ from a Django process but are invisible on the wire:
//   - Batch draining: a Node process serves thousands of sockets from ONE queue whose capacity is 100
//     for the whole process (Django senders enforce it per queue key). The receive loop therefore pops
//     up to `batchSize` messages per round trip (ZPOPMIN key N, lowest scores first, i.e. in order) and
//     only blocks (BZPOPMIN) when the queue is empty; dispatch to sockets is synchronous (it only
//     queues frames), so the queue is emptied every round trip.
//   - No `$inflight` backup key: pop and dispatch happen in one process; nobody else reads the backup
//     (docs/compat-notes.md §1.17 item 7 says it is optional).
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
  url: string;
  /** Key prefix; "asgi" for interop with Django (a different one isolates tests). */
  prefix?: string;
  expiry?: number;
  groupExpiry?: number;
  capacity?: number;
  /** BZPOPMIN timeout in seconds (channels_redis: brpop_timeout = 5). */
  blockTimeout?: number;
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
}

interface Buffered {
  group: string;
  message: LayerMessage;
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
// EXEC): KEYS[1] group key; ARGV[1] cutoff. Drops expired memberships, returns the members.
const GROUP_MEMBERS_LUA = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, ARGV[1])
return redis.call('ZRANGE', KEYS[1], 0, -1)
`;

// group_add in one command: KEYS[1] group key; ARGV: score, channel, group expiry.
const GROUP_ADD_LUA = `
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
`;

type ScriptRedis = Redis & {
  csiGroupSend(...args: Array<string | Buffer | number>): Promise<number>;
  csiSend(...args: Array<string | Buffer | number>): Promise<number>;
  csiGroupMembers(key: string, cutoff: number): Promise<string[]>;
  csiGroupAdd(key: string, score: string, channel: string, expiry: number): Promise<number>;
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

/** 12 random bytes + msgpack (docs/compat-notes.md §1.5). `undefined` values are left out, as JSON would. */
export function serialize(message: Record<string, unknown>): Buffer {
  const body = encode(message, { ignoreUndefined: true });
  return Buffer.concat([randomPrefix(), body]);
}

export function deserialize(member: Uint8Array): Record<string, unknown> {
  const value = decode(member.subarray(RANDOM_PREFIX_LENGTH));
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new TypeError('layer message is not a map');
  return value as Record<string, unknown>;
}

export class RedisChannelLayer extends EventEmitter implements ChannelLayer {
  readonly kind = 'redis';
  readonly clientPrefix = crypto.randomBytes(16).toString('hex');
  readonly prefix: string;
  readonly expiry: number;
  readonly groupExpiry: number;
  readonly capacity: number;
  /** This process's queue key, e.g. "asgispecific.<cp>!". */
  readonly queueKey: string;
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
  };

  private readonly nonLocal: string;
  private readonly cmd: ScriptRedis;
  private readonly rx: Redis;
  private readonly handlers = new Map<string, ChannelHandler>();
  /** This process's memberships: group → channels, and channel → groups. */
  private readonly groups = new Map<string, Set<string>>();
  private readonly channelGroups = new Map<string, Set<string>>();
  /** Discards that could not reach Redis ("group\0channel"), replayed on reconnect. */
  private readonly pendingDiscards = new Set<string>();
  private readonly buffer: Buffered[] = [];
  private readonly opts: Required<Omit<RedisLayerOptions, 'log' | 'url' | 'prefix' | 'expiry' | 'groupExpiry' | 'capacity'>>;
  private readonly log: Logger | undefined;
  private healthy = false;
  private synced = false;
  private resyncing: Promise<void> | null = null;
  private resyncAgain = false;
  private resyncTimer: NodeJS.Timeout | null = null;
  private refreshTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private loop: Promise<void> | null = null;
  private lastScore = 0;
  private everReady = false;
  /** run_id of the Redis server at the last resync: a new one means it restarted (memberships lost). */
  private runId: string | null = null;

  constructor(options: RedisLayerOptions) {
    super();
    this.prefix = options.prefix ?? 'asgi';
    this.expiry = options.expiry ?? 60;
    this.groupExpiry = options.groupExpiry ?? 86400;
    this.capacity = options.capacity ?? 100;
    this.opts = {
      blockTimeout: options.blockTimeout ?? 5,
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
    this.cmd = new Redis(options.url, {
      ...base,
      enableAutoPipelining: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 2000,
      connectionName: `csi-chat:${this.clientPrefix}:cmd`,
    }) as ScriptRedis;
    this.cmd.defineCommand('csiGroupSend', { lua: GROUP_SEND_LUA });
    this.cmd.defineCommand('csiSend', { numberOfKeys: 1, lua: SEND_LUA });
    this.cmd.defineCommand('csiGroupMembers', { numberOfKeys: 1, lua: GROUP_MEMBERS_LUA });
    this.cmd.defineCommand('csiGroupAdd', { numberOfKeys: 1, lua: GROUP_ADD_LUA });
    // The receive connection only ever runs ZPOPMIN/BZPOPMIN; it waits for reconnects itself.
    this.rx = new Redis(options.url, {
      ...base,
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      connectionName: `csi-chat:${this.clientPrefix}:rx`,
    });
    this.cmd.on('error', (err) => this.log?.debug({ err: String(err) }, 'redis layer: command connection error'));
    this.rx.on('error', (err) => this.log?.debug({ err: String(err) }, 'redis layer: receive connection error'));
    this.cmd.on('close', () => this.onDown('command connection closed'));
    this.rx.on('close', () => this.onDown('receive connection closed'));
    this.cmd.on('ready', () => this.onCmdReady());
    this.rx.on('ready', () => this.updateHealth());
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
    await Promise.all([wait(this.cmd), wait(this.rx)]);
    this.loop = this.receiveLoop();
    if (this.cmd.status === 'ready') await this.resync();
    else this.log?.warn({ status: this.cmd.status }, 'redis layer: Redis not reachable at start-up, running degraded');
    if (this.opts.refreshMs > 0) {
      this.refreshTimer = setInterval(() => void this.refreshMemberships(), this.opts.refreshMs);
      this.refreshTimer.unref();
    }
  }

  newChannel(): string {
    return `${this.nonLocal}${crypto.randomBytes(16).toString('hex')}`;
  }

  register(channel: string, handler: ChannelHandler): void {
    this.handlers.set(channel, handler);
  }

  unregister(channel: string): void {
    this.handlers.delete(channel);
    // A consumer that forgot group_discard must not leave memberships behind (bounded memory).
    const gs = this.channelGroups.get(channel);
    if (gs) for (const g of [...gs]) void this.groupDiscard(g, channel);
  }

  isHealthy(): boolean {
    return this.healthy;
  }

  /** Outage buffer length (for tests and /metrics). */
  bufferedCount(): number {
    return this.buffer.length;
  }

  groupKey(group: string): string {
    return `${this.prefix}:group:${group}`;
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
    if (this.isLocal(channel)) {
      let members = this.groups.get(group);
      if (!members) this.groups.set(group, (members = new Set()));
      members.add(channel);
      let gs = this.channelGroups.get(channel);
      if (!gs) this.channelGroups.set(channel, (gs = new Set()));
      gs.add(group);
      this.pendingDiscards.delete(`${group}\0${channel}`);
    }
    const key = this.groupKey(group);
    try {
      await this.cmd.csiGroupAdd(key, String(this.score()), channel, this.groupExpiry);
    } catch (err) {
      // Re-added on reconnect from the mirror. A remote channel cannot be remembered: report it.
      this.onCommandFailure(err);
      if (!this.isLocal(channel)) throw new LayerUnavailable('group_add', err);
    }
  }

  async groupDiscard(group: string, channel: string): Promise<void> {
    this.checkGroup(group);
    this.checkChannel(channel);
    if (this.isLocal(channel)) {
      const members = this.groups.get(group);
      if (members) {
        members.delete(channel);
        if (members.size === 0) this.groups.delete(group);
      }
      const gs = this.channelGroups.get(channel);
      if (gs) {
        gs.delete(group);
        if (gs.size === 0) this.channelGroups.delete(channel);
      }
    }
    try {
      await this.cmd.zrem(this.groupKey(group), channel);
    } catch (err) {
      this.onCommandFailure(err);
      if (!this.isLocal(channel)) throw new LayerUnavailable('group_discard', err);
      this.pendingDiscards.add(`${group}\0${channel}`);
      // Bounded: the oldest ones go (their memberships expire after groupExpiry anyway, and messages
      // for them are dropped on arrival as undeliverable).
      if (this.pendingDiscards.size > 10000) {
        const first = this.pendingDiscards.values().next().value;
        if (first !== undefined) this.pendingDiscards.delete(first);
      }
    }
  }

  async groupSend(group: string, message: LayerMessage): Promise<void> {
    this.checkGroup(group);
    this.checkMessage(message);
    this.stats.groupSends++;
    const shortcut = this.opts.localShortcut;
    if (!this.sendOk()) {
      this.deliverLocalGroup(group, message);
      this.bufferSend(group, message);
      return;
    }
    if (shortcut) this.deliverLocalGroup(group, message);
    try {
      await this.remoteGroupSend(group, message, shortcut);
    } catch (err) {
      this.onCommandFailure(err);
      if (!shortcut) this.deliverLocalGroup(group, message);
      this.bufferSend(group, message);
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
    let stored: number;
    try {
      stored = await this.cmd.csiSend(key, payload, this.capacity, String(this.score()), this.expiry);
    } catch (err) {
      this.onCommandFailure(err);
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

  /** channels_redis group_send, without this process's own queue when the local short cut is on. */
  private async remoteGroupSend(group: string, message: LayerMessage, excludeSelf: boolean): Promise<void> {
    const key = this.groupKey(group);
    const nowInt = Math.floor(Date.now() / 1000);
    const members = await this.cmd.csiGroupMembers(key, nowInt - this.groupExpiry);
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
    const keys = [...buckets.keys()];
    const payloads = keys.map((k) => serialize({ ...message, __asgi_channel__: buckets.get(k)! }));
    const caps = keys.map(() => this.capacity);
    const over = await this.cmd.csiGroupSend(keys.length, ...keys, ...payloads, ...caps, String(this.score()), this.expiry);
    if (over > 0) {
      this.stats.overCapacity += over;
      this.log?.info({ group, over }, 'redis layer: group_send skipped full channel queue(s)');
    }
  }

  private bufferSend(group: string, message: LayerMessage) {
    this.buffer.push({ group, message, at: Date.now() });
    this.stats.buffered++;
    while (this.buffer.length > this.opts.outageBufferSize) {
      this.buffer.shift();
      this.stats.droppedBuffered++;
    }
  }

  // ---- receive ------------------------------------------------------------------------------

  private async receiveLoop(): Promise<void> {
    const batch = this.opts.batchSize;
    let idleBackoff = 50;
    while (!this.closed) {
      try {
        if (this.rx.status !== 'ready' && this.rx.status !== 'connect') {
          await this.waitFor(this.rx, 'ready', 1000);
          continue;
        }
        const popped = await this.rx.zpopminBuffer(this.queueKey, batch);
        if (popped.length > 0) {
          const n = popped.length / 2;
          this.stats.batches++;
          if (n > this.stats.maxBatch) this.stats.maxBatch = n;
          for (let i = 0; i < popped.length; i += 2) this.dispatch(popped[i] as Buffer);
          idleBackoff = 50;
          continue;
        }
        const one = await this.rx.bzpopminBuffer(this.queueKey, this.opts.blockTimeout);
        if (one) {
          this.stats.batches++;
          this.dispatch(one[1]);
        }
        idleBackoff = 50;
      } catch (err) {
        if (this.closed) break;
        this.log?.debug({ err: String(err) }, 'redis layer: receive failed, retrying');
        await sleep(idleBackoff);
        idleBackoff = Math.min(idleBackoff * 2, this.opts.maxBackoffMs);
      }
    }
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

  private onDown(reason: string) {
    if (this.closed) return;
    this.synced = false;
    if (this.healthy) this.log?.warn({ reason }, 'redis layer: Redis unreachable, delivering locally only');
    this.updateHealth();
  }

  private onCommandFailure(err: unknown) {
    this.log?.debug({ err: String(err) }, 'redis layer: command failed');
    // A timeout on a live connection: resync (and replay) once it answers again.
    if (this.cmd.status === 'ready') {
      this.synced = false;
      this.updateHealth();
      this.scheduleResync(500);
    }
  }

  private onCmdReady() {
    if (this.closed) return;
    if (this.everReady) this.stats.reconnects++;
    this.everReady = true;
    if (this.loop) void this.resync();
  }

  private scheduleResync(ms: number) {
    if (this.resyncTimer || this.closed) return;
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = null;
      if (this.cmd.status === 'ready') void this.resync();
    }, ms);
    this.resyncTimer.unref();
  }

  /** Group sends go to Redis (memberships re-added and the outage buffer replayed). */
  private sendOk(): boolean {
    return !this.closed && this.synced && this.cmd.status === 'ready';
  }

  private updateHealth() {
    const now = this.sendOk() && this.rx.status === 'ready';
    if (now !== this.healthy) {
      this.healthy = now;
      this.emit('health', now);
    }
  }

  /** Re-adds every membership of this process, applies pending discards, replays the buffer. */
  resync(): Promise<void> {
    if (this.resyncing) {
      this.resyncAgain = true;
      return this.resyncing;
    }
    this.resyncing = (async () => {
      try {
        do {
          this.resyncAgain = false;
          await this.writeMemberships();
          const runId = await this.serverRunId();
          if (this.runId !== null && runId !== this.runId && this.opts.rejoinGraceMs > 0) {
            // Redis restarted and lost every membership: the other processes (csi-chat) re-add
            // theirs when they reconnect. Sending now would miss them, so keep delivering locally and
            // buffering for a moment, then replay. Our own are back already.
            this.log?.info({ graceMs: this.opts.rejoinGraceMs }, 'redis layer: Redis restarted, waiting for other processes to rejoin');
            await sleep(this.opts.rejoinGraceMs);
            await this.writeMemberships();
          }
          this.runId = runId;
          if (this.pendingDiscards.size) {
            const p = this.cmd.pipeline();
            const done = [...this.pendingDiscards];
            for (const d of done) {
              const [g, ch] = d.split('\0');
              p.zrem(this.groupKey(g), ch);
            }
            await execOrThrow(p);
            for (const d of done) this.pendingDiscards.delete(d);
          }
          while (this.buffer.length) {
            const item = this.buffer[0];
            if (Date.now() - item.at > this.expiry * 1000) {
              this.stats.droppedBuffered++;
            } else {
              await this.remoteGroupSend(item.group, item.message, true);
              this.stats.replayed++;
            }
            this.buffer.shift();
          }
        } while (this.resyncAgain && !this.closed);
        this.synced = true;
        this.updateHealth();
      } catch (err) {
        this.log?.debug({ err: String(err) }, 'redis layer: resync failed, retrying');
        this.scheduleResync(500);
      } finally {
        this.resyncing = null;
      }
    })();
    return this.resyncing;
  }

  private async serverRunId(): Promise<string> {
    const info = await this.cmd.info('server');
    return /run_id:(\w+)/.exec(info)?.[1] ?? '';
  }

  private async writeMemberships(): Promise<void> {
    let p = this.cmd.pipeline();
    let n = 0;
    for (const [group, members] of this.groups) {
      if (!members.size) continue;
      const key = this.groupKey(group);
      const args: string[] = [];
      for (const ch of members) args.push(String(this.score()), ch);
      p.zadd(key, ...args);
      p.expire(key, this.groupExpiry);
      n += members.size;
      if (n >= 1000) {
        await execOrThrow(p);
        p = this.cmd.pipeline();
        n = 0;
      }
    }
    if (p.length) await execOrThrow(p);
  }

  private async refreshMemberships() {
    if (!this.healthy) return;
    try {
      await this.writeMemberships();
    } catch (err) {
      this.onCommandFailure(err);
    }
  }

  /** Graceful close: ZREM every local membership, stop the receive loop, quit. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    if (this.resyncTimer) clearTimeout(this.resyncTimer);
    if (this.cmd.status === 'ready' && this.groups.size) {
      const p = this.cmd.pipeline();
      for (const [group, members] of this.groups) if (members.size) p.zrem(this.groupKey(group), ...members);
      await Promise.race([p.exec().catch(() => undefined), sleep(2000)]);
    }
    this.closed = true;
    this.healthy = false;
    this.handlers.clear();
    this.groups.clear();
    this.channelGroups.clear();
    this.buffer.length = 0;
    this.rx.disconnect();
    await Promise.race([this.cmd.quit().catch(() => undefined), sleep(1000)]);
    this.cmd.disconnect();
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
  if (!config.redisUrl) throw new Error('REDIS_URL is not set');
  if (config.channelLayer === 'pubsub') {
    throw new Error('CHANNEL_LAYER=pubsub is not implemented; use the default "core" (channels_redis RedisChannelLayer)');
  }
  const layer = new RedisChannelLayer({ url: config.redisUrl, log });
  await layer.start();
  return layer;
}
