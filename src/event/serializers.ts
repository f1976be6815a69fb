// The original's Event serializers as pure functions row → wire object, in DRF's key order.
import type { MediaStorage } from '../storage/types.ts';
import { drfDateTime } from '../drf/datetime.ts';
import type { EventRow, PosterRow } from './queries.ts';

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
