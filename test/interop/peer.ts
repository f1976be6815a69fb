// Drives test/interop/peer.py (a real Django + Channels + channels_redis process) over JSON lines.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Debian's interpreter, not a pyenv/venv python3 from PATH: the packages live in dist-packages. */
export const INTEROP_PYTHON = process.env.INTEROP_PYTHON ?? '/usr/bin/python3';

/** null when the Django peer can run, else the reason it cannot (asked of Python once per process). */
export function interopUnavailable(): string | null {
  if (interopReason === undefined) interopReason = checkInterop();
  return interopReason;
}

let interopReason: string | null | undefined;

function checkInterop(): string | null {
  const r = spawnSync(
    INTEROP_PYTHON,
    [
      '-c',
      'import django, channels, channels_redis, msgpack, channels.testing; print(django.__version__, channels.__version__, channels_redis.__version__)',
    ],
    {
      encoding: 'utf8',
      timeout: 20000,
    },
  );
  if (r.error)
    return `${INTEROP_PYTHON} cannot run (${r.error.message}); run .ci/install-interop.sh (apt: python3-django python3-django-channels python3-channels-redis python3-daphne)`;
  if (r.status !== 0) return `Django peer packages missing for ${INTEROP_PYTHON}: ${r.stderr.trim().split('\n').pop()}; run .ci/install-interop.sh`;
  return null;
}

export type PeerEvent = Record<string, unknown> & { event?: string; op?: string };

export class DjangoPeer {
  readonly events: PeerEvent[] = [];
  readonly stderr: string[] = [];
  private waiters: Array<() => void> = [];
  private opQueue: Promise<unknown> = Promise.resolve();
  ready!: PeerEvent;

  private constructor(private readonly child: ChildProcess) {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as PeerEvent);
      } catch {
        this.stderr.push(`stdout: ${line}`);
      }
      this.wake();
    });
    readline.createInterface({ input: child.stderr! }).on('line', (line) => {
      if (this.stderr.length < 200) this.stderr.push(line);
    });
    child.on('exit', () => this.wake());
  }

  static async start(env: Record<string, string>): Promise<DjangoPeer> {
    const child = spawn(INTEROP_PYTHON, [path.join(HERE, 'peer.py')], {
      env: { ...process.env, ...env, PYTHONUNBUFFERED: '1', PYTHONPATH: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const peer = new DjangoPeer(child);
    peer.ready = await peer.waitFor((e) => e.op === 'ready', 20000);
    return peer;
  }

  private wake() {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }

  /** Waits for the first event (from index `from`) matching `pred`. */
  async waitFor(pred: (e: PeerEvent) => boolean, ms = 10000, from = 0): Promise<PeerEvent> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.events.slice(from).find(pred);
      if (found) return found;
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(
          `Django peer: no matching event within ${ms} ms (exit ${this.child.exitCode}); stderr:\n${this.stderr.slice(-20).join('\n')}`,
        );
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(100, Math.max(1, deadline - Date.now())));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Sends a command and waits for its reply ({"op": same}); commands run one at a time. */
  command(cmd: Record<string, unknown>, ms = 15000): Promise<PeerEvent> {
    const run = async () => {
      const from = this.events.length;
      this.child.stdin!.write(JSON.stringify(cmd) + '\n');
      const reply = await this.waitFor((e) => e.op === cmd.op, ms, from);
      if (reply.error) throw new Error(`Django peer ${String(cmd.op)} failed: ${String(reply.error)}`);
      return reply;
    };
    const p = this.opQueue.then(run, run);
    this.opQueue = p.catch(() => undefined);
    return p;
  }

  frames(conn: number): Array<{ handler: string; frame: Record<string, unknown> }> {
    return this.events
      .filter((e) => e.event === 'frame' && e.conn === conn)
      .map((e) => e.data as { handler: string; frame: Record<string, unknown> });
  }

  messages(channel: string): Array<Record<string, unknown>> {
    return this.events.filter((e) => e.event === 'message' && e.channel === channel).map((e) => e.message as Record<string, unknown>);
  }

  closedEvents(): PeerEvent[] {
    return this.events.filter((e) => e.event === 'closed');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.stdin!.write('{"op":"quit"}\n');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  }
}
