// The handshake's Origin allow-list (issue 13 #10, WS_ALLOWED_ORIGINS): off by default, as the original
// (no OriginValidator in its asgi.py); when set, Channels' OriginValidator semantics on every socket route —
// a foreign Origin is denied with daphne's bare 403 and no upgrade, before the token is even looked up; a
// handshake without Origin (the Android app sends none) goes through.
import net from 'node:net';
import { expect } from 'chai';
import { userToken } from '../helpers/harness.ts';
import { describeServer } from '../helpers/suites.ts';
import { WsClient } from '../helpers/wsclient.ts';
import { originAllowed } from '../../src/realtime/origins.ts';
import { validOriginPattern } from '../../src/config.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';

const RIYA = userToken('Riya'); // rooms 1 2 3
const MEERA = userToken('Meera'); // rooms 1 3

const ALLOWED = 'https://app.example.org,.example.net,http://localhost:3000';

/** The handshake's HTTP status (101 when accepted; the socket is then closed). */
async function status(url: string, origin?: string): Promise<number> {
  const res = await WsClient.open(url, 10000, origin === undefined ? undefined : { Origin: origin });
  if ('status' in res) return res.status;
  res.client.terminate();
  return 101;
}

/** Everything the server writes back to a raw upgrade request with this Origin, until it closes. */
function rawHandshake(port: number, target: string, origin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => sock.destroy(new Error('the server did not close the connection')), 10000);
    sock.on('connect', () =>
      sock.write(
        `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: ${origin}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
    sock.on('data', (c: Buffer) => (got += c.toString('latin1')));
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

describe('Origin patterns (Channels OriginValidator)', () => {
  it('matches scheme, host and port (the port by scheme when absent), and hosts alone as ALLOWED_HOSTS', () => {
    const allowed = ALLOWED.split(',');
    const yes = [
      'https://app.example.org',
      'https://APP.example.org',
      'https://app.example.org:443',
      'https://chat.example.net',
      'http://example.net:8080',
      'http://localhost:3000',
    ];
    const no = [
      'http://app.example.org',
      'https://app.example.org:8443',
      'https://sub.app.example.org',
      'https://example.network',
      'https://evil.example.com',
      'http://localhost:3001',
      'http://localhost',
      'null',
      '',
      'app.example.org',
      'https://app.example.org:99999',
    ];
    for (const o of yes) expect(originAllowed(o, allowed), o).to.equal(true);
    for (const o of no) expect(originAllowed(o, allowed), o).to.equal(false);
    // No Origin header: let through (the app sends none).
    expect(originAllowed(undefined, allowed)).to.equal(true);
    // `*`, or the setting unset: everything.
    for (const o of [...yes, ...no]) {
      expect(originAllowed(o, ['*'])).to.equal(true);
      expect(originAllowed(o, null)).to.equal(true);
    }
  });

  it('WS_ALLOWED_ORIGINS: unset = no check; entries that could never match are refused at start-up', () => {
    expect(loadConfig({}).wsAllowedOrigins).to.equal(null);
    expect(loadConfig({ WS_ALLOWED_ORIGINS: ' https://a.example.org , .example.net ' }).wsAllowedOrigins).to.deep.equal([
      'https://a.example.org',
      '.example.net',
    ]);
    for (const ok of ['*', 'https://a.example.org:8443', 'example.org', '.example.org', 'http://[::1]:3000', 'https://a.example.org/'])
      expect(validOriginPattern(ok), ok).to.equal(true);
    for (const bad of ['example.org:8000', '*.example.org', 'https://*.example.org', 'https://a.example.org/path', 'https://', ' ,'])
      expect(() => loadConfig({ WS_ALLOWED_ORIGINS: bad }), bad).to.throw(ConfigError);
  });
});

describeServer('handshake Origin allow-list (WS_ALLOWED_ORIGINS)', { env: { WS_ALLOWED_ORIGINS: ALLOWED } }, (srv) => {
  it('chat socket: an allowed Origin is accepted and works; a foreign one gets 403; no Origin is accepted', async () => {
    const url = `${srv.wsUrl}/ws/chat/1/?token=${RIYA}`;
    const riya = await WsClient.connect(url, 10000);
    const res = await WsClient.open(`${srv.wsUrl}/ws/chat/1/?token=${MEERA}`, 10000, { Origin: 'https://app.example.org' });
    if (!('client' in res)) throw new Error(`allowed Origin refused with ${res.status}`);
    const meera = res.client;
    try {
      meera.send({ message: 'from an allowed origin' });
      expect(await riya.nextJson(10000)).to.include({ message: 'from an allowed origin', is_self: false });
      expect(await meera.nextJson(10000)).to.include({ message: 'from an allowed origin', is_self: true });
    } finally {
      riya.terminate();
      meera.terminate();
    }
    expect(await status(url, 'https://chat.example.net')).to.equal(101);
    expect(await status(url, 'https://evil.example.com')).to.equal(403);
    expect(await status(url, 'http://app.example.org')).to.equal(403);
    expect(await status(url, 'null')).to.equal(403);
  });

  it('notification socket: the same rule', async () => {
    const url = `${srv.wsUrl}/ws/notifications/?token=${RIYA}`;
    expect(await status(url)).to.equal(101);
    expect(await status(url, 'http://localhost:3000')).to.equal(101);
    expect(await status(url, 'https://evil.example.com')).to.equal(403);
  });

  it("a refusal is daphne's bare 403 and no upgrade, decided before the token is looked up (any route)", async () => {
    const port = Number(new URL(srv.baseUrl).port);
    const before = { ...srv.ctx.handshakes.stats };
    for (const target of [`/ws/chat/1/?token=${RIYA}`, `/ws/notifications/?token=${RIYA}`, '/ws/nowhere/']) {
      expect(await rawHandshake(port, target, 'https://evil.example.com'), target).to.equal('HTTP/1.1 403 Access denied\r\n\r\n');
    }
    expect(srv.ctx.handshakes.stats.lookups).to.equal(before.lookups);
  });
});

describeServer('handshake Origin: no allow-list by default (the original)', (srv) => {
  it('any Origin is accepted on both socket routes', async () => {
    expect(await status(`${srv.wsUrl}/ws/chat/1/?token=${RIYA}`, 'https://evil.example.com')).to.equal(101);
    expect(await status(`${srv.wsUrl}/ws/notifications/?token=${RIYA}`, 'null')).to.equal(101);
    expect(await status(`${srv.wsUrl}/ws/chat/1/?token=${RIYA}`)).to.equal(101);
  });
});
