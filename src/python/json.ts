// Two JSON dialects on the wire: DRF's JSONRenderer (compact, raw UTF-8, U+2028/2029 escaped) for
// REST bodies, and Python's json.dumps defaults (", " / ": ", ensure_ascii) for WebSocket frames and
// Django JsonResponse bodies.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json | undefined };

/** Body bytes as DRF's JSONRenderer writes them. */
export function drfJson(value: unknown): string {
  let text = JSON.stringify(value).replace(/[\u2028\u2029]/g, (c) => (c === '\u2028' ? '\\u2028' : '\\u2029'));
  if (text.includes(PY_FLOAT_MARK)) text = text.replace(PY_FLOAT_RE, (_, repr: string) => repr);
  return text;
}

/** Python's repr(float): "0.0", "1.5", "1e-05", "1.5e+16" (JS writes 0, 0.00001, 15000000000000000). */
export function pythonFloatRepr(n: number): string {
  if (!Number.isFinite(n)) throw new TypeError('Out of range float values are not JSON compliant');
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const sign = n < 0 ? '-' : '';
  const [mant, expText] = Math.abs(n).toExponential().split('e') as [string, string];
  const digits = mant.replace('.', '');
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const int = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const frac = digits.slice(exp + 1);
  return `${sign}${int}.${frac || '0'}`;
}

// A float marker that no client string can forge: a per-process random nonce.
const PY_FLOAT_NONCE = Math.random().toString(36).slice(2) + Date.now().toString(36);
const PY_FLOAT_MARK = `\\u0000pyfloat-${PY_FLOAT_NONCE}:`;
const PY_FLOAT_RE = new RegExp(`"\\\\u0000pyfloat-${PY_FLOAT_NONCE}:([-+.0-9e]+)\\\\u0000"`, 'g');

/** A Python float value in a DRF body (drfJson writes it with repr() rules, e.g. 0.0 rather than 0). */
export class PyFloat {
  constructor(readonly value: number) {}
  toJSON(): string {
    return `\u0000pyfloat-${PY_FLOAT_NONCE}:${pythonFloatRepr(this.value)}\u0000`;
  }
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

/** A string literal as Python's json.dumps (ensure_ascii=True) writes it. */
export function pythonString(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code >= 0x20 && code < 0x7f && code !== 0x22 && code !== 0x5c) continue;
    if (i > start) out += s.slice(start, i);
    const ch = s[i];
    out += SHORT_ESCAPES[ch] ?? '\\u' + code.toString(16).padStart(4, '0');
    start = i + 1;
  }
  return out + s.slice(start) + '"';
}

/** A number as json.dumps writes it: an integer as a Python int, any other value as repr(float) (JS
 * writes 0.00005 where Python writes 5e-05). */
function pythonNumber(n: number): string {
  if (!Number.isFinite(n)) throw new TypeError('Out of range float values are not JSON compliant');
  if (Number.isInteger(n) && Math.abs(n) < 1e16) return Object.is(n, -0) ? '0' : String(n);
  if (!Number.isInteger(n)) return pythonFloatRepr(n);
  return String(n).replace(/e([+-])(\d)$/, 'e$10$2');
}

/** json.dumps(value) with Python's default separators; undefined members are skipped. */
export function pythonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return pythonString(value);
    case 'number':
      return pythonNumber(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (Array.isArray(value)) return '[' + value.map(pythonDumps).join(', ') + ']';
      const parts: string[] = [];
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (v === undefined) continue;
        parts.push(pythonString(k) + ': ' + pythonDumps(v));
      }
      return '{' + parts.join(', ') + '}';
    }
    default:
      throw new TypeError(`Object of type ${typeof value} is not JSON serializable`);
  }
}
