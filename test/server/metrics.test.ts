// GET /metrics: absent (Django's 404) unless METRICS_TOKEN is set; then bearer-protected Prometheus text
// whose socket gauge follows real connections.
import { expect } from 'chai';
import { startServer, userToken, type TestServer } from '../helpers/harness.ts';
import { describeServer } from '../helpers/suites.ts';
import { WsClient } from '../helpers/wsclient.ts';

describeServer('metrics endpoint [pglite]', { backend: 'pglite', timeout: 60000, resetEachTest: false }, (plain) => {
  let metered: TestServer;
  before(async () => {
    metered = await startServer('pglite', { seed: false, env: { METRICS_TOKEN: 's3cret' } });
  });
  after(async () => metered?.close());

  it("is the original's 404 without METRICS_TOKEN", async () => {
    const res = await fetch(`${plain.baseUrl}/metrics`);
    expect(res.status).to.equal(404);
    expect(res.headers.get('content-type')).to.match(/^text\/html/);
  });

  it('needs the bearer token', async () => {
    expect((await fetch(`${metered.baseUrl}/metrics`)).status).to.equal(401);
    expect((await fetch(`${metered.baseUrl}/metrics`, { headers: { Authorization: 'Bearer nope' } })).status).to.equal(401);
  });

  it('counts open sockets and frames', async () => {
    const get = async () => (await fetch(`${metered.baseUrl}/metrics`, { headers: { Authorization: 'Bearer s3cret' } })).text();
    const value = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    const before = await get();
    expect(value(before, 'csichat_sockets_open')).to.equal(0);
    expect(value(before, 'csichat_layer_healthy')).to.equal(1);
    const c = await WsClient.connect(`${metered.wsUrl}/ws/chat/1/?token=${userToken('Kabir')}`);
    c.send({ message: 'metered' });
    await c.next();
    const during = await get();
    expect(value(during, 'csichat_sockets_open')).to.equal(1);
    expect(value(during, 'csichat_frames_out_total')).to.be.at.least(1);
    expect(during).to.match(/^# TYPE process_resident_memory_bytes gauge$/m);
    c.close();
  });
});
