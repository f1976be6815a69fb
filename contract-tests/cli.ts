// npm run contract -- [--base-url http://host:port] [--ws-url ws://host:port] [--reset-cmd "shell command"]
//                     [--only a,b] [--read-only] [--include-pending] [--map-ids] [--keep-going] [--verbose]
// Replays the golden transcripts against a server and prints one line per transcript (details on failure).
// Exit code: 0 all selected transcripts passed, 1 some failed, 2 usage or start-up error.
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { formatResult, runTranscript, type RunOptions } from './runner.ts';
import { selectTranscripts, validateSuite } from './suite.ts';
import type { Target } from './types.ts';

const USAGE = `usage: npm run contract -- [options]
  --base-url URL       server under test (default: start csi-chat in process on PGlite, or DATABASE_URL)
  --ws-url URL         WebSocket base (default: --base-url with http -> ws)
  --reset-cmd CMD      shell command run before each transcript with --base-url (default: no reset)
  --only a,b           run only these transcripts (pending ones included when named)
  --read-only          only the transcripts that change nothing (safe methods, no socket frame sent):
                       the smoke test of a live deployment (docs/swap.md); never with --reset-cmd;
                       current_status is compared by shape only (without resets, presence moves)
  --include-pending    also run transcripts listed in contract-tests/pending.json (not counted as failures)
  --map-ids            accept other ids for rows created in a transcript (consistent first-seen mapping)
  --strict-status      current_status exactly as recorded (default: online <-> a local time tolerated)
  --keep-going         go on after the first failing step of a transcript
  --verbose            print tolerances used (e.g. current_status online vs a local time)`;

function runShell(cmd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', cmd], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-2000)));
    child.on('error', reject);
    child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`reset command exited with ${code ?? signal}: ${err.trim()}`))));
  });
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        'base-url': { type: 'string' },
        'ws-url': { type: 'string' },
        'reset-cmd': { type: 'string' },
        only: { type: 'string' },
        'include-pending': { type: 'boolean', default: false },
        'read-only': { type: 'boolean', default: false },
        'map-ids': { type: 'boolean', default: false },
        'keep-going': { type: 'boolean', default: false },
        'strict-status': { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }

  const suiteProblems = validateSuite();
  if (suiteProblems.length) {
    console.error('contract-tests configuration problems:\n' + suiteProblems.map((p) => '  - ' + p).join('\n'));
    return 2;
  }
  const readOnly = args['read-only'];
  if (readOnly && args['reset-cmd']) {
    console.error('--read-only never resets the target: --reset-cmd would rewrite its database');
    return 2;
  }
  const only = args.only
    ? args.only
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;
  const { run, skipped, unknown, notReadOnly } = selectTranscripts({ only, includePending: args['include-pending'], readOnly });
  if (unknown.length) {
    console.error(`unknown transcript(s): ${unknown.join(', ')}`);
    return 2;
  }
  if (notReadOnly.length) {
    console.error(`not read-only (they change data), refused with --read-only: ${notReadOnly.join(', ')}`);
    return 2;
  }

  let target: Target;
  let close = async () => {};
  if (args['base-url']) {
    const baseUrl = args['base-url'].replace(/\/+$/, '');
    const resetCmd = args['reset-cmd'];
    target = {
      baseUrl,
      wsUrl: (args['ws-url'] ?? baseUrl.replace(/^http/, 'ws')).replace(/\/+$/, ''),
      reset: resetCmd ? () => runShell(resetCmd) : async () => {},
    };
    console.log(
      `target ${baseUrl}${resetCmd ? `, reset: ${resetCmd}` : ', no reset between transcripts'}${readOnly ? `; read-only: ${run.length} transcripts that change nothing` : ''}`,
    );
  } else {
    if (args['reset-cmd'] || args['ws-url']) console.error('--reset-cmd/--ws-url only apply with --base-url (ignored)');
    const backend = process.env.DATABASE_URL ? 'pg' : 'pglite';
    const { startInProcess } = await import('./inprocess.ts');
    const t = await startInProcess(backend);
    target = t;
    close = async () => {
      await t.close();
      const { closeSharedDatabases } = await import('../test/helpers/harness.ts');
      await closeSharedDatabases();
    };
    console.log(`target in-process csi-chat on ${backend === 'pg' ? 'Postgres (DATABASE_URL)' : 'PGlite'} at ${t.baseUrl}`);
  }

  const opts: RunOptions = { mapIds: args['map-ids'], keepGoing: args['keep-going'], strictStatus: args['strict-status'], anyStatus: readOnly };
  let failed = 0;
  let passed = 0;
  let pendingFailed = 0;
  const pendingPassed: string[] = [];
  try {
    for (const s of run) {
      const r = await runTranscript(s.transcript, target, { ...opts, variant: s.variant });
      const explicitlyNamed = !!only?.includes(s.name);
      console.log(formatResult(r, { verbose: args.verbose, pending: s.pending }));
      if (r.ok) {
        passed++;
        if (s.pending) pendingPassed.push(s.name);
      } else if (s.pending && !explicitlyNamed) pendingFailed++;
      else failed++;
    }
  } finally {
    await close();
  }
  for (const s of skipped) console.log(`○ ${s.name}  pending on issue #${s.pending.issue}: ${s.pending.reason}`);
  const parts = [`${passed} passed`, `${failed} failed`];
  if (pendingFailed) parts.push(`${pendingFailed} pending failed`);
  if (skipped.length) parts.push(`${skipped.length} pending (not run)`);
  console.log(`\n${parts.join(', ')}`);
  if (pendingPassed.length)
    console.log(`now passing while listed in pending.json: ${pendingPassed.join(', ')} — remove them from contract-tests/pending.json`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(2);
  },
);
