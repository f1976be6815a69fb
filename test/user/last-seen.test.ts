// last_seen after authenticated requests: one UPDATE in flight per user, later touches folded into one
// trailing UPDATE carrying the latest time.
import { expect } from 'chai';
import pino from 'pino';
import { DbLastSeenWriter } from '../../src/user/lastSeen.ts';
import { resetToSeed, sharedDatabase } from '../helpers/harness.ts';
import { timestampMs } from '../../src/drf/datetime.ts';

describe('last_seen presence [pglite]', () => {
  it('folds a burst of touches into at most two UPDATEs and stores the latest time', async () => {
    const db = await sharedDatabase('pglite');
    await resetToSeed(db);
    const presence = new DbLastSeenWriter(db.knex, pino({ level: 'silent' }));
    let updates = 0;
    const onQuery = (q: { sql: string }) => {
      if (/^update "User_user" set "last_seen"/i.test(q.sql)) updates++;
    };
    db.knex.on('query', onQuery);
    try {
      for (let i = 0; i < 50; i++) presence.touch(3);
      const lastTouch = Date.now();
      presence.touch(4);
      await new Promise((r) => setTimeout(r, 300));
      expect(updates).to.equal(3); // user 3: the first and one trailing; user 4: one
      const rows = await db.knex('User_user').whereIn('id', [3, 4]).orderBy('id').select('last_seen');
      expect(timestampMs(rows[0].last_seen)).to.be.at.least(lastTouch - 5);
      expect(Date.now() - timestampMs(rows[1].last_seen)).to.be.below(5000);
    } finally {
      db.knex.removeListener('query', onQuery);
    }
  });
});
