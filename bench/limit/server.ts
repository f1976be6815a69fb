// The limit reference (issue #17): a bare `ws` broadcast server — no authentication, no database, no
// channel layer — that does only what csi-chat's fan-out must do at the least: /ws/chat/<room>/ puts the
// socket in the room; every {"message": …} becomes a chat_message-shaped frame (csi-chat's fields, in
// Python's json.dumps spacing), serialised once per is_self variant (one for the sender, one for the
// rest), and every socket's frames of one event-loop turn leave in one write (corked, uncorked in
// setImmediate). What csi-chat measures against it (bench/limit/run.ts) is the price of everything else.
//
//   node --import tsx bench/limit/server.ts [--port 18499] [--host 127.0.0.1]
import http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

export interface LimitServer {
  port: number;
  close(): Promise<void>;
}

interface Raw {
  cork(): void;
  uncork(): void;
}

const raw = (ws: WebSocket) => (ws as unknown as { _socket: Raw })._socket;

/** Starts the bare broadcaster; rejects with a readable error when the port cannot be had. */
export function startLimitServer(opts: { port: number; host?: string }): Promise<LimitServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    return Promise.reject(new Error(`limit server: invalid port ${String(opts.port)} (a whole number 0–65535)`));
  }
  const rooms = new Map<string, Set<WebSocket>>();
  const corked = new Set<Raw>();
  let nextId = 1;
  const uncorkAll = () => {
    for (const s of corked) s.uncork();
    corked.clear();
  };
  const write = (ws: WebSocket, frame: Buffer) => {
    const s = raw(ws);
    if (!corked.has(s)) {
      if (corked.size === 0) setImmediate(uncorkAll);
      s.cork();
      corked.add(s);
    }
    ws.send(frame, { binary: false });
  };
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"message": "Server is warm!"}');
  });
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
  server.on('upgrade', (req, socket, head) => {
    const m = /^\/ws\/chat\/(\d+)\//.exec(req.url ?? '');
    if (!m) return void socket.end('HTTP/1.1 500 Internal server error\r\n\r\n');
    const room = m[1];
    wss.handleUpgrade(req, socket, head, (ws) => {
      let set = rooms.get(room);
      if (!set) rooms.set(room, (set = new Set()));
      const members = set;
      members.add(ws);
      ws.on('close', () => members.delete(ws));
      ws.on('message', (d: Buffer) => {
        let message: unknown;
        try {
          message = (JSON.parse(d.toString()) as { message?: unknown }).message;
        } catch {
          return;
        }
        const head = `{"message": ${JSON.stringify(message ?? null)}, "sender": {"name": "Bench", "photo": null, "id": 1001, "role": "member"}, "message_type": "text", "id": ${nextId++}, "is_self": `;
        const tail = `, "attachment": null, "created_at": "${new Date().toISOString().replace('Z', '000+00:00')}", "room": ${room}, "parent_message": null}`;
        const self = Buffer.from(`${head}true${tail}`);
        const other = Buffer.from(`${head}false${tail}`);
        for (const peer of members) if (peer.readyState === peer.OPEN) write(peer, peer === ws ? self : other);
      });
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const where = `${host}:${opts.port}`;
      if (err.code === 'EADDRINUSE')
        reject(new Error(`limit server: ${where} is already in use (EADDRINUSE): stop what listens there or pass another --port`));
      else if (err.code === 'EACCES') reject(new Error(`limit server: no permission to listen on ${where} (EACCES): use a port above 1023`));
      else reject(new Error(`limit server: cannot listen on ${where}: ${err.message}`));
    });
    server.listen(opts.port, host, () => {
      const addr = server.address();
      resolve({
        port: typeof addr === 'object' && addr ? addr.port : opts.port,
        close: () =>
          new Promise<void>((done) => {
            for (const set of rooms.values()) for (const ws of set) ws.terminate();
            server.close(() => done());
          }),
      });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--port');
  const h = process.argv.indexOf('--host');
  const port = Number(i > 0 ? process.argv[i + 1] : (process.env.PORT ?? 18499));
  startLimitServer({ port, host: h > 0 ? process.argv[h + 1] : undefined }).then(
    () => {
      for (const s of ['SIGINT', 'SIGTERM'] as const) process.on(s, () => process.exit(0));
    },
    (err: Error) => {
      console.error(err.message);
      process.exit(2);
    },
  );
}
