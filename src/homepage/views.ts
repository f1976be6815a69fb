// The original's homepage views (core/views.py): IsAuthenticated, GET only, bare JSON (no pagination).
import { apiView } from '../drf/api.ts';
import { eventsWithStatus } from '../event/queries.ts';
import { serializeEventPoster } from '../event/serializers.ts';
import { homepageCounts, receivedAnnouncements } from './queries.ts';
import { serializeHomepageAnnouncement, serializeStats } from './serializers.ts';

/** GET stats/ — HomepageCountsAPIView */
export const homepageStats = apiView({
  name: 'Homepage Counts Api',
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
