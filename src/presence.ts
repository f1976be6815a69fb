import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Presence } from './context.ts';
import { nowTimestamp } from './drf/datetime.ts';
import { USER_TABLE } from './auth/tokens.ts';

export class DbPresence implements Presence {
  constructor(private readonly knex: Knex, private readonly log: Logger) {}

  touchLastSeen(userId: number): void {
    this.knex(USER_TABLE)
      .where({ id: userId })
      .update({ last_seen: nowTimestamp() })
      .catch((err: unknown) => this.log.warn({ err, userId }, 'could not update last_seen'));
  }

  reset(): void {}
}
