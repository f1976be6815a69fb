// SQL of the original's Event app (Event_event, Event_event_gallery, Media_mediafile). Each read is one
// statement: the gallery comes aggregated per event (obj.gallery.all() in through-table order).
import { type Db, rows } from '../db/sql.ts';

/** An Event_event row (timestamps as Postgres UTC text, amount as numeric text) with its gallery. */
export interface EventRow {
  id: number;
  title: string;
  description: string;
  guidelines: string | null;
  venue: string | null;
  registration_start_date: string | null;
  registration_end_date: string | null;
  event_date: string | null;
  poster: string | null;
  status: string;
  created_at: string;
  updated_at: string;
  is_registrations_open: boolean;
  payment_required: boolean;
  amount: string | null;
  /** Media_mediafile.file values of the gallery, in through-table order. */
  gallery: string[];
}

const EVENT_COLUMNS = `e.id, e.title, e.description, e.guidelines, e.venue, e.registration_start_date,
  e.registration_end_date, e.event_date, e.poster, e.status, e.created_at, e.updated_at,
  e.is_registrations_open, e.payment_required, e.amount`;

const GALLERY_COLUMN = `COALESCE((
    SELECT json_agg(mf.file ORDER BY g.id) FROM "Event_event_gallery" g
    JOIN "Media_mediafile" mf ON mf.id = g.mediafile_id WHERE g.event_id = e.id
  ), '[]'::json) AS gallery`;

function withGallery(r: EventRow): EventRow {
  const g = r.gallery as unknown;
  return { ...r, gallery: typeof g === 'string' ? (JSON.parse(g) as string[]) : (g as string[]) };
}

/** Event.objects.all() (no Meta.ordering: primary-key order) with galleries. */
export async function allEvents(db: Db): Promise<EventRow[]> {
  return (await rows<EventRow>(db, `SELECT ${EVENT_COLUMNS}, ${GALLERY_COLUMN} FROM "Event_event" e ORDER BY e.id`)).map(withGallery);
}

export async function eventById(db: Db, id: number, opts: { forUpdate?: boolean } = {}): Promise<EventRow | null> {
  const found = await rows<EventRow>(
    db,
    `SELECT ${EVENT_COLUMNS}, ${opts.forUpdate ? `'[]'::json AS gallery` : GALLERY_COLUMN} FROM "Event_event" e WHERE e.id = ?${opts.forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return found[0] ? withGallery(found[0]) : null;
}

export interface PosterRow {
  id: number;
  poster: string | null;
  status: string;
}

/** Event.objects.all().order_by('-created_at') — EventHomeAPIView. */
export function eventsNewestFirst(db: Db): Promise<PosterRow[]> {
  return rows<PosterRow>(db, `SELECT id, poster, status FROM "Event_event" ORDER BY created_at DESC, id DESC`);
}

/** Event.objects.filter(status=...) — the homepage upcoming/ongoing lists (primary-key order). */
export function eventsWithStatus(db: Db, status: string): Promise<PosterRow[]> {
  return rows<PosterRow>(db, `SELECT id, poster, status FROM "Event_event" WHERE status = ? ORDER BY id`, [status]);
}

/** The columns a create or edit writes (timestamps as timestamptz literals, amount as decimal text). */
export interface EventValues {
  title?: string;
  description?: string;
  guidelines?: string | null;
  venue?: string | null;
  registration_start_date?: string | null;
  registration_end_date?: string | null;
  event_date?: string | null;
  poster?: string | null;
  status?: string;
  is_registrations_open?: boolean;
  payment_required?: boolean;
  amount?: string | null;
}

export async function insertEvent(db: Db, v: Required<EventValues>, now: string): Promise<number> {
  const inserted = await rows<{ id: number }>(
    db,
    `INSERT INTO "Event_event" (title, description, guidelines, venue, registration_start_date, registration_end_date,
       event_date, poster, status, created_at, updated_at, is_registrations_open, payment_required, amount)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    [
      v.title,
      v.description,
      v.guidelines,
      v.venue,
      v.registration_start_date,
      v.registration_end_date,
      v.event_date,
      v.poster,
      v.status,
      now,
      now,
      v.is_registrations_open,
      v.payment_required,
      v.amount,
    ],
  );
  return inserted[0].id;
}

export async function updateEvent(db: Db, id: number, v: EventValues, now: string): Promise<void> {
  // Model.save() writes every column; updated_at is auto_now.
  await db('Event_event')
    .where({ id })
    .update({ ...v, updated_at: now });
}

export interface NewMediaFile {
  file: string;
  title: string;
  fileSize: number;
}

/** MediaFile.objects.create(file, title, file_size) then event.gallery.add(media_file), for each file. */
export async function addGallery(db: Db, eventId: number, files: NewMediaFile[], now: string): Promise<void> {
  for (const f of files) {
    const media = await rows<{ id: number }>(
      db,
      `INSERT INTO "Media_mediafile" (file, uploaded_at, file_type, title, file_size) VALUES (?, ?, NULL, ?, ?) RETURNING id`,
      [f.file, now, f.title, f.fileSize],
    );
    await db.raw(`INSERT INTO "Event_event_gallery" (event_id, mediafile_id) VALUES (?, ?) ON CONFLICT (event_id, mediafile_id) DO NOTHING`, [
      eventId,
      media[0].id,
    ]);
  }
}

/** event.gallery.clear(): the through rows only; the MediaFile rows stay, as in Django. */
export async function clearGallery(db: Db, eventId: number): Promise<void> {
  await db.raw(`DELETE FROM "Event_event_gallery" WHERE event_id = ?`, [eventId]);
}

/** event.delete(): the M2M through rows go with it (Django's collector), MediaFile rows stay. */
export async function deleteEvent(db: Db, eventId: number): Promise<boolean> {
  await db.raw(`DELETE FROM "Event_event_gallery" WHERE event_id = ?`, [eventId]);
  const res = (await db.raw(`DELETE FROM "Event_event" WHERE id = ? RETURNING id`, [eventId])) as { rows: unknown[] };
  return res.rows.length > 0;
}
