// SQL of the original's homepage views (core/views.py): counters for one user, the announcements
// they received, and the event posters by status. Each is a single statement.
import { type Db, rows } from '../db/sql.ts';

export interface HomepageCounts {
  tasks_assigned: number;
  chat_groups_with_unread: number;
  announcement_count: number;
}

/**
 * HomepageCountsAPIView in one statement:
 * - tasks_assigned: distinct tasks in 'pending'/'current' status with a group the user is a member of;
 * - chat_groups_with_unread: rooms the user is a member of (active or not) that have a message newer
 *   than the user's last_read (or any message when never read);
 * - announcement_count: announcements with the user among the receivers.
 */
export async function homepageCounts(db: Db, userId: number): Promise<HomepageCounts> {
  const found = await rows<{ tasks: number | string; rooms: number | string; announcements: number | string }>(
    db,
    `SELECT
       (SELECT count(DISTINCT t.id) FROM "Task_task" t
          JOIN "Task_group" g ON g.task_id = t.id
          JOIN "Task_group_members" gm ON gm.group_id = g.id
        WHERE gm.user_id = ? AND t.status IN ('pending', 'current')) AS tasks,
       (SELECT count(*) FROM "Chat_room_members" rm
          JOIN LATERAL (SELECT max(m.created_at) AS latest FROM "Chat_message" m WHERE m.room_id = rm.room_id) lm ON true
          LEFT JOIN "Chat_userroomstatus" s ON s.room_id = rm.room_id AND s.user_id = rm.user_id
        WHERE rm.user_id = ? AND lm.latest IS NOT NULL AND (s.last_read IS NULL OR lm.latest > s.last_read)) AS rooms,
       (SELECT count(*) FROM "Announcement_announcement_receivers" ar WHERE ar.user_id = ?) AS announcements`,
    [userId, userId, userId],
  );
  const r = found[0];
  return { tasks_assigned: Number(r.tasks), chat_groups_with_unread: Number(r.rooms), announcement_count: Number(r.announcements) };
}

export interface HomepageAnnouncementRow {
  created_at: string;
  related_to: string;
  sender_first_name: string;
  message: string;
}

/** Announcement.objects.filter(receivers=user).order_by('-created_at') with the sender's first name. */
export function receivedAnnouncements(db: Db, userId: number): Promise<HomepageAnnouncementRow[]> {
  return rows<HomepageAnnouncementRow>(
    db,
    `SELECT a.created_at, a.related_to, u.first_name AS sender_first_name, a.message
     FROM "Announcement_announcement_receivers" ar
     JOIN "Announcement_announcement" a ON a.id = ar.announcement_id
     JOIN "User_user" u ON u.id = a.sender_id
     WHERE ar.user_id = ?
     ORDER BY a.created_at DESC, a.id DESC`,
    [userId],
  );
}
