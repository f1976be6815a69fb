// The original's Event serializers as pure functions row → wire object, in DRF's key order.
import type { MediaStorage } from '../storage/types.ts';
import { drfDateTime } from '../drf/datetime.ts';
import type { EventRow, PosterRow } from './queries.ts';
import { arrayOf, obj, T } from '../drf/openapi.ts';

const nullableDateTime = { type: ['string', 'null'], description: 'isoformat, local time (+05:30)' };
const eventFields = {
  id: T.id,
  title: T.str,
  description: T.str,
  guidelines: T.strOrNull,
  venue: T.strOrNull,
  registration_start_date: nullableDateTime,
  registration_end_date: nullableDateTime,
  event_date: nullableDateTime,
  poster: T.urlOrNull,
  status: { enum: ['upcoming', 'ongoing', 'previous'] },
  is_registrations_open: T.bool,
  payment_required: T.bool,
  amount: { type: ['string', 'null'], description: 'a decimal, as text' },
  created_at: T.dateTime,
  updated_at: T.dateTime,
  gallery_files: arrayOf(T.str),
};

/** serializeEvent() and serializeEventDetail() (the same keys in another order). */
export const eventSchema = obj(eventFields);
/** serializeEventHome() */
export const eventHomeSchema = obj({ id: T.id, poster: T.urlOrNull, status: eventFields.status });
/** serializeEventPoster() */
export const eventPosterSchema = obj({ id: T.id, poster: T.urlOrNull });

/** EventSerializer (list/, create/ and edit/ "data"): poster and gallery files as storage URLs. */
export function serializeEvent(e: EventRow, storage: MediaStorage) {
  return {
    id: e.id,
    title: e.title,
    description: e.description,
    guidelines: e.guidelines,
    venue: e.venue,
    registration_start_date: drfDateTime(e.registration_start_date),
    registration_end_date: drfDateTime(e.registration_end_date),
    event_date: drfDateTime(e.event_date),
    poster: storage.url(e.poster),
    status: e.status,
    is_registrations_open: e.is_registrations_open,
    payment_required: e.payment_required,
    amount: e.amount,
    created_at: drfDateTime(e.created_at),
    updated_at: drfDateTime(e.updated_at),
    gallery_files: e.gallery.map((f) => storage.url(f)),
  };
}

/** EventDetailSerializer (detail/<id>/): the same fields, gallery_files after status. */
export function serializeEventDetail(e: EventRow, storage: MediaStorage) {
  return {
    id: e.id,
    title: e.title,
    description: e.description,
    guidelines: e.guidelines,
    venue: e.venue,
    registration_start_date: drfDateTime(e.registration_start_date),
    registration_end_date: drfDateTime(e.registration_end_date),
    event_date: drfDateTime(e.event_date),
    poster: storage.url(e.poster),
    status: e.status,
    gallery_files: e.gallery.map((f) => storage.url(f)),
    is_registrations_open: e.is_registrations_open,
    payment_required: e.payment_required,
    amount: e.amount,
    created_at: drfDateTime(e.created_at),
    updated_at: drfDateTime(e.updated_at),
  };
}

/** EventHomeSerializer (event-for-homepage/): id, poster, status. */
export function serializeEventHome(e: PosterRow, storage: MediaStorage) {
  return { id: e.id, poster: storage.url(e.poster), status: e.status };
}

/** EventPosterSerializer (homepage upcoming/ongoing): id, poster. */
export function serializeEventPoster(e: PosterRow, storage: MediaStorage) {
  return { id: e.id, poster: storage.url(e.poster) };
}
