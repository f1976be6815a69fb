// Python's ipaddress.IPv4Address / IPv6Address parsing (3.11) as Django 5.1's validate_ipv4_address and
// is_valid_ipv6_address use it (the latter refuses text longer than 39 characters before parsing).

/** ipaddress.IPv4Address(text) succeeds: four dotted decimal octets, no leading zeros, each ≤ 255. */
function isIPv4(text: string): boolean {
  if (!text || text.length > 15) return false;
  const octets = text.split('.');
  if (octets.length !== 4) return false;
  return octets.every((o) => /^[0-9]{1,3}$/.test(o) && (o === '0' || o[0] !== '0') && Number(o) <= 255);
}

/** django.utils.ipv6.MAX_IPV6_ADDRESS_LENGTH */
const MAX_IPV6_ADDRESS_LENGTH = 39;

const HEXTET = /^[0-9a-fA-F]{1,4}$/;

/** Python's IPv6Address._ip_int_from_string accepts the text (no zone id: the callers' regexes exclude '%'). */
function parsesAsIPv6(text: string): boolean {
  if (!text) return false;
  const parts = text.split(':');
  if (parts.length < 3) return false;
  if (parts[parts.length - 1]!.includes('.')) {
    if (!isIPv4(parts.pop()!)) return false;
    parts.push('0', '0');
  }
  if (parts.length > 9) return false;
  let skip: number | null = null;
  for (let i = 1; i < parts.length - 1; i++) {
    if (!parts[i]) {
      if (skip !== null) return false;
      skip = i;
    }
  }
  let hi: number;
  let lo: number;
  if (skip !== null) {
    hi = skip;
    lo = parts.length - skip - 1;
    if (!parts[0]) {
      hi--;
      if (hi) return false;
    }
    if (!parts[parts.length - 1]) {
      lo--;
      if (lo) return false;
    }
    if (8 - (hi + lo) < 1) return false;
  } else {
    if (parts.length !== 8 || !parts[0] || !parts[7]) return false;
    hi = 8;
    lo = 0;
  }
  const used = [...parts.slice(0, hi), ...(lo ? parts.slice(-lo) : [])];
  return used.every((h) => HEXTET.test(h));
}

/** django.utils.ipv6.is_valid_ipv6_address (5.1.7). */
export function isValidIPv6(text: string): boolean {
  return text.length <= MAX_IPV6_ADDRESS_LENGTH && parsesAsIPv6(text);
}

/** django.core.validators.validate_ipv46_address succeeds. */
export function isValidIPv46(text: string): boolean {
  return isIPv4(text) || isValidIPv6(text);
}

/** ipaddress.IPv6Address(text) with an optional %scope (any length, as ipaddress.ip_address() reads it). */
export function isIPv6WithScope(text: string): boolean {
  const pct = text.indexOf('%');
  if (pct < 0) return parsesAsIPv6(text);
  const scope = text.slice(pct + 1);
  return scope !== '' && !scope.includes('%') && parsesAsIPv6(text.slice(0, pct));
}
