// The loop every fuzz surface shares: inputs by index (each index has its own PRNG stream, so one input
// is replayed from the seed and its index), a bounded number in flight, the watch settled after each,
// a pause every `resetEvery` inputs (the database goes back to the seed: logouts, deletions and password
// changes made by earlier inputs would otherwise leave later ones nothing to reach), then the suspects
// replayed alone.
import http from 'node:http';
import { Watch } from './watch.ts';

export interface SurfaceSpec {
  count: number;
  concurrency: number;
  /** Runs input `index`; records failures on the watch. */
  run(index: number): Promise<void>;
  /** The input, printable, for the report. */
  describe(index: number): string;
  resetEvery?: number;
  reset?(): Promise<void>;
  /** Worker k runs the indexes ≡ k (mod concurrency), in order (one worker per socket: an input's
   * answers are not taken by the next input of the same socket). Default: any worker takes the next. */
  lanes?: boolean;
}

export async function runSurface(watch: Watch, spec: SurfaceSpec): Promise<number> {
  const t0 = Date.now();
  const resetEvery = spec.resetEvery ?? spec.count;
  watch.start();
  try {
    for (let from = 0; from < spec.count; from += resetEvery) {
      const to = Math.min(spec.count, from + resetEvery);
      let next = from;
      const inFlight = new Set<number>();
      const worker = async (k: number) => {
        let own = from + k;
        for (;;) {
          let i: number;
          if (spec.lanes) {
            i = own;
            own += spec.concurrency;
          } else {
            i = next++;
          }
          if (i >= to) break;
          inFlight.add(i);
          try {
            await spec.run(i);
          } catch (err) {
            let input: string;
            try {
              input = spec.describe(i);
            } catch (e) {
              input = `<input ${i} could not be described: ${String(e)}>`;
            }
            watch.fail(i, input, `the client failed: ${err instanceof Error ? err.message : String(err)}`);
          }
          watch.settle([i, ...inFlight]);
          inFlight.delete(i);
        }
      };
      await Promise.all(Array.from({ length: spec.concurrency }, (_, k) => worker(k)));
      if (to < spec.count && spec.reset) {
        await spec.reset();
        watch.takeDelayMs(); // the reset's own work is not an input's
      }
    }
    await watch.replaySuspects(spec.run, spec.describe);
  } finally {
    watch.stop();
  }
  return Date.now() - t0;
}

export interface RawReply {
  status: number;
  body: string;
}

/** One raw HTTP request over a keep-alive agent (any method with any body, any header), with a timeout. */
export function rawRequest(
  agent: http.Agent,
  baseUrl: string,
  req: { method: string; path: string; headers: Record<string, string>; body: Buffer | null },
  timeoutMs = 30000,
): Promise<RawReply> {
  const u = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.body) headers['Content-Length'] = req.body.length;
    const r = http.request({ host: u.hostname, port: u.port, method: req.method, path: req.path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < 4096) chunks.push(c);
        size += c.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8').slice(0, 4096) }));
      res.on('error', reject);
    });
    r.setTimeout(timeoutMs, () => r.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    r.on('error', reject);
    r.end(req.body ?? undefined);
  });
}
