// The original's homepage response shapes (core/views.py, core/serializers.py), key order as recorded.
import type { UserRow } from '../auth/tokens.ts';
import type { MediaStorage } from '../storage/types.ts';
import { parseTimestamp } from '../drf/datetime.ts';
import type { HomepageAnnouncementRow, HomepageCounts } from './queries.ts';

/** Announcement.RELATED_CHOICES display names (get_related_to_display; unknown codes show as is). */
export const RELATED_TO_DISPLAY: Record<string, string> = {
  D: 'Domain Based',
  T: 'Task',
  M: 'Manual Selection',
};

/** HomepageCountsAPIView body. */
export function serializeStats(user: UserRow, counts: HomepageCounts, storage: MediaStorage) {
  return {
    photo: storage.url(user.photo),
    name: user.first_name,
    year: user.year,
    is_completed: user.is_completed,
    tasks_assigned: counts.tasks_assigned,
    chat_groups_with_unread: counts.chat_groups_with_unread,
    announcement_count: counts.announcement_count,
  };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** obj.created_at.strftime("%Y-%m-%d %H:%M") on the aware datetime the ORM returns: UTC, not local. */
function utcMinutes(text: string): string {
  const d = new Date(parseTimestamp(text).secondsMs);
  return `${String(d.getUTCFullYear()).padStart(4, '0')}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

/** AnnouncementHomepageSerializer: time_date, related_to_display, sender_first_name, message. */
export function serializeHomepageAnnouncement(a: HomepageAnnouncementRow) {
  return {
    time_date: utcMinutes(a.created_at),
    related_to_display: RELATED_TO_DISPLAY[a.related_to] ?? a.related_to,
    sender_first_name: a.sender_first_name,
    message: a.message,
  };
}
