// A conversation the fault scenarios run while they break something: senders on chat sockets send
// numbered messages at a steady pace, half of them with a client_id (acknowledged by message_ack, and
// sent again with the same client_id when the server says the outcome is unknown — what the app does),
// half without (acknowledged by the sender's own echo); receivers on the same room, on this process or
// another one, record what they get. At the end the database is read, and the figures say:
//   sent          messages the senders tried (retries of one client_id count once)
//   acknowledged  the sender got its message_ack or its echo
//   refused       the sender was told "nothing was saved" (an error frame without the retry hint)
//   stored        distinct messages in Chat_message
//   delivered     distinct messages each receiver got (one figure per receiver)
//   duplicated    rows beyond the first of a message, and frames beyond the first at a receiver
//   lost          acknowledged but not stored
//   untruthful    refused ("nothing was saved") but stored
// A sender whose socket the server closes reconnects and sends its unacknowledged client_id messages
// again; a message without client_id in flight at that moment has an unknown outcome (counted as such).
import { expect } from 'chai';
import type { Knex } from 'knex';
import { ERR } from '../../src/chat/consumer.ts';
import { WsClient } from '../helpers/wsclient.ts';

export interface Endpoint {
  /** ws://host:port of a server. */
  wsUrl: string;
  token: string;
  room: number;
  label: string;
}

interface Pending {
  content: string;
  clientId: string | null;
  sentAt: number;
  /** The server asked for a retry, or the frame may have been dropped (client_id sends only). */
  resend?: boolean;
}

/** A frame the socket dropped unhandled (rate bound, backlog bound): it names no message. */
const DROPPED = /Too many|slow down|restarting/i;
/** Resends per sender and tick: a retry storm would hit the rate bound itself. */
const RESENDS_PER_TICK = 1;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** client_ids are unique per run: claims kept in Redis outlive the database reset between runs, and a
 * client_id of an earlier run stands for a message id that now names another row (or none). */
const RUN = Date.now().toString(36);

class Sender {
  socket: WsClient | null = null;
  readonly pending = new Map<string, Pending>();
  readonly acked = new Set<string>();
  readonly refused = new Set<string>();
  readonly unknown = new Set<string>();
  sent = 0;
  retries = 0;
  /** Error frames saying a frame was dropped unhandled (rate or backlog bound). */
  dropped = 0;
  /** Every error text received, with its count. */
  readonly errors = new Map<string, number>();
  /** Close codes of the server's closes. */
  readonly closes: number[] = [];
  reconnects = 0;
  private n = 0;

  constructor(
    readonly ep: Endpoint,
    readonly tag: string,
  ) {}

  async connect(deadline: number): Promise<void> {
    for (;;) {
      try {
        this.socket = await WsClient.connect(`${this.ep.wsUrl}/ws/chat/${this.ep.room}/?token=${this.ep.token}`, 5000);
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`${this.ep.label}: could not reconnect: ${String(err)}`, { cause: err });
        await sleep(250);
      }
    }
  }

  sendNext(): void {
    const i = this.n++;
    const content = `${this.tag}-${this.ep.label}-${i}`;
    // At most one send without a client_id in flight: its error frame (which names no message) is then
    // unambiguously its own.
    const clientId = i % 2 === 0 || this.oldestPlain() ? `${content}-${RUN}` : null;
    const p: Pending = { content, clientId, sentAt: Date.now() };
    this.pending.set(clientId ?? content, p);
    this.sent++;
    this.write(p);
  }

  private write(p: Pending): void {
    p.sentAt = Date.now();
    p.resend = false;
    if (!this.socket || this.socket.closed) return; // resent after the reconnect (client_id) or unknown
    this.socket.send(p.clientId ? { message: p.content, client_id: p.clientId } : { message: p.content });
  }

  /** Sends again (same client_id) what the server asked to retry or left unanswered for 10 s; a few a tick. */
  resendDue(): void {
    let budget = RESENDS_PER_TICK;
    const now = Date.now();
    for (const [key, p] of this.pending) {
      if (p.clientId === null) {
        // No answer in 15 s: the frame was dropped unhandled (backlog bound); its outcome is unknown.
        if (now - p.sentAt > 15000) {
          this.pending.delete(key);
          this.unknown.add(p.content);
        }
        continue;
      }
      if (budget === 0) continue;
      if ((p.resend && now - p.sentAt > 300) || now - p.sentAt > 10000) {
        this.retries++;
        budget--;
        this.write(p);
      }
    }
  }

  /** Reads the socket's frames: acks, echoes, errors; resends what may not have been saved. */
  pump(): void {
    if (!this.socket) return;
    for (const f of this.socket.takeAll()) {
      const j = f.json as Record<string, unknown> | undefined;
      if (!j) continue;
      if (j.action === 'message_ack' && typeof j.client_id === 'string') {
        const p = this.pending.get(j.client_id);
        if (p) {
          this.pending.delete(j.client_id);
          this.acked.add(p.content);
        }
      } else if (typeof j.message === 'string' && j.is_self === true) {
        const p = this.pending.get(j.message);
        if (p && p.clientId === null) {
          this.pending.delete(j.message);
          this.acked.add(p.content);
        }
      } else if (typeof j.error === 'string') {
        this.errors.set(j.error, (this.errors.get(j.error) ?? 0) + 1);
        const key = typeof j.client_id === 'string' ? j.client_id : null;
        if (key === null && DROPPED.test(j.error)) {
          // Some frame was dropped unhandled: client_id sends go again; a plain one in flight stays
          // unanswered (its outcome unknown) unless its echo comes.
          for (const p of this.pending.values()) if (p.clientId !== null) p.resend = true;
          this.dropped++;
          continue;
        }
        const p = key ? this.pending.get(key) : this.oldestPlain();
        if (!p) continue;
        if (j.error === ERR.unavailableRetry || (p.clientId && /again/i.test(j.error))) {
          // The outcome is unknown, or the server asks for a retry: the same client_id again, later.
          p.resend = true;
        } else {
          this.pending.delete(key ?? p.content);
          this.refused.add(p.content);
        }
      }
    }
  }

  /** The send without a client_id in flight (at most one): an error frame without client_id is its answer. */
  private oldestPlain(): Pending | undefined {
    for (const p of this.pending.values()) if (p.clientId === null) return p;
    return undefined;
  }

  /** After a server-side close: reconnect; client_id sends go again, plain ones in flight are unknown. */
  recover(deadline: number): Promise<void> {
    if (!this.socket?.closed) return Promise.resolve();
    if (!this.recovering && !this.socket.closed.byClient) this.closes.push(this.socket.closed.code);
    // One reconnect at a time, whoever asks.
    this.recovering ??= this.reconnect(deadline).finally(() => (this.recovering = null));
    return this.recovering;
  }

  private recovering: Promise<void> | null = null;

  private async reconnect(deadline: number): Promise<void> {
    this.reconnects++;
    for (const [key, p] of this.pending) {
      if (p.clientId === null) {
        this.pending.delete(key);
        this.unknown.add(p.content);
      }
    }
    await this.connect(deadline);
    // Sent again at the pace (resendDue), not all at once: a burst would meet the socket's bounds.
    for (const p of this.pending.values()) p.resend = true;
  }
}

class Receiver {
  socket!: WsClient;
  readonly counts = new Map<string, number>();

  constructor(
    readonly ep: Endpoint,
    readonly tag: string,
  ) {}

  async connect(): Promise<void> {
    this.socket = await WsClient.connect(`${this.ep.wsUrl}/ws/chat/${this.ep.room}/?token=${this.ep.token}`, 10000);
  }

  pump(): void {
    for (const f of this.socket.takeAll()) {
      const j = f.json as Record<string, unknown> | undefined;
      if (j && typeof j.message === 'string' && j.message.startsWith(this.tag)) this.counts.set(j.message, (this.counts.get(j.message) ?? 0) + 1);
    }
  }
}

export interface Figures {
  sent: number;
  acknowledged: number;
  refused: number;
  unknown: number;
  stored: number;
  delivered: Record<string, number>;
  duplicatedStored: number;
  duplicatedDelivered: number;
  /** Frames beyond the first, per receiver. */
  duplicatedAt: Record<string, number>;
  lost: number;
  /** Acknowledged messages a receiver never got (summed over receivers). */
  undelivered: number;
  untruthful: number;
  retries: number;
  dropped: number;
  reconnects: number;
  /** Error texts the senders got, with counts; close codes of the server's closes. */
  errors: Record<string, number>;
  closes: number[];
}

export class Conversation {
  readonly senders: Sender[];
  readonly receivers: Receiver[];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    readonly tag: string,
    senders: Endpoint[],
    receivers: Endpoint[],
    /** Messages per second per sender (the socket rate bound is 20/s by default). */
    readonly perSecond = 10,
  ) {
    this.senders = senders.map((e) => new Sender(e, tag));
    this.receivers = receivers.map((e) => new Receiver(e, tag));
  }

  async open(): Promise<void> {
    for (const r of this.receivers) await r.connect();
    for (const s of this.senders) await s.connect(Date.now() + 10000);
  }

  /** Sends at the pace until stop(); frames are read as they come. */
  start(): void {
    const every = Math.max(5, Math.round(1000 / this.perSecond));
    this.timer = setInterval(() => {
      for (const s of this.senders) {
        s.pump();
        void s.recover(Date.now() + 30000).catch(() => undefined);
        s.resendDue();
        s.sendNext();
      }
      for (const r of this.receivers) r.pump();
    }, every);
  }

  stopSending(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Waits until every send is settled (acked or refused) and receivers are quiet, or `ms` passed. */
  async settle(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    let quietSince = Date.now();
    let lastDelivered = -1;
    while (Date.now() < deadline) {
      for (const s of this.senders) {
        s.pump();
        await s.recover(deadline).catch(() => undefined);
        s.resendDue();
      }
      for (const r of this.receivers) r.pump();
      const delivered = this.receivers.reduce((n, r) => n + r.counts.size, 0);
      if (delivered !== lastDelivered) {
        lastDelivered = delivered;
        quietSince = Date.now();
      }
      const open = this.senders.reduce((n, s) => n + s.pending.size, 0);
      if (open === 0 && Date.now() - quietSince > 1000) return;
      await sleep(100);
    }
  }

  /** One message through the room after an outage: sent with a client_id until acknowledged and seen by
   * every receiver; the time it took (ms), or throws after `ms`. */
  async roundTrip(ms: number): Promise<number> {
    const t0 = Date.now();
    const s = this.senders[0];
    await s.recover(t0 + ms);
    const content = `${this.tag}-probe-${t0}`;
    const clientId = `${content}-${RUN}`;
    s.pending.set(clientId, { content, clientId, sentAt: t0 });
    s.sent++;
    s.socket!.send({ message: content, client_id: clientId });
    let lastResend = t0;
    while (Date.now() - t0 < ms) {
      s.pump();
      for (const r of this.receivers) r.pump();
      if (s.acked.has(content) && this.receivers.every((r) => r.counts.has(content))) return Date.now() - t0;
      if (!s.acked.has(content) && !s.pending.has(clientId)) {
        // refused (the server is not back yet): ask again
        s.refused.delete(content);
        s.pending.set(clientId, { content, clientId, sentAt: Date.now() });
      }
      if (Date.now() - lastResend > 2000 && s.pending.has(clientId)) {
        lastResend = Date.now();
        await s.recover(t0 + ms);
        s.socket!.send({ message: content, client_id: clientId });
      }
      await sleep(50);
    }
    throw new Error(
      `no round trip within ${ms} ms after the outage (acked: ${s.acked.has(content)}, seen by ${
        this.receivers
          .filter((r) => r.counts.has(content))
          .map((r) => r.ep.label)
          .join(', ') || 'nobody'
      })`,
    );
  }

  async figures(knex: Knex): Promise<Figures> {
    const rows = await knex('Chat_message').where('content', 'like', `${this.tag}-%`).select('content');
    const storedCounts = new Map<string, number>();
    for (const r of rows as Array<{ content: string }>) storedCounts.set(r.content, (storedCounts.get(r.content) ?? 0) + 1);
    let duplicatedStored = 0;
    for (const n of storedCounts.values()) duplicatedStored += n - 1;
    let duplicatedDelivered = 0;
    const delivered: Record<string, number> = {};
    const duplicatedAt: Record<string, number> = {};
    for (const r of this.receivers) {
      delivered[r.ep.label] = r.counts.size;
      let dup = 0;
      for (const n of r.counts.values()) dup += n - 1;
      duplicatedAt[r.ep.label] = dup;
      duplicatedDelivered += dup;
    }
    const acked = this.senders.flatMap((s) => [...s.acked]);
    const refused = this.senders.flatMap((s) => [...s.refused]);
    return {
      sent: this.senders.reduce((n, s) => n + s.sent, 0),
      acknowledged: acked.length,
      refused: refused.length,
      unknown: this.senders.reduce((n, s) => n + s.unknown.size + s.pending.size, 0),
      stored: storedCounts.size,
      delivered,
      duplicatedStored,
      duplicatedDelivered,
      duplicatedAt,
      lost: acked.filter((c) => !storedCounts.has(c)).length,
      undelivered: this.receivers.reduce((n, r) => n + acked.filter((c) => !r.counts.has(c)).length, 0),
      untruthful: refused.filter((c) => storedCounts.has(c)).length,
      retries: this.senders.reduce((n, s) => n + s.retries, 0),
      dropped: this.senders.reduce((n, s) => n + s.dropped, 0),
      errors: this.senders.reduce<Record<string, number>>((o, s) => {
        for (const [k, v] of s.errors) o[k] = (o[k] ?? 0) + v;
        return o;
      }, {}),
      closes: this.senders.flatMap((s) => s.closes),
      reconnects: this.senders.reduce((n, s) => n + s.reconnects, 0),
    };
  }

  close(): void {
    this.stopSending();
    for (const s of this.senders) s.socket?.terminate();
    for (const r of this.receivers) r.socket?.terminate();
  }
}

export function printFigures(scenario: string, f: Figures, extra = ''): void {
  const delivered = Object.entries(f.delivered)
    .map(([k, v]) => `${k} ${v}${f.duplicatedAt[k] ? ` (+${f.duplicatedAt[k]} twice)` : ''}`)
    .join(', ');
  console.log(
    `    [fault] ${scenario}: sent ${f.sent} / acknowledged ${f.acknowledged} / stored ${f.stored} / delivered ${delivered} / ` +
      `duplicated ${f.duplicatedStored} stored + ${f.duplicatedDelivered} delivered / lost ${f.lost} ` +
      `(acknowledged but not delivered ${f.undelivered}) ` +
      `(refused ${f.refused}, told unsaved but stored ${f.untruthful}, unknown ${f.unknown}, retries ${f.retries}, dropped-frame errors ${f.dropped}, reconnects ${f.reconnects})` +
      (extra ? `; ${extra}` : ''),
  );
  const errors = Object.entries(f.errors).map(([k, v]) => `${v}× ${JSON.stringify(k.slice(0, 60))}`);
  if (errors.length || f.closes.length)
    console.log(`      senders' error frames: ${errors.join(', ') || 'none'}; server closes: ${f.closes.join(' ') || 'none'}`);
}

/** The assertions every scenario makes on its figures (`delivery`: also every acknowledged message at
 * every receiver). */
export function expectNoLossNoDuplicates(f: Figures, delivery = true): void {
  expect(f.errors[ERR.serverError] ?? 0, 'generic server-error frames (an outage has its documented error)').to.equal(0);
  if (delivery) expect(f.undelivered, 'acknowledged messages a receiver never got').to.equal(0);
  expect(f.duplicatedStored, 'messages stored twice').to.equal(0);
  expect(f.duplicatedDelivered, 'frames delivered twice to one socket').to.equal(0);
  expect(f.lost, 'acknowledged messages not stored').to.equal(0);
  expect(f.untruthful, 'messages stored although the sender was told nothing was saved').to.equal(0);
  expect(f.acknowledged, 'some messages acknowledged').to.be.greaterThan(0);
}
