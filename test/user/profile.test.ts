// profile/fill/: POST (all required fields, the app's Retrofit multipart; no PUT, as the original), photo
// through the storage interface (Cloudinary SDK against the fake Upload API, and local disk), DRF
// validation bodies, nothing written or uploaded on errors, is_completed maintained for login.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ROOT, userToken } from '../helpers/harness.ts';
import { describeServer } from '../helpers/suites.ts';
import { call } from '../helpers/http.ts';
import { USER_TABLE } from '../../src/auth/tokens.ts';

const KABIR = userToken('kabir.singh@akgec.ac.in');
const PNG = fs.readFileSync(path.join(ROOT, 'fixtures/golden/files/tiny.png'));
const TXT = fs.readFileSync(path.join(ROOT, 'fixtures/golden/files/notes.txt'));
const URL_RE = /^http:\/\/res\.cloudinary\.com\/dcbla9zbl\/image\/upload\/v\d{10}\/[a-z0-9]{20}\.png$/;

/** A multipart body written like Retrofit: text parts carry their own Content-Type and encoding. */
function retrofitMultipart(fields: Record<string, string>, file?: { name: string; filename: string; type: string; bytes: Buffer }) {
  const boundary = 'b0undary-' + Date.now();
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\nContent-Transfer-Encoding: binary\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(v)}\r\n\r\n${v}\r\n`,
      ),
    );
  }
  if (file) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; filename="${file.filename}"\r\nContent-Type: ${file.type}\r\nContent-Length: ${file.bytes.length}\r\n\r\n`,
      ),
    );
    parts.push(file.bytes, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

async function send(base: string, method: string, mp: { body: Buffer; contentType: string }, token = KABIR) {
  const res = await fetch(base + '/api/user/profile/fill/', {
    method,
    headers: { Authorization: `Token ${token}`, 'Content-Type': mp.contentType },
    body: new Uint8Array(mp.body),
  });
  const text = await res.text();
  return { status: res.status, text, json: text ? JSON.parse(text) : undefined };
}

const FULL = {
  branch: 'CSE',
  linkedin_url: 'https://www.linkedin.com/in/kabir',
  bio: 'Backend, Go and Postgres.',
  github_url: 'https://github.com/kabir',
  domain: 'APP_DEV',
  dob: '2005-07-09',
  achievements: '',
  hosteller: 'true',
};

describeServer('profile/fill/', { timeout: 120000, cloudinary: true }, (srv, { cloudinary: fake }) => {
  it("POST with the app's multipart fills the profile; the answer is the profile; login then reports it complete", async () => {
    const res = await send(
      srv.baseUrl,
      'POST',
      retrofitMultipart(FULL, { name: 'photo', filename: 'upload_1700000000000.jpg', type: 'image/*', bytes: PNG }),
    );
    expect(res.status, res.text).to.equal(200);
    expect(Object.keys(res.json)).to.deep.equal([
      'photo',
      'branch',
      'domain',
      'dob',
      'linkedin_url',
      'bio',
      'github_url',
      'achievements',
      'hosteller',
      'full_name',
      'year',
    ]);
    expect(res.json.photo).to.match(URL_RE);
    expect({ ...res.json, photo: 'x' }).to.deep.equal({
      photo: 'x',
      branch: 'CSE',
      domain: 'APP_DEV',
      dob: '2005-07-09',
      linkedin_url: FULL.linkedin_url,
      bio: FULL.bio,
      github_url: FULL.github_url,
      achievements: '',
      hosteller: true,
      full_name: 'Kabir Singh',
      year: '2nd',
    });
    expect(fake.uploads).to.have.length(1);
    const row = await srv.ctx.db.knex(USER_TABLE).where({ id: 3 }).first();
    expect(row).to.deep.include({ domain_id: 3, is_completed: true, hosteller: true, dob: '2005-07-09' });
    expect(row.photo).to.match(/^image\/upload\/v\d{10}\/[a-z0-9]{20}\.png$/);
    const detail = await call(srv, 'GET', '/api/user/profile/detail/', KABIR);
    expect(detail.json).to.deep.equal(res.json);
    const login = await call(srv, 'POST', '/api/user/login/', null, { email: 'kabir.singh@akgec.ac.in', password: 'Kabir!2ndYear' });
    expect([login.json.is_completed, login.json.missing_fields]).to.deep.equal([true, []]);
  });

  it('answers UserProfileFillSerializer errors in field order, uploads and writes nothing', async () => {
    const before = await srv.ctx.db.knex(USER_TABLE).where({ id: 3 }).first();
    const cases: Array<[Record<string, string>, boolean, string]> = [
      [{}, false, '{"photo":["No file was submitted."],"domain":["This field is required."]}'],
      [{ ...FULL, domain: '2' }, true, '{"domain":["Object with name=2 does not exist."]}'],
      [{ ...FULL, domain: '' }, true, '{"domain":["This field may not be null."]}'],
      [
        {
          ...FULL,
          branch: 'B'.repeat(11),
          dob: '9/7/2005',
          linkedin_url: 'linkedin.com/in/x',
          github_url: 'javascript:alert(1)',
          hosteller: 'perhaps',
        },
        true,
        '{"branch":["Ensure this field has no more than 10 characters."],"dob":["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."],"linkedin_url":["Enter a valid URL."],"github_url":["Enter a valid URL."],"hosteller":["Must be a valid boolean."]}',
      ],
      [
        { ...FULL, dob: '2005-02-30', linkedin_url: 'https://' + 'a'.repeat(200) + '.com' },
        true,
        '{"dob":["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."],"linkedin_url":["Ensure this field has no more than 200 characters.","Enter a valid URL."]}',
      ],
    ];
    for (const [fields, withPhoto, text] of cases) {
      const mp = retrofitMultipart(fields, withPhoto ? { name: 'photo', filename: 'p.jpg', type: 'image/jpeg', bytes: PNG } : undefined);
      const res = await send(srv.baseUrl, 'POST', mp);
      expect([res.status, res.text], JSON.stringify(fields).slice(0, 60)).to.deep.equal([400, text]);
    }
    const notImage = await send(
      srv.baseUrl,
      'POST',
      retrofitMultipart(FULL, { name: 'photo', filename: 'notes.jpg', type: 'image/jpeg', bytes: TXT }),
    );
    expect([notImage.status, notImage.text]).to.deep.equal([
      400,
      '{"photo":["Upload a valid image. The file you uploaded was either not an image or a corrupted image."]}',
    ]);
    // Bytes that only start like an image (a GIF-prefixed HTML page, a truncated PNG) are not one: decoded
    // as Pillow would open them (issue 13 #6).
    const fakes: Array<[string, Buffer]> = [
      ['gif-page.gif', Buffer.from('GIF89a<html><body><script>alert(document.cookie)</script>, , ,</body></html>')],
      ['half.png', PNG.subarray(0, 40)],
      ['page.png', Buffer.concat([PNG.subarray(0, 16), Buffer.from('<html></html>')])],
      ['logo.svg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>')],
    ];
    for (const [filename, bytes] of fakes) {
      const res = await send(srv.baseUrl, 'POST', retrofitMultipart(FULL, { name: 'photo', filename, type: 'image/gif', bytes }));
      expect([res.status, res.text], filename).to.deep.equal([
        400,
        '{"photo":["Upload a valid image. The file you uploaded was either not an image or a corrupted image."]}',
      ]);
    }
    const json = await call(srv, 'POST', '/api/user/profile/fill/', KABIR, { domain: 'BACKEND', photo: 'http://x/y.png', hosteller: null });
    expect([json.status, json.text]).to.deep.equal([
      400,
      '{"photo":["The submitted data was not a file. Check the encoding type on the form."],"hosteller":["This field may not be null."]}',
    ]);
    expect(fake.uploads).to.have.length(0);
    const { last_seen: _a, ...after } = await srv.ctx.db.knex(USER_TABLE).where({ id: 3 }).first();
    const { last_seen: _b, ...unchanged } = before;
    expect(after).to.deep.equal(unchanged);
    const anon = await fetch(srv.baseUrl + '/api/user/profile/fill/', { method: 'POST' });
    expect(anon.status).to.equal(403);
  });

  it('answers PUT (and GET) with 405 and writes nothing: the view has only post (issue 13 #11)', async () => {
    const before = await srv.ctx.db.knex(USER_TABLE).where({ id: 2 }).first();
    const put = await call(srv, 'PUT', '/api/user/profile/fill/', userToken('riya.sharma@akgec.ac.in'), { bio: 'New bio' });
    expect([put.status, put.text, put.allow]).to.deep.equal([405, '{"detail":"Method \\"PUT\\" not allowed."}', 'POST, OPTIONS']);
    const after = await srv.ctx.db.knex(USER_TABLE).where({ id: 2 }).first();
    expect(after.bio).to.equal(before.bio);
    const get = await call(srv, 'GET', '/api/user/profile/fill/', KABIR);
    expect([get.status, get.text]).to.deep.equal([405, '{"detail":"Method \\"GET\\" not allowed."}']);
  });

  it('leaves the profile unchanged when the photo upload fails', async () => {
    fake.failNext(1, 500);
    const res = await send(srv.baseUrl, 'POST', retrofitMultipart(FULL, { name: 'photo', filename: 'p.png', type: 'image/png', bytes: PNG }));
    expect(res.status).to.equal(502);
    const row = await srv.ctx.db.knex(USER_TABLE).where({ id: 3 }).first();
    expect([row.photo, row.domain_id, row.bio]).to.deep.equal([null, 1, null]);
  });
});

describeServer('profile/fill/ on local disk storage', { timeout: 60000, resetEachTest: false }, (srv) => {
  it('stores the photo under MEDIA_ROOT and shows its /media/ URL', async () => {
    const res = await send(srv.baseUrl, 'POST', retrofitMultipart(FULL, { name: 'photo', filename: 'me.png', type: 'image/png', bytes: PNG }));
    expect(res.status, res.text).to.equal(200);
    expect(res.json.photo).to.match(/^http:\/\/localhost:\d+\/media\/uploads\/[0-9a-f]{20}\.png$/);
    const row = await srv.ctx.db.knex(USER_TABLE).where({ id: 3 }).first();
    const file = path.join(srv.ctx.config.mediaRoot, row.photo.replace(/^media\//, ''));
    expect(fs.readFileSync(file).equals(PNG)).to.equal(true);
  });
});
