import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { ChannelLayer } from './types.ts';
import { MemoryChannelLayer } from './memory.ts';

export async function createChannelLayer(config: Config, log: Logger): Promise<ChannelLayer> {
  if (!config.redisUrl) return new MemoryChannelLayer();
  const { createRedisLayer } = await import('./redis.ts');
  return createRedisLayer(config, log);
}
