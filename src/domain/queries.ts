// SQL of the original's Domain app views.
import { type Db, rows } from '../db/sql.ts';

export interface YearMemberRow {
  id: number;
  first_name: string;
  last_name: string | null;
  year: string;
  domain_name: string | null;
}

/** User.objects.filter(year__in=years).select_related('domain') (primary-key order). */
export function usersOfYears(db: Db, years: string[]): Promise<YearMemberRow[]> {
  return rows<YearMemberRow>(
    db,
    `SELECT u.id, u.first_name, u.last_name, u.year, d.name AS domain_name
     FROM "User_user" u LEFT JOIN "Domain_domain" d ON d.id = u.domain_id
     WHERE u.year = ANY(?::text[]) ORDER BY u.id`,
    [`{${years.map((y) => `"${y}"`).join(',')}}`],
  );
}

export interface DomainRow {
  id: number;
  name: string;
}

/** Domain.objects.all() (primary-key order). */
export function allDomains(db: Db): Promise<DomainRow[]> {
  return rows<DomainRow>(db, `SELECT id, name FROM "Domain_domain" ORDER BY id`);
}
