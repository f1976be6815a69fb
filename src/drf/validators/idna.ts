// django.utils.encoding.punycode(): `domain.encode("idna").decode("ascii")`, i.e. Python's IDNA 2003
// codec (RFC 3490 ToASCII with RFC 3491 nameprep, then RFC 3492 Punycode), which Django's URL and email
// validators retry a non-ASCII host with. Node's url.domainToASCII implements UTS #46 instead and
// refuses the ':' and '@' that a netloc holds, so the codec is written out here.
//
// Nameprep's stringprep tables (Unicode 3.2) are approximated by today's Unicode data: mapping =
// the B.1 "map to nothing" list, case folding (toLowerCase plus ß → ss, ς → σ), NFKC; the C.* prohibited
// tables are listed as ranges; the bidi rule (RandALCat, LCat) uses the right-to-left script blocks.

/** Thrown where Python raises UnicodeError. */
export class IdnaError extends Error {}

// Python's codec splits on the full stop and its three ideographic/fullwidth forms.
const DOTS = /[.\u3002\uff0e\uff61]/u;
const ASCII = /^[\x00-\x7f]*$/;

// The stringprep tables are sets of code points, combining marks and joiners included on purpose.
/* eslint-disable no-misleading-character-class */
const MAP_TO_NOTHING = /[\u00ad\u034f\u1806\u180b-\u180d\u200b-\u200d\u2060\ufe00-\ufe0f\ufeff]/gu;
// C.1.2, C.2.2, C.3, C.4, C.5, C.6, C.7, C.8, C.9
const PROHIBITED = new RegExp(
  '[\\u00a0\\u1680\\u2000-\\u200b\\u202f\\u205f\\u3000' + // C.1.2 non-ASCII space
    '\\u0080-\\u009f\\u06dd\\u070f\\u180e\\u200c\\u200d\\u2028\\u2029\\u2060-\\u2063\\u206a-\\u206f\\ufeff\\ufff9-\\ufffc\\u{1d173}-\\u{1d17a}' + // C.2.2
    '\\ue000-\\uf8ff\\u{f0000}-\\u{ffffd}\\u{100000}-\\u{10fffd}' + // C.3 private use
    '\\ufdd0-\\ufdef\\ufffe\\uffff\\u{1fffe}\\u{1ffff}\\u{2fffe}\\u{2ffff}\\u{3fffe}\\u{3ffff}\\u{4fffe}\\u{4ffff}\\u{5fffe}\\u{5ffff}\\u{6fffe}\\u{6ffff}\\u{7fffe}\\u{7ffff}\\u{8fffe}\\u{8ffff}\\u{9fffe}\\u{9ffff}\\u{afffe}\\u{affff}\\u{bfffe}\\u{bffff}\\u{cfffe}\\u{cffff}\\u{dfffe}\\u{dffff}\\u{efffe}\\u{effff}\\u{ffffe}\\u{fffff}\\u{10fffe}\\u{10ffff}' + // C.4
    '\\ud800-\\udfff' + // C.5 surrogates
    '\\ufff9-\\ufffd' + // C.6
    '\\u2ff0-\\u2ffb' + // C.7
    '\\u0340\\u0341\\u200e\\u200f\\u202a-\\u202e' + // C.8
    '\\u{e0001}\\u{e0020}-\\u{e007f}]', // C.9
  'u',
);
/* eslint-enable no-misleading-character-class */
// D.1 (bidi R / AL) ≈ the Hebrew, Arabic, Syriac, Thaana, NKo blocks and their presentation forms,
// letters only; D.2 (bidi L) ≈ every other letter or spacing mark.
const RAND_AL =
  /[\u05be\u05c0\u05c3\u05d0-\u05ff\u0608\u060b\u060d\u061b-\u064a\u066d-\u066f\u0671-\u06d5\u06e5\u06e6\u06ee\u06ef\u06fa-\u0710\u0712-\u072f\u074d-\u07a5\u07b1-\u07ea\u07f4\u07f5\u07fa-\u0815\u081a\u0824\u0828\u0830-\u0858\u085e-\u08ff\u200f\ufb1d\ufb1f-\ufb28\ufb2a-\ufd3d\ufd50-\ufdfc\ufe70-\ufefe]/u;
const L_CAT = /[\p{L}\p{Mc}]/u;

function nameprep(label: string): string {
  let s = label.replace(MAP_TO_NOTHING, '');
  s = s.toLowerCase().replace(/ß/g, 'ss').replace(/ς/g, 'σ').normalize('NFKC');
  if (PROHIBITED.test(s)) throw new IdnaError('Invalid character');
  const chars = [...s];
  const randAl = chars.map((c) => RAND_AL.test(c));
  if (randAl.some(Boolean)) {
    if (chars.some((c, i) => !randAl[i] && L_CAT.test(c))) throw new IdnaError('Violation of BIDI requirement 2');
    if (!randAl[0] || !randAl[randAl.length - 1]) throw new IdnaError('Violation of BIDI requirement 3');
  }
  return s;
}

// RFC 3492 parameters.
const BASE = 36;
const T_MIN = 1;
const T_MAX = 26;
const SKEW = 38;
const DAMP = 700;

function adapt(delta: number, numPoints: number, first: boolean): number {
  delta = first ? Math.floor(delta / DAMP) : delta >> 1;
  delta += Math.floor(delta / numPoints);
  let k = 0;
  while (delta > ((BASE - T_MIN) * T_MAX) >> 1) {
    delta = Math.floor(delta / (BASE - T_MIN));
    k += BASE;
  }
  return k + Math.floor(((BASE - T_MIN + 1) * delta) / (delta + SKEW));
}

const digit = (d: number) => String.fromCharCode(d + 22 + 75 * (d < 26 ? 1 : 0));

/** RFC 3492 Punycode of a label (code points), as Python's "punycode" codec writes it. */
function punycodeEncode(label: string): string {
  const input = [...label].map((c) => c.codePointAt(0)!);
  let output = input
    .filter((c) => c < 0x80)
    .map((c) => String.fromCharCode(c))
    .join('');
  const basic = output.length;
  let handled = basic;
  if (basic > 0) output += '-';
  let n = 0x80;
  let delta = 0;
  let bias = 72;
  while (handled < input.length) {
    let m = Infinity;
    for (const c of input) if (c >= n && c < m) m = c;
    delta += (m - n) * (handled + 1);
    n = m;
    for (const c of input) {
      if (c < n) delta++;
      if (c === n) {
        let q = delta;
        for (let k = BASE; ; k += BASE) {
          const t = k <= bias ? T_MIN : k >= bias + T_MAX ? T_MAX : k - bias;
          if (q < t) break;
          output += digit(t + ((q - t) % (BASE - t)));
          q = Math.floor((q - t) / (BASE - t));
        }
        output += digit(q);
        bias = adapt(delta, handled + 1, handled === basic);
        delta = 0;
        handled++;
      }
    }
    delta++;
    n++;
  }
  return output;
}

function toAscii(label: string): string {
  const fits = (s: string) => {
    if (s.length > 0 && s.length < 64) return s;
    throw new IdnaError('label empty or too long');
  };
  if (ASCII.test(label)) return fits(label);
  const prepped = nameprep(label);
  if (ASCII.test(prepped)) return fits(prepped);
  if (prepped.startsWith('xn--')) throw new IdnaError('Label starts with ACE prefix');
  // Punycode never shortens a label: anything this long cannot fit in 63 characters (and is not encoded).
  if (prepped.length >= 64) throw new IdnaError('label empty or too long');
  return fits('xn--' + punycodeEncode(prepped));
}

/** `text.encode("idna").decode("ascii")`; throws IdnaError where Python raises UnicodeError. */
export function pythonIdna(text: string): string {
  if (!text) return '';
  if (ASCII.test(text)) {
    const labels = text.split('.');
    for (const label of labels.slice(0, -1)) if (!(label.length > 0 && label.length < 64)) throw new IdnaError('label empty or too long');
    if (labels[labels.length - 1]!.length >= 64) throw new IdnaError('label too long');
    return text;
  }
  const labels = text.split(DOTS);
  let trailing = '';
  if (labels.length && labels[labels.length - 1] === '') {
    trailing = '.';
    labels.pop();
  }
  return labels.map(toAscii).join('.') + trailing;
}
