// Resume after reconnect (beyond the original): /ws/chat/<id>/?token=…&after=<message id> — first every
// message of the room stored after that id, oldest first, as the chat_message frames a live member got
// (is_self per recipient; deleted ones left out, edited ones as they are now), at most 500 / ~1 MiB then
// resume_truncated; then live frames with no gap and no duplicate while others send — on one process,
// deterministically with a catch-up held up on Postgres, and across two processes on one Redis. Bad
// `after` values get an error frame and close 4400, nothing else.
import { expect } from 'chai';
import type { Knex } from 'knex';
import pg from 'pg';
import { backends, startServer, userToken, type TestServer } from '../helpers/harness.ts';
import { describeNeeding, describeServer, postgresMissing, redisMissing, redisUrl } from '../helpers/suites.ts';
import { killAll, spawnServer } from '../helpers/serverProcess.ts';
import { WsClient, type Received } from '../helpers/wsclient.ts';
import { deleteByPrefix, testPrefix } from '../helpers/redis.ts';
import { call } from '../helpers/http.ts';
import { CLOSE_BAD_RESUME, ERR, RESUME_LIMITS } from '../../src/chat/consumer.ts';
import { RedisChannelLayer } from '../../src/layers/redis.ts';
import { MAX_HELD_EVENTS } from '../../src/realtime/groupConsumer.ts';
import { Redis } from 'ioredis';
import { pythonDumps } from '../../src/python/json.ts';

const KABIR = userToken('Kabir'); // 3; rooms 1 2 3
const RIYA = userToken('Riya'); // 2; rooms 1 2 3
const MEERA = userToken('Meera'); // 4; rooms 1 3
const TANYA = userToken('Tanya'); // 6; rooms 1 3

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ChatFrame {
  message: string | null;
  id: number;
  is_self: boolean;
  sender: { id: number; name: string };
  action?: string;
  oldest_id?: number;
}

const json = (f: Received) => f.json as ChatFrame;

/** A chat_message layer event of room 1 as Kabir's socket send publishes it. */
const event = (id: number, text: string) => ({
  type: 'chat_message',
  message: text,
  sender: { name: 'Kabir', photo: null, id: 3, role: 'member' },
  message_type: 'text',
  attachment: null,
  id,
  created_at: '2026-01-01T00:00:00+00:00',
  room: 1,
  parent_message_id: null,
});

async function roomIdsAfter(knex: Knex, after: number, room = 1): Promise<number[]> {
  return (await knex('Chat_message').where({ room_id: room, is_deleted: false }).where('id', '>', after).orderBy('id').pluck('id')).map(Number);
}

/** Many plain messages in room 1 at once (one statement), returning their ids. */
async function bulkInsert(knex: Knex, n: number, text: (i: number) => string, senderId = 3): Promise<number[]> {
  const res = await knex.raw(
    `INSERT INTO "Chat_message" (message_type, content, attachment, reactions, is_deleted, is_edited, status, created_at, updated_at,
       parent_message_id, sender_id, room_id, is_pinned, pinned_at)
     SELECT 'text', t, NULL, NULL, false, false, '{}'::jsonb, now(), now(), NULL, ?, 1, false, NULL
     FROM unnest(?::text[]) WITH ORDINALITY AS x(t, i) ORDER BY i RETURNING id`,
    [senderId, `{${Array.from({ length: n }, (_, i) => JSON.stringify(text(i))).join(',')}}`],
  );
  return (res.rows as Array<{ id: number }>).map((r) => r.id).sort((a, b) => a - b);
}

// Sends flood far past the default frame rate (150 per socket at once) to race them against the catch-up:
// every one must be stored, so neither the rate bound nor the writer's wait bound (WS_SEND_MAX_WAIT_MS,
// test/chat/overload.test.ts) may refuse them.
/** Each resumer of a flood got every stored message once (`stored`: their ids in order), then silence, and
 * each sender's `N` messages (texts `<prefix><k>`) in the order sent. */
async function expectResumedFlood(resumers: WsClient[], stored: number[], N: number, prefixes: string[]): Promise<void> {
  for (const [i, r] of resumers.entries()) {
    const got = (await r.take(stored.length, 30000)).map(json);
    expect(await r.silence(300), `resumer ${i}`).to.deep.equal([]);
    const ids = got.map((f) => f.id);
    expect(new Set(ids).size, `resumer ${i}: no duplicate`).to.equal(ids.length);
    expect(
      [...ids].sort((x, y) => x - y),
      `resumer ${i}: no gap`,
    ).to.deep.equal(stored);
    for (const who of prefixes) {
      const mine = got.filter((f) => f.message!.startsWith(who)).map((f) => f.message);
      expect(mine, `resumer ${i}: ${who} in order`).to.deep.equal(Array.from({ length: N }, (_, k) => `${who}${k}`));
    }
  }
}

const FLOOD_ENV = { WS_RATE_PER_SECOND: '1000', WS_RATE_BURST: '500', WS_SEND_MAX_WAIT_MS: '0' };

describeServer('chat resume (?after=)', { timeout: 120000, env: FLOOD_ENV }, (srv, { backend }) => {
  const open: WsClient[] = [];
  const connect = async (token: string, query = '', room = 1) => {
    const c = await WsClient.connect(`${srv.wsUrl}/ws/chat/${room}/?token=${token}${query}`);
    open.push(c);
    return c;
  };
  const knex = () => srv.ctx.db.knex;
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });

  it('sends every message stored after `after`, oldest first, byte for byte the frame a live member got, then live frames', async () => {
    const meera = await connect(MEERA);
    const kabir = await connect(KABIR);
    kabir.send({ message: 'first live', parent_message_id: 21 });
    kabir.send({ message: 'second live', attachment: 'image/upload/v1/abc.png', message_type: 'image' });
    const live = await meera.take(2, 5000);
    await kabir.take(2, 5000);
    const lastSeen = 22;
    const riya = await connect(RIYA, `&after=${lastSeen}`);
    const caught = await riya.take(2, 5000);
    // Riya was not the sender: the bytes Meera (also not the sender) received live — the attachment given
    // as the REST history gives it (its URL), where a live socket send repeats the value as sent.
    expect(caught[0].text).to.equal(live[0].text);
    expect(caught[1].json).to.deep.equal({ ...(live[1].json as object), attachment: 'http://res.cloudinary.com/dcbla9zbl/image/upload/v1/abc.png' });
    expect(caught[1].text).to.equal(
      live[1].text.replace('"attachment": "image/upload/v1/abc.png"', '"attachment": "http://res.cloudinary.com/dcbla9zbl/image/upload/v1/abc.png"'),
    );
    const kabirAgain = await connect(KABIR, `&after=${lastSeen}`);
    const own = await kabirAgain.take(2, 5000);
    expect(own.map((f) => json(f).is_self)).to.deep.equal([true, true]);
    expect(await riya.silence(200)).to.deep.equal([]);
    kabir.send({ message: 'third, live' });
    expect(json(await riya.next(5000))).to.deep.include({ message: 'third, live', is_self: false });
  });

  it('from the seed: deleted messages left out, edited ones as they are now, is_self per recipient, the socket sender shape', async () => {
    await knex()('Chat_message').where({ id: 20 }).update({ is_deleted: true });
    await knex()('Chat_message').where({ id: 21 }).update({ content: 'Yes, edited', is_edited: true });
    const riya = await connect(RIYA, '&after=17');
    const frames = (await riya.take(4, 5000)).map(json);
    expect(frames.map((f) => f.id)).to.deep.equal([18, 19, 21, 22]);
    expect(frames.map((f) => f.is_self)).to.deep.equal([false, true, false, false]); // 19 is Riya's
    expect(frames[2].message).to.equal('Yes, edited');
    expect(Object.keys(frames[0].sender)).to.deep.equal(['name', 'photo', 'id', 'role']);
    expect(frames[0].sender).to.deep.include({ name: 'Anagh', id: 1, role: 'admin' });
    expect(Object.keys(frames[0])).to.deep.equal([
      'message',
      'sender',
      'message_type',
      'id',
      'is_self',
      'attachment',
      'created_at',
      'room',
      'parent_message',
    ]);
    expect(await riya.silence(200)).to.deep.equal([]);
    // after=0: the whole room (21 of 22: message 9 is deleted, and now 20).
    const all = await connect(RIYA, '&after=0');
    expect((await all.take(20, 5000)).map((f) => json(f).id)).to.deep.equal(await roomIdsAfter(knex(), 0));
    expect(await all.silence(200)).to.deep.equal([]);
    // Nothing after the newest: nothing, and the socket is live.
    const none = await connect(RIYA, '&after=22');
    expect(await none.silence(200)).to.deep.equal([]);
    none.send({ message: 'still live' });
    expect(json(await none.next(5000))).to.deep.include({ message: 'still live', is_self: true });
  });

  it('past 500 messages: the newest 500, then resume_truncated; REST paging from oldest_id closes the gap', async () => {
    const ids = await bulkInsert(knex(), 620, (i) => `bulk ${i}`);
    const riya = await connect(RIYA, '&after=20');
    const frames = (await riya.take(RESUME_LIMITS.maxMessages + 1, 20000)).map(json);
    const sent = frames.slice(0, -1).map((f) => f.id);
    const expected = [21, 22, ...ids].slice(-RESUME_LIMITS.maxMessages);
    expect(sent).to.deep.equal(expected);
    expect(frames[frames.length - 1]).to.deep.equal({ action: 'resume_truncated', oldest_id: expected[0] });
    expect(await riya.silence(200)).to.deep.equal([]);
    // The client pages back until it reaches its `after`.
    const paged: number[] = [];
    let next: string | null = `/api/chat/groups/1/messages/?before=${expected[0]}&limit=100`;
    while (next) {
      const r = await call(srv, 'GET', next.replace(srv.baseUrl, ''), RIYA);
      const older = (r.json.results as Array<{ id: number }>).map((m) => m.id).filter((id) => id > 20);
      paged.push(...older);
      next = older.length === r.json.results.length ? r.json.next : null;
    }
    expect([...paged.reverse(), ...sent]).to.deep.equal([21, 22, ...ids]);
  });

  it('past ~1 MiB of text: the newest that fit, then resume_truncated', async () => {
    const big = 'x'.repeat(100 * 1024);
    const ids = await bulkInsert(knex(), 20, (i) => `${i}${big}`);
    const riya = await connect(RIYA, '&after=22');
    // Newer messages' text under 1 MiB before each one kept: 11 of 100 KiB (the eleventh starts at 1000 KiB).
    const frames = (await riya.take(12, 10000)).map(json);
    expect(frames.slice(0, -1).map((f) => f.id)).to.deep.equal(ids.slice(-11));
    expect(frames[11]).to.deep.equal({ action: 'resume_truncated', oldest_id: ids[ids.length - 11] });
    expect(await riya.silence(200)).to.deep.equal([]);
  });

  it("replies count their parent's text toward the ~1 MiB (each frame carries the parent's preview)", async () => {
    const big = 'y'.repeat(100 * 1024);
    const [parent] = await bulkInsert(knex(), 1, () => big);
    const replies = (
      await knex().raw(
        `INSERT INTO "Chat_message" (message_type, content, attachment, reactions, is_deleted, is_edited, status, created_at, updated_at,
           parent_message_id, sender_id, room_id, is_pinned, pinned_at)
         SELECT 'text', 'reply ' || g, NULL, NULL, false, false, '{}'::jsonb, now(), now(), ?, 3, 1, false, NULL FROM generate_series(1, 30) g
         ORDER BY g RETURNING id`,
        [parent],
      )
    ).rows.map((r: { id: number }) => r.id) as number[];
    const riya = await connect(RIYA, '&after=22');
    // 11 replies: each frame is ~100 KiB with its parent's preview (30 of them, ~3 MiB, went out before).
    const frames = (await riya.take(12, 10000)).map(json);
    expect(frames.slice(0, -1).map((f) => f.id)).to.deep.equal(replies.slice(-11));
    expect(frames[11]).to.deep.equal({ action: 'resume_truncated', oldest_id: replies[replies.length - 11] });
    expect(await riya.silence(300)).to.deep.equal([]);
  });

  it('no gap and no duplicate while two members send during the catch-up', async () => {
    const kabir = await connect(KABIR);
    const tanya = await connect(TANYA);
    const N = 150;
    for (let round = 0; round < 3; round++) {
      const after = Math.max(...(await knex()('Chat_message').where({ room_id: 1 }).pluck('id')).map(Number));
      for (let i = 0; i < N; i++) {
        kabir.send({ message: `k${round}-${i}` });
        tanya.send({ message: `t${round}-${i}` });
      }
      // Resume while the sends are being stored: some before the catch-up, some during, some after.
      const started = Date.now();
      while ((await roomIdsAfter(knex(), after)).length < 20 * (round + 1) && Date.now() - started < 10000) await sleep(5);
      const riya = await connect(RIYA, `&after=${after}`);
      await kabir.take(2 * N, 20000);
      await tanya.take(2 * N, 20000);
      const got = (await riya.take(2 * N, 20000)).map(json);
      expect(await riya.silence(300)).to.deep.equal([]);
      const ids = got.map((f) => f.id);
      expect(new Set(ids).size, 'no duplicate').to.equal(ids.length);
      expect(
        [...ids].sort((a, b) => a - b),
        'no gap',
      ).to.deep.equal(await roomIdsAfter(knex(), after));
      for (const who of ['k', 't']) {
        const mine = got.filter((f) => f.message!.startsWith(who)).map((f) => f.message);
        expect(mine, `${who} in order`).to.deep.equal(Array.from({ length: N }, (_, i) => `${who}${round}-${i}`));
      }
      riya.close();
    }
  });

  it("a message's own broadcast published after the catch-up sent it is dropped (its sender published late)", async () => {
    const [late] = await bulkInsert(knex(), 1, () => 'committed, broadcast late');
    const riya = await connect(RIYA, '&after=22');
    expect(json(await riya.next(5000))).to.deep.include({ id: late, message: 'committed, broadcast late' });
    await srv.ctx.layer.groupSend('chat_1', event(late, 'committed, broadcast late'));
    await srv.ctx.layer.groupSend('chat_1', event(late + 1, 'the next one'));
    expect((await riya.take(1, 5000)).map((f) => json(f).id)).to.deep.equal([late + 1]);
    expect(await riya.silence(200)).to.deep.equal([]);
    // A socket without `after` gets every broadcast, as before.
    const plain = await connect(MEERA);
    await srv.ctx.layer.groupSend('chat_1', event(late, 'again'));
    expect(json(await plain.next(5000)).id).to.equal(late);
  });

  it('answers a bad `after` with an error frame and close 4400, nothing else', async () => {
    const kabir = await connect(KABIR);
    const cases: Array<[string, string]> = [
      ['-1', ERR.afterInvalid],
      ['abc', ERR.afterInvalid],
      ['', ERR.afterInvalid],
      ['1.5', ERR.afterInvalid],
      ['%201', ERR.afterInvalid],
      ['0x10', ERR.afterInvalid],
      ['25', ERR.afterUnknown], // room 2's message
      ['31', ERR.afterUnknown], // room 4's
      ['99999', ERR.afterUnknown], // beyond the newest id
      ['2147483648', ERR.afterUnknown],
      ['9'.repeat(5000), ERR.afterUnknown],
    ];
    for (const [after, error] of cases) {
      const riya = await connect(RIYA, `&after=${after}`);
      kabir.send({ message: `while refusing ${after.slice(0, 10)}` });
      const frames = await riya.take(1, 5000);
      expect(frames[0].text, after).to.equal(pythonDumps({ error }));
      expect((await riya.waitClosed(5000)).code, after).to.equal(CLOSE_BAD_RESUME);
      expect(riya.frames, after).to.deep.equal([]);
      await kabir.next(5000);
    }
    // The last `after` counts, as Django's QueryDict.get.
    const expected = await roomIdsAfter(knex(), 21); // 22 and the messages sent above
    const twice = await connect(RIYA, '&after=abc&after=21');
    expect((await twice.take(expected.length, 5000)).map((f) => json(f).id)).to.deep.equal(expected);
    expect(await twice.silence(200)).to.deep.equal([]);
    expect(twice.closed).to.equal(null);
  });

  if (backend === 'pg') {
    /**
     * Holds Chat_message (ACCESS EXCLUSIVE; the handshake does not read it, the catch-up does) in a
     * transaction of its own, opens `query`'s socket, waits until its catch-up waits on the lock, runs
     * `meanwhile` (with the holding connection), commits, and hands back the socket.
     */
    async function withCatchUpHeld(
      query: string,
      meanwhile: (holder: pg.Client) => Promise<void>,
      before?: (holder: pg.Client) => Promise<void>,
    ): Promise<WsClient> {
      const holder = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('LOCK TABLE "Chat_message" IN ACCESS EXCLUSIVE MODE');
        await before?.(holder);
        const opening = WsClient.connect(`${srv.wsUrl}/ws/chat/1/?token=${RIYA}${query}`);
        opening.catch(() => undefined);
        const t0 = Date.now();
        const waiting = async () =>
          Number(
            (
              await knex().raw(
                `SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%SELECT id, room_id, is_deleted FROM%'`,
              )
            ).rows[0].n,
          ) > 0;
        while (!(await waiting())) {
          if (Date.now() - t0 > 10000) throw new Error('the catch-up never waited on the lock');
          await sleep(20);
        }
        await meanwhile(holder);
        await holder.query('COMMIT');
        const socket = await opening;
        open.push(socket);
        return socket;
      } finally {
        await holder.query('ROLLBACK').catch(() => undefined);
        await holder.end();
      }
    }

    it('a catch-up held up by the database: events published meanwhile for messages it then reads come once, the others after it', async () => {
      let m1 = 0;
      const riya = await withCatchUpHeld(
        '&after=22',
        async () => {
          // Joined and reading: M1's own broadcast (as its sender publishes it) and another message's arrive now.
          await srv.ctx.layer.groupSend('chat_1', event(m1, 'M1'));
          await srv.ctx.layer.groupSend('chat_1', event(m1 + 1000, 'held, not in the catch-up'));
        },
        async (holder) => {
          // M1 is stored under the lock, committed with it: the catch-up reads it.
          m1 = (
            await holder.query(`INSERT INTO "Chat_message" (message_type, content, attachment, reactions, is_deleted, is_edited, status, created_at, updated_at, sender_id, room_id, is_pinned)
            VALUES ('text', 'M1', NULL, NULL, false, false, '{}', now(), now(), 3, 1, false) RETURNING id`)
          ).rows[0].id as number;
        },
      );
      const frames = (await riya.take(2, 5000)).map(json);
      expect(frames.map((f) => [f.id, f.message])).to.deep.equal([
        [m1, 'M1'],
        [m1 + 1000, 'held, not in the catch-up'],
      ]);
      expect(await riya.silence(300)).to.deep.equal([]);
    });

    it('a member removed while the catch-up waits gets nothing of the room: close 4003', async () => {
      const riya = await withCatchUpHeld('&after=0', async (holder) => {
        await holder.query('DELETE FROM "Chat_room_members" WHERE room_id = 1 AND user_id = 2');
      });
      expect((await riya.waitClosed(5000)).code).to.equal(4003);
      expect(riya.frames).to.deep.equal([]);
    });

    it(`more than ${MAX_HELD_EVENTS} live events held during a catch-up: the socket is closed with 1013 instead of going live`, async () => {
      const riya = await withCatchUpHeld('&after=22', async () => {
        const typing = { type: 'chat_typing', sender: { name: 'Kabir', photo: null, id: 3, role: 'member' }, is_typing: true };
        for (let i = 0; i <= MAX_HELD_EVENTS; i++) await srv.ctx.layer.groupSend('chat_1', typing);
      });
      expect((await riya.waitClosed(5000)).code).to.equal(1013);
      expect(riya.frames).to.deep.equal([]);
    });
  }
});

for (const backend of backends()) {
  describeNeeding(`chat resume across two processes on one Redis [${backend}]`, [redisMissing], function () {
    this.timeout(180000);
    let a: TestServer;
    let b: TestServer;
    let prefix: string;
    const open: WsClient[] = [];
    const connect = async (srv: TestServer, token: string, query = '') => {
      const c = await WsClient.connect(`${srv.wsUrl}/ws/chat/1/?token=${token}${query}`);
      open.push(c);
      return c;
    };

    before(async () => {
      prefix = testPrefix();
      const url = redisUrl();
      const la = new RedisChannelLayer({ url, prefix, blockTimeout: 1 });
      const lb = new RedisChannelLayer({ url, prefix, blockTimeout: 1 });
      await la.start();
      await lb.start();
      const env = FLOOD_ENV;
      a = await startServer(backend, { build: { layer: la }, env });
      b = await startServer(backend, { build: { layer: lb }, env, seed: false });
    });
    after(async () => {
      await a?.close();
      await b?.close();
      const raw = new Redis(redisUrl());
      await deleteByPrefix(raw, prefix);
      raw.disconnect();
    });
    beforeEach(() => a.reset());
    afterEach(() => {
      for (const c of open.splice(0)) c.close();
    });

    it('resumers on both processes get every message once while senders on both processes send', async () => {
      const kabirA = await connect(a, KABIR);
      const meeraB = await connect(b, MEERA);
      const N = 150;
      const after = 22;
      for (let i = 0; i < N; i++) {
        kabirA.send({ message: `a${i}` });
        meeraB.send({ message: `b${i}` });
      }
      // Resumers join at different moments of the flood, on either process.
      const resumers: WsClient[] = [];
      for (let i = 0; i < 6; i++) {
        const t0 = Date.now();
        while ((await roomIdsAfter(a.ctx.db.knex, after)).length < (i + 1) * 40 && Date.now() - t0 < 10000) await sleep(5);
        resumers.push(await connect(i % 2 ? b : a, i % 2 ? RIYA : TANYA, `&after=${after}`));
      }
      await kabirA.take(2 * N, 30000);
      await meeraB.take(2 * N, 30000);
      const stored = await roomIdsAfter(a.ctx.db.knex, after);
      expect(stored).to.have.length(2 * N);
      await expectResumedFlood(resumers, stored, N, ['a', 'b']);
    });
  });
}

// The wording taken literally: the senders on another operating-system process (csi-chat as a platform
// runs it, `node src/main.ts`), sharing Postgres and the Redis channel layer with this one, where the resumers are.
describeNeeding('chat resume with senders on another OS process (Postgres + Redis)', [postgresMissing, redisMissing], function () {
  this.timeout(180000);
  let here: TestServer;
  let there: number;
  const open: WsClient[] = [];
  const connect = async (wsUrl: string, token: string, query = '') => {
    const c = await WsClient.connect(`${wsUrl}/ws/chat/1/?token=${token}${query}`);
    open.push(c);
    return c;
  };

  before(async () => {
    here = await startServer('pg', { env: { ...FLOOD_ENV, REDIS_URL: redisUrl() } });
    const child = spawnServer({ DATABASE_URL: process.env.DATABASE_URL!, REDIS_URL: redisUrl(), ...FLOOD_ENV });
    there = await child.listening();
  });
  after(async () => {
    for (const c of open.splice(0)) c.close();
    await killAll();
    await here?.close();
  });

  it('resumers here get every message once, in order, while two members send on the other process', async () => {
    const otherUrl = `ws://127.0.0.1:${there}`;
    const kabir = await connect(otherUrl, KABIR);
    const meera = await connect(otherUrl, MEERA);
    const N = 150;
    const after = 22;
    for (let i = 0; i < N; i++) {
      kabir.send({ message: `k${i}` });
      meera.send({ message: `m${i}` });
    }
    const resumers: WsClient[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = Date.now();
      while ((await roomIdsAfter(here.ctx.db.knex, after)).length < (i + 1) * 50 && Date.now() - t0 < 10000) await sleep(5);
      resumers.push(await connect(here.wsUrl, i % 2 ? RIYA : TANYA, `&after=${after}`));
    }
    await kabir.take(2 * N, 30000);
    await meera.take(2 * N, 30000);
    const stored = await roomIdsAfter(here.ctx.db.knex, after);
    expect(stored).to.have.length(2 * N);
    await expectResumedFlood(resumers, stored, N, ['k', 'm']);
  });
});
