// The original's Event/views.py (CSI_BACKEND@37029af): list/, detail/<id>/ and event-for-homepage/
// are open to anyone (no permission_classes), create/edit/delete need a token and role 'admin'.
import { apiView, type ApiRequest, type UploadedFile } from '../drf/api.ts';
import { jsonError, noMatch, validationError } from '../drf/errors.ts';
import { nowTimestamp } from '../drf/datetime.ts';
import { lookupId } from '../python/builtins.ts';
import { isErrors, serializerInput } from '../drf/fields/index.ts';
import * as q from './queries.ts';
import { serializeEvent, serializeEventDetail, serializeEventHome } from './serializers.ts';
import { eventCleanError, galleryFiles, validateEvent } from './validation.ts';

/** GET list/ — EventListView (ListAPIView, no pagination) */
export const eventList = apiView({
  name: 'Event List',
  permission: 'any',
  methods: {
    async GET(req) {
      const events = await q.allEvents(req.ctx.db.knex);
      return { body: events.map((e) => serializeEvent(e, req.ctx.storage)) };
    },
  },
});

/** GET event-for-homepage/ — EventHomeAPIView: every event, newest first, {id, poster, status}. */
export const eventForHomepage = apiView({
  name: 'Event Home Api',
  permission: 'any',
  methods: {
    async GET(req) {
      const events = await q.eventsNewestFirst(req.ctx.db.knex);
      return { body: events.map((e) => serializeEventHome(e, req.ctx.storage)) };
    },
  },
});

/** GET detail/<int:event_id>/ — EventDetailAPIView: 404 {"error": "Event Not Found"}. */
export const eventDetail = apiView({
  name: 'Event Detail Api',
  permission: 'any',
  methods: {
    async GET(req) {
      const id = lookupId(req.params.event_id ?? '');
      const event = id === null ? null : await q.eventById(req.ctx.db.knex, id);
      if (!event) throw jsonError(404, { error: 'Event Not Found' });
      return { body: serializeEventDetail(event, req.ctx.storage) };
    },
  },
});

// ---------------------------------------------------------------------------------------------
// Create / edit / delete (IsAuthenticated + role 'admin')

function requireAdmin(req: ApiRequest, action: 'create' | 'edit' | 'delete'): void {
  if (req.user!.role !== 'admin') throw jsonError(403, { detail: `Only admin users can ${action} events.` });
}

/** UploadedFile.name: the basename, at most 255 characters with the extension kept. */
export function uploadedName(raw: string): string {
  let name = raw.split(/[\\/]/).pop() ?? '';
  if ([...name].length > 255) {
    const dot = name.lastIndexOf('.');
    const ext = dot > 0 ? [...name.slice(dot)].slice(0, 255).join('') : '';
    const base = dot > 0 ? name.slice(0, dot) : name;
    name = [...base].slice(0, 255 - [...ext].length).join('') + ext;
  }
  return name;
}

async function discardAll(req: ApiRequest, stored: string[]): Promise<void> {
  const { storage, log } = req.ctx;
  if (!storage.remove) return;
  for (const s of stored) await storage.remove(s).catch((err: unknown) => log.warn({ err, stored: s }, 'could not remove an orphaned upload'));
}

/** Uploads the poster (if any) and the gallery images; on a failure removes what was stored, 502. */
async function storeFiles(req: ApiRequest, poster: UploadedFile | null, gallery: UploadedFile[]) {
  const stored: string[] = [];
  const save = async (f: UploadedFile) => {
    const value = await req.ctx.storage.save({ buffer: f.buffer, filename: f.originalname, mimetype: f.mimetype }, { resourceType: 'image' });
    stored.push(value);
    return value;
  };
  try {
    const posterValue = poster ? await save(poster) : null;
    const media: q.NewMediaFile[] = [];
    for (const f of gallery) media.push({ file: await save(f), title: uploadedName(f.originalname), fileSize: f.size });
    return { posterValue, media, stored };
  } catch (err) {
    req.ctx.log.error({ err }, 'event upload failed');
    await discardAll(req, stored);
    throw jsonError(502, { detail: 'The file could not be stored. Try again later.' });
  }
}

async function readEventInput(req: ApiRequest, partial: boolean) {
  const data = await req.data();
  const input = serializerInput(data);
  if (isErrors(input)) throw validationError(input);
  const result = await validateEvent(input, partial);
  if (!result.ok) throw validationError(result.errors);
  const gallery = await galleryFiles(data);
  if ('error' in gallery) throw validationError({ gallery: [gallery.error] });
  return { ...result.data, gallery: gallery.files };
}

function cleanOrThrow(row: Parameters<typeof eventCleanError>[0]): void {
  const error = eventCleanError(row);
  if (error) throw validationError({ non_field_errors: [error] });
}

/** POST create/ — CreateEventAPIView: 201 {"success": ..., "data": EventSerializer} */
export const createEvent = apiView({
  takesFiles: true,
  name: 'Create Event Api',
  methods: {
    async POST(req) {
      requireAdmin(req, 'create');
      const { values, poster, gallery } = await readEventInput(req, false);
      const row: Required<q.EventValues> = {
        title: values.title!,
        description: values.description!,
        guidelines: values.guidelines ?? null,
        venue: values.venue ?? null,
        registration_start_date: values.registration_start_date ?? null,
        registration_end_date: values.registration_end_date ?? null,
        event_date: values.event_date ?? null,
        poster: null,
        status: values.status ?? 'upcoming',
        is_registrations_open: values.is_registrations_open ?? false,
        payment_required: values.payment_required ?? false,
        amount: values.amount ?? null,
      };
      cleanOrThrow(row);
      const files = await storeFiles(req, poster, gallery);
      const knex = req.ctx.db.knex;
      let id: number;
      try {
        id = await knex.transaction(async (trx) => {
          const now = nowTimestamp();
          const eventId = await q.insertEvent(trx, { ...row, poster: files.posterValue }, now);
          await q.addGallery(trx, eventId, files.media, now);
          return eventId;
        });
      } catch (err) {
        await discardAll(req, files.stored);
        throw err;
      }
      const event = await q.eventById(knex, id);
      return { status: 201, body: { success: 'Event created successfully', data: serializeEvent(event!, req.ctx.storage) } };
    },
  },
});

/** PUT edit/<int:id>/ — EditEventAPIView: partial update; gallery replaced when files are sent. */
export const editEvent = apiView({
  takesFiles: true,
  name: 'Edit Event Api',
  methods: {
    async PUT(req) {
      const knex = req.ctx.db.knex;
      const id = lookupId(req.params.id ?? '');
      const existing = id === null ? null : await q.eventById(knex, id);
      if (!existing) throw noMatch('Event');
      requireAdmin(req, 'edit');
      const { values, poster, gallery } = await readEventInput(req, true);
      cleanOrThrow({ ...existing, ...values });
      const files = await storeFiles(req, poster, gallery);
      try {
        await knex.transaction(async (trx) => {
          const locked = await q.eventById(trx, existing.id, { forUpdate: true });
          if (!locked) throw noMatch('Event');
          cleanOrThrow({ ...locked, ...values });
          const now = nowTimestamp();
          await q.updateEvent(trx, locked.id, { ...values, ...(files.posterValue !== null ? { poster: files.posterValue } : {}) }, now);
          if (files.media.length) {
            await q.clearGallery(trx, locked.id);
            await q.addGallery(trx, locked.id, files.media, now);
          }
        });
      } catch (err) {
        await discardAll(req, files.stored);
        throw err;
      }
      const event = await q.eventById(knex, existing.id);
      if (!event) throw noMatch('Event');
      return { body: { success: 'Event updated successfully', data: serializeEvent(event, req.ctx.storage) } };
    },
  },
});

/** DELETE delete/<int:id>/ — DeleteEventAPIView */
export const deleteEvent = apiView({
  name: 'Delete Event Api',
  methods: {
    async DELETE(req) {
      const knex = req.ctx.db.knex;
      const id = lookupId(req.params.id ?? '');
      const existing = id === null ? null : await q.eventById(knex, id);
      if (!existing) throw noMatch('Event');
      requireAdmin(req, 'delete');
      const deleted = await knex.transaction((trx) => q.deleteEvent(trx, existing.id));
      if (!deleted) throw noMatch('Event');
      return { body: { success: 'Event deleted successfully.' } };
    },
  },
});
