// A browser-like HTTP client for the admin: a cookie jar, Django's log-in form, and AdminJS's API
// calls with the X-CSRFToken header its pages send.

export interface AdminResponse {
  status: number;
  text: string;
  headers: Headers;
  json(): any;
}

export class AdminClient {
  readonly cookies = new Map<string, string>();

  constructor(readonly baseUrl: string) {}

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keep(headers: Headers): void {
    for (const c of headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (attrs.some((a) => a.trim().toLowerCase() === 'max-age=0')) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async request(path: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<AdminResponse> {
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    if (this.cookies.size && !('Cookie' in headers)) headers.Cookie = this.cookieHeader();
    const r = await fetch(this.baseUrl + path, { redirect: 'manual', ...init, headers });
    this.keep(r.headers);
    const text = await r.text();
    return { status: r.status, text, headers: r.headers, json: () => JSON.parse(text) };
  }

  get(path: string): Promise<AdminResponse> {
    return this.request(path);
  }

  /** The masked token of the log-in form (and the csrftoken cookie it sets). */
  async loginForm(): Promise<string> {
    const r = await this.get('/admin/login/');
    const m = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(r.text);
    if (!m) throw new Error(`no CSRF token in the log-in page (${r.status})`);
    return m[1];
  }

  async login(email: string, password: string, next = '/admin/'): Promise<AdminResponse> {
    const token = await this.loginForm();
    return this.request(`/admin/login/?next=${encodeURIComponent(next)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrfmiddlewaretoken: token, username: email, password, next }).toString(),
    });
  }

  csrf(): string {
    return this.cookies.get('csrftoken') ?? '';
  }

  /** An AdminJS API POST: multipart fields (and files), X-CSRFToken from the cookie. */
  async post(
    path: string,
    fields: Record<string, string | Blob | { blob: Blob; filename: string }>,
    headers: Record<string, string> = {},
  ): Promise<AdminResponse> {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) {
      if (typeof v === 'object' && 'blob' in v) form.set(k, v.blob, v.filename);
      else form.set(k, v);
    }
    return this.request(path, { method: 'POST', body: form, headers: { 'X-CSRFToken': this.csrf(), ...headers } });
  }

  /** The params of a record as the edit form would post them back (all flat params). */
  async recordParams(resource: string, id: string | number): Promise<Record<string, string>> {
    const r = await this.get(`/admin/api/resources/${resource}/records/${id}/show`);
    if (r.status !== 200) throw new Error(`show ${resource} ${id}: ${r.status} ${r.text.slice(0, 200)}`);
    const params = r.json().record.params as Record<string, unknown>;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(params)) out[k] = v === null ? '__FORM_VALUE_NULL__' : String(v);
    return out;
  }
}
