import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { LineSplitter, type LineOut } from './line-splitter.js';

function split(chunks: Buffer[], maxLineBytes?: number, startOffset?: number) {
  const s = new LineSplitter({ maxLineBytes, startOffset });
  const out: LineOut = { lines: [], ends: [] };
  const offsets: number[] = [];
  for (const c of chunks) {
    s.push(c, out);
    offsets.push(s.offset);
  }
  s.flush(out);
  return { ...out, counts: { ...s.counts }, offset: s.offset, offsets };
}

/** Straightforward model of the splitter's contract, byte by byte. */
function reference(all: Buffer, max: number) {
  const lines: string[] = [];
  const ends: number[] = [];
  const counts = { overlong: 0, binary: 0, invalid_utf8: 0 };
  let start = 0;
  const emit = (s: number, e: number, end: number) => {
    let len = e - s;
    if (len > 0 && all[e - 1] === 13) len--;
    if (len === 0) return;
    let nul = 0;
    let ctrl = 0;
    for (let i = s; i < e; i++) {
      const b = all[i]!;
      if (b === 0) nul++;
      else if (b < 32 && b !== 9 && b !== 13) ctrl++;
    }
    if (nul > 0 || ctrl * 10 > len * 3) {
      counts.binary++;
      return;
    }
    let n = len;
    if (len > max) {
      counts.overlong++;
      n = max;
      while (n > Math.max(1, max - 3) && (all[s + n]! & 0xc0) === 0x80) n--;
    }
    const sub = all.subarray(s, s + n);
    if (!isUtf8(sub)) counts.invalid_utf8++;
    lines.push(sub.toString('utf8'));
    ends.push(end);
  };
  for (let i = 0; i < all.length; i++) {
    if (all[i] === 10) {
      emit(start, i, i + 1);
      start = i + 1;
    }
  }
  if (start < all.length) emit(start, all.length, all.length);
  return { lines, ends, counts };
}

/** Copies `b` into a fresh buffer at byte offset `shift`, to exercise unaligned chunk starts. */
function at(b: Buffer, shift: number): Buffer {
  const backing = Buffer.alloc(b.length + shift + 8);
  b.copy(backing, shift);
  return backing.subarray(shift, shift + b.length);
}

describe('LineSplitter', () => {
  test('splits on \\n, strips \\r, skips empty lines, exact offsets with multibyte chars', () => {
    const r = split([Buffer.from('a\r\n\nhé\n€x\r\r\nlast')]);
    assert.deepEqual(r.lines, ['a', 'hé', '€x\r', 'last']);
    assert.deepEqual(r.ends, [3, 8, 15, 19]);
    assert.equal(r.offset, 19);
    assert.deepEqual(r.counts, { overlong: 0, binary: 0, invalid_utf8: 0 });
  });

  test('holds an incomplete line until it is completed; offset stays after the last \\n', () => {
    const s = new LineSplitter({ startOffset: 100 });
    const out: LineOut = { lines: [], ends: [] };
    s.push(Buffer.from('one\ntw'), out);
    assert.deepEqual(out.lines, ['one']);
    assert.equal(s.offset, 104);
    assert.equal(s.pendingBytes, 2);
    s.push(Buffer.from('o'), out);
    s.push(Buffer.from('\nthr'), out);
    assert.deepEqual(out.lines, ['one', 'two']);
    assert.deepEqual(out.ends, [104, 108]);
    assert.equal(s.offset, 108);
    s.reset(0);
    s.push(Buffer.from('x\n'), out);
    assert.deepEqual(out.lines.at(-1), 'x');
    assert.equal(s.offset, 2);
  });

  test('caps overlong lines at maxLineBytes without splitting a character', () => {
    const r = split([Buffer.from('abcdefghij\n'), Buffer.from('ab€€€\n'), Buffer.from('abcde\r\n')], 5);
    assert.deepEqual(r.lines, ['abcde', 'ab€', 'abcde']);
    assert.equal(r.counts.overlong, 2);
    // An overlong line spread over many chunks keeps only its head and a bounded carry.
    const many = Array.from({ length: 50 }, () => Buffer.from('x'.repeat(1000)));
    const r2 = split([...many, Buffer.from('\nok\n')], 16);
    assert.deepEqual(r2.lines, ['x'.repeat(16), 'ok']);
    assert.deepEqual(r2.ends, [50_001, 50_004]);
  });

  test('drops binary lines (NUL or mostly control bytes), keeps text with tabs and escapes', () => {
    const r = split([Buffer.from('ok\tline\nbad\0line\n\x01\x02\x03\x04x\n\x1b[31mred\x1b[0m text\nend\n')]);
    assert.deepEqual(r.lines, ['ok\tline', '\x1b[31mred\x1b[0m text', 'end']);
    assert.equal(r.counts.binary, 2);
    assert.equal(r.offset, 45);
  });

  test('invalid UTF-8 becomes U+FFFD, is counted and kept', () => {
    const r = split([Buffer.from([0x61, 0xff, 0x62, 0x0a, 0xc3, 0xa9, 0x0a, 0xe2, 0x82, 0x0a])]);
    assert.deepEqual(r.lines, ['a\ufffdb', 'é', '\ufffd']);
    assert.equal(r.counts.invalid_utf8, 2);
  });

  test('a multibyte char split across chunks is decoded whole', () => {
    const b = Buffer.from('x€y\nz€\n');
    for (let cut = 0; cut <= b.length; cut++) {
      const r = split([b.subarray(0, cut), b.subarray(cut)]);
      assert.deepEqual(r.lines, ['x€y', 'z€'], `cut at ${cut}`);
      assert.equal(r.counts.invalid_utf8, 0);
    }
  });

  test('rejects a nonsense maxLineBytes', () => {
    assert.throws(() => new LineSplitter({ maxLineBytes: 0 }), /maxLineBytes/);
  });

  test('property: any chunking gives the same lines, offsets and counts as the whole buffer and the reference', () => {
    // Bytes biased toward the interesting cases: line ends, \r, NUL, control, multibyte and invalid.
    const piece = fc.oneof(
      fc.constantFrom('\n', '\r\n', '\r', '\0', '\x01', '\t', 'é', '€', '𝄞', 'abc', 'Oct  6 sshd[1]: Failed password'),
      fc.uint8Array({ minLength: 1, maxLength: 6 }).map((u) => Buffer.from(u).toString('latin1')),
      fc.constantFrom('\xff', '\xc3', '\xe2\x82', '\xf0\x9d'),
    );
    const input = fc.array(piece, { maxLength: 60 }).map((ps) => {
      // Pieces in \x80-\xff are raw bytes (invalid UTF-8 on purpose); the rest are UTF-8 text.
      return Buffer.concat(ps.map((p) => (/^[\x80-\xff]+$/.test(p) ? Buffer.from(p, 'latin1') : Buffer.from(p, 'utf8'))));
    });
    fc.assert(
      fc.property(input, fc.array(fc.nat(), { maxLength: 12 }), fc.integer({ min: 1, max: 40 }), fc.nat(3), (all, cutsRaw, max, shift) => {
        const cuts = [...new Set(cutsRaw.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let prev = 0;
        for (const c of [...cuts, all.length]) {
          chunks.push(at(all.subarray(prev, c), shift));
          prev = c;
        }
        const whole = split([all], max, 7);
        const pieces = split(chunks, max, 7);
        const ref = reference(all, max);
        assert.deepEqual(pieces.lines, whole.lines);
        assert.deepEqual(pieces.ends, whole.ends);
        assert.deepEqual(pieces.counts, whole.counts);
        assert.equal(pieces.offset, whole.offset);
        assert.deepEqual(whole.lines, ref.lines);
        assert.deepEqual(whole.ends, ref.ends.map((e) => e + 7));
        assert.deepEqual(whole.counts, ref.counts);
        // After each chunk, the committed offset is just after the last \n seen so far.
        pieces.offsets.forEach((o, i) => {
          const upto = cuts.concat(all.length)[i]!;
          assert.equal(o, all.subarray(0, upto).lastIndexOf(10) + 1 + 7);
        });
      }),
      { numRuns: 3000 },
    );
  });
});
