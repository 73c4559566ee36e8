import { isAscii, isUtf8 } from 'node:buffer';
import { AppError } from '../../shared/app-error.js';

export const DEFAULT_MAX_LINE_BYTES = 16384;
/** Upper bound for `maxLineBytes`: the carry buffer is allocated at this size per source. */
export const MAX_MAX_LINE_BYTES = 16 * 1024 * 1024;

/** Where `push`/`flush` append complete lines and the byte offset just after each line's end. */
export interface LineOut {
  lines: string[];
  ends: number[];
}

/** Lines dropped or altered, by reason; monotonically increasing over the splitter's life. */
export interface SplitterCounts {
  /** Lines longer than maxLineBytes (kept, truncated). */
  overlong: number;
  /** Lines with a NUL byte or more than 30% control bytes (dropped). */
  binary: number;
  /** Lines that are not valid UTF-8 (kept, bad sequences become U+FFFD). */
  invalid_utf8: number;
}

export function newSplitterCounts(): SplitterCounts {
  return { overlong: 0, binary: 0, invalid_utf8: 0 };
}

const LF = 10;
const CR = 13;
const TAB = 9;
const MODE_ASCII = 0;
const MODE_UTF8 = 1;
const MODE_CHECK = 2;
const EMPTY = Buffer.alloc(0);

/**
 * Incremental splitter of a byte stream into lines. Lines end at \n (a trailing \r is stripped);
 * empty lines are skipped silently. Offsets are absolute byte positions in the stream, exact
 * whatever the chunking, so file sources can commit them.
 *
 * Speed (replay hot path): one pass over the chunk 4 bytes at a time finds both line ends and
 * control bytes; ASCII/UTF-8 validity is decided once per chunk by simdutf (isAscii/isUtf8) and
 * only re-checked per line when the chunk is not clean. Each line is decoded into its own flat
 * string: slicing one big decoded chunk string is ~60 ns/line faster, but every slice (and every
 * regex capture of ≥13 chars taken from it downstream) would pin the whole 1 MiB chunk in memory.
 */
export class LineSplitter {
  readonly counts: SplitterCounts;
  private readonly max: number;
  /** First max+1 bytes of the incomplete line carried over from earlier chunks. */
  private readonly carry: Buffer;
  private carryLen = 0;
  /** Bytes of the incomplete line seen so far (kept or not) and its last byte. */
  private pendTotal = 0;
  private pendLast = -1;
  /** Control and NUL bytes of the line being scanned (persist across chunks). */
  private ctrl = 0;
  private nul = 0;
  // State of the push in progress, on the instance so the scan loop stays closure-free.
  private chunk: Buffer = EMPTY;
  private out: LineOut | undefined;
  private base = 0;
  private lineStart = 0;
  private inCarry = false;
  private mode = MODE_CHECK;
  private pos: number;
  private committed: number;

  /** `counts`: an object to add to, when several splitters report as one source. */
  constructor(opts: { maxLineBytes?: number; startOffset?: number; counts?: SplitterCounts } = {}) {
    this.counts = opts.counts ?? newSplitterCounts();
    const max = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    if (!Number.isInteger(max) || max < 1 || max > MAX_MAX_LINE_BYTES) {
      throw new AppError('acquire.invalid_config', `maxLineBytes must be an integer in 1..${MAX_MAX_LINE_BYTES}, got ${max}`, { status: 400 });
    }
    this.max = max;
    this.carry = Buffer.allocUnsafe(max + 1);
    this.pos = this.committed = opts.startOffset ?? 0;
  }

  /** Offset just after the last line terminator consumed: safe to commit once its lines are processed. */
  get offset(): number {
    return this.committed;
  }

  /** Offset just after the last byte pushed. */
  get position(): number {
    return this.pos;
  }

  /** Bytes of the held incomplete line. */
  get pendingBytes(): number {
    return this.pendTotal;
  }

  /** Forgets any incomplete line and restarts counting at `startOffset` (new file, truncation). */
  reset(startOffset = 0): void {
    this.pendTotal = this.carryLen = this.ctrl = this.nul = 0;
    this.pendLast = -1;
    this.pos = this.committed = startOffset;
  }

  /** Splits `chunk`; complete lines go to `out`. The chunk is not retained (it may be reused). */
  push(chunk: Buffer, out: LineOut): void {
    const n = chunk.length;
    if (n === 0) return;
    this.base = this.pos;
    this.pos += n;
    const first = chunk.indexOf(LF);
    const last = first < 0 ? -1 : chunk.lastIndexOf(LF);
    this.mode = MODE_CHECK;
    if (last > first) {
      const region = chunk.subarray(first + 1, last + 1);
      this.mode = isAscii(region) ? MODE_ASCII : isUtf8(region) ? MODE_UTF8 : MODE_CHECK;
    }
    this.chunk = chunk;
    this.out = out;
    this.lineStart = 0;
    this.inCarry = this.pendTotal > 0;
    this.scan(chunk, n);
    if (last >= 0) this.committed = this.base + last + 1;
    this.appendPending(chunk, this.lineStart, n);
    this.chunk = EMPTY;
    this.out = undefined;
  }

  /** Emits the held incomplete line, if any (end of input, or a file rotated away). */
  flush(out: LineOut): void {
    if (this.pendTotal > 0) {
      this.out = out;
      this.emit(this.carry, 0, this.pendTotal, this.pendLast, this.pos, MODE_CHECK);
      this.out = undefined;
    }
    this.pendTotal = this.carryLen = this.ctrl = this.nul = 0;
    this.pendLast = -1;
    this.committed = this.pos;
  }

  private scan(c: Buffer, n: number): void {
    let i = 0;
    const head = Math.min(n, (4 - (c.byteOffset & 3)) & 3);
    for (; i < head; i++) {
      const b = c[i]!;
      if (b < 32) this.control(b, i);
    }
    const words = (n - i) >>> 2;
    if (words > 0) {
      const w = new Uint32Array(c.buffer, c.byteOffset + i, words);
      for (let k = 0; k < words; k++) {
        const x = w[k]!;
        // Nonzero iff some byte of x is < 0x20 (the "hasless" bit trick); then look at each byte.
        if (((x - 0x20202020) & ~x & 0x80808080) !== 0) {
          const p = i + (k << 2);
          for (let j = p; j < p + 4; j++) {
            const b = c[j]!;
            if (b < 32) this.control(b, j);
          }
        }
      }
      i += words << 2;
    }
    for (; i < n; i++) {
      const b = c[i]!;
      if (b < 32) this.control(b, i);
    }
  }

  private control(b: number, j: number): void {
    if (b === LF) this.endLine(j);
    else if (b === 0) this.nul++;
    else if (b !== TAB && b !== CR) this.ctrl++;
  }

  private endLine(j: number): void {
    const c = this.chunk;
    const end = this.base + j + 1;
    const s = this.lineStart;
    if (s === 0 && this.inCarry) {
      this.appendPending(c, 0, j);
      this.emit(this.carry, 0, this.pendTotal, this.pendLast, end, MODE_CHECK);
      this.pendTotal = this.carryLen = 0;
      this.pendLast = -1;
    } else {
      // The first line of a chunk lies outside the region whose validity was checked.
      this.emit(c, s, j - s, j > s ? c[j - 1]! : -1, end, s === 0 ? MODE_CHECK : this.mode);
    }
    this.lineStart = j + 1;
  }

  private appendPending(c: Buffer, s: number, e: number): void {
    if (e <= s) return;
    this.pendTotal += e - s;
    const take = Math.min(this.carry.length - this.carryLen, e - s);
    if (take > 0) {
      c.copy(this.carry, this.carryLen, s, s + take);
      this.carryLen += take;
    }
    this.pendLast = c[e - 1]!;
  }

  /** `total` bytes of line (before \n) start at buf[s]; at least min(total, max+1) are in buf. */
  private emit(buf: Buffer, s: number, total: number, last: number, end: number, mode: number): void {
    const len = last === CR ? total - 1 : total;
    const ctrl = this.ctrl;
    const nul = this.nul;
    this.ctrl = this.nul = 0;
    if (len <= 0) return;
    if (nul > 0 || ctrl * 10 > len * 3) {
      this.counts.binary++;
      return;
    }
    let n = len;
    if (len > this.max) {
      this.counts.overlong++;
      n = this.cutAtChar(buf, s, this.max);
      mode = MODE_CHECK;
    }
    this.out!.lines.push(this.decode(buf, s, s + n, mode));
    this.out!.ends.push(end);
  }

  /** Largest length ≤ k that does not split a UTF-8 sequence (buf[s+k] exists). */
  private cutAtChar(buf: Buffer, s: number, k: number): number {
    let c = k;
    const min = Math.max(1, k - 3);
    while (c > min && (buf[s + c]! & 0xc0) === 0x80) c--;
    return c;
  }

  private decode(buf: Buffer, s: number, e: number, mode: number): string {
    if (mode === MODE_ASCII) return buf.toString('latin1', s, e);
    if (mode === MODE_CHECK) {
      const sub = buf.subarray(s, e);
      if (isAscii(sub)) return buf.toString('latin1', s, e);
      if (!isUtf8(sub)) this.counts.invalid_utf8++;
    }
    return buf.toString('utf8', s, e);
  }
}
