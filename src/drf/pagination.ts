// DRF 3.15 PageNumberPagination (page / page_size query params, Django's Paginator validation) and
// rest_framework.utils.urls.replace_query_param / remove_query_param (parse_qs with blank values, keys
// sorted, re-encoded with Python's quote_plus), on the request's absolute URI.
import { notFound } from './errors.ts';

import { pythonInt } from '../python/builtins.ts';

// ---------------------------------------------------------------------------------------------
// URL helpers (urllib.parse semantics)

const UNRESERVED = /[A-Za-z0-9_.\-~]/;

/** urllib.parse.quote(s, safe) with UTF-8; `safe` adds to the always-safe set A-Za-z0-9_.-~ */
function pyQuote(s: string, safe = '/'): string {
  let out = '';
  for (const ch of s) {
    if (UNRESERVED.test(ch) || (ch.length === 1 && safe.includes(ch))) {
      out += ch;
      continue;
    }
    for (const byte of Buffer.from(ch, 'utf8')) out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** urllib.parse.quote_plus: space → '+', everything but A-Za-z0-9_.-~ percent-encoded. */
export function quotePlus(s: string): string {
  return pyQuote(s, ' ').replace(/ /g, '+');
}

/** urllib.parse.unquote(s.replace('+', ' ')) with errors='replace'. */
function unquotePlus(s: string): string {
  const text = s.replace(/\+/g, ' ');
  if (!text.includes('%')) return text;
  const bytes: number[] = [];
  let out = '';
  const flush = () => {
    if (bytes.length) out += Buffer.from(bytes).toString('utf8');
    bytes.length = 0;
  };
  for (let i = 0; i < text.length;) {
    if (text[i] === '%' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 3;
      continue;
    }
    flush();
    const cp = text.codePointAt(i)!;
    out += String.fromCodePoint(cp);
    i += cp > 0xffff ? 2 : 1;
  }
  flush();
  return out;
}

/** parse_qs(query, keep_blank_values=True): key → values, keys in first-seen order. */
export function parseQs(query: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const field of query.split('&')) {
    if (!field) continue;
    const eq = field.indexOf('=');
    const name = unquotePlus(eq < 0 ? field : field.slice(0, eq));
    const value = eq < 0 ? '' : unquotePlus(field.slice(eq + 1));
    const list = out.get(name);
    if (list) list.push(value);
    else out.set(name, [value]);
  }
  return out;
}

/** urlencode(sorted(query_dict.items()), doseq=True) */
function encodeSorted(dict: Map<string, string[]>): string {
  const keys = [...dict.keys()].sort(comparePython);
  const parts: string[] = [];
  for (const k of keys) for (const v of dict.get(k)!) parts.push(`${quotePlus(k)}=${quotePlus(v)}`);
  return parts.join('&');
}

/** Python str ordering: by code point (JS compares UTF-16 units, which differs above the BMP). */
function comparePython(a: string, b: string): number {
  const ca = [...a].map((c) => c.codePointAt(0)!);
  const cb = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) if (ca[i] !== cb[i]) return ca[i] - cb[i];
  return ca.length - cb.length;
}

function splitUrl(url: string): { base: string; query: string } {
  const hash = url.indexOf('#');
  const noFragment = hash < 0 ? url : url.slice(0, hash);
  const q = noFragment.indexOf('?');
  return q < 0 ? { base: noFragment, query: '' } : { base: noFragment.slice(0, q), query: noFragment.slice(q + 1) };
}

export function replaceQueryParam(url: string, key: string, value: string | number): string {
  const { base, query } = splitUrl(url);
  const dict = parseQs(query);
  dict.set(key, [String(value)]);
  const q = encodeSorted(dict);
  return q ? `${base}?${q}` : base;
}

export function removeQueryParam(url: string, key: string): string {
  const { base, query } = splitUrl(url);
  const dict = parseQs(query);
  dict.delete(key);
  const q = encodeSorted(dict);
  return q ? `${base}?${q}` : base;
}

/**
 * request.build_absolute_uri() as Django writes it: the path percent-decoded and re-escaped with
 * escape_uri_path's safe set; the query string as received.
 */
export function djangoAbsoluteUri(absolute: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/[^/]*)([^?]*)(\?.*)?$/i.exec(absolute);
  if (!m) return absolute;
  let path = m[2];
  try {
    path = decodeURIComponent(path);
  } catch {
    // keep the raw path
  }
  return m[1] + pyQuote(path, "/:@&+$,-_.!~*'()") + (m[3] && m[3].length > 1 ? m[3] : '');
}

// ---------------------------------------------------------------------------------------------
// PageNumberPagination

export interface PageRequest {
  /** query_params.get('page') */
  page: string | undefined;
  /** query_params.get('page_size') */
  pageSize: string | undefined;
}

export interface PaginationSpec {
  pageSize: number;
  maxPageSize: number;
}

/** get_page_size(): _positive_int(strict=True, cutoff=max_page_size); bad values fall back silently. */
export function pageSizeFor(raw: string | undefined, spec: PaginationSpec): number {
  if (raw === undefined) return spec.pageSize;
  const n = pythonInt(raw);
  if (n === null || n <= 0n) return spec.pageSize;
  return n > BigInt(spec.maxPageSize) ? spec.maxPageSize : Number(n);
}

export interface PagePlan {
  number: number;
  size: number;
  offset: number;
  numPages: number;
}

/** Django's Paginator.page(number) validation after DRF's get_page_number ("last", empty = 1). */
export function planPage(count: number, req: PageRequest, spec: PaginationSpec): PagePlan {
  const size = pageSizeFor(req.pageSize, spec);
  const numPages = count === 0 ? 1 : Math.ceil(count / size);
  const raw = req.page || '1';
  let number: bigint | null;
  if (raw === 'last') number = BigInt(numPages);
  else number = pythonInt(raw);
  if (number === null || number < 1n || number > BigInt(numPages)) throw notFound('Invalid page.');
  const n = Number(number);
  return { number: n, size, offset: (n - 1) * size, numPages };
}

export interface PageBody<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

/** get_paginated_response(): links built on the absolute URI like DRF. */
export function pageBody<T>(absoluteUri: string, plan: PagePlan, count: number, results: T[]): PageBody<T> {
  const url = djangoAbsoluteUri(absoluteUri);
  const next = plan.number < plan.numPages ? replaceQueryParam(url, 'page', plan.number + 1) : null;
  let previous: string | null = null;
  if (plan.number > 1) {
    previous = plan.number - 1 === 1 ? removeQueryParam(url, 'page') : replaceQueryParam(url, 'page', plan.number - 1);
  }
  return { count, next, previous, results };
}
