// `npm run contract -- --base-url … --read-only`: the smoke test of a live deployment (docs/swap.md)
// replays only the transcripts that change nothing. Run here against a running server on the seed,
// with every table's rows and every sequence compared before and after: nothing is written, except the
// callers' User_user.last_seen (UpdateLastSeenMiddleware, as Django does on any authenticated request;
// against production the seed tokens do not exist, so not even that).
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import type { Knex } from 'knex';
import { backends, ROOT, startServer, type TestServer } from '../test/helpers/harness.ts';
import { allTableNames } from '../src/db/schema.ts';
import { rows } from '../src/db/sql.ts';
import { isReadOnly, selectTranscripts } from './suite.ts';

/** Row count and a digest of every row (minus last_seen) per table, and every sequence's position. */
async function snapshot(knex: Knex): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of allTableNames()) {
    const [r] = await rows<{ n: number; digest: string }>(
      knex,
      `SELECT count(*)::int AS n, coalesce(md5(string_agg(r, '|' ORDER BY r)), '') AS digest
         FROM (SELECT (to_jsonb(t) - 'last_seen')::text AS r FROM "${table}" t) x`,
    );
    out[table] = `${r.n} rows, ${r.digest}`;
  }
  for (const s of await rows<{ sequencename: string; last_value: string | null }>(
    knex,
    `SELECT sequencename, last_value::text FROM pg_sequences WHERE schemaname = 'public'`,
  )) {
    out[`sequence ${s.sequencename}`] = String(s.last_value);
  }
  return out;
}

function contractCli(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'contract-tests/cli.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('contract --read-only', function () {
  this.timeout(180000);

  it('selects the transcripts with safe methods only and no socket frame sent, and refuses to reset or to run a writing one', async () => {
    const { run } = selectTranscripts({ readOnly: true });
    const all = selectTranscripts({}).run;
    expect(run.length).to.be.at.least(10);
    expect(run.map((s) => s.name)).to.deep.equal(all.filter((s) => isReadOnly(s.transcript)).map((s) => s.name));
    for (const s of run) {
      for (const step of s.transcript.steps) {
        expect(step.ws_send, s.name).to.equal(undefined);
        if (step.http) expect(['GET', 'HEAD', 'OPTIONS'], s.name).to.include(step.http.method);
      }
    }
    expect(run.map((s) => s.name)).to.not.include.members(['chat_create_group', 'ws_send_message_basic', 'auth_login_success', 'ws_typing']);

    const reset = await contractCli(['--base-url', 'http://127.0.0.1:9', '--read-only', '--reset-cmd', 'true']);
    expect(reset.code).to.equal(2);
    expect(reset.out).to.contain('--read-only never resets the target');
    const writer = await contractCli(['--base-url', 'http://127.0.0.1:9', '--read-only', '--only', 'app_event_list,chat_create_group']);
    expect(writer.code).to.equal(2);
    expect(writer.out).to.contain('not read-only (they change data), refused with --read-only: chat_create_group');
  });

  for (const backend of backends()) {
    describe(`against a running server (${backend})`, () => {
      let srv: TestServer;
      before(async () => {
        srv = await startServer(backend);
      });
      after(async () => {
        await srv?.close();
      });

      it('passes on the seed and writes nothing: every row and sequence the same before and after', async () => {
        const before = await snapshot(srv.ctx.db.knex);
        const { run } = selectTranscripts({ readOnly: true });
        const result = await contractCli(['--base-url', srv.baseUrl, '--read-only']);
        await new Promise((r) => setTimeout(r, 300)); // writes after a response (last_seen) have landed
        const after = await snapshot(srv.ctx.db.knex);
        expect(result.code, result.out).to.equal(0);
        expect(result.out).to.contain(`read-only: ${run.length} transcripts that change nothing`);
        expect(result.out).to.contain(`${run.length} passed, 0 failed`);
        expect(after).to.deep.equal(before);
      });
    });
  }
});
