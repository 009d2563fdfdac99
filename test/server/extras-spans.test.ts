import { describe, expect, it } from 'vitest';
import { elementSpans, statesSpans } from '../../server/extras-spans.js';

const spansOf = (text: string) => statesSpans(Buffer.from(text), Buffer.byteLength(text));
/** The elements' texts by their spans: what the spans say, readable. */
const texts = (text: string) => {
  const b = Buffer.from(text);
  const s = statesSpans(b, b.length);
  return s && s.starts.map((from, i) => b.toString('utf8', from, s.ends[i]));
};

describe("the scanner of the states' elements", () => {
  it('finds each element from its first byte to one past its last, whitespace left out', () => {
    // Offsets counted by hand: `{"states":[` is 11 bytes, so `{"a":1}` is [11, 18), `2` [19, 20), `"x"` [21, 24).
    expect(spansOf('{"states":[{"a":1},2,"x"]}')).toEqual({ starts: [11, 19, 21], ends: [18, 20, 24] });
    // The same with whitespace everywhere JSON allows it: ` { "states" : [ ` is 16 bytes.
    expect(spansOf(' { "states" : [ {"a":1} ,\n2\t, "x" ] } ')).toEqual({ starts: [16, 26, 30], ends: [23, 27, 33] });
    expect(spansOf('{"states":[]}')).toEqual({ starts: [], ends: [] });
    expect(spansOf('{"states":[ ]}')).toEqual({ starts: [], ends: [] });
  });

  it('finds the states after other keys, whatever their values hold', () => {
    const text =
      '{"collectors":[{"name":"cpu","state":"error","message":"read \\"/proc\\"] failed, {x}"}],' +
      '"stateKinds":["a"],"states":[true,null,-1.5e3],"after":{"states":[1]}}';
    expect(texts(text)).toEqual(['true', 'null', '-1.5e3']);
  });

  it('skips brackets, commas, quotes and backslashes inside strings', () => {
    const text = String.raw`{"states":[{"k":"a]b,c}d[e"},{"k":"q\"],\\"},"\\",{"k":["]",{"}":"{"}]}]}`;
    expect(texts(text)).toEqual([
      '{"k":"a]b,c}d[e"}',
      String.raw`{"k":"q\"],\\"}`,
      String.raw`"\\"`,
      '{"k":["]",{"}":"{"}]}',
    ]);
  });

  it('counts bytes, not characters, past text outside ASCII', () => {
    // "é" is 2 bytes and "😀" 4 in UTF-8: the second element starts at 11 + 1 + 2 + 4 + 1 + 1 = 20 (`"é😀"` is 8 bytes).
    expect(spansOf('{"states":["é😀",{"v":"ü"}]}')).toEqual({ starts: [11, 20], ends: [19, 30] });
  });

  it('is unsure (null) of keys with escapes, of two states keys, and of states that are no array', () => {
    expect(spansOf(String.raw`{"st\u0061tes":[1]}`)).toBeNull(); // JSON.parse reads it as "states"
    expect(spansOf(String.raw`{"a\"b":1,"states":[1]}`)).toBeNull();
    expect(spansOf('{"states":[1],"states":[2]}')).toBeNull(); // JSON.parse keeps the last
    expect(spansOf('{"states":{"0":1}}')).toBeNull();
    expect(spansOf('{"states":"[1]"}')).toBeNull();
    expect(spansOf('{"collectors":[]}')).toBeNull();
    expect(spansOf('{}')).toBeNull();
    expect(spansOf('[1]')).toBeNull();
  });

  it('reads a list of values between given bytes, refusing empty places in it', () => {
    const list = (text: string) => elementSpans(Buffer.from(text), 0, Buffer.byteLength(text), 0);
    expect(list(' 1 , {"a":[2]} ,"3"')).toEqual({ starts: [1, 5, 16], ends: [2, 14, 19] });
    expect(list('   ')).toEqual({ starts: [], ends: [] });
    expect(list('1,')).toBeNull();
    expect(list(',1')).toBeNull();
    expect(list('1,,2')).toBeNull();
    expect(list('1 2')).toBeNull();
    expect(list('{"a":1')).toBeNull();
    expect(list('"open')).toBeNull();
    // Offsets are given relative to `base`: a list at bytes 4… of a frame whose extras start at byte 2.
    expect(elementSpans(Buffer.from('xx[ 7,8]'), 4, 7, 2)).toEqual({ starts: [2, 4], ends: [3, 5] });
  });

  it("reads nothing past the length it is given: bytes beyond are another frame's", () => {
    const b = Buffer.from('{"states":[{"a":1}]}');
    // Without its last byte the object never closes: the '}' beyond the length must not close it.
    expect(statesSpans(b, b.length - 1)).toBeNull();
    expect(statesSpans(b, b.length)).toEqual({ starts: [11], ends: [18] });
  });
});
