import { BsdClock, Rfc3339Clock } from './timestamps.js';

const MAX_HOST = 255;
const MAX_PROGRAM = 128;
const MAX_PROCID = 128;
const MAX_MSGID = 32;

/**
 * Hand-written syslog envelope reader (a mechanism, exposed to content as `envelope: syslog`).
 * Accepts, each with an optional `<PRI>`:
 *  - RFC 3164 / BSD as files hold it: `Oct  6 00:00:01 host prog[pid]: msg`
 *  - rsyslog high-precision files: `2026-10-06T00:00:01.123456+00:00 host prog[pid]: msg`
 *  - RFC 5424: `<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD…] MSG` (structured data is skipped,
 *    honouring quoted values and `\]`, `\"`, `\\` escapes; a leading BOM on MSG is dropped).
 * A 3164 line without a `prog:` tag still parses (program undefined, the rest is the message).
 * One instance is reused for every line: results are written to its public fields instead of
 * allocating a result object, and the last host/program strings are reused when they repeat.
 * Not re-entrant: read the fields before parsing the next line.
 */
export class SyslogEnvelope {
  ts = 0;
  iso = '';
  /** PRI value, or -1 when the line had none. */
  pri = -1;
  /** 1 for RFC 5424, 0 otherwise. */
  version = 0;
  host: string | undefined = undefined;
  program: string | undefined = undefined;
  /** Numeric process id, or -1. */
  pid = -1;
  /** RFC 5424 PROCID, or a non-numeric 3164 `[…]` value. */
  procid: string | undefined = undefined;
  msgid: string | undefined = undefined;
  message = '';

  private readonly bsd = new BsdClock();
  private readonly iso3339 = new Rfc3339Clock();
  private lastHost = '';
  private lastProgram = '';

  parse(line: string, ref: number): boolean {
    let p = 0;
    this.pri = -1;
    this.version = 0;
    this.procid = undefined;
    this.msgid = undefined;
    if (line.charCodeAt(0) === 60) {
      p = this.readPri(line);
      if (p < 0) return false;
      if (line.charCodeAt(p) === 49 && line.charCodeAt(p + 1) === 32) return this.parse5424(line, p + 2, ref);
    }
    const c = line.charCodeAt(p);
    let end: number;
    if (c >= 48 && c <= 57) {
      end = this.iso3339.parseAt(line, p);
      if (end < 0) return false;
      this.ts = this.iso3339.ts;
      this.iso = this.iso3339.iso;
    } else {
      end = this.bsd.parseAt(line, p, ref);
      if (end < 0) return false;
      this.ts = this.bsd.ts;
      this.iso = this.bsd.iso;
    }
    if (line.charCodeAt(end) !== 32) return false;
    return this.parse3164Rest(line, end + 1);
  }

  private readPri(line: string): number {
    let v = 0;
    let i = 1;
    for (; i <= 4; i++) {
      const d = line.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
    if (i === 1 || i > 4 || line.charCodeAt(i) !== 62 || v > 191) return -1;
    this.pri = v;
    return i + 1;
  }

  private parse3164Rest(line: string, p: number): boolean {
    const n = line.length;
    // hostname: reuse the previous string when it repeats (nearly always)
    const lh = this.lastHost;
    let hostEnd: number;
    if (lh.length > 0 && line.charCodeAt(p + lh.length) === 32 && line.startsWith(lh, p)) {
      hostEnd = p + lh.length;
      this.host = lh;
    } else {
      hostEnd = line.indexOf(' ', p);
      if (hostEnd < 0) hostEnd = n;
      const len = hostEnd - p;
      const last = line.charCodeAt(hostEnd - 1);
      if (len === 0 || len > MAX_HOST) return false;
      if (last === 58 /* ':' */) {
        // `Oct  6 00:00:01 prog[1]: msg` — a tag where the host should be: no hostname
        this.host = undefined;
        hostEnd = p - 1;
      } else {
        this.host = this.lastHost = line.slice(p, hostEnd);
      }
    }
    p = hostEnd + 1;
    return this.readTag(line, p);
  }

  /** `prog[pid]: msg`, `prog: msg`, or no tag at all (the rest is the message). */
  private readTag(line: string, p: number): boolean {
    const n = line.length;
    this.pid = -1;
    const lp = this.lastProgram;
    let i: number;
    let program: string | undefined;
    if (lp.length > 0 && line.startsWith(lp, p) && (line.charCodeAt(p + lp.length) === 91 || line.charCodeAt(p + lp.length) === 58)) {
      i = p + lp.length;
      program = lp;
    } else {
      const max = Math.min(n, p + MAX_PROGRAM + 1);
      for (i = p; i < max; i++) {
        const c = line.charCodeAt(i);
        if (c === 91 || c === 58 || c === 32) break;
      }
      const c = line.charCodeAt(i);
      if (i === p || i === max || (c !== 91 && c !== 58)) return this.noTag(line, p);
      program = line.slice(p, i);
    }
    if (line.charCodeAt(i) === 91) {
      const close = line.indexOf(']', i + 1);
      if (close < 0 || close - i - 1 > MAX_PROCID || line.charCodeAt(close + 1) !== 58) return this.noTag(line, p);
      let pid = 0;
      let j = i + 1;
      for (; j < close; j++) {
        const d = line.charCodeAt(j) - 48;
        if (d < 0 || d > 9) break;
        pid = pid * 10 + d;
      }
      if (j === close && close > i + 1 && close - i - 1 <= 10) this.pid = pid;
      else this.procid = line.slice(i + 1, close);
      i = close + 1;
    }
    // i is at ':'
    i++;
    if (line.charCodeAt(i) === 32) i++;
    this.program = this.lastProgram = program;
    this.message = i >= n ? '' : line.slice(i);
    return true;
  }

  private noTag(line: string, p: number): boolean {
    this.program = undefined;
    this.message = line.slice(p);
    return true;
  }

  private parse5424(line: string, p: number, ref: number): boolean {
    this.version = 1;
    this.pid = -1;
    if (line.charCodeAt(p) === 45 /* '-' */) {
      // NILVALUE time: the receiver's notion of now
      this.ts = ref;
      this.iso = new Date(ref).toISOString();
      p++;
    } else {
      const end = this.iso3339.parseAt(line, p);
      if (end < 0) return false;
      this.ts = this.iso3339.ts;
      this.iso = this.iso3339.iso;
      p = end;
    }
    const host = this.field(line, p, MAX_HOST);
    if (host === null) return false;
    this.host = host.value;
    const app = this.field(line, host.end, 48);
    if (app === null) return false;
    this.program = app.value;
    const procid = this.field(line, app.end, MAX_PROCID);
    if (procid === null) return false;
    this.procid = procid.value;
    if (procid.value !== undefined && /^\d{1,10}$/.test(procid.value)) this.pid = Number(procid.value);
    const msgid = this.field(line, procid.end, MAX_MSGID);
    if (msgid === null) return false;
    this.msgid = msgid.value;
    p = msgid.end;
    if (line.charCodeAt(p) !== 32) return false;
    p = skipStructuredData(line, p + 1);
    if (p < 0) return false;
    if (p < line.length) {
      if (line.charCodeAt(p) !== 32) return false;
      p++;
      if (line.charCodeAt(p) === 0xfeff) p++;
    }
    this.message = line.slice(p);
    return true;
  }

  /** ` TOKEN` after position p; NILVALUE '-' gives undefined. */
  private field(line: string, p: number, max: number): { value: string | undefined; end: number } | null {
    if (line.charCodeAt(p) !== 32) return null;
    let end = line.indexOf(' ', p + 1);
    if (end < 0) end = line.length;
    const len = end - p - 1;
    if (len === 0 || len > max) return null;
    if (len === 1 && line.charCodeAt(p + 1) === 45) return { value: undefined, end };
    return { value: line.slice(p + 1, end), end };
  }
}

/** Skips RFC 5424 STRUCTURED-DATA at p ('-' or one or more `[id k="v"…]`); returns the index after it or -1. */
export function skipStructuredData(line: string, p: number): number {
  const n = line.length;
  if (line.charCodeAt(p) === 45) return p + 1;
  if (line.charCodeAt(p) !== 91) return -1;
  while (p < n && line.charCodeAt(p) === 91) {
    p++;
    let inQuote = false;
    for (;;) {
      if (p >= n) return -1;
      const c = line.charCodeAt(p);
      if (inQuote) {
        if (c === 92 /* '\' */) p++;
        else if (c === 34) inQuote = false;
      } else if (c === 34) {
        inQuote = true;
      } else if (c === 93) {
        p++;
        break;
      }
      p++;
    }
  }
  return p;
}
