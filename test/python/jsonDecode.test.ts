// CPython's JSON decoder messages (DRF's "JSON parse error - …") and what finding them costs: one pass
// over the text, about what JSON.parse costs, whatever the body (issue 13, finding 1: a 2.6 MB
// `[1,1,1,…` body used to take ~10 s of CPU to describe).
import { expect } from 'chai';
import { parsePythonJson } from '../../src/python/jsonDecode.ts';

const message = (text: string | Buffer) => {
  const r = parsePythonJson(text);
  return r.ok ? null : r.message;
};

describe('CPython JSON decoder messages (parsePythonJson)', () => {
  it('gives CPython 3.11 json.loads texts (positions in code points, lines and columns)', () => {
    // Each expected text is what `json.loads(text)` raises on CPython 3.11 (DRF's constants rule for NaN).
    const cases: Array<[string, string | null]> = [
      ['{"a": 1}', null],
      ['', 'Expecting value: line 1 column 1 (char 0)'],
      ['{"email": "a@b.c", "password": "x", }', 'Expecting property name enclosed in double quotes: line 1 column 37 (char 36)'],
      ['[1,1,1', "Expecting ',' delimiter: line 1 column 7 (char 6)"],
      ['[1,1,1,', 'Expecting value: line 1 column 8 (char 7)'],
      ['{"a" 1}', "Expecting ':' delimiter: line 1 column 6 (char 5)"],
      ['{"a": 1}x', 'Extra data: line 1 column 9 (char 8)'],
      ['["😀😀", x]', 'Expecting value: line 1 column 8 (char 7)'],
      ['[\n  1,\n  "é",\n  -]', 'Expecting value: line 4 column 3 (char 16)'],
      ['"abc', 'Unterminated string starting at: line 1 column 1 (char 0)'],
      ['["a\\x"]', 'Invalid \\escape: line 1 column 4 (char 3)'],
      ['["\\u12g4"]', 'Invalid \\uXXXX escape: line 1 column 4 (char 3)'],
      ['["a\u0001"]', 'Invalid control character at: line 1 column 4 (char 3)'],
      ['[01]', "Expecting ',' delimiter: line 1 column 3 (char 2)"],
      ['[1.]', "Expecting ',' delimiter: line 1 column 3 (char 2)"],
      ['[1e]', "Expecting ',' delimiter: line 1 column 3 (char 2)"],
      ['[-1.5e+3, tru]', 'Expecting value: line 1 column 11 (char 10)'],
      ['{"a": NaN}', "Out of range float values are not JSON compliant: 'NaN'"],
      ['\ufeff{}', 'Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)'],
      ['[' + '1,'.repeat(5000) + 'x]', 'Expecting value: line 1 column 10002 (char 10001)'],
      ['{' + '"k": "v", '.repeat(3000) + '"k" "v"}', "Expecting ':' delimiter: line 1 column 30006 (char 30005)"],
    ];
    for (const [text, expected] of cases) expect(message(text), JSON.stringify(text.slice(0, 40))).to.equal(expected);
    expect(message(Buffer.from([0x7b, 0xff]))).to.equal("'utf-8' codec can't decode byte 0xff in position 1: invalid start byte");
  });

  it('reports nesting deeper than CPython recursion limit as its RecursionError', () => {
    expect(message('['.repeat(200000))).to.equal('maximum recursion depth exceeded while decoding a JSON array from a unicode string');
    expect(message('{"a": '.repeat(5000))).to.equal('maximum recursion depth exceeded while decoding a JSON object from a unicode string');
    expect(message('['.repeat(900) + 'x')).to.equal('Expecting value: line 1 column 901 (char 900)');
  });

  it('costs about what JSON.parse costs on a 2.6 MB body that never closes (linear, not ~400 chars per value)', () => {
    const bodies = ['[' + '1,'.repeat(1.3e6), '[' + '"ab",'.repeat(520000), '{' + '"k":[],'.repeat(370000), '[' + '[1,{}],'.repeat(370000)];
    for (const body of bodies) {
      const buf = Buffer.from(body);
      // Best of three of each, so a busy machine's pauses do not decide.
      let parse = Infinity;
      let describe = Infinity;
      let msg: string | null = null;
      for (let k = 0; k < 3; k++) {
        let t = performance.now();
        try {
          JSON.parse(buf.toString('utf8'));
        } catch {
          // expected
        }
        parse = Math.min(parse, performance.now() - t);
        t = performance.now();
        msg = message(buf);
        describe = Math.min(describe, performance.now() - t);
      }
      expect(msg).to.match(/^Expecting [a-z ]+: line 1 column \d+ \(char \d+\)$/);
      expect(describe, `describing the error of ${body.slice(0, 12)}… took ${describe.toFixed(0)} ms, JSON.parse ${parse.toFixed(0)} ms`).to.be.below(
        10 * parse + 100,
      );
    }
  });
});
