import { expect } from 'chai';
import { drfJson, pythonDumps } from '../../src/python/json.ts';
import { parsePythonJson } from '../../src/python/jsonDecode.ts';
import { drfDateTime, drfUtcZ, localDateTimeSeconds, utcIsoformat } from '../../src/drf/datetime.ts';
import { cloudinaryUrl } from '../../src/storage/cloudinaryUrl.ts';

describe('wire formats', () => {
  it('writes WebSocket frames like Python json.dumps', () => {
    expect(pythonDumps({ message: 'hi 👍 नमस्ते "q"\n\u007f', n: 5, ok: true, x: null, list: [1, 'a'] })).to.equal(
      '{"message": "hi \\ud83d\\udc4d \\u0928\\u092e\\u0938\\u094d\\u0924\\u0947 \\"q\\"\\n\\u007f", "n": 5, "ok": true, "x": null, "list": [1, "a"]}',
    );
    expect(pythonDumps({ a: 1e-7, b: 0.5 })).to.equal('{"a": 1e-07, "b": 0.5}');
  });

  it('renders REST bodies like DRF (compact, raw UTF-8, U+2028 escaped)', () => {
    expect(drfJson({ a: '👍\u2028', b: [1] })).to.equal('{"a":"👍\\u2028","b":[1]}');
  });

  it("gives CPython's json error messages", () => {
    const cases: Array<[string, string]> = [
      ['{"email": "kabir.singh@akgec.ac.in", ', 'Expecting property name enclosed in double quotes: line 1 column 38 (char 37)'],
      ['  ', 'Expecting value: line 1 column 3 (char 2)'],
      ['{"a":1,}', 'Expecting property name enclosed in double quotes: line 1 column 8 (char 7)'],
      ['[1,2,]', 'Expecting value: line 1 column 6 (char 5)'],
      ["{'a':1}", 'Expecting property name enclosed in double quotes: line 1 column 2 (char 1)'],
      ['{"a" 1}', "Expecting ':' delimiter: line 1 column 6 (char 5)"],
      ['{"a":1 "b":2}', "Expecting ',' delimiter: line 1 column 8 (char 7)"],
      ['{} x', 'Extra data: line 1 column 4 (char 3)'],
      ['{"a":"\u0001"}', 'Invalid control character at: line 1 column 7 (char 6)'],
      ['{"a":"\\q"}', 'Invalid \\escape: line 1 column 7 (char 6)'],
      ['{"a":"\\u12"}', 'Invalid \\uXXXX escape: line 1 column 8 (char 7)'],
      ['{"a":"abc', 'Unterminated string starting at: line 1 column 6 (char 5)'],
      ['nul', 'Expecting value: line 1 column 1 (char 0)'],
      ['{"a":}', 'Expecting value: line 1 column 6 (char 5)'],
      ['\ufeff{}', 'Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)'],
      ['{"a": NaN}', "Out of range float values are not JSON compliant: 'NaN'"],
      ['{"👍":\n x}', 'Expecting value: line 2 column 2 (char 7)'],
    ];
    for (const [input, message] of cases) expect(parsePythonJson(input), input).to.deep.equal({ ok: false, message });
    expect(parsePythonJson(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]))).to.deep.equal({
      ok: false,
      message: "'utf-8' codec can't decode byte 0xff in position 6: invalid start byte",
    });
    expect(parsePythonJson('{"a": [1, {"b": null}]}')).to.deep.equal({ ok: true, value: { a: [1, { b: null }] } });
  });

  it('formats timestamps as DRF (Asia/Kolkata), DRF raw (Z) and Channels (UTC isoformat) do', () => {
    expect(drfDateTime('2025-02-09 13:22:42.123456+00')).to.equal('2025-02-09T18:52:42.123456+05:30');
    expect(drfDateTime('2025-02-09 13:22:42+00')).to.equal('2025-02-09T18:52:42+05:30');
    expect(drfDateTime('2025-02-09 20:00:00.000005+00')).to.equal('2025-02-10T01:30:00.000005+05:30');
    expect(drfUtcZ('2025-02-09 13:22:42.000005+00')).to.equal('2025-02-09T13:22:42.000005Z');
    expect(utcIsoformat('2026-11-24 00:28:29.13674+00')).to.equal('2026-11-24T00:28:29.136740+00:00');
    expect(localDateTimeSeconds('2025-04-12 15:35:00.5+00')).to.equal('2025-04-12 21:05:00');
    expect(drfDateTime(null)).to.equal(null);
  });

  it('builds Cloudinary URLs exactly as pycloudinary 1.41 does', () => {
    const c = 'dcbla9zbl';
    expect(cloudinaryUrl('image/upload/v1739107362/lwfugihthelebahq8pbz.jpg', c)).to.equal(
      'http://res.cloudinary.com/dcbla9zbl/image/upload/v1739107362/lwfugihthelebahq8pbz.jpg',
    );
    expect(cloudinaryUrl('raw/upload/v1739400100/notes.docx', c)).to.equal('http://res.cloudinary.com/dcbla9zbl/raw/upload/v1739400100/notes.docx');
    expect(cloudinaryUrl('image/upload/abc.jpg', c)).to.equal('http://res.cloudinary.com/dcbla9zbl/image/upload/abc.jpg');
    expect(cloudinaryUrl('image/upload/folder/abc.jpg', c)).to.equal('http://res.cloudinary.com/dcbla9zbl/image/upload/v1/folder/abc.jpg');
    expect(cloudinaryUrl('abc', c)).to.equal('http://res.cloudinary.com/dcbla9zbl/image/upload/abc');
    expect(cloudinaryUrl('image/upload/v1/my file é.png', c)).to.equal('http://res.cloudinary.com/dcbla9zbl/image/upload/v1/my%20file%20%C3%A9.png');
    expect(cloudinaryUrl('https://res.cloudinary.com/dcbla9zbl/image/upload/v1744000000/clientsentphoto01.jpg', c)).to.equal(
      'https://res.cloudinary.com/dcbla9zbl/image/upload/v1744000000/clientsentphoto01',
    );
    expect(cloudinaryUrl('', c)).to.equal(null);
    expect(cloudinaryUrl(null, c)).to.equal(null);
  });
});
