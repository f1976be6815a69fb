// Parses request bodies like DRF's JSONParser: JSON.parse for valid input, and on failure the exact
// message CPython 3.11's json module gives (positions in code points), since DRF returns it to clients
// as `{"detail":"JSON parse error - <message>"}`.

export type ParseResult = { ok: true; value: unknown } | { ok: false; message: string };

class PyJsonError extends Error {
  constructor(
    readonly msg: string,
    readonly pos: number | null,
  ) {
    super(msg);
  }
}

const WS = new Set([' ', '\t', '\n', '\r']);
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/;

function describe(chars: string[], err: PyJsonError): string {
  if (err.pos === null) return err.msg;
  const before = chars.slice(0, err.pos);
  const lineno = before.filter((c) => c === '\n').length + 1;
  const lastNl = before.lastIndexOf('\n');
  const colno = err.pos - lastNl;
  return `${err.msg}: line ${lineno} column ${colno} (char ${err.pos})`;
}

/** Walks the text the way json.scanner does, only to find the first error. */
function scan(chars: string[]): void {
  const n = chars.length;
  const skip = (i: number) => {
    while (i < n && WS.has(chars[i])) i++;
    return i;
  };

  const parseString = (start: number): number => {
    // start is the index just after the opening quote.
    let i = start;
    for (;;) {
      if (i >= n) throw new PyJsonError('Unterminated string starting at', start - 1);
      const c = chars[i];
      if (c === '"') return i + 1;
      if (c === '\\') {
        if (i + 1 >= n) throw new PyJsonError('Unterminated string starting at', start - 1);
        const e = chars[i + 1];
        if (e === 'u') {
          const hex = chars.slice(i + 2, i + 6).join('');
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new PyJsonError('Invalid \\uXXXX escape', i + 1);
          i += 6;
          continue;
        }
        if (!'"\\/bfnrt'.includes(e)) throw new PyJsonError('Invalid \\escape', i);
        i += 2;
        continue;
      }
      if (c.codePointAt(0)! < 0x20) throw new PyJsonError('Invalid control character at', i);
      i++;
    }
  };

  const parseValue = (i: number): number => {
    if (i >= n) throw new PyJsonError('Expecting value', i);
    const c = chars[i];
    if (c === '"') return parseString(i + 1);
    if (c === '{') return parseObject(i + 1);
    if (c === '[') return parseArray(i + 1);
    const rest = chars.slice(i, i + 9).join('');
    if (rest.startsWith('null')) return i + 4;
    if (rest.startsWith('true')) return i + 4;
    if (rest.startsWith('false')) return i + 5;
    if (rest.startsWith('NaN')) throw new PyJsonError("Out of range float values are not JSON compliant: 'NaN'", null);
    if (rest.startsWith('Infinity')) throw new PyJsonError("Out of range float values are not JSON compliant: 'Infinity'", null);
    if (rest.startsWith('-Infinity')) throw new PyJsonError("Out of range float values are not JSON compliant: '-Infinity'", null);
    const m = NUMBER.exec(chars.slice(i, i + 400).join(''));
    if (m) return i + m[0].length;
    throw new PyJsonError('Expecting value', i);
  };

  const parseObject = (i: number): number => {
    i = skip(i);
    if (chars[i] === '}') return i + 1;
    for (;;) {
      if (chars[i] !== '"') throw new PyJsonError('Expecting property name enclosed in double quotes', i);
      i = parseString(i + 1);
      i = skip(i);
      if (chars[i] !== ':') throw new PyJsonError("Expecting ':' delimiter", i);
      i = skip(i + 1);
      i = parseValue(i);
      i = skip(i);
      if (chars[i] === '}') return i + 1;
      if (chars[i] !== ',') throw new PyJsonError("Expecting ',' delimiter", i);
      i = skip(i + 1);
    }
  };

  const parseArray = (i: number): number => {
    i = skip(i);
    if (chars[i] === ']') return i + 1;
    for (;;) {
      i = parseValue(i);
      i = skip(i);
      if (chars[i] === ']') return i + 1;
      if (chars[i] !== ',') throw new PyJsonError("Expecting ',' delimiter", i);
      i = skip(i + 1);
    }
  };

  if (chars[0] === '\ufeff') throw new PyJsonError('Unexpected UTF-8 BOM (decode using utf-8-sig)', 0);
  let i = parseValue(skip(0));
  i = skip(i);
  if (i !== n) throw new PyJsonError('Extra data', i);
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
  const chars = Array.from(text);
  try {
    scan(chars);
  } catch (err) {
    if (err instanceof PyJsonError) return { ok: false, message: describe(chars, err) };
    // Nesting deeper than the scanner's stack: CPython raises RecursionError there (a 500 in DRF);
    // a parse error with its text instead.
    if (err instanceof RangeError)
      return { ok: false, message: 'maximum recursion depth exceeded while decoding a JSON array from a unicode string' };
    throw err;
  }
  // JSON.parse refused something CPython accepts (none known); report it generically.
  return { ok: false, message: 'Expecting value: line 1 column 1 (char 0)' };
}
