// The bench's limit reference (bench/limit/server.ts): it broadcasts csi-chat's chat_message shape with
// is_self per recipient, and a port it cannot have is a clear error (in the API and from the command line).
import net from 'node:net';
import { spawn } from 'node:child_process';
import { expect } from 'chai';
import WebSocket from 'ws';
import { startLimitServer } from '../../bench/limit/server.ts';
import { ROOT } from '../helpers/harness.ts';

function listenAnywhere(): Promise<net.Server> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;

function open(url: string): Promise<{ ws: WebSocket; frames: string[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const frames: string[] = [];
    ws.on('message', (d: Buffer) => frames.push(d.toString()));
    ws.once('open', () => resolve({ ws, frames }));
    ws.once('error', reject);
  });
}

describe('bench limit server', () => {
  it('broadcasts one chat_message-shaped frame per member, is_self true only for the sender', async () => {
    const srv = await startLimitServer({ port: 0 });
    try {
      const a = await open(`ws://127.0.0.1:${srv.port}/ws/chat/5/`);
      const b = await open(`ws://127.0.0.1:${srv.port}/ws/chat/5/`);
      a.ws.send(JSON.stringify({ message: 'hi "there"' }));
      const t0 = Date.now();
      while ((a.frames.length < 1 || b.frames.length < 1) && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 10));
      const fa = JSON.parse(a.frames[0]);
      const fb = JSON.parse(b.frames[0]);
      expect(Object.keys(fa)).to.deep.equal([
        'message',
        'sender',
        'message_type',
        'id',
        'is_self',
        'attachment',
        'created_at',
        'room',
        'parent_message',
      ]);
      expect(fa).to.include({ message: 'hi "there"', is_self: true, room: 5 });
      expect(fb).to.include({ message: 'hi "there"', is_self: false, id: fa.id });
      expect(a.frames[0]).to.contain('"is_self": true, "attachment": null');
      a.ws.terminate();
      b.ws.terminate();
    } finally {
      await srv.close();
    }
  });

  it('a port in use is refused with an error naming it', async () => {
    const busy = await listenAnywhere();
    try {
      const err = await startLimitServer({ port: portOf(busy) }).then(
        () => null,
        (e: Error) => e,
      );
      expect(err?.message).to.equal(
        `limit server: 127.0.0.1:${portOf(busy)} is already in use (EADDRINUSE): stop what listens there or pass another --port`,
      );
      const bad = await startLimitServer({ port: 70000 }).then(
        () => null,
        (e: Error) => e,
      );
      expect(bad?.message).to.match(/invalid port 70000/);
    } finally {
      busy.close();
    }
  });

  it('from the command line: exit status 2 and the same line on stderr', async () => {
    const busy = await listenAnywhere();
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'bench/limit/server.ts', '--port', String(portOf(busy))], { cwd: ROOT });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((r) => child.on('exit', r));
      expect(code).to.equal(2);
      expect(stderr).to.contain(`127.0.0.1:${portOf(busy)} is already in use (EADDRINUSE)`);
    } finally {
      busy.close();
    }
  });
});
