// npm run ws -- /ws/chat/1/ <token> [--url http://localhost:8000]
// An interactive WebSocket client on the project's own `ws`: every frame the server sends is printed as
// it arrives; every line typed is sent as one text frame (JSON is not checked, so bad frames can be tried
// too). Ctrl-D or Ctrl-C closes the socket.
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const USAGE = `usage: npm run ws -- PATH TOKEN [--url http://localhost:8000]
  e.g. npm run ws -- /ws/chat/1/ 0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c
  then type: {"action": "send_message", "message": "hello"}`;

function main(): void {
  const { values, positionals } = parseArgs({
    options: { url: { type: 'string', default: process.env.CSI_CHAT_URL ?? 'http://localhost:8000' } },
    allowPositionals: true,
  });
  if (positionals.length !== 2) {
    console.error(USAGE);
    process.exit(2);
  }
  const [path, token] = positionals;
  const target = new URL(path, values.url);
  target.protocol = target.protocol === 'https:' ? 'wss:' : 'ws:';
  target.searchParams.set('token', token);
  const shown = target.toString().replace(token, token.slice(0, 6) + '…');

  const ws = new WebSocket(target);
  // Created once the socket is open, so lines piped in before that are not lost.
  let input: readline.Interface | null = null;

  ws.on('unexpected-response', (_req, res) => {
    console.error(`handshake refused: HTTP ${res.statusCode} (${shown})`);
    process.exit(1);
  });
  ws.on('error', (err) => {
    console.error(`cannot connect to ${shown}: ${err.message}`);
    process.exit(1);
  });
  ws.on('open', () => {
    console.log(`connected to ${shown} — type a JSON frame and press Enter; Ctrl-D to close`);
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout, prompt: '> ' });
    input = rl;
    rl.prompt();
    rl.on('line', (line) => {
      if (line.trim()) ws.send(line);
      rl.prompt();
    });
    // Piped input ends: give the server a moment to answer the last frames, then close.
    rl.on('close', () => setTimeout(() => ws.close(1000), 500));
  });
  ws.on('message', (data, isBinary) => {
    readline.clearLine(process.stdout, 0);
    readline.cursorTo(process.stdout, 0);
    console.log(isBinary ? `< binary frame of ${(data as Buffer).length} bytes` : `< ${data.toString()}`);
    input?.prompt(true);
  });
  ws.on('close', (code, reason) => {
    console.log(`\nclosed: ${code}${reason.length ? ` ${reason.toString()}` : ''}`);
    process.exit(0);
  });
}

main();
