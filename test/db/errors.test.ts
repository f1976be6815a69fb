// Which errors mean "the database is unreachable right now" (an error frame or 503, src/db/errors.ts) rather
// than a bug (the generic server-error frame and an error log): the driver's own errors, produced for real.
import net from 'node:net';
import { expect } from 'chai';
import pg from 'pg';
import { isDatabaseUnavailable } from '../../src/db/errors.ts';

/** A TCP server that accepts connections and never answers: a black-holed Postgres. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('isDatabaseUnavailable', () => {
  it("pg's connect timeout on a black-holed link ('timeout expired') is an outage, not a bug", async () => {
    const silent = await silentServer();
    try {
      const client = new pg.Client({ host: '127.0.0.1', port: silent.port, user: 'x', database: 'x', connectionTimeoutMillis: 200 });
      client.on('error', () => undefined);
      const err = await client.connect().then(
        () => null,
        (e: unknown) => e,
      );
      expect(String(err)).to.include('timeout expired');
      expect(isDatabaseUnavailable(err)).to.equal(true);
    } finally {
      await silent.close();
    }
  });

  it('a refused connection is an outage; a programming error is not', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: 1, user: 'x', database: 'x' });
    const err = await client.connect().then(
      () => null,
      (e: unknown) => e,
    );
    expect(isDatabaseUnavailable(err)).to.equal(true);
    expect(isDatabaseUnavailable(new TypeError("Cannot read properties of undefined (reading 'id')"))).to.equal(false);
    expect(isDatabaseUnavailable(Object.assign(new Error('syntax error at or near "x"'), { code: '42601' }))).to.equal(false);
  });
});
