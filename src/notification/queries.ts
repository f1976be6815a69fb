// SQL of the notification REST views (Notification/views.py).
import type { Knex } from 'knex';
import { nowTimestamp } from '../drf/datetime.ts';
import { DEVICE_TOKEN_TABLE } from './push.ts';
import { NOTIFICATION_TABLE } from './service.ts';

/** Notification.objects.filter(user=..., is_read=False[, id__in=ids]).update(is_read=True) */
export async function markRead(knex: Knex, userId: number, ids: number[] | null): Promise<number> {
  const q = knex(NOTIFICATION_TABLE).where({ user_id: userId, is_read: false });
  if (ids !== null) {
    if (!ids.length) return 0;
    q.whereIn('id', ids);
  }
  // QuerySet.update() sets only the named field: updated_at (auto_now) is left as it was.
  return q.update({ is_read: true });
}

export async function unreadCount(knex: Knex, userId: number): Promise<number> {
  const row = await knex(NOTIFICATION_TABLE).where({ user_id: userId, is_read: false }).count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

export async function deviceTokenExists(knex: Knex, token: string): Promise<boolean> {
  return !!(await knex(DEVICE_TOKEN_TABLE).select('id').where('device_token', token).first());
}

/** DeviceToken.objects.update_or_create(user=..., device_token=..., defaults={device_type}) */
export async function upsertDeviceToken(
  knex: Knex,
  userId: number,
  token: string,
  deviceType: string,
): Promise<{ device_token: string; device_type: string }> {
  return knex.transaction(async (trx) => {
    const now = nowTimestamp();
    const existing = await trx(DEVICE_TOKEN_TABLE).select('id').where({ user_id: userId, device_token: token }).forUpdate().first();
    if (existing) {
      await trx(DEVICE_TOKEN_TABLE).where('id', existing.id).update({ device_type: deviceType, updated_at: now });
    } else {
      await trx(DEVICE_TOKEN_TABLE).insert({ device_token: token, device_type: deviceType, created_at: now, updated_at: now, user_id: userId });
    }
    return { device_token: token, device_type: deviceType };
  });
}
