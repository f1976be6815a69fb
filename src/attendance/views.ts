// The original's Attendance views (CheckInView, CheckOutView, Last49DaysAttendanceView): same statuses
// and bodies. "Today" is timezone.now().date() there, i.e. the UTC date, and so it is here.
import { apiView } from '../drf/api.ts';
import { validationError } from '../drf/errors.ts';
import { nowTimestamp } from '../drf/datetime.ts';
import { PyFloat } from '../python/json.ts';
import { parseQs, quotePlus } from '../drf/pagination.ts';
import { float, readInput, type SerializerInput } from '../drf/fields/index.ts';
import { pythonInt } from '../python/builtins.ts';
import { serializer } from '../drf/serializer.ts';
import { haversineMeters, pyFixed2 } from './geo.ts';
import * as q from './queries.ts';

/** timezone.now().date() with USE_TZ: the UTC date. */
export function utcToday(nowMs: number = Date.now()): string {
  return new Date(nowMs).toISOString().slice(0, 10);
}

export { pythonFloat } from '../drf/fields/number.ts';

/** CheckInSerializer / CheckOutSerializer: two required FloatFields, errors in declaration order. */
async function coordinates(input: SerializerInput, latName: string, lonName: string): Promise<{ lat: number; lon: number }> {
  const data = await serializer({ [latName]: float(), [lonName]: float() }).validate(input);
  return { lat: data[latName]!, lon: data[lonName]! };
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string })?.code === '23505';
}

/** POST checkin/ — CheckInSerializer, one check-in per day, within the lab radius. */
export const checkIn = apiView({
  name: 'Check In',
  methods: {
    async POST(req) {
      const { lat, lon } = await coordinates(await readInput(req), 'check_in_latitude', 'check_in_longitude');
      // CheckInSerializer.validate() (a NaN fails the range checks too).
      if (!(lat >= -90 && lat <= 90)) throw validationError({ non_field_errors: ['Invalid latitude value. Must be between -90 and 90.'] });
      if (!(lon >= -180 && lon <= 180)) throw validationError({ non_field_errors: ['Invalid longitude value. Must be between -180 and 180.'] });
      const knex = req.ctx.db.knex;
      const userId = req.user!.id;
      const today = utcToday();
      const already = { status: 400, body: { error: 'You have already checked in today.' } };
      if (await q.attendanceOn(knex, userId, today)) return already;
      const { labLatitude, labLongitude, radiusMeters } = req.ctx.config.attendance;
      const distance = haversineMeters(labLatitude, labLongitude, lat, lon);
      if (!(distance <= radiusMeters)) {
        return {
          status: 400,
          body: { error: `Check-in failed. You are ${pyFixed2(distance)} meters away from the lab.`, distance: new PyFloat(distance) },
        };
      }
      try {
        await q.insertCheckIn(knex, { userId, date: today, time: nowTimestamp(), latitude: lat, longitude: lon });
      } catch (err) {
        // A concurrent check-in of the same user won the unique (user_id, date) constraint.
        if (isUniqueViolation(err)) return already;
        throw err;
      }
      return { body: { message: 'Check-in successful. Attendance marked!', distance: new PyFloat(distance) } };
    },
  },
});

/** POST checkout/ — CheckOutSerializer (no range check), today's check-in required, once. */
export const checkOut = apiView({
  name: 'Check Out',
  methods: {
    async POST(req) {
      const { lat, lon } = await coordinates(await readInput(req), 'check_out_latitude', 'check_out_longitude');
      const userId = req.user!.id;
      const today = utcToday();
      return req.ctx.db.knex.transaction(async (trx) => {
        const row = await q.attendanceOn(trx, userId, today, { forUpdate: true });
        if (!row) return { status: 400, body: { error: 'No check-in record found for today.' } };
        if (row.check_out_time) return { status: 400, body: { error: 'You have already checked out today.' } };
        await q.recordCheckOut(trx, row.id, { time: nowTimestamp(), latitude: lat, longitude: lon });
        return { body: { message: 'Check-out successful. See you tomorrow!' } };
      });
    },
  },
});

const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = 49;
const WEEK = 7;
/** The original builds its links on the production host, whatever host served the request. */
const WEEKLY_LINK_BASE = 'https://csi-backend-wvn0.onrender.com/api/attendance/weekly/';

function addDays(iso: string, days: number): string {
  return new Date(Date.parse(iso + 'T00:00:00Z') + days * 86400000).toISOString().slice(0, 10);
}

/** QueryDict(query).copy(), ["page"] = n, .urlencode(): keys in first-seen order, quote_plus. */
export function weeklyLink(rawQuery: string, page: number): string {
  const dict = parseQs(rawQuery);
  dict.set('page', [String(page)]);
  const parts: string[] = [];
  for (const [k, values] of dict) for (const v of values) parts.push(`${quotePlus(k)}=${quotePlus(v)}`);
  return `${WEEKLY_LINK_BASE}?${parts.join('&')}`;
}

/** GET weekly/?page=N — the last 49 days in 7 pages of 7 days, page 1 ending today. */
export const weekly = apiView({
  name: 'Last49 Days Attendance',
  methods: {
    async GET(req) {
      const today = utcToday();
      const start = addDays(today, -(DAYS - 1));
      const rawPage = req.query('page');
      let page = 1;
      if (rawPage !== undefined) {
        const n = pythonInt(rawPage);
        if (n === null) return { status: 400, body: { detail: 'Invalid page number.' } };
        if (n < 1n || n > BigInt(DAYS / WEEK)) return { status: 400, body: { detail: 'Page out of range.' } };
        page = Number(n);
      }
      const totalPages = DAYS / WEEK;
      const attended = await q.attendedDays(req.ctx.db.knex, req.user!.id, start, today);
      // Page 1 = the newest 7 days, each page in ascending date order.
      const first = addDays(start, (totalPages - page) * WEEK);
      const week = Array.from({ length: WEEK }, (_, i) => addDays(first, i));
      const results = week.map((date) => {
        const d = new Date(date + 'T00:00:00Z');
        return { date, attended: attended.get(date) ?? false, day_name: DAY_NAMES[d.getUTCDay()]!, month_name: MONTH_NAMES[d.getUTCMonth()]! };
      });
      const months = [...new Set(results.map((r) => r.month_name))];
      const qIndex = req.raw.originalUrl.indexOf('?');
      const rawQuery = qIndex < 0 ? '' : req.raw.originalUrl.slice(qIndex + 1);
      const body: Record<string, unknown> = {
        page,
        total_pages: totalPages,
        next: page < totalPages ? weeklyLink(rawQuery, page + 1) : null,
        previous: page > 1 ? weeklyLink(rawQuery, page - 1) : null,
        results,
      };
      if (months.length === 1) body.month = months[0];
      else body.months = months;
      return { body };
    },
  },
});
