// The original's User/urls.py. Included under api/user/ by src/urls.ts.
import { path } from '../drf/router.ts';
import { loginView, logoutView } from './auth.ts';
import * as v from './views.ts';
import * as s from './student.ts';

export const urlpatterns = [
  path('register/', v.register),
  path('login/', loginView),
  path('logout/', logoutView),
  path('list/', v.userList),
  path('forgot-password/', v.forgotPasswordView),
  path('reset-password/', v.resetPasswordView),
  path('search/', v.memberSearch),
  path('meet-our-team/', v.meetOurTeam),
  path('profile/fill/', v.profileFill),
  path('profile/detail/', v.profileDetail),
  path('student/register/', s.studentRegister),
  path('student/verify-email/', s.studentVerifyEmail),
  path('student/resend-otp/', s.studentResendOtp),
  path('student/login/', s.studentLogin),
  path('student/forgot-password/', s.studentForgotPassword),
  path('student/reset-password/', s.studentResetPassword),
  path('student/logout/', logoutView),
  path('student/google-login/', s.studentGoogleLogin),
];
