import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { ChannelLayer } from './types.ts';

export async function createRedisLayer(_config: Config, _log: Logger): Promise<ChannelLayer> {
  throw new Error('REDIS_URL is set but the Redis channel layer is not built yet (issue #6)');
}
