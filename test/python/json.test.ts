// The two JSON writers of src/python/json.ts against what CPython 3 writes: pythonDumps (json.dumps defaults:
// ", " / ": ", ensure_ascii) for WebSocket frames and JsonResponse bodies, drfJson (DRF's JSONRenderer:
// compact, raw UTF-8, U+2028/2029 escaped) for REST bodies. Every expected string was printed by CPython.
import { expect } from 'chai';
import { drfJson, PyFloat, pythonDumps, pythonFloatRepr } from '../../src/python/json.ts';

describe('Python JSON writer (pythonDumps, drfJson)', () => {
  it('uses json.dumps separators and nesting; skips undefined members', () => {
    expect(pythonDumps({ b: 1, a: [1, 2.5, null, true, false], n: {}, l: [], s: '' })).to.equal(
      '{"b": 1, "a": [1, 2.5, null, true, false], "n": {}, "l": [], "s": ""}',
    );
    expect(pythonDumps({ nested: { x: [{ y: 'z' }] } })).to.equal('{"nested": {"x": [{"y": "z"}]}}');
    expect(pythonDumps({ a: undefined, b: 1 })).to.equal('{"b": 1}');
    expect(pythonDumps(null)).to.equal('null');
    expect(pythonDumps('x')).to.equal('"x"');
  });

  it('keeps keys in insertion order, as a Python dict does', () => {
    expect(pythonDumps({ z: 1, a: 2, m: 3 })).to.equal('{"z": 1, "a": 2, "m": 3}');
    expect(pythonDumps({ é: 1, '😀': '😀' })).to.equal('{"\\u00e9": 1, "\\ud83d\\ude00": "\\ud83d\\ude00"}');
  });

  it('escapes like ensure_ascii: short escapes, \\u00XX controls and DEL, BMP as \\uXXXX, astral as surrogate pairs', () => {
    const cases: Array<[string, string]> = [
      ['\x00\x01\x1f\x7f\b\f\n\r\t"\\/', '"\\u0000\\u0001\\u001f\\u007f\\b\\f\\n\\r\\t\\"\\\\/"'],
      ['é ñ – € 中 \u2028\u2029 \ufeff \uffff', '"\\u00e9 \\u00f1 \\u2013 \\u20ac \\u4e2d \\u2028\\u2029 \\ufeff \\uffff"'],
      ['😀 👍🏽 𝄞 \u{10ffff}', '"\\ud83d\\ude00 \\ud83d\\udc4d\\ud83c\\udffd \\ud834\\udd1e \\udbff\\udfff"'],
      // Lone surrogates (possible in a JS string, and in a Python str) are written as escapes too.
      ['\ud800 x \udfff', '"\\ud800 x \\udfff"'],
      ['plain ASCII ~', '"plain ASCII ~"'],
    ];
    for (const [input, python] of cases) expect(pythonDumps(input), python).to.equal(python);
  });

  it("writes floats as Python's repr (exponent below 1e-4 and from 1e16, two-digit exponents)", () => {
    const cases: Array<[number, string]> = [
      [0.1, '0.1'],
      [0.5, '0.5'],
      [2.5, '2.5'],
      [4.35, '4.35'],
      [123.456, '123.456'],
      [12345678.9, '12345678.9'],
      [0.1 + 0.2, '0.30000000000000004'],
      [1 / 3, '0.3333333333333333'],
      [0.0001, '0.0001'],
      [0.000123, '0.000123'],
      [9.999e-5, '9.999e-05'],
      [5e-5, '5e-05'],
      [1e-5, '1e-05'],
      [1.234e-6, '1.234e-06'],
      [1e-7, '1e-07'],
      [-2.5e-7, '-2.5e-07'],
      [1.5e-10, '1.5e-10'],
      [-1e-100, '-1e-100'],
      [5e-324, '5e-324'],
      [1000000000000000.5, '1000000000000000.5'],
      [1.7976931348623157e308, '1.7976931348623157e+308'],
    ];
    for (const [value, python] of cases) expect(pythonDumps(value), python).to.equal(python);
    // A JS integer is written as a Python int.
    expect(pythonDumps([0, -0, 42, -7, 9007199254740991])).to.equal('[0, 0, 42, -7, 9007199254740991]');
  });

  it('refuses values json.dumps cannot write', () => {
    expect(() => pythonDumps({ f: () => 1 })).to.throw(TypeError, 'not JSON serializable');
    expect(() => pythonDumps({ n: 1n })).to.throw(TypeError, 'not JSON serializable');
  });

  it('drfJson: compact, raw UTF-8, control characters escaped, U+2028/U+2029 escaped as DRF does', () => {
    expect(drfJson({ a: '👍\u2028\u2029é\x00\x7f\t', b: [1, { c: null }] })).to.equal('{"a":"👍\\u2028\\u2029é\\u0000\x7f\\t","b":[1,{"c":null}]}');
  });

  it('drfJson writes PyFloat values as Python floats; NaN and infinities are refused as DRF refuses them', () => {
    expect(
      drfJson({ lat: new PyFloat(28.6754077), d: new PyFloat(0), big: new PyFloat(1e16), small: new PyFloat(1e-5), neg: new PyFloat(-0) }),
    ).to.equal('{"lat":28.6754077,"d":0.0,"big":1e+16,"small":1e-05,"neg":-0.0}');
    const reprs: Array<[number, string]> = [
      [100, '100.0'],
      [2 ** 53, '9007199254740992.0'],
      [1e21, '1e+21'],
      [1e22, '1e+22'],
      [12345678901234567890, '1.2345678901234567e+19'],
      [0.0001, '0.0001'],
      [5e-5, '5e-05'],
    ];
    for (const [value, python] of reprs) expect(pythonFloatRepr(value), python).to.equal(python);
    for (const bad of [NaN, Infinity, -Infinity])
      expect(() => drfJson({ x: new PyFloat(bad) })).to.throw('Out of range float values are not JSON compliant');
  });
});
