import { BsdClock, Rfc3339Clock } from './timestamps.js';

const MAX_HOST = 255;
const MAX_PROGRAM = 128;
const MAX_PROCID = 128;
const MAX_MSGID = 32;

// Whole 3164 header in one sticky scan: the regex engine reads the line buffer natively, which
// beats per-character charCodeAt on the sliced strings lines usually are.
// Groups: BSD day, time, fraction | ISO date, time, fraction, zone — then host, program, pid.
// A host ending in ':' is really a tag (no hostname): parse() sends such lines the general way.
const BSD_HEAD = /([A-Z][a-z]{2} [ \d]?\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,9}))? (\S{1,255}) ([^\s[:]{1,128})(?:\[([^\]\s]{0,128})\])?: ?/y;
const ISO_HEAD = /(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d) (\S{1,255}) ([^\s[:]{1,128})(?:\[([^\]\s]{0,128})\])?: ?/y;
const BSD_TIME = /([A-Z][a-z]{2} [ \d]?\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,9}))? /y;
const ISO_TIME = /(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d) /y;
const TAG = /([^\s[:]{1,128})(?:\[([^\]]{0,128})\])?: ?/y;

/**
 * Syslog envelope reader (a mechanism, exposed to content as `envelope: syslog`). Accepts, each
 * with an optional `<PRI>`:
 *  - RFC 3164 / BSD as files hold it: `Oct  6 00:00:01 host prog[pid]: msg`
 *  - rsyslog high-precision files: `2026-10-06T00:00:01.123456+00:00 host prog[pid]: msg`
 *  - RFC 5424: `<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD…] MSG` (structured data is skipped,
 *    honouring quoted values and `\]`, `\"`, `\\` escapes; a leading BOM on MSG is dropped).
 * A 3164 line without hostname or without `prog:` tag still parses (program undefined → the
 * rest is the message). One instance serves every line: results go to its public fields instead
 * of a fresh object. Not re-entrant: read the fields before parsing the next line.
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
  private readonly rfc3339 = new Rfc3339Clock();

  parse(line: string, ref: number): boolean {
    let p = 0;
    this.pri = -1;
    this.version = 0;
    this.procid = undefined;
    this.msgid = undefined;
    this.pid = -1;
    let c = line.charCodeAt(0);
    if (c === 60) {
      p = this.readPri(line);
      if (p < 0) return false;
      if (line.charCodeAt(p) === 49 && line.charCodeAt(p + 1) === 32) return this.parse5424(line, p + 2, ref);
      c = line.charCodeAt(p);
    }
    if (p === 0 && line.charCodeAt(15) === 32 && this.readFastBsd(line, ref)) return true;
    const iso = c >= 48 && c <= 57;
    const head = iso ? ISO_HEAD : BSD_HEAD;
    head.lastIndex = p;
    const m = head.exec(line);
    if (m !== null && m[iso ? 5 : 4]!.charCodeAt(m[iso ? 5 : 4]!.length - 1) !== 58) {
      let i: number;
      if (iso) {
        if (!this.rfc3339.parse(m[1]!, m[2]!, m[3], m[4]!)) return false;
        this.ts = this.rfc3339.ts;
        this.iso = this.rfc3339.iso;
        i = 5;
      } else {
        if (!this.bsd.parse(m[1]!, m[2]!, m[3], ref)) return false;
        this.ts = this.bsd.ts;
        this.iso = this.bsd.iso;
        i = 4;
      }
      this.host = m[i];
      this.program = m[i + 1];
      const pid = m[i + 2];
      if (pid !== undefined) this.setPid(pid);
      this.message = line.slice(head.lastIndex);
      return true;
    }
    return this.parseGeneral(line, p, iso, ref);
  }

  /**
   * The common auth.log shape `Mmm dd hh:mm:ss host prog[pid]: msg` read with indexOf, which
   * beats any regex here (no match array, no capture strings beyond the fields kept). Anything
   * unusual returns false and the regex path decides, so both paths accept the same lines.
   */
  private readFastBsd(line: string, ref: number): boolean {
    const sp = line.indexOf(' ', 16);
    if (sp <= 16 || sp - 16 > MAX_HOST || line.charCodeAt(sp - 1) === 58) return false;
    const t = sp + 1;
    const colon = line.indexOf(':', t);
    if (colon <= t) return false;
    const space = line.indexOf(' ', t);
    if (space >= 0 && space < colon) return false;
    const br = line.indexOf('[', t);
    let progEnd = colon;
    if (br >= 0 && br < colon) {
      if (line.charCodeAt(colon - 1) !== 93 || br === t || colon - br - 2 > MAX_PROCID || line.indexOf(']', br) !== colon - 1) return false;
      progEnd = br;
    }
    // two short substrings compare with the cached second faster than reading the digits
    if (progEnd - t > MAX_PROGRAM || line.charCodeAt(6) !== 32 || !this.bsd.parse(line.substring(0, 6), line.substring(7, 15), undefined, ref)) return false;
    this.ts = this.bsd.ts;
    this.iso = this.bsd.iso;
    this.host = line.substring(16, sp);
    this.program = line.substring(t, progEnd);
    if (progEnd !== colon) this.setPid(line.substring(br + 1, colon - 1));
    this.message = line.slice(line.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1);
    return true;
  }

  /** Lines the one-regex header refused: no hostname, no tag, odd tags. */
  private parseGeneral(line: string, p: number, iso: boolean, ref: number): boolean {
    const time = iso ? ISO_TIME : BSD_TIME;
    time.lastIndex = p;
    const m = time.exec(line);
    if (m === null) return false;
    if (iso ? !this.rfc3339.parse(m[1]!, m[2]!, m[3], m[4]!) : !this.bsd.parse(m[1]!, m[2]!, m[3], ref)) return false;
    const clock = iso ? this.rfc3339 : this.bsd;
    this.ts = clock.ts;
    this.iso = clock.iso;
    p = time.lastIndex;
    let hostEnd = line.indexOf(' ', p);
    if (hostEnd < 0) hostEnd = line.length;
    if (hostEnd === p || hostEnd - p > MAX_HOST) return false;
    if (line.charCodeAt(hostEnd - 1) === 58) {
      // `Oct  6 00:00:01 prog[1]: msg`: a tag where the host should be
      this.host = undefined;
    } else {
      this.host = line.slice(p, hostEnd);
      p = hostEnd + 1;
    }
    TAG.lastIndex = p;
    const t = TAG.exec(line);
    if (t === null) {
      this.program = undefined;
      this.message = line.slice(p);
      return true;
    }
    this.program = t[1];
    if (t[2] !== undefined) this.setPid(t[2]);
    this.message = line.slice(TAG.lastIndex);
    return true;
  }

  private setPid(s: string): void {
    const n = s.length;
    if (n === 0 || n > 10) {
      this.procid = s;
      return;
    }
    let v = 0;
    for (let i = 0; i < n; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) {
        this.procid = s;
        return;
      }
      v = v * 10 + d;
    }
    if (v > 2147483647) this.procid = s;
    else this.pid = v;
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

  private parse5424(line: string, p: number, ref: number): boolean {
    this.version = 1;
    if (line.charCodeAt(p) === 45 /* '-' */) {
      // NILVALUE time: the receiver's notion of now
      if (!(ref >= 0 && ref <= 253_402_300_799_999)) return false;
      this.ts = ref;
      this.iso = new Date(ref).toISOString();
      p++;
    } else {
      ISO_TIME.lastIndex = p;
      const m = ISO_TIME.exec(line);
      if (m === null || !this.rfc3339.parse(m[1]!, m[2]!, m[3], m[4]!)) return false;
      this.ts = this.rfc3339.ts;
      this.iso = this.rfc3339.iso;
      p = ISO_TIME.lastIndex - 1; // at the space
    }
    const host = this.field(line, p, MAX_HOST);
    if (host < 0) return false;
    this.host = this.value;
    const app = this.field(line, host, 48);
    if (app < 0) return false;
    this.program = this.value;
    const procid = this.field(line, app, MAX_PROCID);
    if (procid < 0) return false;
    if (this.value !== undefined) this.setPid(this.value);
    this.procid = this.value;
    const msgid = this.field(line, procid, MAX_MSGID);
    if (msgid < 0) return false;
    this.msgid = this.value;
    p = msgid;
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

  private value: string | undefined = undefined;

  /** ` TOKEN` at p into `this.value` (NILVALUE '-' → undefined); returns the end index or -1. */
  private field(line: string, p: number, max: number): number {
    if (line.charCodeAt(p) !== 32) return -1;
    let end = line.indexOf(' ', p + 1);
    if (end < 0) end = line.length;
    const len = end - p - 1;
    if (len === 0 || len > max) return -1;
    this.value = len === 1 && line.charCodeAt(p + 1) === 45 ? undefined : line.slice(p + 1, end);
    return end;
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
