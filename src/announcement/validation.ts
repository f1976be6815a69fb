// AnnouncementSerializer's writable fields (message, related_to) and the targeting_data the original's
// get_receiver_ids reads; where the original crashed (500) on a malformed targeting_data, a DRF-shaped
// 400 under "targeting_data".
import type { Knex } from 'knex';
import { char, choice, FieldError, isFile, MSG, parsePk, type Errors, type SerializerInput } from '../drf/fields/index.ts';
import { isTruthy, pythonTypeName } from '../python/builtins.ts';
import { serializer } from '../drf/serializer.ts';
import * as q from './queries.ts';

const RELATED_CHOICES = ['D', 'T', 'M'] as const;

/** AnnouncementSerializer's writable fields. */
const announcementSerializer = serializer({
  message: char(),
  related_to: choice({ choices: RELATED_CHOICES }),
});

export interface AnnouncementInput {
  message: string;
  relatedTo: string;
  targeting: unknown;
}

/** The serializer fields in declaration order; targeting_data read as JSON (a text part is parsed). */
export async function validateAnnouncement(input: SerializerInput): Promise<Errors | AnnouncementInput> {
  const result = await announcementSerializer.run(input);
  if (!result.ok) return result.errors as Errors;
  const { message, related_to: relatedTo } = result.data;
  let targeting: unknown = input.has('targeting_data') ? input.get('targeting_data') : null;
  if (input.html && typeof targeting === 'string') {
    if (targeting.trim() === '') targeting = null;
    else {
      try {
        targeting = JSON.parse(targeting);
      } catch {
        return { targeting_data: ['Value must be valid JSON.'] };
      }
    }
  } else if (isFile(targeting)) {
    return { targeting_data: ['Value must be valid JSON.'] };
  }
  return { message, relatedTo, targeting };
}

export function isAnnouncementInput(x: Errors | AnnouncementInput): x is AnnouncementInput {
  return 'relatedTo' in x && typeof x.relatedTo === 'string';
}

const notADict = (v: unknown) => `Expected a dictionary of items but got type "${pythonTypeName(v)}".`;

function asList(v: unknown): unknown[] {
  if (!Array.isArray(v)) throw new FieldError([MSG.notAList(pythonTypeName(v))]);
  return v;
}

/** A list of primary keys; `mustExist` reports the first unknown one like PrimaryKeyRelatedField. */
async function pkList(v: unknown, mustExist: ((ids: number[]) => Promise<Set<number>>) | null): Promise<number[]> {
  const items = asList(v);
  const ids: number[] = [];
  const shown: string[] = [];
  for (const item of items) {
    const p = parsePk(item);
    if (!p.ok) throw new FieldError([p.message]);
    if (p.id === null) {
      if (mustExist) throw new FieldError([MSG.pkMissing(p.shown)]);
      continue;
    }
    ids.push(p.id);
    shown.push(p.shown);
  }
  if (mustExist) {
    const found = await mustExist([...new Set(ids)]);
    ids.forEach((id, i) => {
      if (!found.has(id)) throw new FieldError([MSG.pkMissing(shown[i])]);
    });
  }
  return ids;
}

/**
 * get_receiver_ids(related_to, targeting_data): M → user_ids (must exist), T → members of the tasks'
 * groups, D → users matching any {year: [domain ids or names]} pair (an empty criteria dict matches
 * everyone, as the original's empty Q() does). Throws FieldError for malformed data.
 */
export async function receiverIds(db: Knex | Knex.Transaction, relatedTo: string, targeting: unknown): Promise<number[]> {
  if (!isTruthy(targeting)) return [];
  if (typeof targeting !== 'object' || targeting === null || Array.isArray(targeting)) throw new FieldError([notADict(targeting)]);
  const td = targeting as Record<string, unknown>;
  if (relatedTo === 'M') return pkList(td.user_ids ?? [], (ids) => q.existingUserIds(db, ids));
  if (relatedTo === 'T') return q.usersOfTasks(db, await pkList(td.task_ids ?? [], null));
  // 'D'
  const criteria = td.criteria ?? {};
  if (typeof criteria !== 'object' || criteria === null || Array.isArray(criteria)) throw new FieldError([notADict(criteria)]);
  const byName = await q.domainIdsByName(db);
  const pairs: Array<{ year: string; domainIds: number[] }> = [];
  for (const [year, domains] of Object.entries(criteria as Record<string, unknown>)) {
    const ids: number[] = [];
    for (const d of asList(domains)) {
      if (typeof d === 'string' && byName.has(d.toLowerCase())) {
        ids.push(byName.get(d.toLowerCase())!);
        continue;
      }
      const p = parsePk(d);
      if (!p.ok) throw new FieldError([p.message]);
      if (p.id !== null) ids.push(p.id);
    }
    pairs.push({ year, domainIds: ids });
  }
  return q.usersByYearDomains(db, pairs);
}
