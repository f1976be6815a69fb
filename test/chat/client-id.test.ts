// Idempotent sends with acknowledgements (beyond the original): send_message with a `client_id` — an ack
// to the sending socket once stored; a retry (same user, same client_id, any socket, any process) stores
// nothing, acks the same id and broadcasts nothing; independent per user; errors carry the client_id;
// concurrent retries store one row; a claim whose owner died before or after its commit; bad client_ids;
// the in-memory store's bounds. Without a client_id nothing changes.
import crypto from 'node:crypto';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { Redis } from 'ioredis';
import { backends, startServer, userToken, type TestServer } from '../helpers/harness.ts';
import { describeNeeding, describeServer, redisMissing, redisUrl } from '../helpers/suites.ts';
import { WsClient } from '../helpers/wsclient.ts';
import { deleteByPrefix, freePort, testPrefix } from '../helpers/redis.ts';
import { ERR } from '../../src/chat/consumer.ts';
import { MemoryClientIdStore, RedisClientIdStore } from '../../src/chat/clientIds.ts';
import { insertClaimedMessage, reserveMessageId, storedMessage } from '../../src/chat/socketQueries.ts';
import { RedisChannelLayer } from '../../src/layers/redis.ts';
import { nowTimestamp } from '../../src/drf/datetime.ts';
import { pythonDumps } from '../../src/python/json.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const KABIR = userToken('Kabir'); // 3; rooms 1 2 3
const RIYA = userToken('Riya'); // 2; rooms 1 2 3
const MEERA = userToken('Meera'); // 4; rooms 1 3

/** A client_id no earlier test (or earlier run, in a shared Redis) used. */
const fresh = (tag: string) => `${tag}-${crypto.randomBytes(6).toString('hex')}`;

async function messagesAfterSeed(knex: Knex): Promise<Array<{ id: number; content: string; sender_id: number; room_id: number }>> {
  return knex('Chat_message').where('id', '>', 31).orderBy('id').select('id', 'content', 'sender_id', 'room_id');
}

const ACK = /^\{"action": "message_ack", "client_id": "[^"]+", "id": \d+, "created_at": "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00"\}$/;

interface Ack {
  action: 'message_ack';
  client_id: string;
  id: number;
  created_at: string;
}

describeServer('send_message with client_id', { env: { WS_RATE_PER_SECOND: '1000', WS_RATE_BURST: '200' } }, (srv) => {
  const open: WsClient[] = [];
  const room = async (token: string, id = 1) => {
    const c = await WsClient.connect(`${srv.wsUrl}/ws/chat/${id}/?token=${token}`);
    open.push(c);
    return c;
  };
  const knex = () => srv.ctx.db.knex;
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });

  /** The sender's two frames (its echo and the ack, in either order). */
  async function echoAndAck(c: WsClient): Promise<{ echo: Record<string, any>; ack: Ack; ackText: string }> {
    const two = await c.take(2, 5000);
    const ackFrame = two.find((f) => (f.json as { action?: string }).action === 'message_ack')!;
    const echo = two.find((f) => f !== ackFrame)!;
    expect(ackFrame, two.map((f) => f.text).join(' | ')).to.not.equal(undefined);
    return { echo: echo.json as Record<string, any>, ack: ackFrame.json as Ack, ackText: ackFrame.text };
  }

  it('acks the sender only, once stored, with the id and created_at of the broadcast', async () => {
    const kabir = await room(KABIR);
    const riya = await room(RIYA);
    const cid = fresh('first');
    kabir.send({ message: 'hello', client_id: cid });
    const { echo, ack, ackText } = await echoAndAck(kabir);
    expect(ackText).to.match(ACK);
    expect(ack).to.deep.equal({ action: 'message_ack', client_id: cid, id: echo.id, created_at: echo.created_at });
    expect(echo).to.deep.include({ message: 'hello', is_self: true });
    const other = await riya.next(5000);
    expect(other.json).to.deep.include({ id: ack.id, message: 'hello', is_self: false });
    expect(other.text).to.not.contain('client_id');
    expect(await riya.silence(200)).to.deep.equal([]);
    expect(await messagesAfterSeed(knex())).to.deep.equal([{ id: ack.id, content: 'hello', sender_id: 3, room_id: 1 }]);
  });

  it('a retry (same or another socket, other content) stores nothing, acks the same id and broadcasts nothing', async () => {
    const kabir = await room(KABIR);
    const riya = await room(RIYA);
    const cid = fresh('retry');
    kabir.send({ message: 'once', client_id: cid });
    const { ack } = await echoAndAck(kabir);
    await riya.next(5000);
    kabir.send({ message: 'once', client_id: cid });
    expect(await kabir.nextJson(5000)).to.deep.equal(ack);
    const again = await room(KABIR);
    again.send({ message: 'once, edited before the retry', client_id: cid, mentions: [4] });
    expect(await again.nextJson(5000)).to.deep.equal(ack);
    expect(await riya.silence(300)).to.deep.equal([]);
    expect(await kabir.silence(0)).to.deep.equal([]);
    expect(await messagesAfterSeed(knex())).to.deep.equal([{ id: ack.id, content: 'once', sender_id: 3, room_id: 1 }]);
    expect(await knex()('Chat_message_mentions').where({ message_id: ack.id })).to.deep.equal([]);
  });

  it("client_ids are per user: another user's same client_id is a message of its own", async () => {
    const kabir = await room(KABIR);
    const riya = await room(RIYA);
    const cid = fresh('shared');
    kabir.send({ message: 'from kabir', client_id: cid });
    const k = await echoAndAck(kabir);
    await riya.next(5000);
    riya.send({ message: 'from riya', client_id: cid });
    const r = await echoAndAck(riya);
    expect(r.ack.id).to.not.equal(k.ack.id);
    expect(r.ack.client_id).to.equal(cid);
    expect((await messagesAfterSeed(knex())).map((m) => m.content)).to.deep.equal(['from kabir', 'from riya']);
  });

  it('the same client_id in another room is an error carrying it; nothing stored', async () => {
    const kabir1 = await room(KABIR, 1);
    const kabir2 = await room(KABIR, 2);
    const cid = fresh('rooms');
    kabir1.send({ message: 'in room 1', client_id: cid });
    await echoAndAck(kabir1);
    kabir2.send({ message: 'in room 2', client_id: cid });
    expect((await kabir2.next(5000)).text).to.equal(pythonDumps({ error: ERR.clientIdOtherRoom, client_id: cid }));
    expect((await messagesAfterSeed(knex())).map((m) => m.content)).to.deep.equal(['in room 1']);
  });

  it('bad client_ids are answered with an error that echoes them, and nothing is stored', async () => {
    const kabir = await room(KABIR);
    const bad: unknown[] = ['', 'x'.repeat(65), '😀'.repeat(65), 5, 1.5, true, false, ['a'], { id: 'a' }, 'a\ud800b'];
    for (const cid of bad) {
      kabir.send({ message: 'm', client_id: cid });
      expect(await kabir.nextJson(5000), JSON.stringify(cid)).to.deep.equal({ error: ERR.clientIdType, client_id: cid });
    }
    expect(await messagesAfterSeed(knex())).to.deep.equal([]);
    // The bounds themselves are fine: 64 characters (code points), and null is no client_id at all.
    for (const cid of ['x'.repeat(64), '😀'.repeat(64), fresh('a')]) {
      kabir.send({ message: 'ok', client_id: cid });
      await echoAndAck(kabir);
    }
    await knex()('Chat_message').where('id', '>', 31).delete();
    kabir.send({ message: 'no id', client_id: null });
    expect((await kabir.next(5000)).json).to.deep.include({ message: 'no id', is_self: true });
    expect(await kabir.silence(200)).to.deep.equal([]);
  });

  it('every error of a send with a client_id carries it; a send refused for its content can be corrected and retried', async () => {
    const kabir = await room(KABIR);
    const cid = fresh('errors');
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ client_id: cid }, ERR.missingMessage],
      [{ message: 5, client_id: cid }, ERR.messageType],
      [{ message: 'x', mentions: 'all', client_id: cid }, ERR.mentionsType],
      [{ message: 'x', parent_message_id: 25, client_id: cid }, ERR.parentMissing], // room 2's message
      [{ action: 'send_message', message: 'x', message_type: 'y'.repeat(21), client_id: cid }, ERR.messageTypeType],
    ];
    for (const [frame, error] of cases) {
      kabir.send(frame);
      expect(await kabir.nextJson(5000), JSON.stringify(frame)).to.deep.equal({ error, client_id: cid });
    }
    expect(await messagesAfterSeed(knex())).to.deep.equal([]);
    kabir.send({ message: 'fixed', parent_message_id: 22, client_id: cid });
    const { ack, echo } = await echoAndAck(kabir);
    expect(echo.parent_message.id).to.equal(22);
    expect(await messagesAfterSeed(knex())).to.deep.equal([{ id: ack.id, content: 'fixed', sender_id: 3, room_id: 1 }]);
    // Other actions ignore a client_id, as before.
    kabir.send({ action: 'edit_message', message_id: 1, new_content: 'x', client_id: cid });
    expect(await kabir.nextJson(5000)).to.deep.equal({ error: ERR.editFailed });
  });

  it('concurrent retries on two sockets of the user store one row and ack it on both; one broadcast', async () => {
    const a = await room(KABIR);
    const b = await room(KABIR);
    const riya = await room(RIYA);
    for (let i = 0; i < 10; i++) {
      const cid = fresh(`race${i}`);
      a.send({ message: `race ${i}`, client_id: cid, mentions: [4] });
      b.send({ message: `race ${i}`, client_id: cid, mentions: [4] });
    }
    await riya.take(10, 10000);
    expect(await riya.silence(300)).to.deep.equal([]);
    const stored = await messagesAfterSeed(knex());
    expect(stored.map((m) => m.content)).to.deep.equal([...Array(10).keys()].map((i) => `race ${i}`));
    const mentions = await knex()('Chat_message_mentions')
      .whereIn(
        'message_id',
        stored.map((m) => m.id),
      )
      .count<{ n: string }[]>({ n: '*' });
    expect(Number(mentions[0].n)).to.equal(10);
    const acks = (sock: WsClient) =>
      sock
        .takeAll()
        .filter((f) => (f.json as { action?: string }).action === 'message_ack')
        .map((f) => (f.json as Ack).id);
    await sleep(200);
    expect(acks(a)).to.deep.equal(stored.map((m) => m.id));
    expect(acks(b)).to.deep.equal(stored.map((m) => m.id));
  });

  it('a claim whose owner died: before its insert, a retry stores it under the reserved id; after its commit, a retry acks it and broadcasts it once', async () => {
    const kabir = await room(KABIR);
    const riya = await room(RIYA);
    // Owner 1 claimed (reserved an id) and died before inserting.
    const before = fresh('died-before');
    const claimed = await srv.ctx.chatClientIds.claim(3, before, 1, () => reserveMessageId(knex()));
    kabir.send({ message: 'resent', client_id: before });
    const { ack } = await echoAndAck(kabir);
    expect(ack.id).to.equal(claimed.id);
    expect((await riya.nextJson(5000)).id).to.equal(claimed.id);
    // Owner 2 claimed, committed and died before acking or broadcasting.
    const after = fresh('died-after');
    const c2 = await srv.ctx.chatClientIds.claim(3, after, 1, () => reserveMessageId(knex()));
    const row = await insertClaimedMessage(knex(), {
      id: c2.id,
      roomId: 1,
      senderId: 3,
      messageType: 'text',
      content: 'committed',
      attachment: null,
      parentId: null,
      mentionIds: [],
      createdAt: nowTimestamp(),
    });
    expect(row.inserted).to.equal(true);
    // The retry acks it and, since nobody broadcast it, broadcasts the stored message once (a retry's own
    // frame text does not replace what was stored).
    kabir.send({ message: 'committed (as resent)', client_id: after });
    expect(await kabir.nextJson(5000)).to.deep.include({ action: 'message_ack', client_id: after, id: c2.id });
    expect(await kabir.nextJson(5000)).to.deep.include({ id: c2.id, message: 'committed', is_self: true });
    expect(await riya.nextJson(5000)).to.deep.include({ id: c2.id, message: 'committed', is_self: false });
    kabir.send({ message: 'committed', client_id: after });
    expect(await kabir.nextJson(5000)).to.deep.include({ action: 'message_ack', client_id: after, id: c2.id });
    expect(await riya.silence(300)).to.deep.equal([]);
    expect(await kabir.silence(100)).to.deep.equal([]);
    expect((await messagesAfterSeed(knex())).map((m) => [m.id, m.content])).to.deep.equal([
      [claimed.id, 'resent'],
      [c2.id, 'committed'],
    ]);
  });

  it('concurrent inserts of one reserved id: one row; the other statement stores nothing and a fresh read finds it', async () => {
    for (let round = 0; round < 5; round++) {
      const id = await reserveMessageId(knex());
      const m = {
        id,
        roomId: 1,
        senderId: 3,
        messageType: 'text',
        content: `r${round}`,
        attachment: null,
        parentId: null,
        mentionIds: [4],
        createdAt: nowTimestamp(),
      };
      const outcomes = await Promise.all([insertClaimedMessage(knex(), m), insertClaimedMessage(knex(), m), insertClaimedMessage(knex(), m)]);
      expect(outcomes.filter((o) => o.inserted)).to.have.length(1);
      for (const o of outcomes.filter((x) => !x.inserted)) {
        // Seen by the statement (it began after the commit), or not (it waited on the insert): read again.
        if (o.prior_id !== null) expect([o.prior_id, o.prior_ours]).to.deep.equal([id, true]);
        else expect(await storedMessage(knex(), { id, senderId: 3, roomId: 1 })).to.deep.include({ id, ours: true });
      }
      expect(
        await knex()('Chat_message')
          .where({ id })
          .count<{ n: string }[]>({ n: '*' })
          .then((r) => Number(r[0].n)),
      ).to.equal(1);
      expect(
        await knex()('Chat_message_mentions')
          .where({ message_id: id })
          .count<{ n: string }[]>({ n: '*' })
          .then((r) => Number(r[0].n)),
      ).to.equal(1);
    }
  });

  it("a claim naming a message that is not this user's (a restored database) is refused clearly", async () => {
    const kabir = await room(KABIR);
    const cid = fresh('stale');
    await srv.ctx.chatClientIds.claim(3, cid, 1, async () => 5); // message 5 is Tanya's
    kabir.send({ message: 'x', client_id: cid });
    expect(await kabir.nextJson(5000)).to.deep.equal({ error: ERR.clientIdStale, client_id: cid });
    expect(await messagesAfterSeed(knex())).to.deep.equal([]);
  });

  it('a claim whose id the sequence has not issued (restored database, sequence set back) is refused, and later sends do not collide', async () => {
    const kabir = await room(KABIR);
    const cid = fresh('ahead');
    const last = Number((await knex().raw('SELECT last_value FROM "Chat_message_id_seq"')).rows[0].last_value);
    // The claim was made before the restore: its id is beyond where the restored sequence stands.
    await srv.ctx.chatClientIds.claim(3, cid, 1, async () => last + 1);
    kabir.send({ message: 'after restore', client_id: cid });
    expect(await kabir.nextJson(5000)).to.deep.equal({ error: ERR.clientIdStale, client_id: cid });
    expect(await messagesAfterSeed(knex())).to.deep.equal([]);
    // The sequence hands that id out next: a plain send takes it.
    kabir.send({ message: 'plain' });
    expect((await kabir.nextJson(5000)) as Record<string, unknown>).to.deep.include({ message: 'plain', id: last + 1 });
  });

  it('without a client_id: no ack, the original frames', async () => {
    const kabir = await room(KABIR);
    kabir.send({ message: 'plain' });
    expect((await kabir.next(5000)).json).to.deep.include({ message: 'plain', is_self: true });
    expect(await kabir.silence(200)).to.deep.equal([]);
    kabir.send({ message: '' });
    expect((await kabir.next(5000)).text).to.equal(`{"error": "${ERR.missingMessage.replace(/"/g, '\\"')}"}`);
  });

  it('mentions of a send with a client_id notify once, retries included', async () => {
    const kabir = await room(KABIR);
    const meera = await WsClient.connect(`${srv.wsUrl}/ws/notifications/?token=${MEERA}`);
    open.push(meera);
    const cid = fresh('mention');
    const notifications = async () =>
      Number((await knex()('Notification_notification').where({ user_id: 4 }).count<{ n: string }[]>({ n: '*' }))[0].n);
    const before = await notifications();
    for (let i = 0; i < 3; i++) kabir.send({ message: '@Meera', mentions: [4], client_id: cid });
    await kabir.take(4, 5000); // echo + three acks
    await meera.next(5000);
    expect(await meera.silence(300)).to.deep.equal([]);
    expect(await notifications()).to.equal(before + 1);
  });
});

describe('MemoryClientIdStore bounds', () => {
  let next = 100;
  const reserve = async () => next++;

  it('one claim per (user, client_id); concurrent claims share it; a failed reservation is not kept', async () => {
    const s = new MemoryClientIdStore();
    const [a, b] = await Promise.all([s.claim(1, 'x', 7, reserve), s.claim(1, 'x', 8, reserve)]);
    expect(a).to.deep.equal(b);
    expect(a.roomId).to.equal(7);
    expect((await s.claim(2, 'x', 7, reserve)).id).to.not.equal(a.id);
    await s
      .claim(1, 'y', 7, () => Promise.reject(new Error('db down')))
      .then(
        () => expect.fail('should reject'),
        () => undefined,
      );
    expect(s.entries).to.equal(2);
    expect((await s.claim(1, 'y', 7, reserve)).id).to.be.a('number');
  });

  it('takePublication: true once per claim, false after', async () => {
    const store = new MemoryClientIdStore();
    await store.claim(1, 'x', 1, async () => 40);
    expect(await store.takePublication(1, 'x')).to.equal(true);
    expect(await store.takePublication(1, 'x')).to.equal(false);
    expect(await store.takePublication(2, 'x')).to.equal(true); // no claim (evicted): publish rather than lose it
  });

  it('expires after 24 hours, keeps at most perUser per user and total overall (oldest first)', async () => {
    let now = 0;
    const s = new MemoryClientIdStore({ perUser: 3, total: 5 }, 1000, () => now);
    const first = await s.claim(1, 'a', 1, reserve);
    now = 999;
    expect(await s.claim(1, 'a', 1, reserve)).to.deep.equal(first);
    now = 1000;
    expect((await s.claim(1, 'a', 1, reserve)).id).to.not.equal(first.id);
    for (const c of ['b', 'c', 'd']) await s.claim(1, c, 1, reserve);
    expect(s.entries).to.equal(3); // user 1's oldest ('a') went
    const d = await s.claim(1, 'd', 1, reserve);
    expect(await s.claim(1, 'd', 1, reserve)).to.deep.equal(d);
    for (const c of ['p', 'q', 'r']) await s.claim(2, c, 1, reserve);
    expect(s.entries).to.equal(5); // total: user 1 (least recently claiming) lost its oldest
    const b = await s.claim(1, 'b', 1, reserve);
    expect(b.id).to.be.greaterThan(d.id); // 'b' was evicted: a new claim
  });
});

for (const backend of backends()) {
  describeNeeding(`send_message with client_id across two processes on one Redis [${backend}]`, [redisMissing], function () {
    this.timeout(120000);
    let a: TestServer;
    let b: TestServer;
    let prefix: string;
    const open: WsClient[] = [];
    const ws = async (srv: TestServer, token: string) => {
      const c = await WsClient.connect(`${srv.wsUrl}/ws/chat/1/?token=${token}`);
      open.push(c);
      return c;
    };

    before(async () => {
      prefix = testPrefix();
      const url = redisUrl();
      const layers = [new RedisChannelLayer({ url, prefix, blockTimeout: 1 }), new RedisChannelLayer({ url, prefix, blockTimeout: 1 })];
      for (const l of layers) await l.start();
      const store = () => new RedisClientIdStore(new Redis(url), `${prefix}:clientid:`);
      a = await startServer(backend, {
        build: { layer: layers[0], chatClientIds: store() },
        env: { WS_RATE_PER_SECOND: '1000', WS_RATE_BURST: '200' },
      });
      b = await startServer(backend, {
        build: { layer: layers[1], chatClientIds: store() },
        env: { WS_RATE_PER_SECOND: '1000', WS_RATE_BURST: '200' },
        seed: false,
      });
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

    it('a retry on the other process acks the same id, stores and broadcasts nothing', async () => {
      const kabirA = await ws(a, KABIR);
      const riyaB = await ws(b, RIYA);
      const cid = fresh('cross');
      kabirA.send({ message: 'sent on A', client_id: cid });
      const two = await kabirA.take(2, 5000);
      const ack = two.map((f) => f.json as Ack).find((f) => f.action === 'message_ack')!;
      await riyaB.next(5000);
      const kabirB = await ws(b, KABIR);
      kabirB.send({ message: 'sent on A', client_id: cid });
      expect(await kabirB.nextJson(5000)).to.deep.equal(ack);
      expect(await riyaB.silence(300)).to.deep.equal([]);
      expect((await messagesAfterSeed(a.ctx.db.knex)).map((m) => m.id)).to.deep.equal([ack.id]);
    });

    it('concurrent retries on both processes store one row per client_id, both acked with it', async () => {
      const kabirA = await ws(a, KABIR);
      const kabirB = await ws(b, KABIR);
      const riyaA = await ws(a, RIYA);
      const N = 20;
      const cids = [...Array(N).keys()].map((i) => fresh(`x${i}`));
      for (let i = 0; i < N; i++) {
        kabirA.send({ message: `m${i}`, client_id: cids[i] });
        kabirB.send({ message: `m${i}`, client_id: cids[i] });
      }
      await riyaA.take(N, 10000);
      expect(await riyaA.silence(500)).to.deep.equal([]);
      const stored = await messagesAfterSeed(a.ctx.db.knex);
      expect(stored).to.have.length(N);
      expect(new Set(stored.map((m) => m.content)).size).to.equal(N);
      const acksOf = (c: WsClient) =>
        new Map(
          c
            .takeAll()
            .map((f) => f.json as Ack)
            .filter((f) => f.action === 'message_ack')
            .map((f) => [f.client_id, f.id]),
        );
      await sleep(200);
      const fromA = acksOf(kabirA);
      const fromB = acksOf(kabirB);
      expect(fromA.size).to.equal(N);
      expect([...fromA]).to.have.deep.members([...fromB]);
      expect([...fromA.values()].sort()).to.deep.equal(stored.map((m) => m.id).sort());
    });

    it('a claim made on one process whose owner died before inserting is stored by a retry on the other', async () => {
      const cid = fresh('dead');
      const claimed = await a.ctx.chatClientIds.claim(3, cid, 1, () => reserveMessageId(a.ctx.db.knex));
      const kabirB = await ws(b, KABIR);
      kabirB.send({ message: 'after the owner died', client_id: cid });
      const acks = (await kabirB.take(2, 5000)).map((f) => f.json as Ack).filter((f) => f.action === 'message_ack');
      expect(acks.map((x) => x.id)).to.deep.equal([claimed.id]);
      expect((await messagesAfterSeed(a.ctx.db.knex)).map((m) => m.id)).to.deep.equal([claimed.id]);
    });

    it("two stores racing for one claim agree; the loser's reserved id stays unused", async () => {
      const cid = fresh('race');
      const slow = (id: number) => () => new Promise<number>((r) => setTimeout(() => r(id), 50));
      const [x, y] = await Promise.all([a.ctx.chatClientIds.claim(9, cid, 1, slow(1001)), b.ctx.chatClientIds.claim(9, cid, 1, slow(1002))]);
      expect(x).to.deep.equal(y);
      const raw = new Redis(redisUrl());
      try {
        expect(await raw.ttl(`${prefix}:clientid:9:${cid}`)).to.be.within(86400 - 5, 86400);
      } finally {
        raw.disconnect();
      }
    });

    it("client_ids ending in ':published' are client_ids like any other: each is stored, acked and broadcast once", async () => {
      // The publication mark of a client_id once lived at its claim's key + ':published', which is the claim
      // key of the client_id '<it>:published': one of the two was then refused or stored and never broadcast.
      const kabirA = await ws(a, KABIR);
      const riyaB = await ws(b, RIYA);
      const x = fresh('mark');
      const y = fresh('mark');
      const sends: Array<[string, string]> = [
        [x, 'x first'],
        [`${x}:published`, 'then x:published'],
        [`${y}:published`, 'y:published first'],
        [y, 'then y'],
      ];
      const acked: number[] = [];
      for (const [cid, text] of sends) {
        kabirA.send({ message: text, client_id: cid });
        const two = (await kabirA.take(2, 5000)).map((f) => f.json as Ack & { error?: string; message?: string });
        expect(two.map((f) => f.error).filter(Boolean), cid).to.deep.equal([]);
        acked.push(two.find((f) => f.action === 'message_ack')!.id);
        expect((await riyaB.nextJson(5000)) as { message: string }, cid).to.deep.include({ message: text });
      }
      expect(await riyaB.silence(300)).to.deep.equal([]);
      expect((await messagesAfterSeed(a.ctx.db.knex)).map((m) => [m.id, m.content])).to.deep.equal(acked.map((id, i) => [id, sends[i][1]]));
    });

    it('one publication per client_id over both processes, however many attempts ask at once', async () => {
      const cid = fresh('publish');
      const asks = Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).ctx.chatClientIds.takePublication(9, cid));
      expect((await Promise.all(asks)).filter(Boolean)).to.have.length(1);
      expect(await b.ctx.chatClientIds.takePublication(9, cid)).to.equal(false);
      expect(await a.ctx.chatClientIds.takePublication(9, fresh('other'))).to.equal(true);
    });
  });
}

describeNeeding('RedisClientIdStore bounds', [redisMissing], function () {
  this.timeout(30000);
  let raw: Redis;
  let prefix: string;
  before(() => {
    raw = new Redis(redisUrl());
    prefix = testPrefix();
  });
  after(async () => {
    await deleteByPrefix(raw, prefix);
    raw.disconnect();
  });
  const keys = async (pattern: string) => (await raw.keys(`${prefix}${pattern}`)).map((k) => k.slice(prefix.length)).sort();

  it("keeps at most perUser claims per user (the oldest go, with their publication marks); other users' claims stay", async () => {
    const store = new RedisClientIdStore(new Redis(redisUrl()), `${prefix}:clientid:`, 86400, 5);
    try {
      let next = 100;
      const reserve = async () => ++next;
      const other = await store.claim(10, 'theirs', 1, reserve);
      const ids: number[] = [];
      for (let i = 0; i < 8; i++) {
        ids.push((await store.claim(9, `c${i}`, 1, reserve)).id);
        expect(await store.takePublication(9, `c${i}`)).to.equal(true);
      }
      expect(await keys(':clientid:9:*')).to.deep.equal(['c3', 'c4', 'c5', 'c6', 'c7'].map((c) => `:clientid:9:${c}`));
      expect(await keys(':clientid:published:9:*')).to.deep.equal(['c3', 'c4', 'c5', 'c6', 'c7'].map((c) => `:clientid:published:9:${c}`));
      expect(await raw.ttl(`${prefix}:clientid:index:9`)).to.be.within(86400 - 5, 86400);
      // A kept claim stands; an evicted one is claimed afresh (as in the memory store: retries come soon).
      expect((await store.claim(9, 'c7', 1, reserve)).id).to.equal(ids[7]);
      expect((await store.claim(9, 'c0', 1, reserve)).id).to.be.greaterThan(ids[7]);
      expect(await store.claim(10, 'theirs', 1, reserve)).to.deep.equal(other);
    } finally {
      await store.close();
    }
  });
});

describeServer('send_message with client_id, REDIS_URL set (the store a deploy gets)', { redis: true, backend: 'pglite' }, (srv) => {
  it('claims in Redis under csichat:clientid:<user>:<client_id> for 24 hours', async () => {
    expect(srv.ctx.chatClientIds).to.be.instanceOf(RedisClientIdStore);
    const cid = fresh('deploy');
    const kabir = await WsClient.connect(`${srv.wsUrl}/ws/chat/1/?token=${KABIR}`);
    const raw = new Redis(redisUrl());
    try {
      kabir.send({ message: 'with redis', client_id: cid });
      const ack = (await kabir.take(2, 5000)).map((f) => f.json as Ack).find((f) => f.action === 'message_ack')!;
      kabir.send({ message: 'with redis', client_id: cid });
      expect(await kabir.nextJson(5000)).to.deep.equal(ack);
      const key = `csichat:clientid:3:${cid}`;
      expect(JSON.parse((await raw.get(key))!)).to.deep.equal({ id: ack.id, room: 1 });
      expect(await raw.ttl(key)).to.be.within(86400 - 5, 86400);
      await raw.del(key);
    } finally {
      kabir.close();
      raw.disconnect();
    }
  });
});

describe('send_message with client_id while its Redis is unreachable', function () {
  this.timeout(60000);
  let srv: TestServer;
  before(async () => {
    const port = await freePort(); // nothing listens there
    const redis = new Redis(`redis://127.0.0.1:${port}/0`, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    redis.on('error', () => undefined);
    srv = await startServer('pglite', { build: { chatClientIds: new RedisClientIdStore(redis) } });
  });
  after(() => srv?.close());

  it('refuses the send (nothing stored, the error carries the client_id); sends without one go on', async () => {
    const kabir = await WsClient.connect(`${srv.wsUrl}/ws/chat/1/?token=${KABIR}`);
    try {
      kabir.send({ message: 'guarded', client_id: 'c-1' });
      expect(await kabir.nextJson(10000)).to.deep.equal({ error: ERR.unavailable, client_id: 'c-1' });
      expect(await messagesAfterSeed(srv.ctx.db.knex)).to.deep.equal([]);
      kabir.send({ message: 'plain' });
      expect(await kabir.nextJson(5000)).to.deep.include({ message: 'plain', is_self: true });
    } finally {
      kabir.close();
    }
  });
});
