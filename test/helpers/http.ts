// One HTTP call for the REST tests: the whole answer (status, headers, body text and its JSON) of one
// request, redirects not followed, so tests can compare bodies byte for byte and see 301s.

export interface Reply {
  status: number;
  headers: Headers;
  /** Content-Type and Allow, the two headers most tests compare. */
  type: string | null;
  allow: string | null;
  text: string;
  /** The body parsed as JSON; undefined when it is empty or not JSON. */
  json: any;
}

/**
 * One request. `body`: a string is sent raw (Content-Type `contentType`, default application/json);
 * FormData, URLSearchParams and bytes as fetch sends them (Content-Type only when `contentType` is
 * given); any other value as JSON.
 */
export async function call(
  target: string | { baseUrl: string },
  method: string,
  path: string,
  token?: string | null,
  body?: unknown,
  contentType?: string,
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (token) headers.Authorization = `Token ${token}`;
  let payload: BodyInit | undefined;
  if (body === undefined) {
    if (contentType) headers['Content-Type'] = contentType;
  } else if (body instanceof FormData || body instanceof URLSearchParams || body instanceof Uint8Array) {
    payload = body as BodyInit;
    if (contentType) headers['Content-Type'] = contentType;
  } else {
    payload = typeof body === 'string' ? body : JSON.stringify(body);
    headers['Content-Type'] = contentType ?? 'application/json';
  }
  const base = typeof target === 'string' ? target : target.baseUrl;
  const res = await fetch(base + path, { method, headers, body: payload, redirect: 'manual' });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, type: res.headers.get('content-type'), allow: res.headers.get('allow'), text, json };
}
