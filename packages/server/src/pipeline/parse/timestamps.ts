/**
 * Timestamp readers for log formats. Every reader keeps a one-entry cache keyed by the
 * whole-second text, because consecutive lines almost always share their second: the cache turns
 * date arithmetic and `toISOString` into one string comparison. Sub-second digits are added to
 * the cached second. Readers are stateful (the cache), so each parser owns its own instances.
 * Zone-less formats (nginx/apache error logs) are read as UTC.
 */
export const TIMESTAMP_FORMATS = ['bsd', 'rfc3339', 'clf', 'nginx_error', 'apache_error', 'unix', 'unix_ms'] as const;
export type TimestampFormat = (typeof TIMESTAMP_FORMATS)[number];

const DAY = 86_400_000;
/** 1970-01-01 .. 9999-12-31: outside it `toISOString` leaves the 4-digit-year form. */
const MAX_TS = 253_402_300_799_999;
const MS3: string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/** 0-based month from three ASCII letters at s[p], or -1. Case-sensitive like syslog writers. */
export function monthAt(s: string, p: number): number {
  const a = s.charCodeAt(p);
  const b = s.charCodeAt(p + 1);
  const c = s.charCodeAt(p + 2);
  const k = (a << 16) | (b << 8) | c;
  switch (k) {
    case 0x4a616e: return 0; // Jan
    case 0x466562: return 1; // Feb
    case 0x4d6172: return 2; // Mar
    case 0x417072: return 3; // Apr
    case 0x4d6179: return 4; // May
    case 0x4a756e: return 5; // Jun
    case 0x4a756c: return 6; // Jul
    case 0x417567: return 7; // Aug
    case 0x536570: return 8; // Sep
    case 0x4f6374: return 9; // Oct
    case 0x4e6f76: return 10; // Nov
    case 0x446563: return 11; // Dec
    default: return -1;
  }
}

/** Value of `len` ASCII digits at s[p], or -1. */
export function digitsAt(s: string, p: number, len: number): number {
  let v = 0;
  for (let i = 0; i < len; i++) {
    const d = s.charCodeAt(p + i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

function daysIn(y: number, m: number): number {
  if (m === 1) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 3 || m === 5 || m === 8 || m === 10 ? 30 : 31;
}

/** Epoch ms of a civil UTC time, or NaN when any part is out of range. m is 0-based. */
export function civilUtc(y: number, m: number, d: number, hh: number, mm: number, ss: number): number {
  if (y < 1970 || y > 9999 || m < 0 || m > 11 || d < 1 || d > daysIn(y, m)) return NaN;
  if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60) return NaN;
  return Date.UTC(y, m, d, hh, mm, Math.min(ss, 59));
}

/** Reads ".ddd…" at s[p]: sets `fracMs` and returns the index after it (p when absent). */
function fractionAt(s: string, p: number, out: { fracMs: number }): number {
  out.fracMs = 0;
  if (s.charCodeAt(p) !== 46) return p;
  let i = p + 1;
  let ms = 0;
  let n = 0;
  for (;;) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9 || n >= 9) break;
    if (n < 3) ms = ms * 10 + d;
    n++;
    i++;
  }
  if (n === 0) return -1;
  if (n === 1) ms *= 100;
  else if (n === 2) ms *= 10;
  out.fracMs = ms;
  return i;
}

/** ISO text of a whole second plus milliseconds, reusing the cached text of the second. */
function withMs(secIso: string, ms: number): string {
  return ms === 0 ? secIso : secIso.slice(0, 20) + MS3[ms]! + 'Z';
}

/**
 * BSD syslog `Mmm dd hh:mm:ss` (day space- or zero-padded, optional `.fff`). No year: the year of
 * `ref`, or the year before when that would put the time more than one day after `ref`.
 */
export class BsdClock {
  ts = 0;
  iso = '';
  fracMs = 0;
  private key = '';
  private cur = NaN;
  private prev = NaN;
  private curIso = '';
  private prevIso = '';
  private yStart = 1;
  private yEnd = 0;

  /** Parses at s[p]; returns the index after the timestamp or -1. */
  parseAt(s: string, p: number, ref: number): number {
    let end: number;
    if (this.key.length > 0 && s.startsWith(this.key, p)) {
      end = p + this.key.length;
      if (ref < this.yStart || ref >= this.yEnd) this.compute(s, p, end, ref);
    } else {
      end = this.scan(s, p);
      if (end < 0) return -1;
      this.key = s.slice(p, end);
      this.compute(s, p, end, ref);
    }
    const after = fractionAt(s, end, this);
    if (after < 0) return -1;
    let sec: number;
    let secIso: string;
    if (!(this.cur > ref + DAY) && this.cur === this.cur) {
      sec = this.cur;
      if (this.curIso === '') this.curIso = new Date(sec).toISOString();
      secIso = this.curIso;
    } else if (this.prev === this.prev) {
      sec = this.prev;
      if (this.prevIso === '') this.prevIso = new Date(sec).toISOString();
      secIso = this.prevIso;
    } else if (this.cur === this.cur) {
      sec = this.cur;
      if (this.curIso === '') this.curIso = new Date(sec).toISOString();
      secIso = this.curIso;
    } else {
      return -1;
    }
    this.ts = sec + this.fracMs;
    this.iso = withMs(secIso, this.fracMs);
    return after;
  }

  /** Validates the shape; returns the index after hh:mm:ss or -1. */
  private scan(s: string, p: number): number {
    if (monthAt(s, p) < 0 || s.charCodeAt(p + 3) !== 32) return -1;
    let q = p + 4;
    if (s.charCodeAt(q) === 32) q++;
    const d1 = s.charCodeAt(q) - 48;
    if (d1 < 0 || d1 > 9) return -1;
    q++;
    const d2 = s.charCodeAt(q) - 48;
    if (d2 >= 0 && d2 <= 9) q++;
    if (s.charCodeAt(q) !== 32) return -1;
    q++;
    if (s.charCodeAt(q + 2) !== 58 || s.charCodeAt(q + 5) !== 58) return -1;
    if (digitsAt(s, q, 2) < 0 || digitsAt(s, q + 3, 2) < 0 || digitsAt(s, q + 6, 2) < 0) return -1;
    return q + 8;
  }

  private compute(s: string, p: number, end: number, ref: number): void {
    const m = monthAt(s, p);
    let q = p + 4;
    if (s.charCodeAt(q) === 32) q++;
    const dayLen = end - 9 - q;
    const d = digitsAt(s, q, dayLen);
    const t = end - 8;
    const hh = digitsAt(s, t, 2);
    const mi = digitsAt(s, t + 3, 2);
    const ss = digitsAt(s, t + 6, 2);
    const refYear = new Date(ref).getUTCFullYear();
    this.yStart = Date.UTC(refYear, 0, 1);
    this.yEnd = Date.UTC(refYear + 1, 0, 1);
    if (!(ref === ref)) {
      this.yStart = 1;
      this.yEnd = 0;
    }
    this.cur = civilUtc(refYear, m, d, hh, mi, ss);
    this.prev = civilUtc(refYear - 1, m, d, hh, mi, ss);
    this.curIso = '';
    this.prevIso = '';
  }
}

/** RFC 3339 / ISO 8601 `YYYY-MM-DDTHH:MM:SS[.f+](Z|±HH:MM)` as rsyslog and RFC 5424 write it. */
export class Rfc3339Clock {
  ts = 0;
  iso = '';
  fracMs = 0;
  private head = ''; // 'YYYY-MM-DDTHH:MM:SS'
  private zone = ''; // 'Z' or '+01:00'
  private sec = 0;
  private secIso = '';

  /** Parses at s[p]; returns the index after the timestamp or -1. */
  parseAt(s: string, p: number): number {
    const after = fractionAt(s, p + 19, this);
    if (after < 0) return -1;
    const zc = s.charCodeAt(after);
    let zoneEnd: number;
    if (zc === 90 || zc === 122) zoneEnd = after + 1;
    else if (zc === 43 || zc === 45) zoneEnd = s.charCodeAt(after + 3) === 58 ? after + 6 : after + 5;
    else return -1;
    if (!(this.head.length > 0 && s.startsWith(this.head, p) && s.startsWith(this.zone, after) && zoneEnd - after === this.zone.length)) {
      if (!this.compute(s, p, after, zoneEnd)) return -1;
    }
    this.ts = this.sec + this.fracMs;
    this.iso = withMs(this.secIso, this.fracMs);
    return zoneEnd;
  }

  private compute(s: string, p: number, after: number, zoneEnd: number): boolean {
    if (s.charCodeAt(p + 4) !== 45 || s.charCodeAt(p + 7) !== 45 || s.charCodeAt(p + 13) !== 58 || s.charCodeAt(p + 16) !== 58) return false;
    const t = s.charCodeAt(p + 10);
    if (t !== 84 && t !== 116) return false;
    let off = 0;
    if (zoneEnd - after > 1) {
      const oh = digitsAt(s, after + 1, 2);
      const om = digitsAt(s, zoneEnd - 2, 2);
      if (oh < 0 || om < 0 || oh > 23 || om > 59) return false;
      off = (oh * 60 + om) * 60_000 * (s.charCodeAt(after) === 45 ? -1 : 1);
    }
    const local = civilUtc(digitsAt(s, p, 4), digitsAt(s, p + 5, 2) - 1, digitsAt(s, p + 8, 2), digitsAt(s, p + 11, 2), digitsAt(s, p + 14, 2), digitsAt(s, p + 17, 2));
    const sec = local - off;
    if (!(sec >= 0 && sec <= MAX_TS - 999)) return false;
    this.head = s.slice(p, p + 19);
    this.zone = s.slice(after, zoneEnd);
    this.sec = sec;
    this.secIso = new Date(sec).toISOString();
    return true;
  }
}

/** A reader for a timestamp captured by a content pattern (the whole string is the timestamp). */
export interface TokenClock {
  ts: number;
  iso: string;
  parse(s: string, ref: number): boolean;
}

export function createTokenClock(format: TimestampFormat): TokenClock {
  switch (format) {
    case 'bsd': {
      const c = new BsdClock();
      return { ts: 0, iso: '', parse(s, ref) { if (c.parseAt(s, 0, ref) !== s.length) return false; this.ts = c.ts; this.iso = c.iso; return true; } };
    }
    case 'rfc3339': {
      const c = new Rfc3339Clock();
      return { ts: 0, iso: '', parse(s) { if (s.length < 20 || c.parseAt(s, 0) !== s.length) return false; this.ts = c.ts; this.iso = c.iso; return true; } };
    }
    case 'unix':
    case 'unix_ms':
      return {
        ts: 0,
        iso: '',
        parse(s) {
          if (!/^\d{1,13}(\.\d{1,9})?$/.test(s)) return false;
          const ms = Math.floor(format === 'unix' ? Number(s) * 1000 : Number(s));
          if (!(ms >= 0 && ms <= MAX_TS)) return false;
          this.ts = ms;
          this.iso = new Date(ms).toISOString();
          return true;
        },
      };
    default:
      return new CachedTokenClock(format);
  }
}

/** clf / nginx_error / apache_error: cache keyed by the text without its fraction. */
class CachedTokenClock implements TokenClock {
  ts = 0;
  iso = '';
  fracMs = 0;
  private key = '';
  private sec = 0;
  private secIso = '';
  constructor(private readonly format: 'clf' | 'nginx_error' | 'apache_error') {}

  parse(s: string): boolean {
    let key = s;
    this.fracMs = 0;
    if (this.format === 'apache_error' && s.length > 24) {
      // 'Wed Oct 11 14:32:52.123456 2000': the fraction sits before the year
      const end = fractionAt(s, 19, this);
      if (end < 0) return false;
      key = s.slice(0, 19) + s.slice(end);
    }
    if (key !== this.key) {
      const sec = this.read(key);
      if (!(sec >= 0 && sec <= MAX_TS - 999)) return false;
      this.key = key;
      this.sec = sec;
      this.secIso = new Date(sec).toISOString();
    }
    this.ts = this.sec + this.fracMs;
    this.iso = withMs(this.secIso, this.fracMs);
    return true;
  }

  private read(s: string): number {
    if (this.format === 'clf') {
      // 06/Oct/2026:00:00:01 +0000
      if (s.length !== 26 || s.charCodeAt(2) !== 47 || s.charCodeAt(6) !== 47 || s.charCodeAt(11) !== 58 || s.charCodeAt(20) !== 32) return NaN;
      const sign = s.charCodeAt(21);
      if (sign !== 43 && sign !== 45) return NaN;
      const oh = digitsAt(s, 22, 2);
      const om = digitsAt(s, 24, 2);
      if (oh < 0 || om < 0 || oh > 23 || om > 59) return NaN;
      const off = (oh * 60 + om) * 60_000 * (sign === 45 ? -1 : 1);
      return civilUtc(digitsAt(s, 7, 4), monthAt(s, 3), digitsAt(s, 0, 2), digitsAt(s, 12, 2), digitsAt(s, 15, 2), digitsAt(s, 18, 2)) - off;
    }
    if (this.format === 'nginx_error') {
      // 2026/10/06 00:00:01
      if (s.length !== 19 || s.charCodeAt(4) !== 47 || s.charCodeAt(7) !== 47 || s.charCodeAt(10) !== 32 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return NaN;
      return civilUtc(digitsAt(s, 0, 4), digitsAt(s, 5, 2) - 1, digitsAt(s, 8, 2), digitsAt(s, 11, 2), digitsAt(s, 14, 2), digitsAt(s, 17, 2));
    }
    // Sun Dec 04 04:47:44 2005
    if (s.length !== 24 || s.charCodeAt(3) !== 32 || s.charCodeAt(7) !== 32 || s.charCodeAt(10) !== 32 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58 || s.charCodeAt(19) !== 32) return NaN;
    const d = s.charCodeAt(8) === 32 ? digitsAt(s, 9, 1) : digitsAt(s, 8, 2);
    return civilUtc(digitsAt(s, 20, 4), monthAt(s, 4), d, digitsAt(s, 11, 2), digitsAt(s, 14, 2), digitsAt(s, 17, 2));
  }
}
