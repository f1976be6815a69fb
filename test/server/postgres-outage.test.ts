// Postgres going away under a running server (a TCP proxy in front of the real Postgres is cut and
// restored): REST answers 503 JSON, new sockets are refused with 503, open sockets stay open and get an
// error frame saying nothing was saved; when Postgres is back, everything works again without restart.
import net from 'node:net';
import { expect } from 'chai';
import { resetToSeed, startServer, userToken, type TestServer } from '../helpers/harness.ts';
import { describeNeeding, postgresMissing } from '../helpers/suites.ts';
import { openDatabase, type Database } from '../../src/db/index.ts';
import { WsClient } from '../helpers/wsclient.ts';
import { ERR } from '../../src/chat/consumer.ts';

class CuttableProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async open(): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describeNeeding('Postgres outage under a running server [pg]', [postgresMissing], function () {
  this.timeout(60000);
  let proxy: CuttableProxy;
  let db: Database;
  let server: TestServer;
  const kabirToken = userToken('Kabir');
  const clients: WsClient[] = [];

  before(async () => {
    const parsed = new URL(process.env.DATABASE_URL!);
    proxy = new CuttableProxy({ host: parsed.hostname, port: Number(parsed.port || 5432) });
    await proxy.open();
    parsed.host = `127.0.0.1:${proxy.port}`;
    db = await openDatabase({ databaseUrl: parsed.toString(), pgliteDir: null });
    await resetToSeed(db);
    server = await startServer('pg', { build: { db }, seed: false });
  });

  after(async () => {
    for (const c of clients) c.close();
    await server?.close();
    await db?.close();
    await proxy?.cut();
  });

  const groups = () => fetch(`${server.baseUrl}/api/chat/groups/`, { headers: { Authorization: `Token ${kabirToken}` } });

  it('degrades with clear answers while Postgres is unreachable and recovers when it returns', async () => {
    const kabir = await WsClient.connect(`${server.wsUrl}/ws/chat/1/?token=${kabirToken}`);
    const meera = await WsClient.connect(`${server.wsUrl}/ws/chat/1/?token=${userToken('Meera')}`);
    clients.push(kabir, meera);
    expect((await groups()).status).to.equal(200);

    await proxy.cut();
    const down = await groups();
    expect(down.status).to.equal(503);
    expect(await down.json()).to.deep.equal({ detail: 'Service temporarily unavailable, try again later.' });
    expect(await WsClient.handshakeStatus(`${server.wsUrl}/ws/chat/1/?token=${kabirToken}`)).to.equal(503);
    kabir.send({ message: 'during the outage' });
    expect(await kabir.nextJson(15000)).to.deep.equal({ error: ERR.unavailable });
    expect(await meera.silence(200)).to.deep.equal([]);
    expect(kabir.closed).to.equal(null);
    expect(meera.closed).to.equal(null);

    await proxy.open();
    expect((await groups()).status).to.equal(200);
    kabir.send({ message: 'after the outage' });
    expect((await meera.nextJson(10000)).message).to.equal('after the outage');
    const stored = await db.knex('Chat_message').whereIn('content', ['during the outage', 'after the outage']).pluck('content');
    expect(stored).to.deep.equal(['after the outage']);
  });
});
