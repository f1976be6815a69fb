// Socket fuzz (issue 13, "Build it to last"): generated frames for every chat action (and frames without
// an action, of other types, not JSON, binary) on member sockets of several rooms, frames on the
// notifications socket, and generated handshake URLs for every socket route of src/urls.ts. Asserted:
// no frame answered with the server-error or database-unavailable error (the socket's 5xx), no socket
// closed by the server, every handshake answered (101 or a 4xx; a path that resolves to no socket route
// gets daphne's 500, the original's documented answer — counted and printed, not failed); over the
// run: no event-loop stall over 100 ms that comes back on replay, no unhandled rejection, no error-level
// log line, RSS growth bounded. Seeded (FUZZ_SEED), FUZZ_INPUTS per surface (default 10,000).
//
// Frames go out in windows of WINDOW, each followed by a sentinel (a send with a unique client_id, whose
// ack or error names it): the sentinel's answer means the window was handled (frames of one socket are
// handled in order), so the socket's backlog stays small and a stall is attributed to one window.
import net from 'node:net';
import { expect } from 'chai';
import { ERR } from '../../src/chat/consumer.ts';
import { UrlResolver } from '../../src/drf/router.ts';
import { websocketUrlpatterns } from '../../src/urls.ts';
import { SEED_USERS, userToken } from '../helpers/harness.ts';
import { describeServer } from '../helpers/suites.ts';
import { WsClient } from '../helpers/wsclient.ts';
import { CHAT_ACTIONS, chatFrame, fuzzInputs, fuzzSeed, handshakeUrl, randString, randValue, Rng } from './gen.ts';
import { runSurface } from './runner.ts';
import { recordingLogger, show, Watch } from './watch.ts';

const SEED = fuzzSeed();
const COUNT = fuzzInputs();
const WINDOW = 8;
const MAX_FRAME_BYTES = 64 * 1024;
/** Member sockets: [user, room] pairs of the seed. */
const MEMBERS: Array<[string, number]> = [
  ['kabir.singh@akgec.ac.in', 1],
  ['meera.nair@akgec.ac.in', 1],
  ['riya.sharma@akgec.ac.in', 2],
  ['anagh.jaiswar@akgec.ac.in', 3],
  ['tanya.gupta@akgec.ac.in', 3],
];
const TOKENS = SEED_USERS.users.map((u) => u.token).filter((t): t is string => !!t);
const SOCKET_5XX: readonly string[] = [ERR.serverError, ERR.unavailable, ERR.unavailableRetry];
const wsRoutes = new UrlResolver(websocketUrlpatterns, '/+');

/** Frame `index` of the chat surface: actions in turn (and none), every one ≤ the frame bound. */
function chatInput(index: number): string {
  const r = Rng.forSurface(SEED, `chat:${index}`);
  const actions = [...CHAT_ACTIONS, undefined];
  const text = chatFrame(r, actions[index % actions.length]);
  return Buffer.byteLength(text) > MAX_FRAME_BYTES - 16 ? text.slice(0, 16000) : text;
}

function notificationInput(index: number): string | Buffer {
  const r = Rng.forSurface(SEED, `notifications:${index}`);
  if (r.chance(0.05)) return Buffer.from(randString(r).slice(0, 1000));
  const text = r.chance(0.5) ? chatFrame(r, r.pick([...CHAT_ACTIONS, 'x'])) : JSON.stringify(randValue(r));
  return Buffer.byteLength(text) > MAX_FRAME_BYTES - 16 ? text.slice(0, 16000) : text;
}

function handshakeInput(index: number): string {
  return handshakeUrl(Rng.forSurface(SEED, `handshake:${index}`), TOKENS);
}

/** A handshake over a bare TCP socket (cheaper than a WebSocket client, so the server's share of the
 * run dominates): the status line's code and what followed it, then the connection is cut. */
function rawHandshake(port: number, target: string, timeoutMs = 15000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => sock.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    sock.on('connect', () =>
      sock.write(
        `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
    const done = () => {
      clearTimeout(timer);
      sock.destroy();
      const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
      if (m) resolve({ status: Number(m[1]), body: got.slice(got.indexOf('\r\n\r\n') + 4) });
      else reject(new Error(`no status line: ${show(got)}`));
    };
    sock.on('data', (c: Buffer) => {
      got += c.toString('latin1');
      if (got.includes('\r\n\r\n')) done();
    });
    sock.on('end', done);
    sock.on('error', (err) => {
      clearTimeout(timer);
      if (/^HTTP\/1\.1 \d{3}/.test(got)) done();
      else reject(err);
    });
  });
}

const recorder = recordingLogger();

describeServer(
  'socket fuzz: chat actions, notifications socket, handshake URLs',
  {
    backend: process.env.DATABASE_URL ? 'pg' : 'pglite',
    timeout: 600000,
    resetEachTest: false,
    // The per-socket rate bound is not what this suite tests: frames are paced by the sentinels instead.
    env: { WS_RATE_PER_SECOND: '100000', WS_RATE_BURST: '100000', WS_USER_RATE_PER_SECOND: '100000', WS_USER_RATE_BURST: '100000' },
    build: { log: recorder.log },
  },
  (srv) => {
    const open: WsClient[] = [];
    afterEach(() => {
      for (const c of open.splice(0)) c.terminate();
    });

    function figures(watch: Watch, label: string, elapsed: number, extra: string) {
      console.log(watch.figures(label, SEED, COUNT, elapsed, `${extra}, error logs ${recorder.errors.length}`));
      const report = watch.report(SEED, recorder.errors);
      if (report) expect.fail(report);
    }

    it(`chat frames: ${COUNT} over ${CHAT_ACTIONS.length} actions and none, ${MEMBERS.length} member sockets — no server error, no close, no stall`, async () => {
      await srv.reset();
      recorder.errors.length = 0;
      const watch = new Watch();
      const sockets: WsClient[] = [];
      for (const [email, room] of MEMBERS) {
        const c = await WsClient.connect(`${srv.wsUrl}/ws/chat/${room}/?token=${userToken(email)}`);
        open.push(c);
        sockets.push(c);
      }
      let sentinel = 0;
      let errorFrames = 0;
      const windows = Math.ceil(COUNT / WINDOW);
      const frameIndexes = (w: number) => Array.from({ length: Math.min(WINDOW, COUNT - w * WINDOW) }, (_, k) => w * WINDOW + k);
      /** Sends frames then a sentinel on socket `s`; the frames that came back meanwhile. */
      const exchange = async (s: number, frames: string[]): Promise<string[]> => {
        const c = sockets[s];
        const id = `sentinel-${s}-${sentinel++}`;
        for (const f of frames) c.send(f);
        c.send({ message: 'fuzz sentinel', client_id: id });
        const got: string[] = [];
        const deadline = Date.now() + 30000;
        for (;;) {
          if (c.closed) throw new Error(`socket ${s} closed by the server: ${JSON.stringify(c.closed)}`);
          if (Date.now() > deadline) throw new Error(`no answer to the sentinel within 30 s`);
          await c.waitFrames(1, deadline - Date.now());
          for (const f of c.takeAll()) {
            got.push(f.text);
            const j = f.json as { client_id?: unknown } | undefined;
            if (j && j.client_id === id) return got;
          }
        }
      };
      const isServerError = (text: string) => {
        const e = (JSON.parse(text) as { error?: unknown }).error;
        if (typeof e === 'string') errorFrames++;
        return typeof e === 'string' && SOCKET_5XX.includes(e);
      };
      const run = async (w: number) => {
        const s = w % sockets.length;
        const idx = frameIndexes(w);
        const got = await exchange(s, idx.map(chatInput));
        if (!got.some(isServerError)) return;
        // Which frame: each one alone.
        for (const i of idx) {
          const alone = await exchange(s, [chatInput(i)]);
          const bad = alone.find(isServerError);
          if (bad) watch.fail(i, `chat frame ${show(chatInput(i))}`, `answered ${bad}`);
        }
      };
      const elapsed = await runSurface(watch, {
        count: windows,
        concurrency: sockets.length,
        lanes: true,
        run,
        describe: (w) =>
          `chat window ${w}: ${frameIndexes(w)
            .map((i) => show(chatInput(i), 120))
            .join(' ')}`,
        resetEvery: 5 * Math.ceil(500 / WINDOW),
        reset: () => srv.reset(),
      });
      const stored = await srv.ctx.db.knex('Chat_message').count<{ c: string }[]>('* as c');
      figures(watch, 'chat frames', elapsed, `error frames ${errorFrames}, messages stored since the last reset ${stored[0].c}`);
    });

    it(`notifications socket: ${COUNT} frames (text, binary) — ignored, no close, no stall`, async () => {
      recorder.errors.length = 0;
      const watch = new Watch();
      const sockets: WsClient[] = [];
      for (const email of ['kabir.singh@akgec.ac.in', 'riya.sharma@akgec.ac.in', 'tanya.gupta@akgec.ac.in']) {
        const c = await WsClient.connect(`${srv.wsUrl}/ws/notifications/?token=${userToken(email)}`);
        open.push(c);
        sockets.push(c);
      }
      const windows = Math.ceil(COUNT / WINDOW);
      let unexpected = 0;
      const run = async (w: number) => {
        const c = sockets[w % sockets.length];
        const idx = Array.from({ length: Math.min(WINDOW, COUNT - w * WINDOW) }, (_, k) => w * WINDOW + k);
        for (const i of idx) {
          const f = notificationInput(i);
          if (typeof f === 'string') c.send(f);
          else c.ws.send(f, { binary: true });
        }
        // A ping is answered after every frame before it was read: the window was taken in.
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error('no pong within 30 s')), 30000);
          c.ws.once('pong', () => {
            clearTimeout(t);
            resolve();
          });
          c.ws.ping();
        });
        if (c.closed) throw new Error(`notifications socket closed by the server: ${JSON.stringify(c.closed)}`);
        for (const f of c.takeAll()) {
          // Binary frames are refused with an error frame; anything else is a reply the original never sent.
          if (!/Binary frames are not supported/.test(f.text)) {
            unexpected++;
            watch.fail(w, idx.map((i) => show(notificationInput(i), 100)).join(' '), `unexpected frame ${show(f.text)}`);
          }
        }
      };
      const elapsed = await runSurface(watch, {
        count: windows,
        concurrency: sockets.length,
        lanes: true,
        run,
        describe: (w) => `notifications window ${w}`,
      });
      figures(watch, 'notification frames', elapsed, `unexpected frames ${unexpected}`);
    });

    it(`handshake URLs: ${COUNT} — every one answered, 101 or 4xx on socket routes`, async () => {
      await srv.reset();
      recorder.errors.length = 0;
      const watch = new Watch();
      const statuses = new Map<number, number>();
      let noRoute500 = 0;
      const port = Number(new URL(srv.baseUrl).port);
      const run = async (index: number) => {
        const url = handshakeInput(index);
        const res = await rawHandshake(port, url);
        const status = res.status;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status < 500) return;
        let path = url.split('?')[0];
        try {
          path = decodeURIComponent(path);
        } catch {
          // the raw path, as the server keeps it
        }
        if (status === 500 && !wsRoutes.resolve(path)) {
          noRoute500++;
          return;
        }
        watch.fail(index, show(url), `handshake answered ${status} ${show(res.body, 200)}`);
      };
      const elapsed = await runSurface(watch, { count: COUNT, concurrency: 8, run, describe: (i) => show(handshakeInput(i)) });
      const byStatus = [...statuses.entries()].map(([s, n]) => `${s}:${n}`).join(' ');
      figures(watch, 'handshakes', elapsed, `statuses ${byStatus} (500 = no socket route, daphne's answer: ${noRoute500})`);
    });
  },
);
