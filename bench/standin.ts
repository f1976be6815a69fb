// A stand-in chat server with no database, no auth and no channel layer: /ws/chat/<room>/ broadcasts every
// {"message": …} to the room's sockets as a chat_message-shaped frame. It is NOT csi-chat; it measures the
// ceiling of this machine + ws + the load generator (what the bench can observe at most), and checks the
// load generator itself.   PORT=18499 node --import tsx bench/standin.ts
import http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

const port = Number(process.env.PORT ?? 18499);
const rooms = new Map<string, Set<WebSocket>>();
let nextId = 1;
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"message":"Server is warm!"}');
});
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
server.on('upgrade', (req, socket, head) => {
  const m = /^\/ws\/chat\/(\d+)\//.exec(req.url ?? '');
  if (!m) return socket.end('HTTP/1.1 500 Internal server error\r\n\r\n');
  wss.handleUpgrade(req, socket, head, (ws) => {
    const room = m[1];
    const set = rooms.get(room) ?? new Set();
    rooms.set(room, set);
    set.add(ws);
    ws.on('close', () => set.delete(ws));
    ws.on('message', (d) => {
      const { message } = JSON.parse(d.toString());
      const frame = JSON.stringify({
        message,
        sender: { name: 'Bench 0001', photo: null, id: 1001, role: 'member' },
        message_type: 'text',
        attachment: null,
        id: nextId++,
        created_at: new Date().toISOString().replace('Z', '+00:00'),
        room: Number(room),
        parent_message: null,
      });
      for (const peer of set) peer.send(frame);
    });
  });
});
server.listen(port, '127.0.0.1');
for (const s of ['SIGINT', 'SIGTERM'] as const) process.on(s, () => process.exit(0));
