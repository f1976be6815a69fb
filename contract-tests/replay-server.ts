// A server that plays one transcript's recorded side back: the n-th request/connection/frame it gets is
// answered with what the golden recorded for that step (exact bytes, status, headers, frames, closes).
// Used to check the runner itself: every golden must pass against its own recording.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Step, Target, Transcript } from './types.ts';

export interface ReplayServer extends Target {
  /** Problems seen by the server (requests out of order, unexpected ones). */
  problems: string[];
  close(): Promise<void>;
}

const STATUS_TEXT: Record<number, string> = { 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error' };

export async function startReplayServer(t: Transcript): Promise<ReplayServer> {
  const steps: Step[] = t.steps;
  let pos = 0;
  const problems: string[] = [];
  const sockets = new Map<string, WebSocket>();

  /** Advances to the next step of `kind` (steps in between must be ws_expect) and returns its index. */
  const next = (kind: 'http' | 'ws_connect' | 'ws_send'): number => {
    while (pos < steps.length && steps[pos].ws_expect) pos++;
    if (pos >= steps.length || !steps[pos][kind]) {
      problems.push(`got a ${kind} at step ${pos + 1}, which is ${JSON.stringify(steps[pos] ?? 'the end').slice(0, 120)}`);
      return -1;
    }
    return pos++;
  };

  /** Sends the frames (and closes) of the ws_expect steps that follow step k. */
  const deliver = (k: number) => {
    for (let j = k + 1; j < steps.length && steps[j].ws_expect; j++) {
      const e = steps[j].ws_expect!;
      const ws = sockets.get(e.client);
      if (!ws) continue;
      for (const raw of e.frames_raw) ws.send(raw);
      if (e.closed_by_server) {
        ws.close(e.closed_by_server.code);
        sockets.delete(e.client);
      }
    }
  };

  let port = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const k = next('http');
      if (k < 0) {
        res.writeHead(599);
        res.end();
        return;
      }
      const e = steps[k].expect!;
      const headers: Record<string, string> = { ...(e.headers ?? {}) };
      if (e.content_type) headers['Content-Type'] = e.content_type;
      res.writeHead(e.status, headers);
      // Links carry the Host the request was made to.
      res.end((e.body_text ?? '').split('http://127.0.0.1:8000/').join(`http://127.0.0.1:${port}/`), () => setTimeout(() => deliver(k), 5));
    });
  });
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  server.on('upgrade', (req, socket, head) => {
    const k = next('ws_connect');
    const step = steps[k];
    if (k < 0 || step.expect?.accepted === false) {
      const status = step?.expect?.status ?? 500;
      socket.end(`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Refused'}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const name = step.ws_connect!.client;
      sockets.set(name, ws);
      ws.on('message', (data) => {
        const s = next('ws_send');
        if (s < 0) return;
        if (steps[s].ws_send!.client !== name || data.toString() !== steps[s].ws_send!.text)
          problems.push(`step ${s + 1}: frame ${data.toString()} from ${name}`);
        deliver(s);
      });
      ws.on('close', () => {
        if (sockets.get(name) === ws) sockets.delete(name);
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    problems,
    reset: async () => {
      pos = 0;
    },
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
