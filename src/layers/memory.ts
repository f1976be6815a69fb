// In-process channel layer (Channels' InMemoryChannelLayer equivalent) for the embedded default and
// single-process deployments.
import crypto from 'node:crypto';
import type { ChannelHandler, ChannelLayer, LayerMessage } from './types.ts';

export class MemoryChannelLayer implements ChannelLayer {
  readonly kind = 'memory';
  private readonly clientPrefix = crypto.randomBytes(16).toString('hex');
  private readonly handlers = new Map<string, ChannelHandler>();
  private readonly groups = new Map<string, Set<string>>();

  /** Channels made: a channel's name is its number within the random prefix (as the Redis layer). */
  private channelsMade = 0;

  newChannel(): string {
    return `specific.${this.clientPrefix}!${(this.channelsMade++).toString(16).padStart(32, '0')}`;
  }

  register(channel: string, handler: ChannelHandler): void {
    this.handlers.set(channel, handler);
  }

  unregister(channel: string): void {
    this.handlers.delete(channel);
  }

  async groupAdd(group: string, channel: string): Promise<void> {
    let members = this.groups.get(group);
    if (!members) this.groups.set(group, (members = new Set()));
    members.add(channel);
  }

  async groupDiscard(group: string, channel: string): Promise<void> {
    const members = this.groups.get(group);
    if (!members) return;
    members.delete(channel);
    if (members.size === 0) this.groups.delete(group);
  }

  async groupSend(group: string, message: LayerMessage): Promise<void> {
    const members = this.groups.get(group);
    if (!members) return;
    // Deliver on a later tick, like a real transport: the sender's own code finishes first.
    const targets = [...members];
    setImmediate(() => {
      for (const channel of targets) this.deliver(channel, message);
    });
  }

  async send(channel: string, message: LayerMessage): Promise<void> {
    setImmediate(() => this.deliver(channel, message));
  }

  private deliver(channel: string, message: LayerMessage): void {
    const handler = this.handlers.get(channel);
    if (!handler) return;
    try {
      handler(message);
    } catch {
      // A failing consumer must not stop delivery to the others; the consumer logs its own errors.
    }
  }

  isHealthy(): boolean {
    return true;
  }

  async close(): Promise<void> {
    this.handlers.clear();
    this.groups.clear();
  }
}
