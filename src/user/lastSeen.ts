// The original's UpdateLastSeenMiddleware: last_seen = now() after every authenticated REST request.
// Per user at most one UPDATE is in flight; requests that finish meanwhile fold into one trailing UPDATE
// with the latest time, so a busy client costs one write per round trip instead of one per request, and
// the stored value still ends at the last request's time.
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { LastSeenWriter } from '../context.ts';
import { nowTimestamp } from '../drf/datetime.ts';
import { USER_TABLE } from '../auth/tokens.ts';

export class DbLastSeenWriter implements LastSeenWriter {
  /** user id → the newer time to write once the in-flight UPDATE is done (null: none waiting). */
  private readonly inFlight = new Map<number, string | null>();

  constructor(
    private readonly knex: Knex,
    private readonly log: Logger,
  ) {}

  touch(userId: number): void {
    const now = nowTimestamp();
    if (this.inFlight.has(userId)) {
      this.inFlight.set(userId, now);
      return;
    }
    this.write(userId, now);
  }

  private write(userId: number, at: string): void {
    this.inFlight.set(userId, null);
    this.knex(USER_TABLE)
      .where({ id: userId })
      .update({ last_seen: at })
      .catch((err: unknown) => this.log.warn({ err, userId }, 'could not update last_seen'))
      .finally(() => {
        const next = this.inFlight.get(userId);
        if (next) this.write(userId, next);
        else this.inFlight.delete(userId);
      });
  }
}
