// The bounds every socket has (src/realtime/socket.ts), without a server or a database: the token bucket,
// and a ManagedSocket on a real WebSocket pair over loopback — the flood answer and close, binary
// refusal, frames in queue order, one write per turn (cork), and the send-buffer bound for a reader
// that stops reading.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import pino from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { SocketHub, type SocketLimits } from '../../src/realtime/hub.ts';
import { BINARY_FRAME_ERROR, ManagedSocket, RATE_LIMIT_ERROR, RateBucket } from '../../src/realtime/socket.ts';
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
        resolve(new ManagedSocket(ws, hub, { onText: (t) => void texts.push(t), onClose: () => void closes++ })),
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
