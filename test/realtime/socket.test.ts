// The bounds every socket has (src/realtime/socket.ts), without a server or a database: the token bucket,
// and a ManagedSocket on a real WebSocket pair over loopback — the flood answer and close, binary
// refusal, frames in queue order, one write per turn (cork), and the send-buffer bound for a reader
// that stops reading.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import pino from 'pino';
import WebSocket, { WebSocketServer } from 'ws';
import { SocketHub, type SocketLimits } from '../../src/realtime/hub.ts';
import { BINARY_FRAME_ERROR, ManagedSocket, RATE_LIMIT_ERROR, RateBucket } from '../../src/realtime/socket.ts';
import { WireText } from '../../src/realtime/wire.ts';
import { WsClient } from '../helpers/wsclient.ts';

describe('RateBucket', () => {
  it('allows `burst` frames at once, then refuses', () => {
    const b = new RateBucket(5, 3, 0);
    expect([b.take(0), b.take(0), b.take(0), b.take(0), b.take(0)]).to.deep.equal([true, true, true, false, false]);
  });

  it('refills at `perSecond`, fractions adding up; a refused frame costs nothing', () => {
    const b = new RateBucket(5, 1, 0);
    expect(b.take(0)).to.equal(true);
    expect(b.take(100)).to.equal(false); // half a token
    expect(b.take(150)).to.equal(false); // three quarters
    expect(b.take(200)).to.equal(true); // one token after 200 ms at 5/s
    expect(b.take(200)).to.equal(false);
  });

  it('holds at most `burst` tokens however long the socket was idle', () => {
    const b = new RateBucket(1000, 2, 0);
    expect(b.take(0) && b.take(0)).to.equal(true);
    const later = 3_600_000;
    expect([b.take(later), b.take(later), b.take(later)]).to.deep.equal([true, true, false]);
  });
});

/** ws's frame builder (exported by ws, not by its type definitions). */
const { Sender } = WebSocket as unknown as {
  Sender: { frame(data: Buffer, options: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean }): Buffer[] };
};

describe('WireText (a frame framed once for every socket)', () => {
  it('holds the bytes ws writes for send(text, { binary: false }) without an extension, at every length form', () => {
    const texts = ['', 'a', 'x'.repeat(125), 'x'.repeat(126), 'é'.repeat(100), 'y'.repeat(65535), 'z'.repeat(65536), '{"message": "😀 \u0000"}'];
    for (const text of texts) {
      const payload = Buffer.from(text);
      const framed = Sender.frame(payload, { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false });
      const expected = Buffer.concat(framed);
      const fromString = new WireText(text);
      const fromBuffer = new WireText(payload);
      expect(fromString.wire.equals(expected), `length ${payload.length}`).to.equal(true);
      expect(fromBuffer.wire.equals(expected), `length ${payload.length}`).to.equal(true);
      expect(fromString.payload.equals(payload)).to.equal(true);
    }
  });
});

describe('ManagedSocket over a real WebSocket pair', () => {
  const log = pino({ level: 'silent' });
  const defaults: SocketLimits = {
    ratePerSecond: 1000,
    rateBurst: 1000,
    sendBufferBytes: 1 << 20,
    pingIntervalMs: 60_000,
    pingTimeoutMs: 60_000,
    maxPendingFrames: 100,
    maxSocketsPerUser: 20,
    userRatePerSecond: 1000,
    userRateBurst: 1000,
  };
  const cleanup: Array<() => void> = [];

  /** A server-side ManagedSocket and the recording client connected to it. */
  async function pair(limits: Partial<SocketLimits> = {}) {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
    await once(wss, 'listening');
    const hub = new SocketHub({ ...defaults, ...limits }, log);
    const texts: string[] = [];
    let closes = 0;
    const accepted = new Promise<ManagedSocket>((resolve) =>
      wss.once('connection', (ws: WebSocket) =>
        resolve(new ManagedSocket(ws, hub, { socketText: (t) => void texts.push(t), socketClosed: () => void closes++ })),
      ),
    );
    const client = await WsClient.connect(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`);
    const socket = await accepted;
    cleanup.push(() => {
      hub.closeAll();
      client.terminate();
      for (const c of wss.clients) c.terminate();
      wss.close();
    });
    return { hub, socket, client, texts, closes: () => closes };
  }

  const nextTurn = () => new Promise((r) => setImmediate(r));
  const rawSocket = (ws: WebSocket) =>
    (ws as unknown as { _socket: { _writev: (...a: unknown[]) => void; _write: (...a: unknown[]) => void; pause(): void; resume(): void } })._socket;

  afterEach(() => {
    for (const f of cleanup.splice(0)) f();
  });

  it('answers a flood with one error frame, then closes with 1008 once `burst` more frames were refused', async () => {
    const { socket, client, texts, closes } = await pair({ ratePerSecond: 1, rateBurst: 3 });
    for (let i = 0; i < 10; i++) client.send(`{"n": ${i}}`);
    expect((await client.waitClosed()).code).to.equal(1008);
    expect(texts).to.deep.equal(['{"n": 0}', '{"n": 1}', '{"n": 2}']);
    expect(client.frames.map((f) => f.text)).to.deep.equal([RATE_LIMIT_ERROR]);
    expect(socket.closed).to.equal(true);
    expect(closes()).to.equal(1);
  });

  it('answers a binary frame with an error frame and keeps the socket open', async () => {
    const { client, texts } = await pair();
    client.ws.send(Buffer.from([1, 2, 3]));
    expect((await client.next()).text).to.equal(BINARY_FRAME_ERROR);
    client.send('{"after": "binary"}');
    await client.silence(50);
    expect(texts).to.deep.equal(['{"after": "binary"}']);
    expect(client.closed).to.equal(null);
  });

  it('writes frames in the order they were queued, whatever resolves first; null and failed lookups write nothing', async () => {
    const { socket, client } = await pair();
    // A lookup failing while queued behind a slow one must not surface as an unhandled rejection
    // (which ends a Node process that has no handler for it).
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let release!: (frame: string) => void;
      const slow = new Promise<string>((resolve) => (release = resolve));
      socket.send(slow);
      socket.send('b');
      socket.send(Promise.resolve(null));
      socket.send(Promise.reject(new Error('lookup failed')));
      socket.send(Buffer.from('{"c": "é"}'));
      expect(await client.silence(50)).to.deep.equal([]);
      release('a');
      const got = await client.take(3);
      expect(got.map((f) => [f.text, f.binary])).to.deep.equal([
        ['a', false],
        ['b', false],
        ['{"c": "é"}', false],
      ]);
      expect(await client.silence(50)).to.deep.equal([]);
      expect(unhandled).to.deep.equal([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('sends the frames of one turn in one write (corked), flushed after the turn', async () => {
    const { hub, socket, client } = await pair();
    const raw = rawSocket(socket.ws);
    const writes = { writev: 0, write: 0 };
    const writev = raw._writev.bind(raw);
    const write = raw._write.bind(raw);
    raw._writev = (...a: unknown[]) => (writes.writev++, writev(...a));
    raw._write = (...a: unknown[]) => (writes.write++, write(...a));
    for (let i = 0; i < 10; i++) socket.send(`{"i": ${i}}`);
    expect(writes).to.deep.equal({ writev: 0, write: 0 }); // held until the turn ends
    await nextTurn();
    expect(writes).to.deep.equal({ writev: 1, write: 0 });
    expect((await client.take(10)).map((f) => f.text)).to.deep.equal([...Array(10).keys()].map((i) => `{"i": ${i}}`));
    expect(hub.stats.framesOut).to.equal(10);
  });

  it('writes a WireText as one chunk (its frame bytes), in queue order with frames ws frames, and counts it as buffered', async () => {
    const { hub, socket, client } = await pair();
    const raw = rawSocket(socket.ws);
    const chunks: number[] = [];
    const writev = raw._writev.bind(raw);
    raw._writev = (...a: unknown[]) => (chunks.push((a[0] as unknown[]).length), writev(...a));
    const shared = new WireText('{"shared": "é"}');
    socket.send(shared);
    socket.send('{"plain": 1}');
    socket.send(Promise.resolve(new WireText('{"later": true}')));
    socket.send(shared);
    // written so far (the rest waits behind the lookup): the WireText's bytes as they are, the string framed by ws
    expect(socket.ws.bufferedAmount).to.equal(shared.wire.length + 2 + '{"plain": 1}'.length);
    // ws frames a string as two chunks (header, payload); a WireText is one
    await nextTurn();
    expect(chunks).to.deep.equal([1 + 2 + 1 + 1]); // one writev; through ws.send it would hold 8 chunks
    const got = await client.take(4);
    expect(got.map((f) => [f.text, f.binary])).to.deep.equal([
      ['{"shared": "é"}', false],
      ['{"plain": 1}', false],
      ['{"later": true}', false],
      ['{"shared": "é"}', false],
    ]);
    expect(hub.stats.framesOut).to.equal(4);
  });

  it('leaves a WireText to ws when permessage-deflate was negotiated: it stays behind a message still being compressed', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { threshold: 0 } });
    await once(wss, 'listening');
    const hub = new SocketHub(defaults, log);
    const accepted = new Promise<ManagedSocket>((resolve) =>
      wss.once('connection', (ws: WebSocket) => resolve(new ManagedSocket(ws, hub, { socketText: () => undefined, socketClosed: () => undefined }))),
    );
    const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`); // offers permessage-deflate
    const texts: string[] = [];
    client.on('message', (d: Buffer) => texts.push(d.toString()));
    cleanup.push(() => {
      hub.closeAll();
      client.terminate();
      for (const c of wss.clients) c.terminate();
      wss.close();
    });
    await once(client, 'open');
    const socket = await accepted;
    expect(client.extensions).to.equal('permessage-deflate');
    const big = JSON.stringify({ message: 'x'.repeat(200_000) }); // compressed in the background (zlib)
    socket.send(big);
    socket.send(new WireText('{"after": "big"}'));
    for (let i = 0; i < 200 && texts.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(texts).to.deep.equal([big, '{"after": "big"}']);
  });

  it('does not count the bytes of the current turn as a backlog: a burst larger than the bound goes out', async () => {
    const { hub, socket, client } = await pair({ sendBufferBytes: 64 * 1024 });
    const frame = 'x'.repeat(16 * 1024);
    for (let i = 0; i < 20; i++) socket.send(frame); // 320 KiB in one turn, five times the bound
    expect(socket.closed).to.equal(false);
    expect(await client.take(20)).to.have.length(20);
    expect(hub.stats.slowClosed).to.equal(0);
  });

  it('closes a reader that stops reading once its buffer passes the bound (1013), holding at most the bound plus one frame', async () => {
    const limit = 64 * 1024;
    const frameBytes = 16 * 1024;
    const { hub, socket, client, closes } = await pair({ sendBufferBytes: limit });
    rawSocket(client.ws).pause();
    const frame = 'y'.repeat(frameBytes);
    let sent = 0;
    let maxBuffered = 0;
    // One frame per turn until the bound trips; loopback's kernel buffers take a few MiB first.
    while (!socket.closed && sent < 4000) {
      socket.send(frame);
      sent++;
      maxBuffered = Math.max(maxBuffered, socket.ws.bufferedAmount);
      await nextTurn();
    }
    expect(socket.closed, `still open after ${sent} frames`).to.equal(true);
    expect(hub.stats.slowClosed).to.equal(1);
    expect(closes()).to.equal(1);
    expect(maxBuffered).to.be.at.most(limit + frameBytes + 16);
    socket.send(frame); // a closed socket takes nothing more
    rawSocket(client.ws).resume();
    const closed = await client.waitClosed(5000);
    expect([1013, 1006]).to.include(closed.code);
    expect(client.frames.length).to.be.below(sent);
  });
});
