// Task attachments through the Cloudinary SDK (fake Upload API): stored like CloudinaryField
// (image/upload/v<version>/<public_id>.<format>), rendered as the http:// delivery URL; a failed upload
// writes nothing; edit keeps the old attachment unless a new file is sent.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ROOT, userToken } from '../helpers/harness.ts';
import { describeServer } from '../helpers/suites.ts';

const ANAGH = userToken('anagh.jaiswar@akgec.ac.in');
const PDF = fs.readFileSync(path.join(ROOT, 'fixtures/golden/files/tiny.pdf'));
const PNG = fs.readFileSync(path.join(ROOT, 'fixtures/golden/files/tiny.png'));

function taskForm(extra: (fd: FormData) => void): FormData {
  const fd = new FormData();
  fd.append('title', 'With file');
  fd.append('start_date', '2030-01-01');
  fd.append('end_date', '2030-01-02');
  fd.append('groups', '[{"name":"g","members":[3]}]');
  extra(fd);
  return fd;
}

describeServer('task attachments', { timeout: 60000, cloudinary: true }, (srv, { cloudinary: fake }) => {
  const post = (fd: FormData, method = 'POST', p = '/api/task/create/') =>
    fetch(srv.baseUrl + p, { method, headers: { Authorization: `Token ${ANAGH}` }, body: fd }).then(async (r) => ({
      status: r.status,
      json: (await r.json()) as { task?: { attachment: string | null } } & Record<string, unknown>,
    }));

  it('create with a PDF attachment: CloudinaryField value in the row, delivery URL in the body', async () => {
    const res = await post(taskForm((fd) => fd.append('attachment', new Blob([new Uint8Array(PDF)], { type: 'application/pdf' }), 'brief.pdf')));
    expect(res.status).to.equal(201);
    expect(fake.uploads).to.have.length(1);
    const up = fake.uploads[0]!;
    expect(up.resourceType).to.equal('image');
    const row = await srv.ctx.db.knex('Task_task').where({ id: 3 }).first();
    expect(row.attachment).to.equal(`image/upload/v${up.version}/${up.publicId}.pdf`);
    expect(res.json.task!.attachment).to.equal(`http://res.cloudinary.com/dcbla9zbl/image/upload/v${up.version}/${up.publicId}.pdf`);
  });

  it('edit keeps the attachment when none is sent and replaces it when one is', async () => {
    await post(taskForm((fd) => fd.append('attachment', new Blob([new Uint8Array(PDF)], { type: 'application/pdf' }), 'a.pdf')));
    const first = (await srv.ctx.db.knex('Task_task').where({ id: 3 }).first()).attachment;
    const kept = await post(
      taskForm(() => undefined),
      'PUT',
      '/api/task/edit/3/',
    );
    expect(kept.status).to.equal(200);
    expect((await srv.ctx.db.knex('Task_task').where({ id: 3 }).first()).attachment).to.equal(first);
    const replaced = await post(
      taskForm((fd) => fd.append('attachment', new Blob([new Uint8Array(PNG)], { type: 'image/png' }), 'b.png')),
      'PUT',
      '/api/task/edit/3/',
    );
    expect(replaced.status).to.equal(200);
    const now = (await srv.ctx.db.knex('Task_task').where({ id: 3 }).first()).attachment as string;
    expect(now).to.match(/^image\/upload\/v\d+\/[a-z0-9]{20}\.png$/);
    expect(replaced.json.task!.attachment).to.equal(`http://res.cloudinary.com/dcbla9zbl/${now}`);
  });

  it('an empty file is a 400 and a failed upload is a 502; neither writes a row or a notification', async () => {
    const count = async () =>
      Number((await srv.ctx.db.knex('Task_task').count({ n: '*' }).first())!.n) +
      Number((await srv.ctx.db.knex('Notification_notification').count({ n: '*' }).first())!.n);
    const before = await count();
    const empty = await post(taskForm((fd) => fd.append('attachment', new Blob([]), 'empty.pdf')));
    expect(empty).to.deep.equal({ status: 400, json: { attachment: ['The submitted file is empty.'] } });
    fake.failNext(1, 500);
    const failed = await post(taskForm((fd) => fd.append('attachment', new Blob([new Uint8Array(PDF)], { type: 'application/pdf' }), 'c.pdf')));
    expect(failed.status).to.equal(502);
    expect(await count()).to.equal(before);
  });
});
