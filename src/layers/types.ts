// The channel layer, shaped after Django Channels' (channels.layers.BaseChannelLayer): named channels
// per socket, groups of channels, group_send fan-out. Messages are plain JSON-like dicts with a `type`
// (Channels maps "chat_message" to the consumer's chat_message handler). Implementations: memory.ts
// (one process) and redis.ts (channels_redis-compatible, shared with Django processes).

export interface LayerMessage {
  type: string;
  [key: string]: unknown;
}

/** Called for every message addressed to a channel of this process. The message object may be
 * shared between all local channels of one group_send: handlers must not mutate it. */
export type ChannelHandler = (message: LayerMessage) => void;

export interface ChannelLayer {
  /** "memory", "redis", "redis-pubsub" — for logs and /metrics. */
  readonly kind: string;
  /** A new process-local channel name, e.g. "specific.<client_prefix>!<hex>". */
  newChannel(): string;
  /** Starts delivering messages for a process-local channel to `handler`. */
  register(channel: string, handler: ChannelHandler): void;
  unregister(channel: string): void;
  groupAdd(group: string, channel: string): Promise<void>;
  groupDiscard(group: string, channel: string): Promise<void>;
  /** Delivers to every channel in the group, on every process. Resolves once handed to the transport. */
  groupSend(group: string, message: LayerMessage): Promise<void>;
  send(channel: string, message: LayerMessage): Promise<void>;
  /** True when messages reach other processes right now (always true for memory). */
  isHealthy(): boolean;
  /** Several Redis hosts: each host's state, in the configured order (absent for one host or memory). */
  hostHealth?(): Array<{ host: string; ok: boolean }>;
  close(): Promise<void>;
}

/** Channels' group name rule: ASCII alphanumerics, hyphens, underscores, periods; under 100 chars. */
export function isValidGroupName(name: string): boolean {
  return name.length < 100 && /^[a-zA-Z\d\-_.]+$/.test(name);
}
