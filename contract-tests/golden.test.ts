// Every golden transcript (recorded from the Django original) replayed against an in-process csi-chat on
// each backend: one test per transcript, pending ones (contract-tests/pending.json) reported as pending,
// variants (contract-tests/variants/) replayed where csi-chat deliberately diverges.
import fs from 'node:fs';
import { expect } from 'chai';
import { backends } from '../test/helpers/harness.ts';
import { startInProcess, type InProcessTarget } from './inprocess.ts';
import { GOLDEN_DIR } from './normalise.ts';
import { formatResult, runTranscript } from './runner.ts';
import { compareFolders, goldenNames, loadPending, SHARED_GOLDEN_DIR, transcriptFor, validateSuite } from './suite.ts';

const names = goldenNames();
const pending = loadPending();

describe('contract suite configuration', function () {
  it('covers every golden transcript: each one is replayed or listed in pending.json', () => {
    expect(names.length).to.be.greaterThan(0);
    const run = names.filter((n) => !pending[n]);
    expect([...run, ...names.filter((n) => pending[n])].sort()).to.deep.equal(names);
  });

  it('has a consistent pending.json, divergences.json and variants', () => {
    const problems = validateSuite();
    expect(problems, problems.join('\n')).to.deep.equal([]);
  });

  // Only where the shared reference folder exists (the project machine); a clone has just the copy.
  const shared = fs.existsSync(SHARED_GOLDEN_DIR);
  (shared ? it : it.skip)(
    `keeps fixtures/golden/ equal to /work/shared/reference/golden/${shared ? '' : ` — pending: ${SHARED_GOLDEN_DIR} does not exist`}`,
    () => {
      const diff = compareFolders(SHARED_GOLDEN_DIR, GOLDEN_DIR);
      expect(diff, diff.join('\n')).to.deep.equal([]);
    },
  );
});

for (const backend of backends()) {
  describe(`golden transcripts replayed against csi-chat [${backend}]`, function () {
    this.timeout(120000);
    let target: InProcessTarget;
    before(async () => {
      target = await startInProcess(backend);
    });
    after(async () => {
      await target?.close();
    });

    for (const name of names) {
      const p = pending[name];
      if (p) {
        it(`${name} (pending on issue #${p.issue}: ${p.reason})`);
        continue;
      }
      const { transcript, variant } = transcriptFor(name);
      it(`${name}${variant ? ' (variant)' : ''}`, async () => {
        const result = await runTranscript(transcript, target, { variant });
        expect(result.ok, '\n' + formatResult(result)).to.equal(true);
      });
    }
  });
}
