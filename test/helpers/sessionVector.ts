// The session Django 5.1 wrote when the seed's superuser logged in to the original's admin
// (docs/django-admin-notes.md "Log-in, recorded"), with its SECRET_KEY and the user's password hash.
/** The recorded log-in (docs/django-admin-notes.md). */
export const VECTOR = {
  secret: 'oracle-perf-not-secret',
  sessionKey: 'rsqnxxp6muqawbgdtcpd799mf2hix1n8',
  sessionData:
    '.eJxVjDsOwjAQBe_iGlle_2JT0nMGa-1dcAA5UpxUiLuTSCmgfTPz3iLhutS0dp7TSOIsQJx-t4zlyW0H9MB2n2SZ2jKPWe6KPGiX14n4dTncv4OKvW61svrmHVM0oHz2wEAhoB5cNHpQxoAmS1g0A6MFKJuqgo-BfC7kPIjPF743NzM:1xYds0:BCvmliQxVOoQLofCzT1mM0RMpihGVVkxKmUAaDomKLc',
  passwordHash: 'pbkdf2_sha256$870000$NJcJcSJXkyVDnDS04Ygbj5$X8DD2bMZAFP0pRdJeZq2EfZRAT6oXLKfukKQtAaDflE=',
  payload: {
    _auth_user_id: '1',
    _auth_user_backend: 'django.contrib.auth.backends.ModelBackend',
    _auth_user_hash: '042f65ed93106b61e1d88a275932703312d4dac2e1ea411c5ed08698d6bcd561',
  },
};
