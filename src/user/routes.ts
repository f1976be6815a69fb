import type { UrlRouter } from '../drf/router.ts';
import { loginView, logoutView } from './auth.ts';
import * as v from './views.ts';

/** The original's User/urls.py under /api/user/. */
export function registerUserRoutes(router: UrlRouter): void {
  const p = 'api/user/';
  router
    .add(`${p}register/`, v.register)
    .add(`${p}login/`, loginView)
    .add(`${p}logout/`, logoutView)
    .add(`${p}list/`, v.userList)
    .add(`${p}forgot-password/`, v.forgotPasswordView)
    .add(`${p}reset-password/`, v.resetPasswordView)
    .add(`${p}search/`, v.memberSearch)
    .add(`${p}meet-our-team/`, v.meetOurTeam)
    .add(`${p}profile/fill/`, v.profileFill)
    .add(`${p}profile/detail/`, v.profileDetail);
}
