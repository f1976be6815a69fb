// SQL of the Attendance app (Attendance_attendance: one row per user and day, unique (user_id, date)).
import type { Db } from '../db/sql.ts';

const ATTENDANCE_TABLE = 'Attendance_attendance';

export interface AttendanceRow {
  id: number;
  date: string;
  check_in_time: string | null;
  check_in_latitude: number;
  check_in_longitude: number;
  check_in_within_range: boolean;
  check_out_time: string | null;
  check_out_latitude: number | null;
  check_out_longitude: number | null;
  check_out_within_range: boolean;
  user_id: number;
}

export async function attendanceOn(knex: Db, userId: number, date: string, opts: { forUpdate?: boolean } = {}): Promise<AttendanceRow | null> {
  const q = knex(ATTENDANCE_TABLE).where({ user_id: userId, date });
  if (opts.forUpdate) q.forUpdate();
  return ((await q.first()) as AttendanceRow | undefined) ?? null;
}

export async function insertCheckIn(
  knex: Db,
  row: { userId: number; date: string; time: string; latitude: number; longitude: number },
): Promise<void> {
  await knex(ATTENDANCE_TABLE).insert({
    date: row.date,
    check_in_time: row.time,
    check_in_latitude: row.latitude,
    check_in_longitude: row.longitude,
    check_in_within_range: true,
    check_out_time: null,
    check_out_latitude: null,
    check_out_longitude: null,
    check_out_within_range: false,
    user_id: row.userId,
  });
}

export async function recordCheckOut(knex: Db, id: number, row: { time: string; latitude: number; longitude: number }): Promise<void> {
  await knex(ATTENDANCE_TABLE).where({ id }).update({
    check_out_time: row.time,
    check_out_latitude: row.latitude,
    check_out_longitude: row.longitude,
    check_out_within_range: true,
  });
}

/** The user's rows between two dates (inclusive), for the weekly view: date → checked in. */
export async function attendedDays(knex: Db, userId: number, from: string, to: string): Promise<Map<string, boolean>> {
  const rows: Array<{ date: string; check_in_time: string | null }> = await knex(ATTENDANCE_TABLE)
    .select('date', 'check_in_time')
    .where({ user_id: userId })
    .andWhere('date', '>=', from)
    .andWhere('date', '<=', to);
  return new Map(rows.map((r) => [r.date, r.check_in_time !== null]));
}
