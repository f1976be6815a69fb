// The original's Event/views.py (CSI_BACKEND@37029af): list/, detail/<id>/ and event-for-homepage/
// are open to anyone (no permission_classes), create/edit/delete need a token and role 'admin'.
import { apiView } from '../drf/api.ts';
import { jsonError } from '../drf/errors.ts';
import { lookupId } from '../drf/pagination.ts';
import * as q from './queries.ts';
import { serializeEvent, serializeEventDetail, serializeEventHome } from './serializers.ts';

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
