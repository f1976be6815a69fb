import type { UrlRouter } from '../drf/router.ts';
import { loginView, logoutView } from './auth.ts';
import * as v from './views.ts';
import * as s from './student.ts';

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
    .add(`${p}profile/detail/`, v.profileDetail)
    .add(`${p}student/register/`, s.studentRegister)
    .add(`${p}student/verify-email/`, s.studentVerifyEmail)
    .add(`${p}student/resend-otp/`, s.studentResendOtp)
    .add(`${p}student/login/`, s.studentLogin)
    .add(`${p}student/forgot-password/`, s.studentForgotPassword)
    .add(`${p}student/reset-password/`, s.studentResetPassword)
    .add(`${p}student/logout/`, logoutView)
    .add(`${p}student/google-login/`, s.studentGoogleLogin);
}
