// The original's homepage views (core/views.py): IsAuthenticated, GET only, bare JSON (no pagination).
import { apiView } from '../drf/api.ts';
import { eventsWithStatus } from '../event/queries.ts';
import { serializeEventPoster } from '../event/serializers.ts';
import { homepageCounts, receivedAnnouncements } from './queries.ts';
import { homepageAnnouncementSchema, serializeHomepageAnnouncement, serializeStats, statsSchema } from './serializers.ts';
import { eventPosterSchema } from '../event/serializers.ts';
import { arrayOf, json } from '../drf/openapi.ts';

/** GET stats/ — HomepageCountsAPIView */
export const homepageStats = apiView({
  name: 'Homepage Counts Api',
  docs: { GET: { summary: "The home screen's counters for the user", responses: { 200: json('The counters', statsSchema) } } },
  methods: {
    async GET(req) {
      const user = req.user!;
      const counts = await homepageCounts(req.ctx.db.knex, user.id);
      return { body: serializeStats(user, counts, req.ctx.storage) };
    },
  },
});

/** GET announcements/ — HomepageAnnouncementsAPIView (ListAPIView, pagination_class None) */
export const homepageAnnouncements = apiView({
  name: 'Homepage Announcements Api',
  docs: {
    GET: { summary: 'The announcements the user received', responses: { 200: json('The announcements', arrayOf(homepageAnnouncementSchema)) } },
  },
  methods: {
    async GET(req) {
      const list = await receivedAnnouncements(req.ctx.db.knex, req.user!.id);
      return { body: list.map(serializeHomepageAnnouncement) };
    },
  },
});

function postersWithStatus(name: string, status: string) {
  return apiView({
    name,
    docs: { GET: { summary: `The posters of the ${status} events`, responses: { 200: json('The posters', arrayOf(eventPosterSchema)) } } },
    methods: {
      async GET(req) {
        const events = await eventsWithStatus(req.ctx.db.knex, status);
        return { body: events.map((e) => serializeEventPoster(e, req.ctx.storage)) };
      },
    },
  });
}

/** GET upcoming-events/ — Event.objects.filter(status="upcoming") through EventPosterSerializer */
export const upcomingEvents = postersWithStatus('Homepage Upcoming Events Api', 'upcoming');

/** GET ongoing-events/ — Event.objects.filter(status="ongoing") through EventPosterSerializer */
export const ongoingEvents = postersWithStatus('Homepage Ongoing Events Api', 'ongoing');
