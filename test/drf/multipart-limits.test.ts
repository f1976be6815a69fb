// Multipart bodies bounded as Django bounds them (issue 13, finding 2): DATA_UPLOAD_MAX_NUMBER_FIELDS,
// DATA_UPLOAD_MAX_MEMORY_SIZE (all fields together) and DATA_UPLOAD_MAX_NUMBER_FILES answered with
// Django's 400 page; file parts dropped on routes that take no file; large files spilled to temporary
// files that are gone after the response; a process-wide bound on upload bytes in flight (503).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ROOT, userToken } from '../helpers/harness.ts';
import { call } from '../helpers/http.ts';
import { describeServer } from '../helpers/suites.ts';
import { BAD_REQUEST_HTML } from '../../src/drf/errors.ts';

const KABIR = userToken('Kabir');
const PNG = fs.readFileSync(path.join(ROOT, 'fixtures/golden/files/tiny.png'));
const spilled = () => fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('csi-upload-'));

function loginForm(extra: (f: FormData) => void): FormData {
  const f = new FormData();
  f.append('email', 'kabir.singh@akgec.ac.in');
  f.append('password', 'wrong');
  extra(f);
  return f;
}

describeServer(
  'multipart bodies bounded as Django bounds them',
  {
    timeout: 120000,
    env: { FILE_UPLOAD_MAX_MEMORY_SIZE: '1024', DATA_UPLOAD_MAX_NUMBER_FILES: '5', UPLOAD_MAX_BYTES_IN_FLIGHT: String(8 * 1024 * 1024) },
  },
  (srv) => {
    const login = (form: FormData) => call(srv, 'POST', '/api/user/login/', null, form);

    it("answers Django's 400 page past DATA_UPLOAD_MAX_NUMBER_FIELDS, DATA_UPLOAD_MAX_MEMORY_SIZE and DATA_UPLOAD_MAX_NUMBER_FILES", async () => {
      const tooManyFields = await login(loginForm((f) => Array.from({ length: 1000 }, (_, k) => f.append(`f${k}`, 'x'))));
      expect([tooManyFields.status, tooManyFields.type, tooManyFields.text]).to.deep.equal([400, 'text/html; charset=utf-8', BAD_REQUEST_HTML]);
      // Each field within the bound, together past it.
      const tooBig = await login(loginForm((f) => [1, 2].forEach((k) => f.append(`big${k}`, 'a'.repeat(1.5 * 1024 * 1024)))));
      expect([tooBig.status, tooBig.text]).to.deep.equal([400, BAD_REQUEST_HTML]);
      const tooManyFiles = await login(loginForm((f) => Array.from({ length: 6 }, (_, k) => f.append(`p${k}`, new File([PNG], 'a.png')))));
      expect([tooManyFiles.status, tooManyFiles.text]).to.deep.equal([400, BAD_REQUEST_HTML]);
      // Within every bound: the view's own answer.
      const fine = await login(loginForm((f) => f.append('note', 'a'.repeat(1000))));
      expect(fine.status).to.equal(403);
    });

    it('drops file parts on routes that take no file, and removes spilled files after the response', async () => {
      const before = spilled().length;
      // 3 MiB of files to login/: read and dropped (the original kept them), the answer is login's.
      const res = await login(loginForm((f) => f.append('photo', new File([new Uint8Array(3 * 1024 * 1024)], 'big.bin'))));
      expect(res.status).to.equal(403);
      // A file route: the 64 KiB attachment goes to a temporary file (FILE_UPLOAD_MAX_MEMORY_SIZE=1024), is stored, and the file is removed.
      const form = new FormData();
      const padded = Buffer.concat([PNG, Buffer.alloc(64 * 1024)]);
      form.append('attachment', new File([padded], 'tiny.png', { type: 'image/png' }));
      const up = await call(srv, 'POST', '/api/chat/groups/1/messages/upload/', KABIR, form);
      expect(up.status, up.text).to.equal(201);
      await new Promise((r) => setTimeout(r, 200));
      expect(spilled().length).to.equal(before);
    });

    it('answers 503 while the process receives more upload bytes than UPLOAD_MAX_BYTES_IN_FLIGHT', async () => {
      const res = await login(loginForm((f) => f.append('photo', new File([new Uint8Array(9 * 1024 * 1024)], 'big.bin'))));
      expect([res.status, res.text]).to.deep.equal([503, '{"detail":"Service temporarily unavailable, try again later."}']);
      expect(res.headers.get('retry-after')).to.equal('5');
      expect(srv.ctx.uploads.inFlight).to.equal(0);
      expect((await login(loginForm(() => undefined))).status).to.equal(403);
    });
  },
);
