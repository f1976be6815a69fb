// `npm run bench`: every scenario at smoke size (small N, seconds), Postgres + Redis, then the embedded mode
// (PGlite + memory layer) for fan-out and REST. Exits 0 only if every scenario delivered what it should.
// Needs Postgres (BENCH_PG, default postgres://postgres@127.0.0.1:5432) and Redis (BENCH_REDIS, default
// redis://127.0.0.1:6379/9) on loopback. Creates/drops its own database csi_bench_smoke.
import { execSync } from 'node:child_process';
import { ALL, runAll, type Outcome } from './run.ts';
import { rowLine, runLimit } from './limit/run.ts';

async function main(): Promise<void> {
  const t0 = Date.now();
  // The idle scenario opens hundreds of sockets on each side; make sure the soft limit allows it.
  try {
    const n = Number(execSync('ulimit -n', { shell: '/bin/bash' }).toString().trim());
    if (n < 4096) console.log(`note: ulimit -n is ${n}; raise it (ulimit -n $(ulimit -Hn)) for the idle scenario`);
  } catch {
    /* informational */
  }
  const results: Outcome[] = [];
  results.push(...(await runAll('smoke', ALL, { embedded: false, db: 'csi_bench_smoke', prof: false }, false)));
  results.push(
    ...(await runAll('smoke', ['fanout', 'rest'], { embedded: true, db: 'csi_bench_smoke', prof: false }, false)).map((r) => ({
      ...r,
      scenario: `${r.scenario} (embedded)`,
    })),
  );
  // csi-chat beside the limit reference (bench/limit/): small sizes, same database
  const limit = await runLimit('smoke', { db: 'csi_bench_smoke', skipSetup: true }).catch((err: Error) => {
    console.log(`limit: FAILED: ${err.message}`);
    return { ok: false, rows: [], lines: [] };
  });
  results.push({ scenario: 'limit (csi-chat beside the bare ws server)', ok: limit.ok, lines: limit.lines });
  console.log('');
  for (const r of limit.rows) console.log(rowLine(r));
  for (const r of results) console.log(`${r.ok ? 'PASS' : 'FAIL'} ${r.scenario}`);
  const ok = results.every((r) => r.ok);
  console.log(`bench smoke: ${ok ? 'all scenarios delivered' : 'FAILED'} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  process.exit(ok ? 0 : 1);
}

main().catch((err) => {
  console.error('bench smoke: fatal:', err);
  process.exit(1);
});
