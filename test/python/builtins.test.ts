// Python semantics of src/python/builtins.ts against what CPython 3.11 answers (values checked there).
import { expect } from 'chai';
import {
  isFalsy,
  isTruthy,
  lookupId,
  parseId,
  pyLen,
  pyRepr,
  pyStr,
  pyStrip,
  pythonInt,
  pythonTypeName,
  reprStr,
} from '../../src/python/builtins.ts';

describe('python.ts', () => {
  it('int(str): whitespace, sign, underscores between digits, Unicode digits, the 4300-digit limit', () => {
    const cases: Array<[string, bigint | null]> = [
      ['12', 12n],
      [' 12 ', 12n],
      ['\t\n12\x0b\x0c\r', 12n],
      ['\x8512\xa0', 12n],
      ['\u300012\u2028', 12n],
      ['+7', 7n],
      ['-7', -7n],
      ['007', 7n],
      ['1_000', 1000n],
      ['1_0_0', 100n],
      ['-0', 0n],
      ['١٢٣', 123n],
      ['１２', 12n],
      ['𝟗', 9n],
      ['٣_٤', 34n],
      ['', null],
      [' ', null],
      ['+', null],
      ['-', null],
      ['1__0', null],
      ['_1', null],
      ['1_', null],
      ['+_1', null],
      ['1.0', null],
      ['\x1c12', null],
      ['12\x1f', null],
      ['1e3', null],
      ['0x10', null],
      ['1 2', null],
      ['\ufeff1', null],
      ['− 1', null],
      ['--1', null],
      ['12a', null],
      ['9'.repeat(4300), BigInt('9'.repeat(4300))],
      ['9'.repeat(4301), null],
    ];
    for (const [text, want] of cases) expect(pythonInt(text), JSON.stringify(text)).to.equal(want);
  });

  it("ids: lookups as Django reads them, and the socket frames' id parser", () => {
    expect(lookupId('12')).to.equal(12);
    expect(lookupId(1.9)).to.equal(1);
    expect(lookupId('9223372036854775808')).to.equal(null);
    expect(lookupId('3000000000', 2147483647n)).to.equal(null);
    expect(parseId(5)).to.equal(5);
    expect(parseId(' 5 ')).to.equal(5);
    for (const bad of [0, -1, 1.5, true, null, [1], {}, 'x', '2147483648', 2147483648]) expect(parseId(bad), JSON.stringify(bad)).to.equal(null);
  });

  it('str() and repr() of JSON values', () => {
    expect(pyStr('x')).to.equal('x');
    expect(pyStr(null)).to.equal('None');
    expect(pyStr(true)).to.equal('True');
    expect(pyStr(false)).to.equal('False');
    expect(pyStr(12)).to.equal('12');
    expect(pyStr(-0)).to.equal('0');
    expect(pyStr(1.5)).to.equal('1.5');
    expect(pyStr(1e-5)).to.equal('1e-05');
    expect(pyStr(0.1)).to.equal('0.1');
    expect(pyStr([1, 'a', null, true, 2.5])).to.equal("[1, 'a', None, True, 2.5]");
    expect(pyStr({ a: 1, b: [{}], c: "it's" })).to.equal(`{'a': 1, 'b': [{}], 'c': "it's"}`);
    expect(pyStr([])).to.equal('[]');
    expect(reprStr('plain')).to.equal("'plain'");
    expect(reprStr("it's")).to.equal(`"it's"`);
    expect(reprStr(`both ' and "`)).to.equal(`'both \\' and "'`);
    expect(reprStr('a\\b')).to.equal("'a\\\\b'");
    expect(reprStr('t\tn\nr\r')).to.equal("'t\\tn\\nr\\r'");
    expect(reprStr('\x00\x1f\x7f\x85\xa0\xad')).to.equal("'\\x00\\x1f\\x7f\\x85\\xa0\\xad'");
    expect(reprStr('\u2028\u200b\ufeff')).to.equal("'\\u2028\\u200b\\ufeff'");
    expect(reprStr('é ü 漢 😀')).to.equal("'é ü 漢 😀'");
    expect(reprStr('\ud800')).to.equal("'\\ud800'");
    expect(reprStr('\u{e0001}')).to.equal("'\\U000e0001'");
    expect(pyRepr(['x', ["y'"]])).to.equal(`['x', ["y'"]]`);
  });

  it('type(x).__name__', () => {
    const cases: Array<[unknown, string]> = [
      [null, 'NoneType'],
      [true, 'bool'],
      [1, 'int'],
      [1.5, 'float'],
      ['s', 'str'],
      [[], 'list'],
      [{}, 'dict'],
    ];
    for (const [v, name] of cases) expect(pythonTypeName(v)).to.equal(name);
  });

  it('truthiness', () => {
    for (const v of [null, undefined, false, 0, -0, '', [], {}, NaN]) {
      expect(isTruthy(v), String(v)).to.equal(false);
      expect(isFalsy(v), String(v)).to.equal(true);
    }
    for (const v of [true, 1, -1, 0.5, ' ', '0', 'False', [0], { a: null }]) expect(isTruthy(v), JSON.stringify(v)).to.equal(true);
  });

  it('str.strip() and len() as Python counts', () => {
    expect(pyStrip(' \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000x \u3000')).to.equal('x');
    // Not Python whitespace: the BOM and the zero-width space stay.
    expect(pyStrip('\ufeffx\u200b')).to.equal('\ufeffx\u200b');
    expect(pyLen('😀😀')).to.equal(2);
    expect(pyLen('a\ud800b')).to.equal(3);
    expect(pyLen('\udc00\ud800')).to.equal(2);
  });
});
