// The few server-rendered admin pages around AdminJS: Django's admin log-in form (username = the
// e-mail, password, csrfmiddlewaretoken, next), the log-out confirmation and "Logged out" pages, and
// the 403 / CSRF failure / 404 pages. Everything interpolated is escaped.

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' })[c]!);
}

const STYLE = `
body{margin:0;font-family:Roboto,"Segoe UI",system-ui,-apple-system,sans-serif;background:#f6f7fb;color:#0c1e29}
header{background:#4268f6;color:#fff;padding:14px 24px;font-size:18px}
main{max-width:420px;margin:48px auto;background:#fff;border:1px solid #e0e4ee;border-radius:4px;padding:28px}
h1{font-size:20px;margin:0 0 18px}
label{display:block;font-size:13px;margin:14px 0 6px;color:#454655}
input[type=text],input[type=email],input[type=password]{width:100%;box-sizing:border-box;padding:9px 10px;border:1px solid #c0c0ca;border-radius:2px;font-size:14px}
button{margin-top:20px;background:#4268f6;color:#fff;border:0;border-radius:2px;padding:10px 18px;font-size:14px;cursor:pointer}
.errornote{background:#fff0f0;border:1px solid #f0b4b4;color:#ba2121;padding:10px;font-size:13px;margin-bottom:10px}
p{font-size:14px;line-height:1.5}`;

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="NONE,NOARCHIVE"><title>${escapeHtml(title)} | csi-chat administration</title><style>${STYLE}</style></head>
<body><header>csi-chat administration</header><main>${body}</main></body></html>`;
}

export function loginPage(opts: { csrfToken: string; next: string; username: string; error: string | null }): string {
  return page(
    'Log in',
    `
<h1>Log in</h1>
${opts.error ? `<p class="errornote">${escapeHtml(opts.error)}</p>` : ''}
<form action="/admin/login/" method="post" id="login-form">
<input type="hidden" name="csrfmiddlewaretoken" value="${escapeHtml(opts.csrfToken)}">
<label for="id_username">Email:</label>
<input type="email" name="username" autofocus autocapitalize="none" autocomplete="username" maxlength="254" required id="id_username" value="${escapeHtml(opts.username)}">
<label for="id_password">Password:</label>
<input type="password" name="password" autocomplete="current-password" required id="id_password">
<input type="hidden" name="next" value="${escapeHtml(opts.next)}">
<button type="submit">Log in</button>
</form>`,
  );
}

export function logoutConfirmPage(csrfToken: string): string {
  return page(
    'Log out',
    `
<h1>Log out</h1>
<form action="/admin/logout/" method="post" id="logout-form">
<input type="hidden" name="csrfmiddlewaretoken" value="${escapeHtml(csrfToken)}">
<p>Log out of the administration site?</p>
<button type="submit">Log out</button>
</form>`,
  );
}

export function loggedOutPage(): string {
  return page(
    'Logged out',
    `
<h1>Logged out</h1>
<p>Thanks for spending some quality time with the web site today.</p>
<p><a href="/admin/">Log in again</a></p>`,
  );
}

export function forbiddenPage(): string {
  return page(
    '403 Forbidden',
    '<h1>403 Forbidden</h1><p>You do not have permission to view or change this.</p><p><a href="/admin/">Back to the administration</a></p>',
  );
}

/** Django's CSRF failure view (DEBUG=False): 403 with the reason kept out of the page. */
export function csrfFailurePage(): string {
  return page('403 Forbidden', '<h1>Forbidden (403)</h1><p>CSRF verification failed. Request aborted.</p>');
}

export function notFoundPage(): string {
  return page('Not Found', '<h1>Not Found</h1><p>The requested resource was not found on this server.</p>');
}

export function throttledPage(opts: { csrfToken: string; next: string; username: string; seconds: number }): string {
  return loginPage({ ...opts, error: `Too many failed log-in attempts. Try again in ${opts.seconds} seconds.` });
}
