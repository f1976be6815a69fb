// Event create / edit / delete (multipart like the Android app, through the Cloudinary SDK against the
// fake Upload API): admin-only, DRF validation bodies, Event.clean() rules, size/type refusals, and no
// half-written event or orphaned upload on any failure.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ROOT, userToken } from '../helpers/harness.ts';
import { describeServer } from '../helpers/suites.ts';
import { parseDrfDateTime } from '../../src/drf/fields/date.ts';
import { eventSerializer } from '../../src/event/validation.ts';
import { uploadedName } from '../../src/event/views.ts';
import { runField, SKIP, type SerializerInput } from '../../src/drf/fields/index.ts';

const ANAGH = userToken('anagh.jaiswar@akgec.ac.in'); // admin
const RIYA = userToken('riya.sharma@akgec.ac.in'); // admin
const KABIR = userToken('kabir.singh@akgec.ac.in'); // member
const PNG = fs.readFileSync(path.join(ROOT, 'fixtures/golden/files/tiny.png'));
const PDF = fs.readFileSync(path.join(ROOT, 'fixtures/golden/files/tiny.pdf'));
const TXT = fs.readFileSync(path.join(ROOT, 'fixtures/golden/files/notes.txt'));
const CLOUD_PNG = /^http:\/\/res\.cloudinary\.com\/dcbla9zbl\/image\/upload\/v\d{10}\/[a-z0-9]{20}\.png$/;
const MAX_UPLOAD = 4096;

type Part = string | { data: Buffer; filename: string; type: string };

/** The Android app's event form (kotlin contract 2.3): text parts and an optional poster. */
function appForm(overrides: Record<string, Part | null> = {}): Record<string, Part> {
  const base: Record<string, Part | null> = {
    title: 'Android Study Jam',
    description: 'Compose basics, hands on.',
    guidelines: 'Bring a laptop.',
    venue: 'Lab 3',
    registration_start_date: '2026-12-01T00:00:00+05:30',
    registration_end_date: '2026-12-05T00:00:00+05:30',
    event_date: '2026-12-10T00:00:00+05:30',
    status: 'upcoming',
    is_registrations_open: 'true',
    payment_required: 'false',
    amount: '0',
    poster: { data: PNG, filename: 'poster.jpg', type: 'image/*' },
    ...overrides,
  };
  return Object.fromEntries(Object.entries(base).filter(([, v]) => v !== null)) as Record<string, Part>;
}

function input(obj: Record<string, unknown>): SerializerInput {
  return { html: false, has: (n) => n in obj, get: (n) => obj[n], getlist: (n) => (n in obj ? [obj[n]] : []) };
}

describe('event field parsing', () => {
  it('reads datetimes like DRF with TIME_ZONE Asia/Kolkata (aware converted, naive local)', () => {
    expect(parseDrfDateTime('2025-04-20T00:00:00+05:30')).to.equal('2025-04-19 18:30:00.000000+00');
    expect(parseDrfDateTime('2025-04-20T10:00:00Z')).to.equal('2025-04-20 10:00:00.000000+00');
    expect(parseDrfDateTime('2025-04-20 10:00')).to.equal('2025-04-20 04:30:00.000000+00');
    expect(parseDrfDateTime('2025-04-20')).to.equal('2025-04-19 18:30:00.000000+00');
    expect(parseDrfDateTime('2025-4-2T9:05:01.5-01:00')).to.equal('2025-04-02 10:05:01.500000+00');
    expect(parseDrfDateTime('2025-04-20T10:00:00.1234567+00:00')).to.equal('2025-04-20 10:00:00.123456+00');
    for (const bad of [
      '',
      'tomorrow',
      '2025-02-30T10:00',
      '2025-13-01T00:00',
      '2025-04-20T24:00',
      '0000-01-01T00:00',
      '0001-01-01T03:00',
      '9999-12-31T23:59-05:00',
      '2025-04-20T10:00+25:00',
    ]) {
      expect(parseDrfDateTime(bad), bad).to.equal(null);
    }
  });

  it('reads decimals like DecimalField(10, 2)', async () => {
    const decimalField = (i: SerializerInput, name: string, partial: boolean) => runField(eventSerializer.fields.amount, i, name, partial);
    const run = async (v: unknown) => {
      try {
        return await decimalField(input({ amount: v }), 'amount', false);
      } catch (err) {
        return (err as { messages: string[] }).messages[0];
      }
    };
    expect(await run('199')).to.equal('199.00');
    expect(await run(' 1.5 ')).to.equal('1.50');
    expect(await run(12.25)).to.equal('12.25');
    expect(await run('1e3')).to.equal('1000.00');
    expect(await run('.5')).to.equal('0.50');
    expect(await run('0')).to.equal('0.00');
    expect(await run('-2.5')).to.equal('-2.50');
    expect(await run('12345678.99')).to.equal('12345678.99');
    expect(await run(null)).to.equal(null);
    expect(await decimalField(input({}), 'amount', false)).to.equal(SKIP);
    expect(await run('1.234')).to.equal('Ensure that there are no more than 2 decimal places.');
    expect(await run('123456789')).to.equal('Ensure that there are no more than 8 digits before the decimal point.');
    expect(await run('12345678901')).to.equal('Ensure that there are no more than 10 digits in total.');
    for (const bad of ['abc', 'NaN', 'Infinity', '1.2.3', true, [1], { a: 1 }])
      expect(await run(bad), String(bad)).to.equal('A valid number is required.');
    // DecimalField.validate_empty_values: a blank string is None when allow_null (it was an error here before).
    expect(await run('')).to.equal(null);
    expect(await run('  ')).to.equal(null);
  });

  it('keeps upload names as Django does (basename, 255 characters with the extension)', () => {
    expect(uploadedName('C:\\photos\\a.png')).to.equal('a.png');
    expect(uploadedName('x'.repeat(300) + '.jpeg')).to.equal('x'.repeat(250) + '.jpeg');
  });
});

describeServer(
  'event create/edit/delete',
  { timeout: 120000, cloudinary: true, env: { MAX_UPLOAD_BYTES: String(MAX_UPLOAD) } },
  (srv, { cloudinary: fake }) => {
    async function send(method: string, p: string, token: string | null, parts?: Record<string, Part | Part[]>, json?: unknown) {
      const headers: Record<string, string> = {};
      if (token) headers.Authorization = `Token ${token}`;
      let body: FormData | string | undefined;
      if (parts) {
        const form = new FormData();
        for (const [k, v] of Object.entries(parts)) {
          for (const one of Array.isArray(v) ? v : [v]) {
            if (typeof one === 'string') form.append(k, one);
            else form.append(k, new Blob([one.data as unknown as BlobPart], { type: one.type }), one.filename);
          }
        }
        body = form;
      } else if (json !== undefined) {
        headers['Content-Type'] = 'application/json';
        body = JSON.stringify(json);
      }
      const res = await fetch(srv.baseUrl + p, { method, headers, body });
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = null;
      }
      return { status: res.status, type: res.headers.get('content-type'), allow: res.headers.get('allow'), text, body: parsed as any };
    }

    async function counts() {
      const r = (await srv.ctx.db.knex.raw(
        `SELECT (SELECT count(*) FROM "Event_event") AS events, (SELECT count(*) FROM "Media_mediafile") AS media,
                (SELECT count(*) FROM "Event_event_gallery") AS gallery`,
      )) as { rows: Array<{ events: number; media: number; gallery: number }> };
      return { events: Number(r.rows[0].events), media: Number(r.rows[0].media), gallery: Number(r.rows[0].gallery) };
    }
    const SEED = { events: 3, media: 1, gallery: 1 };

    it('creates an event from the app form with a poster and two gallery images (one transaction, 201 body)', async () => {
      const res = await send('POST', '/api/event/create/', ANAGH, {
        ...appForm(),
        gallery: [
          { data: PNG, filename: 'g1.png', type: 'image/png' },
          { data: PNG, filename: 'g2.png', type: 'image/png' },
        ],
      });
      expect(res.status, res.text).to.equal(201);
      expect(res.type).to.equal('application/json');
      expect(Object.keys(res.body)).to.deep.equal(['success', 'data']);
      expect(res.body.success).to.equal('Event created successfully');
      const d = res.body.data;
      expect(d.poster).to.match(CLOUD_PNG);
      expect(d.gallery_files).to.have.length(2);
      for (const g of d.gallery_files) expect(g).to.match(CLOUD_PNG);
      expect(d.created_at).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\+05:30$/);
      expect(d.updated_at).to.equal(d.created_at);
      expect({ ...d, poster: 'P', gallery_files: 'G', created_at: 'C', updated_at: 'C' }).to.deep.equal({
        id: 4,
        title: 'Android Study Jam',
        description: 'Compose basics, hands on.',
        guidelines: 'Bring a laptop.',
        venue: 'Lab 3',
        registration_start_date: '2026-12-01T00:00:00+05:30',
        registration_end_date: '2026-12-05T00:00:00+05:30',
        event_date: '2026-12-10T00:00:00+05:30',
        poster: 'P',
        status: 'upcoming',
        is_registrations_open: true,
        payment_required: false,
        amount: '0.00',
        created_at: 'C',
        updated_at: 'C',
        gallery_files: 'G',
      });
      expect(fake.uploads.map((u) => u.resourceType)).to.deep.equal(['image', 'image', 'image']);
      expect(await counts()).to.deep.equal({ events: 4, media: 3, gallery: 3 });
      const media = (await srv.ctx.db.knex.raw(`SELECT title, file_size, file_type FROM "Media_mediafile" WHERE id > 1 ORDER BY id`)) as {
        rows: unknown[];
      };
      expect(media.rows).to.deep.equal([
        { title: 'g1.png', file_size: PNG.length, file_type: null },
        { title: 'g2.png', file_size: PNG.length, file_type: null },
      ]);
      // The same event everywhere else.
      const detail = await send('GET', '/api/event/detail/4/', null);
      expect(detail.body.poster).to.equal(d.poster);
      expect(detail.body.gallery_files).to.deep.equal(d.gallery_files);
      const list = await send('GET', '/api/event/list/', null);
      expect(list.body[3]).to.deep.equal(d);
      const upcoming = await send('GET', '/api/homepage/upcoming-events/', KABIR);
      expect(upcoming.body).to.deep.equal([
        { id: 2, poster: 'http://res.cloudinary.com/dcbla9zbl/image/upload/v1739600100/hackcsiposter00000002.png' },
        { id: 4, poster: d.poster },
      ]);
    });

    it('accepts JSON-free minimal input (defaults) and paid events with an amount', async () => {
      const res = await send('POST', '/api/event/create/', RIYA, {
        title: ' Paid talk ',
        description: 'x',
        payment_required: 'true',
        amount: '49.5',
        poster: { data: PNG, filename: 'p.png', type: 'image/png' },
      });
      expect(res.status, res.text).to.equal(201);
      const d = res.body.data;
      expect([
        d.title,
        d.guidelines,
        d.venue,
        d.event_date,
        d.status,
        d.is_registrations_open,
        d.payment_required,
        d.amount,
        d.gallery_files,
      ]).to.deep.equal(['Paid talk', null, null, null, 'upcoming', false, true, '49.50', []]);
    });

    it('refuses non-admins, anonymous callers and other methods', async () => {
      const member = await send('POST', '/api/event/create/', KABIR, appForm());
      expect(member.status).to.equal(403);
      expect(member.text).to.equal('{"detail":"Only admin users can create events."}');
      const anon = await send('POST', '/api/event/create/', null, appForm());
      expect(anon.text).to.equal('{"detail":"Authentication credentials were not provided."}');
      const get = await send('GET', '/api/event/create/', ANAGH);
      expect(get.status).to.equal(405);
      expect(get.allow).to.equal('POST, OPTIONS');
      expect(fake.uploads).to.have.length(0);
      expect(await counts()).to.deep.equal(SEED);
    });

    it('answers DRF validation bodies in field order; nothing is uploaded or written', async () => {
      const empty = await send('POST', '/api/event/create/', ANAGH, { unrelated: 'x' });
      expect(empty.status).to.equal(400);
      expect(empty.text).to.equal(
        '{"title":["This field is required."],"description":["This field is required."],"poster":["No file was submitted."]}',
      );
      const bad = await send(
        'POST',
        '/api/event/create/',
        ANAGH,
        appForm({
          title: 'x'.repeat(256),
          description: '   ',
          registration_start_date: 'next friday',
          event_date: '2026-02-30T10:00:00',
          poster: { data: TXT, filename: 'poster.jpg', type: 'image/jpeg' },
          status: 'cancelled',
          is_registrations_open: 'maybe',
          amount: '12.345',
        }),
      );
      expect(bad.status).to.equal(400);
      const dt = 'Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].';
      expect(bad.body).to.deep.equal({
        title: ['Ensure this field has no more than 255 characters.'],
        description: ['This field may not be blank.'],
        registration_start_date: [dt],
        event_date: [dt],
        poster: ['Upload a valid image. The file you uploaded was either not an image or a corrupted image.'],
        status: ['"cancelled" is not a valid choice.'],
        is_registrations_open: ['Must be a valid boolean.'],
        amount: ['Ensure that there are no more than 2 decimal places.'],
      });
      expect(Object.keys(bad.body)).to.deep.equal(
        Object.keys(bad.body)
          .slice()
          .sort(
            (a, b) =>
              ['title', 'description', 'registration_start_date', 'event_date', 'poster', 'status', 'is_registrations_open', 'amount'].indexOf(a) -
              ['title', 'description', 'registration_start_date', 'event_date', 'poster', 'status', 'is_registrations_open', 'amount'].indexOf(b),
          ),
      );
      const pdf = await send(
        'POST',
        '/api/event/create/',
        ANAGH,
        appForm({ poster: { data: PDF, filename: 'poster.pdf', type: 'application/pdf' } }),
      );
      expect(pdf.body).to.deep.equal({ poster: ['Upload a valid image. The file you uploaded was either not an image or a corrupted image.'] });
      const emptyFile = await send(
        'POST',
        '/api/event/create/',
        ANAGH,
        appForm({ poster: { data: Buffer.alloc(0), filename: 'p.png', type: 'image/png' } }),
      );
      expect(emptyFile.body).to.deep.equal({ poster: ['The submitted file is empty.'] });
      const textPoster = await send('POST', '/api/event/create/', ANAGH, appForm({ poster: 'http://example.org/p.png' }));
      expect(textPoster.body).to.deep.equal({ poster: ['The submitted data was not a file. Check the encoding type on the form.'] });
      const badGallery = await send('POST', '/api/event/create/', ANAGH, {
        ...appForm(),
        gallery: [
          { data: PNG, filename: 'a.png', type: 'image/png' },
          { data: TXT, filename: 'b.txt', type: 'text/plain' },
        ],
      });
      expect(badGallery.status).to.equal(400);
      expect(badGallery.body).to.deep.equal({
        gallery: ['Upload a valid image. The file you uploaded was either not an image or a corrupted image.'],
      });
      const json = await send('POST', '/api/event/create/', ANAGH, undefined, {
        title: 'T',
        description: 'D',
        poster: 'x',
        amount: true,
        is_registrations_open: 'yes',
      });
      expect(json.body).to.deep.equal({
        poster: ['The submitted data was not a file. Check the encoding type on the form.'],
        amount: ['A valid number is required.'],
      });
      const list = await send('POST', '/api/event/create/', ANAGH, undefined, [1, 2]);
      expect(list.text).to.equal('{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}');
      const broken = await fetch(srv.baseUrl + '/api/event/create/', {
        method: 'POST',
        headers: { Authorization: `Token ${ANAGH}`, 'Content-Type': 'application/json' },
        body: '{"title": ',
      });
      expect(broken.status).to.equal(400);
      expect(await broken.text()).to.equal('{"detail":"JSON parse error - Expecting value: line 1 column 11 (char 10)"}');
      expect(fake.uploads).to.have.length(0);
      expect(await counts()).to.deep.equal(SEED);
    });

    it('applies Event.clean() (dates in order, amount iff payment) as a 400 before any upload', async () => {
      const cases: Array<[Record<string, string>, string]> = [
        [{ registration_start_date: '2026-12-06T00:00:00+05:30' }, 'registration_start_date should be less than registration_end_date'],
        [{ event_date: '2026-12-04T00:00:00+05:30' }, 'registration_end_date should be less than event_date'],
        [{ payment_required: 'true', amount: '0' }, 'Amount is required if payment is required'],
        [{ amount: '10' }, 'Payment is required if amount is provided'],
        [{ amount: '-10', payment_required: 'true' }, 'Amount should be greater than 0'],
      ];
      for (const [over, message] of cases) {
        const res = await send('POST', '/api/event/create/', ANAGH, appForm(over));
        expect(res.status, message).to.equal(400);
        expect(res.body).to.deep.equal({ non_field_errors: [message] });
      }
      expect(fake.uploads).to.have.length(0);
      expect(await counts()).to.deep.equal(SEED);
    });

    it('refuses uploads over MAX_UPLOAD_BYTES with a JSON 413 and stores nothing', async () => {
      const big = Buffer.concat([PNG, Buffer.alloc(MAX_UPLOAD + 1)]);
      const res = await send('POST', '/api/event/create/', ANAGH, appForm({ poster: { data: big, filename: 'big.png', type: 'image/png' } }));
      expect(res.status).to.equal(413);
      expect(res.type).to.equal('application/json');
      expect(res.body).to.deep.equal({ detail: `Uploaded file is too large (limit ${MAX_UPLOAD} bytes).` });
      const gal = await send('POST', '/api/event/create/', ANAGH, { ...appForm(), gallery: { data: big, filename: 'big.png', type: 'image/png' } });
      expect(gal.status).to.equal(413);
      expect(fake.uploads).to.have.length(0);
      expect(await counts()).to.deep.equal(SEED);
    });

    it('a failed upload answers 502 and removes what was already stored; no rows', async () => {
      // Poster stored, then the first gallery image fails.
      const origUploads = fake.uploads.length;
      const form = { ...appForm(), gallery: [{ data: PNG, filename: 'g1.png', type: 'image/png' }] };
      let calls = 0;
      const save = srv.ctx.storage.save.bind(srv.ctx.storage);
      srv.ctx.storage.save = async (f, o) => {
        calls++;
        if (calls === 2) throw new Error('network down');
        return save(f, o);
      };
      try {
        const res = await send('POST', '/api/event/create/', ANAGH, form);
        expect(res.status).to.equal(502);
        expect(res.body).to.deep.equal({ detail: 'The file could not be stored. Try again later.' });
      } finally {
        srv.ctx.storage.save = save;
      }
      expect(fake.uploads.length - origUploads).to.equal(1);
      expect(fake.destroyed.map((d) => d.publicId)).to.deep.equal([fake.uploads[0].publicId]);
      expect(await counts()).to.deep.equal(SEED);
      // And with the fake refusing the poster itself.
      fake.failNext(1, 500);
      const res2 = await send('POST', '/api/event/create/', ANAGH, appForm());
      expect(res2.status).to.equal(502);
      expect(await counts()).to.deep.equal(SEED);
    });

    it('a failing insert rolls back the event and removes the uploads', async () => {
      // A database failure after the event row was inserted (a CHECK constraint added for this test
      // refuses the second MediaFile): the transaction rolls back and the three uploads are destroyed.
      await srv.ctx.db.knex.raw(`ALTER TABLE "Media_mediafile" ADD CONSTRAINT test_no_g2 CHECK (title <> 'g2.png')`);
      try {
        const res = await send('POST', '/api/event/create/', ANAGH, {
          ...appForm(),
          gallery: [
            { data: PNG, filename: 'g1.png', type: 'image/png' },
            { data: PNG, filename: 'g2.png', type: 'image/png' },
          ],
        });
        expect(res.status).to.equal(500);
        expect(res.body).to.deep.equal({ detail: 'A server error occurred.' });
      } finally {
        await srv.ctx.db.knex.raw(`ALTER TABLE "Media_mediafile" DROP CONSTRAINT test_no_g2`);
      }
      expect(await counts()).to.deep.equal(SEED);
      expect(fake.uploads).to.have.length(3);
      expect(fake.destroyed.map((d) => d.publicId).sort()).to.deep.equal(fake.uploads.map((u) => u.publicId).sort());
    });

    it('edits partially (admin only), replaces the gallery only when images are sent, checks clean() on the merged row', async () => {
      const missing = await send('PUT', '/api/event/edit/999/', KABIR, { title: 'x' });
      expect(missing.status).to.equal(404);
      expect(missing.text).to.equal('{"detail":"No Event matches the given query."}');
      const member = await send('PUT', '/api/event/edit/2/', KABIR, { title: 'x' });
      expect(member.status).to.equal(403);
      expect(member.text).to.equal('{"detail":"Only admin users can edit events."}');
      const post = await send('POST', '/api/event/edit/2/', ANAGH, { title: 'x' });
      expect(post.status).to.equal(405);
      expect(post.allow).to.equal('PUT, OPTIONS');

      const before = (await send('GET', '/api/event/detail/2/', null)).body;
      const res = await send('PUT', '/api/event/edit/2/', ANAGH, { title: 'HackCSI 2026', venue: '' });
      expect(res.status, res.text).to.equal(200);
      expect(Object.keys(res.body)).to.deep.equal(['success', 'data']);
      expect(res.body.success).to.equal('Event updated successfully');
      const d = res.body.data;
      expect(d.title).to.equal('HackCSI 2026');
      expect(d.venue).to.equal('');
      expect(d.updated_at).to.not.equal(before.updated_at);
      expect([d.poster, d.amount, d.payment_required, d.is_registrations_open, d.status, d.event_date, d.created_at]).to.deep.equal([
        before.poster,
        '199.00',
        true,
        true,
        'upcoming',
        before.event_date,
        before.created_at,
      ]);

      // payment_required stays true: dropping the amount breaks clean(); nothing changes.
      const unpaid = await send('PUT', '/api/event/edit/2/', ANAGH, undefined, { amount: null });
      expect(unpaid.status).to.equal(400);
      expect(unpaid.body).to.deep.equal({ non_field_errors: ['Amount is required if payment is required'] });
      expect((await send('GET', '/api/event/detail/2/', null)).body.amount).to.equal('199.00');

      // New poster and gallery on event 1: the old gallery link goes, its MediaFile row stays.
      const g = await send('PUT', '/api/event/edit/1/', RIYA, {
        poster: { data: PNG, filename: 'new.png', type: 'image/png' },
        gallery: [{ data: PNG, filename: 'n1.png', type: 'image/png' }],
      });
      expect(g.status, g.text).to.equal(200);
      expect(g.body.data.poster).to.match(CLOUD_PNG);
      expect(g.body.data.gallery_files).to.have.length(1);
      expect(g.body.data.gallery_files[0]).to.match(CLOUD_PNG);
      expect(await counts()).to.deep.equal({ events: 3, media: 2, gallery: 1 });
      // Without gallery parts the gallery is kept.
      const keep = await send('PUT', '/api/event/edit/1/', RIYA, undefined, { status: 'previous' });
      expect(keep.body.data.gallery_files).to.deep.equal(g.body.data.gallery_files);
      expect(keep.body.data.status).to.equal('previous');
      const badType = await send('PUT', '/api/event/edit/1/', RIYA, { poster: { data: TXT, filename: 'p.png', type: 'image/png' } });
      expect(badType.status).to.equal(400);
      expect(badType.body).to.deep.equal({ poster: ['Upload a valid image. The file you uploaded was either not an image or a corrupted image.'] });
    });

    it('deletes (admin only): gallery links go, media rows stay; 404 afterwards', async () => {
      const member = await send('DELETE', '/api/event/delete/1/', KABIR);
      expect(member.status).to.equal(403);
      expect(member.text).to.equal('{"detail":"Only admin users can delete events."}');
      const res = await send('DELETE', '/api/event/delete/1/', ANAGH);
      expect(res.status).to.equal(200);
      expect(res.text).to.equal('{"success":"Event deleted successfully."}');
      expect(await counts()).to.deep.equal({ events: 2, media: 1, gallery: 0 });
      const again = await send('DELETE', '/api/event/delete/1/', ANAGH);
      expect(again.status).to.equal(404);
      expect(again.text).to.equal('{"detail":"No Event matches the given query."}');
      expect((await send('GET', '/api/event/detail/1/', null)).status).to.equal(404);
      const huge = await send('DELETE', '/api/event/delete/99999999999999999999/', ANAGH);
      expect(huge.status).to.equal(404);
    });
  },
);

describeServer('event uploads in embedded mode (local disk under /media/)', { timeout: 120000, mediaRoot: true }, (srv, suite) => {
  before(() => {
    expect(srv.ctx.storage.kind).to.equal('local');
  });

  const filesOnDisk = () => (fs.existsSync(path.join(suite.mediaRoot, 'uploads')) ? fs.readdirSync(path.join(suite.mediaRoot, 'uploads')) : []);

  function form(parts: Record<string, Part | Part[]>): FormData {
    const f = new FormData();
    for (const [k, v] of Object.entries(parts)) {
      for (const one of Array.isArray(v) ? v : [v]) {
        if (typeof one === 'string') f.append(k, one);
        else f.append(k, new Blob([one.data as unknown as BlobPart], { type: one.type }), one.filename);
      }
    }
    return f;
  }

  it('stores poster and gallery on disk and serves them under /media/', async () => {
    const res = await fetch(srv.baseUrl + '/api/event/create/', {
      method: 'POST',
      headers: { Authorization: `Token ${ANAGH}` },
      body: form({ ...appForm(), gallery: { data: PNG, filename: 'g.png', type: 'image/png' } }),
    });
    expect(res.status).to.equal(201);
    const { data } = (await res.json()) as { data: { poster: string; gallery_files: string[] } };
    for (const u of [data.poster, ...data.gallery_files]) {
      const url = new URL(u);
      expect(url.pathname).to.match(/^\/media\/uploads\/[0-9a-f]{20}\.(jpg|png)$/);
      const served = await fetch(srv.baseUrl + url.pathname);
      expect(served.status).to.equal(200);
      expect(Buffer.from(await served.arrayBuffer()).equals(PNG)).to.equal(true);
    }
    expect(filesOnDisk()).to.have.length(2);
  });

  it('removes the files from disk when the database write fails', async () => {
    const knex = srv.ctx.db.knex;
    await knex.raw(
      `CREATE OR REPLACE FUNCTION csi_test_refuse_event() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused by test'; END $$ LANGUAGE plpgsql`,
    );
    await knex.raw(
      `CREATE TRIGGER csi_test_refuse_event BEFORE INSERT ON "Event_event_gallery" FOR EACH ROW EXECUTE FUNCTION csi_test_refuse_event()`,
    );
    try {
      const existing = filesOnDisk().length;
      const res = await fetch(srv.baseUrl + '/api/event/create/', {
        method: 'POST',
        headers: { Authorization: `Token ${ANAGH}` },
        body: form({ ...appForm(), gallery: { data: PNG, filename: 'g.png', type: 'image/png' } }),
      });
      expect(res.status).to.equal(500);
      expect(filesOnDisk().length).to.equal(existing);
      const n = (await knex.raw(`SELECT count(*) AS n FROM "Event_event"`)) as { rows: Array<{ n: number }> };
      expect(Number(n.rows[0].n)).to.equal(3);
    } finally {
      await knex.raw('DROP TRIGGER IF EXISTS csi_test_refuse_event ON "Event_event_gallery"');
      await knex.raw('DROP FUNCTION IF EXISTS csi_test_refuse_event()');
    }
  });

  it("answers malformed multipart with DRF's 400 parse error", async () => {
    const existing = filesOnDisk().length;
    const res = await fetch(srv.baseUrl + '/api/event/create/', {
      method: 'POST',
      headers: { Authorization: `Token ${ANAGH}`, 'Content-Type': 'multipart/form-data; boundary=XYZ' },
      body: '--XYZ\r\nContent-Disposition: form-data; name="poster"; filename="a.png"\r\nContent-Type: image/png\r\n\r\nabc',
    });
    expect(res.status).to.equal(400);
    expect(((await res.json()) as { detail: string }).detail).to.match(/^Multipart form parse error - /);
    expect(filesOnDisk().length).to.equal(existing);
  });
});
