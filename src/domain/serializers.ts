// The original's Domain serializers and view bodies.
import type { DomainRow, YearMemberRow } from './queries.ts';

/** User.YEAR_CHOICES */
const YEAR_CHOICES: Array<[string, string]> = [
  ['2nd', '2nd Year'],
  ['3rd', '3rd Year'],
  ['4th', '4th Year'],
];

/** MemberSimpleSerializer: id, full_name = get_full_name() = f"{first_name} {last_name}" (None → "None"). */
export function serializeMemberSimple(u: YearMemberRow) {
  return { id: u.id, full_name: `${u.first_name} ${u.last_name === null ? 'None' : u.last_name}` };
}

/** DomainAndYearWiseUserAPIView: {year: {domain name lower-cased or "undefined": [members]}}. */
export function groupByYearAndDomain(years: string[], users: YearMemberRow[]) {
  const result: Record<string, Record<string, Array<ReturnType<typeof serializeMemberSimple>>>> = {};
  for (const y of years) result[y] = {};
  for (const u of users) {
    const byDomain = result[u.year];
    if (!byDomain) continue;
    // Python's str.lower() on the ASCII choice names.
    const key = u.domain_name !== null ? u.domain_name.toLowerCase() : 'undefined';
    (byDomain[key] ??= []).push(serializeMemberSimple(u));
  }
  return result;
}

/** DomainSerializer: id, name. */
function serializeDomain(d: DomainRow) {
  return { id: d.id, name: d.name };
}

/** DomainsByYearAPIView: one entry per year choice, each with every domain. */
export function domainsByYear(domains: DomainRow[]) {
  const list = domains.map(serializeDomain);
  return YEAR_CHOICES.map(([id, label]) => ({ id, label, domains: list }));
}
