// The judge is tested: a mutated expectation fails with a clear diff, a server answering one field
// differently / with another key order / other spacing fails, volatile fields are tolerated only in
// their documented format, generated values are used consistently, and variants are validated.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { WebSocketServer, type WebSocket } from 'ws';
import { pythonDumps } from '../src/python/json.ts';
import { lineDiff } from './diff.ts';
import { startInProcess, type InProcessTarget } from './inprocess.ts';
import { instantKey, loadSeedFacts, Normaliser } from './normalise.ts';
import { formatResult, runTranscript } from './runner.ts';
import { startReplayServer } from './replay-server.ts';
import { goldenNames, loadGolden, validateVariant, type Divergence } from './suite.ts';
import type { Step, Target, Transcript } from './types.ts';

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

interface Fake extends Target {
  close(): Promise<void>;
}

/** A tiny HTTP (+ optional WebSocket) server; reset is a no-op. */
async function fakeServer(handler: http.RequestListener, onSocket?: (ws: WebSocket, path: string) => void): Promise<Fake> {
  const server = http.createServer(handler);
  let wss: WebSocketServer | null = null;
  if (onSocket) {
    wss = new WebSocketServer({ server, perMessageDeflate: false });
    wss.on('connection', (ws, req) => onSocket(ws, req.url ?? '/'));
  }
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    reset: async () => {},
    async close() {
      for (const c of wss?.clients ?? []) c.terminate();
      wss?.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** A proxy in front of `upstream` whose response bodies/headers pass through `transform`. */
function proxy(upstream: Target, transform: (body: string, headers: http.IncomingHttpHeaders) => string): Promise<Fake> {
  return fakeServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const up = http.request(upstream.baseUrl + req.url, { method: req.method, headers: req.headers }, (ur) => {
        const body: Buffer[] = [];
        ur.on('data', (c: Buffer) => body.push(c));
        ur.on('end', () => {
          const headers = { ...ur.headers };
          const out = Buffer.from(transform(Buffer.concat(body).toString('utf8'), headers), 'utf8');
          headers['content-length'] = String(out.length);
          delete headers['transfer-encoding'];
          res.writeHead(ur.statusCode ?? 500, headers);
          res.end(out);
        });
      });
      up.end(Buffer.concat(chunks));
    });
  });
}

function jsonServer(
  answer: (req: http.IncomingMessage, n: number) => { status?: number; body: string; headers?: Record<string, string> },
): Promise<Fake> {
  let n = 0;
  return fakeServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const a = answer(req, n++);
      res.writeHead(a.status ?? 200, { 'Content-Type': 'application/json', ...a.headers });
      res.end(a.body);
    });
  });
}

const httpStep = (path: string, body: unknown, extra: Partial<Step['http']> = {}): Step => ({
  http: { method: 'GET', path, headers: {}, ...extra },
  expect: { status: 200, content_type: 'application/json', headers: {}, body, body_text: JSON.stringify(body) },
});

const transcript = (steps: Step[], name = 'synthetic'): Transcript => ({ name, steps });

describe('contract runner: the judge', function () {
  this.timeout(60000);

  describe('against csi-chat (auth_login_success)', () => {
    let target: InProcessTarget;
    const fakes: Fake[] = [];
    const golden = loadGolden('auth_login_success');
    before(async () => {
      target = await startInProcess('pglite');
    });
    after(async () => {
      for (const f of fakes) await f.close();
      await target?.close();
    });
    const via = async (transform: (body: string, headers: http.IncomingHttpHeaders) => string) => {
      const p = await proxy(target, transform);
      fakes.push(p);
      return { ...p, reset: () => target.reset() };
    };

    it('passes unchanged', async () => {
      const r = await runTranscript(golden, target);
      expect(r.ok, formatResult(r)).to.equal(true);
    });

    it('fails with a clear diff when one expected value is mutated', async () => {
      const t = clone(golden);
      const body = t.steps[0].expect!.body as Record<string, unknown>;
      const original = body.message as string;
      body.message = original + '!';
      t.steps[0].expect!.body_text = JSON.stringify(body);
      const r = await runTranscript(t, target);
      expect(r.ok).to.equal(false);
      expect(r.failure!.index).to.equal(1);
      expect(r.failure!.kind).to.equal('http');
      const report = formatResult(r);
      expect(report).to.contain('✘ auth_login_success');
      expect(report).to.contain('step 1 (http): POST /api/user/login/');
      expect(report).to.contain(`body.message: expected ${JSON.stringify(original + '!')}, got ${JSON.stringify(original)}`);
      const lines = report.split('\n').map((l) => l.trim());
      expect(lines).to.include(`-   "message": ${JSON.stringify(original + '!')}`);
      expect(lines).to.include(`+   "message": ${JSON.stringify(original)}`);
    });

    it('fails when only the expected bytes differ (body_text)', async () => {
      const t = clone(golden);
      t.steps[0].expect!.body_text = t.steps[0].expect!.body_text!.replace(',', ', ');
      const r = await runTranscript(t, target);
      expect(r.ok).to.equal(false);
      expect(formatResult(r)).to.contain('bytes differ');
    });

    it('fails when the server answers one field differently', async () => {
      const t = await via((b) => b.replace('"is_completed":false', '"is_completed":null'));
      const r = await runTranscript(golden, t);
      expect(r.ok).to.equal(false);
      expect(r.failure!.problems.join('\n')).to.contain('body.is_completed: expected false, got null');
    });

    it('fails when the server answers the same keys in another order', async () => {
      const t = await via((b) => {
        const v = JSON.parse(b) as Record<string, unknown>;
        const { message, ...rest } = v;
        return JSON.stringify({ message, ...rest });
      });
      const r = await runTranscript(golden, t);
      expect(r.ok).to.equal(false);
      expect(r.failure!.problems.join('\n')).to.contain('key order');
    });

    it('fails when the server answers with other spacing (Python separators instead of DRF compact JSON)', async () => {
      const t = await via((b) => pythonDumps(JSON.parse(b)));
      const r = await runTranscript(golden, t);
      expect(r.ok).to.equal(false);
      expect(r.failure!.problems.join('\n')).to.contain('the bytes are not DRF compact JSON');
    });

    it('fails when the server escapes non-ASCII that DRF writes raw', async () => {
      const body = { message: 'Welcome K\u00e4bir!' };
      const fake = await jsonServer(() => ({ body: '{"message":"Welcome K\\u00e4bir!"}' }));
      fakes.push(fake);
      const r = await runTranscript(transcript([httpStep('/x/', body)]), fake);
      expect(r.ok).to.equal(false);
      expect(r.failure!.problems.join('\n')).to.contain('the bytes are not DRF compact JSON');
    });

    it('fails on an extra tracked header (www-authenticate) or a different vary', async () => {
      const t = await via((b, h) => {
        h['www-authenticate'] = 'Token';
        h.vary = 'Accept';
        return b;
      });
      const r = await runTranscript(golden, t);
      expect(r.ok).to.equal(false);
      const text = r.failure!.problems.join('\n');
      expect(text).to.contain('header www-authenticate: "Token", expected (absent)');
      expect(text).to.contain('header vary: "Accept", expected "Cookie"');
    });
  });

  describe('volatile fields', () => {
    const fakes: Fake[] = [];
    after(async () => {
      for (const f of fakes) await f.close();
    });
    const serve = async (answer: Parameters<typeof jsonServer>[0]) => {
      const f = await jsonServer(answer);
      fakes.push(f);
      return f;
    };
    const created = '2026-11-24T05:58:15.880582+05:30';
    const one = (value: string) => transcript([httpStep('/x/', { id: 5, created_at: value })]);

    it('accepts another timestamp of the right format for a row created in the transcript', async () => {
      for (const actual of ['2026-12-01T10:11:12.123456+05:30', '2026-12-01T10:11:12+05:30']) {
        const f = await serve(() => ({ body: JSON.stringify({ id: 5, created_at: actual }) }));
        const r = await runTranscript(one(created), f);
        expect(r.ok, `${actual}\n${formatResult(r)}`).to.equal(true);
      }
    });

    it('rejects a timestamp of the wrong format (UTC Z, +00:00, 3-digit fraction, no offset)', async () => {
      for (const actual of [
        '2026-11-24T00:28:15.880582Z',
        '2026-11-24T00:28:15.880582+00:00',
        '2026-11-24T05:58:15.880+05:30',
        '2026-11-24T05:58:15.880582',
      ]) {
        const f = await serve(() => ({ body: JSON.stringify({ id: 5, created_at: actual }) }));
        const r = await runTranscript(one(created), f);
        expect(r.ok, actual).to.equal(false);
        expect(r.failure!.problems.join('\n')).to.contain('has not the format of');
      }
    });

    it('requires seeded timestamps exactly', async () => {
      const seeded = '2025-03-02T09:00:00+05:30';
      expect(loadSeedFacts().timestamps.has(instantKey(seeded)!)).to.equal(true);
      const f = await serve(() => ({ body: JSON.stringify({ id: 5, created_at: '2025-03-02T09:00:01+05:30' }) }));
      const r = await runTranscript(one(seeded), f);
      expect(r.ok).to.equal(false);
      expect(r.failure!.problems.join('\n')).to.contain('expected the seeded timestamp');
    });

    it('requires the same instant wherever the same created timestamp appears (REST +05:30 and WS +00:00 alike)', () => {
      const n = new Normaliser({ baseUrl: 'http://h:1' });
      expect(n.compare({ t: created }, { t: '2026-12-01T10:00:00.000001+05:30' }).problems).to.deep.equal([]);
      expect(n.compare({ t: '2026-11-24T00:28:15.880582+00:00' }, { t: '2026-12-01T04:30:00.000001+00:00' }).problems).to.deep.equal([]);
      expect(n.compare({ t: created }, { t: '2026-12-01T10:00:00.000002+05:30' }).problems[0]).to.contain('not the instant');
    });

    it('accepts any generated token, uses it consistently and substitutes it in later requests', async () => {
      const goldenToken = 'd9ebe59f40524e7d0170cbb71eb2aac66172a215';
      let issued = '';
      const f = await serve((req) => {
        if (req.url === '/login/') {
          issued = Array.from({ length: 40 }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');
          return { body: JSON.stringify({ token: issued }) };
        }
        const ok = req.headers.authorization === `Token ${issued}` && req.url === `/me/?t=${issued}`;
        return ok ? { body: JSON.stringify({ token: issued }) } : { status: 403, body: '{"detail":"Invalid token."}' };
      });
      const t = transcript([
        httpStep('/login/', { token: goldenToken }, { method: 'POST', body: {} }),
        httpStep(`/me/?t=${goldenToken}`, { token: goldenToken }, { headers: { Authorization: `Token ${goldenToken}` } }),
      ]);
      const r = await runTranscript(t, f);
      expect(r.ok, formatResult(r)).to.equal(true);
      // A seeded token where a new one is expected, or two different values for one golden token: rejected.
      const n = new Normaliser({ baseUrl: 'http://h:1' });
      expect(n.compare({ token: goldenToken }, { token: '9f2c1a7b3e4d5f60718293a4b5c6d7e8f9a0b1c2' }).problems[0]).to.contain('seeded token');
      expect(n.compare({ token: goldenToken }, { token: 'a'.repeat(40) }).problems).to.deep.equal([]);
      expect(n.compare({ token: goldenToken }, { token: 'b'.repeat(40) }).problems[0]).to.contain('differs from');
      expect(n.compare({ token: goldenToken }, { token: 'A'.repeat(40) }).problems[0]).to.contain('40-char lower-case hex');
      // A seeded token must match exactly.
      expect(n.compare({ token: '9f2c1a7b3e4d5f60718293a4b5c6d7e8f9a0b1c2' }, { token: 'c'.repeat(40) }).problems).to.have.length(1);
    });

    it('accepts Cloudinary upload URLs of the README pattern, the same one across the transcript', () => {
      const g = 'http://res.cloudinary.com/dcbla9zbl/image/upload/v1795480225/l4wogppks2bnkctr45rm.png';
      const a = 'http://res.cloudinary.com/dcbla9zbl/image/upload/v1800000000/abcdefghij0123456789.png';
      const n = new Normaliser({ baseUrl: 'http://h:1' });
      expect(n.compare({ attachment: g }, { attachment: a }).problems).to.deep.equal([]);
      expect(n.compare([g], [a]).problems).to.deep.equal([]);
      expect(n.compare([g], [a.replace('abcdefghij', 'zzzzzzzzzz')]).problems).to.have.length(1);
      expect(new Normaliser({ baseUrl: 'x' }).compare(g, a.replace('.png', '.pdf')).problems[0]).to.contain('extension');
      expect(new Normaliser({ baseUrl: 'x' }).compare(g, a.replace('http:', 'https:')).problems[0]).to.contain('not a Cloudinary upload URL');
    });

    it('replaces the recorded host in links by the target, nothing else', () => {
      const n = new Normaliser({ baseUrl: 'http://127.0.0.1:9999' });
      const link = 'http://127.0.0.1:8000/api/chat/groups/1/messages/?page=2';
      expect(n.compare({ next: link }, { next: 'http://127.0.0.1:9999/api/chat/groups/1/messages/?page=2' }).problems).to.deep.equal([]);
      expect(n.compare({ next: link }, { next: 'http://localhost:9999/api/chat/groups/1/messages/?page=2' }).problems).to.have.length(1);
      expect(n.compare({ next: link }, { next: 'http://127.0.0.1:9999/api/chat/groups/1/messages/?page=3' }).problems).to.have.length(1);
    });

    it('tolerates current_status online <-> local time only, and notes it', () => {
      const n = new Normaliser({ baseUrl: 'x' });
      expect(n.compare({ current_status: 'online' }, { current_status: '2026-11-24 06:00:00' }).problems).to.deep.equal([]);
      expect(n.compare({ current_status: '2025-04-11 10:15:00' }, { current_status: 'online' }).problems).to.deep.equal([]);
      expect(n.notes).to.have.length(2);
      expect(n.compare({ current_status: '2025-04-11 10:15:00' }, { current_status: '2025-04-11 04:45:00' }).problems).to.have.length(1);
      expect(n.compare({ current_status: 'offline' }, { current_status: 'online' }).problems).to.have.length(1);
      expect(n.compare({ other: 'online' }, { other: '2026-11-24 06:00:00' }).problems).to.have.length(1);
      const strict = new Normaliser({ baseUrl: 'x', strictStatus: true });
      expect(strict.compare({ current_status: 'online' }, { current_status: '2026-11-24 06:00:00' }).problems).to.have.length(1);
    });

    it('with anyStatus (--read-only, no resets) compares current_status by shape only, and notes it', () => {
      const n = new Normaliser({ baseUrl: 'x', anyStatus: true });
      expect(n.compare({ current_status: 'offline' }, { current_status: 'online' }).problems).to.deep.equal([]);
      expect(n.compare({ current_status: 'offline' }, { current_status: '2026-11-24 06:00:00' }).problems).to.deep.equal([]);
      expect(n.notes).to.have.length(2);
      expect(n.compare({ current_status: 'offline' }, { current_status: 'away' }).problems).to.have.length(1);
      expect(n.compare({ current_status: 'offline' }, { current_status: null }).problems).to.have.length(1);
      expect(n.compare({ other: 'offline' }, { other: 'online' }).problems).to.have.length(1);
    });

    it('requires ids exactly by default; --map-ids maps new ids consistently', () => {
      expect(new Normaliser({ baseUrl: 'x' }).compare({ id: 32 }, { id: 33 }).problems).to.have.length(1);
      const n = new Normaliser({ baseUrl: 'x', mapIds: true });
      expect(n.compare({ id: 32, room: 5 }, { id: 40, room: 9 }).problems).to.deep.equal([]);
      expect(n.compare({ message_id: 32 }, { message_id: 40 }).problems).to.deep.equal([]);
      expect(n.compare({ id: 32 }, { id: 41 }).problems).to.have.length(1);
      expect(n.compare({ id: 33 }, { id: 40 }).problems).to.have.length(1);
      expect(n.compare({ count: 3 }, { count: 4 }).problems).to.have.length(1);
      expect(n.rewritePath('/api/chat/groups/5/messages/')).to.equal('/api/chat/groups/9/messages/');
      expect(n.rewriteFrame('{"action":"edit_message","message_id":32}')).to.equal('{"action":"edit_message","message_id":40}');
    });
  });

  describe('WebSocket frames', () => {
    const fakes: Fake[] = [];
    after(async () => {
      for (const f of fakes) await f.close();
    });
    const expected = { message: 'hi \u{1F44D}', sender: { name: 'Kabir', id: 3 }, is_self: true };
    const raw = pythonDumps(expected);
    const wsTranscript = (): Transcript =>
      transcript([
        { ws_connect: { client: 'a', path: '/ws/chat/1/' }, expect: { accepted: true } as Step['expect'] },
        { ws_connect: { client: 'b', path: '/ws/chat/1/' }, expect: { accepted: true } as Step['expect'] },
        { ws_send: { client: 'a', text: '{"message":"hi"}' } },
        { ws_expect: { client: 'a', wait_ms: 300, frames: [expected], frames_raw: [raw] } },
        { ws_expect: { client: 'b', wait_ms: 1, frames: [], frames_raw: [] } },
      ]);
    /** Answers the sender of each frame with `reply` (list of texts), optionally closing with a code. */
    const wsServer = async (reply: string[], closeCode?: number) => {
      const f = await fakeServer(
        (_req, res) => res.end(),
        (ws) => {
          ws.on('message', () => {
            for (const r of reply) ws.send(r);
            if (closeCode) ws.close(closeCode);
          });
        },
      );
      fakes.push(f);
      return f;
    };

    it('passes the exact Python json.dumps frame', async () => {
      expect(raw).to.equal('{"message": "hi \\ud83d\\udc4d", "sender": {"name": "Kabir", "id": 3}, "is_self": true}');
      const r = await runTranscript(wsTranscript(), await wsServer([raw]));
      expect(r.ok, formatResult(r)).to.equal(true);
    });

    it('fails on other spacing, raw emoji, another key order, a changed value or an extra frame', async () => {
      const cases: Array<[string[], string]> = [
        [[JSON.stringify(expected)], 'not Python json.dumps'],
        [[raw.replace('\\ud83d\\udc4d', '\u{1F44D}')], 'not Python json.dumps'],
        [[pythonDumps({ sender: expected.sender, message: expected.message, is_self: true })], 'key order'],
        [[pythonDumps({ ...expected, is_self: false })], 'frame[0].is_self: expected true, got false'],
        [[raw, raw], 'received 2 frame(s), expected 1'],
      ];
      for (const [reply, problem] of cases) {
        const r = await runTranscript(wsTranscript(), await wsServer(reply));
        expect(r.ok, reply.join(' | ')).to.equal(false);
        expect(r.failure!.kind).to.equal('ws_expect');
        expect(r.failure!.problems.join('\n'), reply.join(' | ')).to.contain(problem);
        expect(formatResult(r)).to.contain('diff (- expected, + actual');
      }
    });

    it('fails when the server closes a socket that should stay open, passes an expected close code', async () => {
      const r = await runTranscript(wsTranscript(), await wsServer([raw], 1011));
      expect(r.ok).to.equal(false);
      expect(r.failure!.problems.join('\n')).to.contain('server closed the socket with 1011, expected it to stay open');

      const t = wsTranscript();
      t.steps[3].ws_expect!.closed_by_server = { code: 1011 };
      const ok = await runTranscript(t, await wsServer([raw], 1011));
      expect(ok.ok, formatResult(ok)).to.equal(true);
      const wrong = await runTranscript(t, await wsServer([raw], 1000));
      expect(wrong.ok).to.equal(false);
      expect(wrong.failure!.problems.join('\n')).to.contain('closed the socket with 1000, expected 1011');
    });

    it('fails when a frame reaches a client that should get nothing', async () => {
      const f = await fakeServer(
        (_q, res) => res.end(),
        (() => {
          const all: WebSocket[] = [];
          return (ws: WebSocket) => {
            all.push(ws);
            ws.on('message', () => all.forEach((c) => c.send(raw)));
          };
        })(),
      );
      fakes.push(f);
      const r = await runTranscript(wsTranscript(), f);
      expect(r.ok).to.equal(false);
      expect(r.failure!.index).to.equal(5);
      expect(r.failure!.problems.join('\n')).to.contain('received 1 frame(s), expected 0');
    });

    it('checks handshake refusals and their status', async () => {
      const f = await fakeServer((_q, res) => {
        res.writeHead(403);
        res.end();
      });
      fakes.push(f);
      const refused = (status: number): Transcript =>
        transcript([{ ws_connect: { client: 'a', path: '/ws/x/' }, expect: { accepted: false, status } as Step['expect'] }]);
      expect((await runTranscript(refused(403), f)).ok).to.equal(true);
      const r = await runTranscript(refused(500), f);
      expect(r.failure!.problems[0]).to.contain('refused with 403, expected 500');
      const accepted = await runTranscript(
        transcript([{ ws_connect: { client: 'a', path: '/ws/x/' }, expect: { accepted: true } as Step['expect'] }]),
        f,
      );
      expect(accepted.failure!.problems[0]).to.contain('handshake refused with 403');
    });
  });

  describe('variants', () => {
    const golden = loadGolden('chat_mark_as_read');
    const divergences: Divergence[] = [{ id: 'd1', transcripts: ['chat_mark_as_read'], reason: 'r', issue: 5 }];
    const edited = () => {
      const v = clone(golden);
      v.steps[4].expect!.status = 404;
      return v;
    };

    it('accepts edited steps that carry a known divergence id', () => {
      const v = edited();
      v.steps[4].divergence = 'd1';
      v.description = 'VARIANT';
      expect(validateVariant(golden, v, divergences)).to.deep.equal([]);
    });

    it('rejects an unmarked edit, an unknown id, an id not listing the transcript, and a variant with no marked step', () => {
      expect(validateVariant(golden, edited(), divergences).join('\n')).to.contain('step 5: differs from the golden but carries no "divergence" id');
      const unknown = edited();
      unknown.steps[4].divergence = 'nope';
      expect(validateVariant(golden, unknown, divergences).join('\n')).to.contain('"nope" is not in divergences.json');
      const other = edited();
      other.steps[4].divergence = 'd1';
      expect(validateVariant(golden, other, [{ ...divergences[0], transcripts: ['x'] }]).join('\n')).to.contain('does not list chat_mark_as_read');
      expect(validateVariant(golden, clone(golden), divergences).join('\n')).to.contain('no step carries');
    });

    it('allows marked insertions and removals (a bare marker step), rejects silent removals', () => {
      const ins = clone(golden);
      ins.steps.splice(2, 0, { ...clone(golden.steps[0]), divergence: 'd1' });
      expect(validateVariant(golden, ins, divergences)).to.deep.equal([]);
      const removed = clone(golden);
      removed.steps.splice(2, 1);
      expect(validateVariant(golden, removed, divergences).join('\n')).to.contain('golden step(s) 3 removed');
      const marked = clone(golden);
      marked.steps.splice(2, 1, { divergence: 'd1', note: 'not applicable' });
      expect(validateVariant(golden, marked, divergences)).to.deep.equal([]);
    });
  });

  describe('every golden passes against a server that plays back its own recording', () => {
    for (const name of goldenNames()) {
      it(name, async () => {
        const golden = loadGolden(name);
        const server = await startReplayServer(golden);
        try {
          const r = await runTranscript(golden, server);
          expect(r.ok, formatResult(r)).to.equal(true);
          expect(server.problems).to.deep.equal([]);
        } finally {
          await server.close();
        }
      });
    }
  });

  it('line diff shows the changed lines with context', () => {
    const d = lineDiff(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].join('\n'), ['a', 'b', 'c', 'd', 'E', 'f', 'g', 'h', 'i'].join('\n'), {
      context: 1,
    });
    expect(d).to.equal(['  d', '- e', '+ E', '  f'].join('\n'));
  });
});
