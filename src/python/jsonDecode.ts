// Parses request bodies like DRF's JSONParser: JSON.parse for valid input, and on failure the exact
// message CPython 3.11's json module gives (positions in code points), since DRF returns it to clients
// as `{"detail":"JSON parse error - <message>"}`.

export type ParseResult = { ok: true; value: unknown } | { ok: false; message: string };

class PyJsonError extends Error {
  constructor(
    readonly msg: string,
    /** Index of the error in UTF-16 code units of the text (null: no position in the message). */
    readonly pos: number | null,
  ) {
    super(msg);
  }
}

/** Code points in text[0, end): CPython counts positions in code points, JS strings index UTF-16 units. */
function codePointsBefore(text: string, end: number): number {
  const pairs = text.slice(0, end).match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g);
  return end - (pairs ? pairs.length : 0);
}

// Everything here is one pass over the text (or its prefix up to the error): a parse error costs
// about what JSON.parse costs, whatever the body — the message texts stay CPython's.
function describe(text: string, err: PyJsonError): string {
  if (err.pos === null) return err.msg;
  const lastNl = text.lastIndexOf('\n', err.pos - 1);
  let lineno = 1;
  for (let i = lastNl < 0 ? -1 : text.indexOf('\n'); i !== -1 && i <= lastNl; i = text.indexOf('\n', i + 1)) lineno++;
  const pos = codePointsBefore(text, err.pos);
  const colno = pos - (lastNl < 0 ? -1 : codePointsBefore(text, lastNl));
  return `${err.msg}: line ${lineno} column ${colno} (char ${pos})`;
}

/** CPython's json scanner enters a recursive call per nested array or object, under the default
 * recursion limit (1000): deeper input is a RecursionError, which DRF reports as the parse error. */
const MAX_DEPTH = 1000;
const ARRAY = 0;
const OBJECT = 1;
const HEX4 = /[0-9a-fA-F]{4}/y;
// A run of `scalar , ` items of an array (or `"key" : scalar , ` members of an object), each exactly
// as the scanner below would accept it, matched natively; the scanner resumes where it stops. A
// shorter match of a number is always followed by a digit, '.', 'e' or 'E', never by the delimiter,
// so the match never ends inside a token.
const JWS = '[ \\t\\n\\r]*';
const STRING = '"(?:[^"\\\\\\x00-\\x1f]|\\\\(?:["\\\\/bfnrt]|u[0-9a-fA-F]{4}))*"';
const SCALAR = `(?:-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|true|false|null|${STRING})`;
const ARRAY_RUN = new RegExp(`(?:${SCALAR}${JWS},${JWS}){1,4096}`, 'y');
const OBJECT_RUN = new RegExp(`(?:${STRING}${JWS}:${JWS}${SCALAR}${JWS},${JWS}){1,4096}`, 'y');

/** Walks the text the way json.scanner does, only to find the first error (positions in UTF-16
 * units). Iterative, with an explicit stack of open containers. */
function scan(text: string): void {
  const n = text.length;
  const code = (i: number) => text.charCodeAt(i); // NaN past the end
  const skip = (i: number) => {
    for (let c = code(i); c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d; c = code(++i));
    return i;
  };
  const isDigit = (i: number) => {
    const c = code(i);
    return c >= 0x30 && c <= 0x39;
  };

  const parseString = (start: number): number => {
    // start is the index just after the opening quote.
    let i = start;
    for (;;) {
      if (i >= n) throw new PyJsonError('Unterminated string starting at', start - 1);
      const c = code(i);
      if (c === 0x22) return i + 1;
      if (c === 0x5c) {
        if (i + 1 >= n) throw new PyJsonError('Unterminated string starting at', start - 1);
        const e = text[i + 1];
        if (e === 'u') {
          HEX4.lastIndex = i + 2;
          if (!HEX4.test(text)) throw new PyJsonError('Invalid \\uXXXX escape', i + 1);
          i += 6;
          continue;
        }
        if (!'"\\/bfnrt'.includes(e)) throw new PyJsonError('Invalid \\escape', i);
        i += 2;
        continue;
      }
      if (c < 0x20) throw new PyJsonError('Invalid control character at', i);
      i++;
    }
  };

  // CPython's number: -?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)? over ASCII digits; -1 when none.
  const scanNumber = (i: number): number => {
    let j = i;
    if (code(j) === 0x2d) j++;
    if (code(j) === 0x30) j++;
    else if (isDigit(j)) while (isDigit(j)) j++;
    else return -1;
    if (code(j) === 0x2e && isDigit(j + 1)) {
      j += 2;
      while (isDigit(j)) j++;
    }
    const e = code(j);
    if (e === 0x65 || e === 0x45) {
      let k = j + 1;
      const sign = code(k);
      if (sign === 0x2b || sign === 0x2d) k++;
      if (isDigit(k)) {
        while (isDigit(k)) k++;
        j = k;
      }
    }
    return j;
  };

  /** A scalar starting at i (not a container): the index after it. */
  const parseScalar = (i: number): number => {
    if (i >= n) throw new PyJsonError('Expecting value', i);
    switch (code(i)) {
      case 0x22: // "
        return parseString(i + 1);
      case 0x6e: // n
        if (text.startsWith('null', i)) return i + 4;
        break;
      case 0x74: // t
        if (text.startsWith('true', i)) return i + 4;
        break;
      case 0x66: // f
        if (text.startsWith('false', i)) return i + 5;
        break;
      case 0x4e: // N
        if (text.startsWith('NaN', i)) throw new PyJsonError("Out of range float values are not JSON compliant: 'NaN'", null);
        break;
      case 0x49: // I
        if (text.startsWith('Infinity', i)) throw new PyJsonError("Out of range float values are not JSON compliant: 'Infinity'", null);
        break;
      case 0x2d: // -
        if (text.startsWith('-Infinity', i)) throw new PyJsonError("Out of range float values are not JSON compliant: '-Infinity'", null);
        break;
    }
    const end = scanNumber(i);
    if (end >= 0) return end;
    throw new PyJsonError('Expecting value', i);
  };

  const stack: number[] = [];
  const enter = (kind: number) => {
    if (stack.length >= MAX_DEPTH) {
      const what = kind === ARRAY ? 'array' : 'object';
      throw new PyJsonError(`maximum recursion depth exceeded while decoding a JSON ${what} from a unicode string`, null);
    }
    stack.push(kind);
  };

  if (code(0) === 0xfeff) throw new PyJsonError('Unexpected UTF-8 BOM (decode using utf-8-sig)', 0);
  let i = skip(0);
  // expect: 'value' — a value starts at i; 'key' — a property name starts at i; 'after' — a value ended at i.
  let expect: 'value' | 'key' | 'after' = 'value';
  const run = (re: RegExp, at: number): number => {
    re.lastIndex = at;
    while (re.test(text)) at = re.lastIndex;
    return at;
  };
  for (;;) {
    if (expect === 'value') {
      if (stack.length > 0 && stack[stack.length - 1] === ARRAY) i = run(ARRAY_RUN, i);
      const c = code(i);
      if (c === 0x5b) {
        enter(ARRAY);
        i = skip(i + 1);
        if (code(i) === 0x5d) {
          stack.pop();
          i++;
          expect = 'after';
        }
      } else if (c === 0x7b) {
        enter(OBJECT);
        i = skip(i + 1);
        if (code(i) === 0x7d) {
          stack.pop();
          i++;
          expect = 'after';
        } else expect = 'key';
      } else {
        i = parseScalar(i);
        expect = 'after';
      }
    } else if (expect === 'key') {
      i = run(OBJECT_RUN, i);
      if (code(i) !== 0x22) throw new PyJsonError('Expecting property name enclosed in double quotes', i);
      i = skip(parseString(i + 1));
      if (code(i) !== 0x3a) throw new PyJsonError("Expecting ':' delimiter", i);
      i = skip(i + 1);
      expect = 'value';
    } else {
      i = skip(i);
      if (stack.length === 0) {
        if (i !== n) throw new PyJsonError('Extra data', i);
        return;
      }
      const c = code(i);
      const top = stack[stack.length - 1];
      if (c === (top === ARRAY ? 0x5d : 0x7d)) {
        stack.pop();
        i++;
      } else if (c === 0x2c) {
        i = skip(i + 1);
        expect = top === ARRAY ? 'value' : 'key';
      } else throw new PyJsonError("Expecting ',' delimiter", i);
    }
  }
}

/** CPython's UnicodeDecodeError text for the first invalid UTF-8 sequence, or null when valid. */
function utf8DecodeError(buf: Buffer): string | null {
  let i = 0;
  while (i < buf.length) {
    const b = buf[i];
    let need: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    }
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return `'utf-8' codec can't decode byte 0x${b.toString(16).padStart(2, '0')} in position ${i}: invalid start byte`;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      if (i + k >= buf.length) return `'utf-8' codec can't decode byte 0x${b.toString(16).padStart(2, '0')} in position ${i}: unexpected end of data`;
      const c = buf[i + k];
      if ((c & 0xc0) !== 0x80)
        return `'utf-8' codec can't decode byte 0x${b.toString(16).padStart(2, '0')} in position ${i}: invalid continuation byte`;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return `'utf-8' codec can't decode byte 0x${b.toString(16).padStart(2, '0')} in position ${i}: invalid continuation byte`;
    }
    i += need + 1;
  }
  return null;
}

export function parsePythonJson(body: Buffer | string): ParseResult {
  let text: string;
  if (typeof body === 'string') {
    text = body;
  } else {
    const bad = utf8DecodeError(body);
    if (bad) return { ok: false, message: bad };
    text = body.toString('utf8');
  }
  if (text.charCodeAt(0) !== 0xfeff) {
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch {
      // fall through to find CPython's message
    }
  }
  try {
    scan(text);
  } catch (err) {
    if (err instanceof PyJsonError) return { ok: false, message: describe(text, err) };
    throw err;
  }
  // JSON.parse refused something CPython accepts (none known); report it generically.
  return { ok: false, message: 'Expecting value: line 1 column 1 (char 0)' };
}
