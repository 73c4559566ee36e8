import { LineSplitter, type LineOut, type SplitterCounts } from './line-splitter.js';

const LF = 10;
const SP = 0x20;
const EMPTY = Buffer.alloc(0);
/** RFC 6587 MSG-LEN = NONZERO-DIGIT *DIGIT; 9 digits is far beyond any sane message size. */
const MAX_LEN_DIGITS = 9;

/**
 * Splits one syslog TCP stream into messages, auto-detecting per frame RFC 6587 octet counting
 * ("<len> <msg>", a frame starting with 1-9) or non-transparent framing (message ends at LF; a
 * syslog message itself starts with '<'). Holds at most maxMessageBytes + a header of unconsumed
 * input. Messages are split into lines like any other source (a multi-line octet-counted frame
 * gives several lines).
 */
export class SyslogFramer {
  private buf: Buffer = EMPTY;
  private readonly splitter: LineSplitter;

  constructor(
    private readonly maxMessageBytes: number,
    counts: SplitterCounts,
  ) {
    this.splitter = new LineSplitter({ maxLineBytes: maxMessageBytes, counts });
  }

  /**
   * Appends the complete messages of `chunk` to `out`. Returns false when the peer sent a frame
   * longer than maxMessageBytes: its head was delivered (counted as overlong) and the connection
   * must be closed, as the rest of the stream can no longer be trusted.
   */
  push(chunk: Buffer, out: LineOut): boolean {
    const data = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const max = this.maxMessageBytes;
    const n = data.length;
    let p = 0;
    let lfStart = -1; // start of a run of LF-framed messages not yet handed to the splitter
    let ok = true;
    while (p < n) {
      const b = data[p]!;
      if (b >= 0x31 && b <= 0x39) {
        let q = p;
        let len = 0;
        while (q < n && q - p < MAX_LEN_DIGITS && data[q]! >= 0x30 && data[q]! <= 0x39) len = len * 10 + (data[q++]! - 0x30);
        if (q === n && q - p < MAX_LEN_DIGITS) break; // header not complete yet
        if (data[q] === SP) {
          if (lfStart >= 0) this.lines(data, lfStart, p, out);
          lfStart = -1;
          const body = q + 1;
          if (len > max) {
            if (n - body < max) break; // deliver the head once it is all here
            this.frame(data, body, body + max, out);
            this.splitter.counts.overlong++;
            p = n;
            ok = false;
            break;
          }
          if (body + len > n) break;
          this.frame(data, body, body + len, out);
          p = body + len;
          continue;
        }
      }
      const nl = data.indexOf(LF, p);
      if (nl < 0) {
        if (n - p > max) {
          // An endless line: keep its head (the splitter counts it overlong) and give up.
          if (lfStart >= 0) this.lines(data, lfStart, p, out);
          lfStart = -1;
          this.frame(data, p, n, out);
          p = n;
          ok = false;
        }
        break;
      }
      if (lfStart < 0) lfStart = p;
      p = nl + 1;
    }
    if (lfStart >= 0) this.lines(data, lfStart, p, out);
    // Copy the rest: `chunk` belongs to the socket and the kept part is small and bounded.
    this.buf = p >= n ? EMPTY : Buffer.from(data.subarray(p));
    return ok;
  }

  /**
   * Connection closed: a last LF-framed message without its LF still counts; a cut octet frame
   * does not (returns false for it, so the caller can count it).
   */
  end(out: LineOut): boolean {
    const rest = this.buf;
    this.buf = EMPTY;
    if (rest.length === 0) return true;
    const b = rest[0]!;
    if (b >= 0x31 && b <= 0x39 && /^\d{1,9}( |$)/.test(rest.subarray(0, MAX_LEN_DIGITS + 1).toString('latin1'))) return false;
    this.frame(rest, 0, rest.length, out);
    return true;
  }

  get bufferedBytes(): number {
    return this.buf.length;
  }

  private lines(data: Buffer, s: number, e: number, out: LineOut): void {
    this.splitter.push(data.subarray(s, e), out);
  }

  private frame(data: Buffer, s: number, e: number, out: LineOut): void {
    this.splitter.push(data.subarray(s, e), out);
    this.splitter.flush(out);
  }
}
