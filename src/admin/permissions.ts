// Who may do what in the admin, as Django's: only active staff users get in; superusers may do
// everything; other staff users have the auth_permission rows granted to them directly or through
// their groups, codenames view_/add_/change_/delete_<model> of the model's content type
// (docs/django-admin-notes.md "URLs"). Change implies view (ModelAdmin.has_view_permission).
import type { CurrentAdmin } from 'adminjs';
import type { UserRow } from '../auth/tokens.ts';
import type { ModelDef } from './models.ts';

export type AdminAction = 'view' | 'add' | 'change' | 'delete';

/** The request's admin: the session's user, their permissions and session key. */
export interface AdminIdentity {
  user: UserRow;
  perms: Set<string>;
  sessionKey: string;
}

/** Kept off AdminJS's CurrentAdmin JSON (the page embeds that object), so the hash never reaches a page. */
const IDENTITY = Symbol('csi-admin-identity');

type AdminWithIdentity = CurrentAdmin & { [IDENTITY]?: AdminIdentity };

export function isAdminUser(user: Pick<UserRow, 'is_active' | 'is_staff'>): boolean {
  return user.is_active && user.is_staff;
}

export function currentAdminFor(identity: AdminIdentity): CurrentAdmin {
  const admin: AdminWithIdentity = {
    email: identity.user.email,
    title: [identity.user.first_name, identity.user.last_name].filter(Boolean).join(' '),
    id: String(identity.user.id),
  };
  Object.defineProperty(admin, IDENTITY, { value: identity, enumerable: false });
  return admin;
}

export function identityOf(admin: CurrentAdmin | undefined): AdminIdentity | null {
  return (admin as AdminWithIdentity | undefined)?.[IDENTITY] ?? null;
}

export function adminActor(admin: CurrentAdmin | undefined): { userId: number } {
  const identity = identityOf(admin);
  if (!identity) throw new Error('admin write without an authenticated admin');
  return { userId: identity.user.id };
}

/** user.has_perm("<app_label>.<action>_<model>") */
export function hasPermission(identity: AdminIdentity | null, model: Pick<ModelDef, 'appLabel' | 'model'>, action: AdminAction): boolean {
  if (!identity || !isAdminUser(identity.user)) return false;
  if (identity.user.is_superuser) return true;
  const has = (a: AdminAction) => identity.perms.has(`${model.appLabel}.${a}_${model.model}`);
  return action === 'view' ? has('view') || has('change') : has(action);
}
