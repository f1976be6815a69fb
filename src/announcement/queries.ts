// SQL of the original's Announcement app: the announcement row, its receivers, and the receiver
// lookups of Announcement/utils.get_receiver_ids.
import { type Db, pgArray, rows } from '../db/sql.ts';

/** The subset of ids that are User_user rows. */
export async function existingUserIds(db: Db, ids: number[]): Promise<Set<number>> {
  if (!ids.length) return new Set();
  const found = await rows<{ id: number }>(db, `SELECT id FROM "User_user" WHERE id = ANY(?::bigint[])`, [pgArray(ids)]);
  return new Set(found.map((r) => r.id));
}

/** User.objects.filter(group_members__task__id__in=task_ids): members of the tasks' groups. */
export async function usersOfTasks(db: Db, taskIds: number[]): Promise<number[]> {
  if (!taskIds.length) return [];
  const found = await rows<{ user_id: number }>(
    db,
    `SELECT DISTINCT gm.user_id FROM "Task_group_members" gm JOIN "Task_group" g ON g.id = gm.group_id
     WHERE g.task_id = ANY(?::bigint[]) ORDER BY gm.user_id`,
    [pgArray(taskIds)],
  );
  return found.map((r) => r.user_id);
}

/** Domain ids by name (exact, then case-insensitive), for criteria written with names. */
export async function domainIdsByName(db: Db): Promise<Map<string, number>> {
  const found = await rows<{ id: number; name: string }>(db, `SELECT id, name FROM "Domain_domain" ORDER BY id`);
  const map = new Map<string, number>();
  for (const d of found) map.set(d.name.toLowerCase(), d.id);
  return map;
}

/**
 * User.objects.filter(Q(year=y1, domain__in=d1) | Q(year=y2, domain__in=d2) | ...): an empty criteria
 * dict is an empty Q(), which matches every user, as in the original.
 */
export async function usersByYearDomains(db: Db, criteria: Array<{ year: string; domainIds: number[] }>): Promise<number[]> {
  if (!criteria.length) return (await rows<{ id: number }>(db, `SELECT id FROM "User_user" ORDER BY id`)).map((r) => r.id);
  const branches = criteria.filter((c) => c.domainIds.length > 0);
  if (!branches.length) return [];
  const where = branches.map(() => `(year = ? AND domain_id = ANY(?::bigint[]))`).join(' OR ');
  const bindings = branches.flatMap((c) => [c.year, pgArray(c.domainIds)]);
  return (await rows<{ id: number }>(db, `SELECT id FROM "User_user" WHERE ${where} ORDER BY id`, bindings)).map((r) => r.id);
}

/** Announcement.save() then announcement.receivers.add(*ids), in the caller's transaction. */
export async function insertAnnouncement(
  db: Db,
  a: { senderId: number; message: string; relatedTo: string; now: string },
  receiverIds: number[],
): Promise<number> {
  const inserted = await rows<{ id: number }>(
    db,
    `INSERT INTO "Announcement_announcement" (message, related_to, created_at, updated_at, sender_id) VALUES (?, ?, ?, ?, ?) RETURNING id`,
    [a.message, a.relatedTo, a.now, a.now, a.senderId],
  );
  const id = inserted[0].id;
  const unique = [...new Set(receiverIds)].sort((x, y) => x - y);
  if (unique.length) {
    await db.raw(
      `INSERT INTO "Announcement_announcement_receivers" (announcement_id, user_id)
       SELECT ?, u FROM unnest(?::bigint[]) AS u ON CONFLICT (announcement_id, user_id) DO NOTHING`,
      [id, pgArray(unique)],
    );
  }
  return id;
}
