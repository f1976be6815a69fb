// TaskSerializer / GroupSerializer: the fields of the original's serializers (DRF 3.15 ModelSerializer
// fields of Task and Group), run on the plain dict the original's views build from request.data (so JSON
// rules apply to the form values: no HTML-input defaults), and TaskSerializer.validate()'s year rules.
import type { Knex } from 'knex';
import type { UserRow } from '../auth/tokens.ts';
import { char, date, file, FieldError, INT4_RANGE, integer, many, pkList, url } from '../drf/fields/index.ts';
import { serializer, type Data } from '../drf/serializer.ts';
import * as q from './queries.ts';

/** TaskSerializer for `user`: a fresh instance per request (the member lookups feed validate()). */
export function taskSerializer(knex: Knex, user: UserRow) {
  // The members' years, read by the same query that checks they exist.
  const years = new Map<number, string>();
  const existingUsers = async (ids: number[]) => {
    const found = await q.userYears(knex, ids);
    for (const [id, year] of found) years.set(id, year);
    return new Set(found.keys());
  };
  const group = serializer({
    name: char({ maxLength: 255 }),
    members: pkList({ existing: existingUsers }),
  });
  return serializer(
    {
      title: char({ maxLength: 255 }),
      description: char({ required: false, allowNull: true, allowBlank: true }),
      start_date: date(),
      end_date: date(),
      current_progress: integer({ required: false, ...INT4_RANGE }),
      attachment: file({ required: false }),
      info_url: url({ required: false, allowNull: true, allowBlank: true, maxLength: 200 }),
      groups: many(group),
    },
    {
      // TaskSerializer.validate()
      validate(data) {
        const fail = (message: string) => new FieldError([message]);
        const year = user.year;
        if (!year) throw fail("User's year information is required.");
        for (const g of data.groups) {
          if (year === '2nd') throw fail('2nd-year users cannot assign tasks.');
          for (const id of g.members) {
            const memberYear = years.get(id);
            if (year === '3rd' && memberYear !== '2nd') throw fail(`3rd-year users can only assign tasks to 2nd-year users. Invalid member: ${id}`);
            if (year === '4th' && memberYear !== '2nd' && memberYear !== '3rd') {
              throw fail(`4th-year users can only assign tasks to 2nd or 3rd-year users. Invalid member: ${id}`);
            }
          }
        }
        if (data.end_date < data.start_date) throw fail('End date cannot be earlier than start date.');
      },
    },
  );
}

export type TaskInput = Data<ReturnType<typeof taskSerializer>['fields']>;
export type GroupInput = TaskInput['groups'][number];
