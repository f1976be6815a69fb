// The original's User/serializers.py output as pure functions row → wire object, in DRF key order.
import type { MediaStorage } from '../storage/types.ts';
import type { UserRow } from '../auth/tokens.ts';
import type { UserWithDomain } from './queries.ts';

/** User.get_full_name(): f"{first_name} {last_name}" — a NULL last name prints as "None". */
function fullName(firstName: string, lastName: string | null): string {
  return `${firstName} ${lastName === null ? 'None' : lastName}`;
}

/** DomainSerializer: {id, name}, or null when the user has no domain. */
function domainObject(u: UserWithDomain) {
  return u.domain_id === null ? null : { id: u.domain_id, name: u.domain_name };
}

/** UserListSerializer: id, full_name, email, role, year. */
export function serializeListUser(u: UserRow) {
  return { id: u.id, full_name: fullName(u.first_name, u.last_name), email: u.email, role: u.role, year: u.year };
}

/** UserSerializer (User app): id, first_name, last_name, domain {id, name}, photo, year. */
export function serializeSearchUser(u: UserWithDomain, storage: MediaStorage) {
  return {
    id: u.id,
    first_name: u.first_name,
    last_name: u.last_name,
    domain: domainObject(u),
    photo: storage.url(u.photo),
    year: u.year,
  };
}

/** MeetMyTeamUserSerializer: id, photo, full_name, domain {id, name}. */
export function serializeTeamMember(u: UserWithDomain, storage: MediaStorage) {
  return { id: u.id, photo: storage.url(u.photo), full_name: fullName(u.first_name, u.last_name), domain: domainObject(u) };
}

/**
 * The profile serializer of profile/detail/ (and the answer of profile/fill/): the fill fields with the
 * domain as its name (SlugRelatedField), then full_name and year. `appSafe` (CLIENT_COMPAT=csi-android-2025):
 * the domain as {id, name}, which the 2025 Android app parses (docs/kotlin-client-contract.md §5 C1).
 */
export function serializeProfile(u: UserWithDomain, storage: MediaStorage, appSafe = false) {
  return {
    photo: storage.url(u.photo),
    branch: u.branch,
    domain: appSafe ? domainObject(u) : u.domain_id === null ? null : u.domain_name,
    dob: u.dob,
    linkedin_url: u.linkedin_url,
    bio: u.bio,
    github_url: u.github_url,
    achievements: u.achievements,
    hosteller: u.hosteller,
    full_name: fullName(u.first_name, u.last_name),
    year: u.year,
  };
}

/** StudentRegistrationSerializer.to_representation: full_name (stripped) and email. */
export function serializeStudent(u: { first_name: string; last_name: string | null; email: string }) {
  return { full_name: fullName(u.first_name, u.last_name).trim(), email: u.email };
}
