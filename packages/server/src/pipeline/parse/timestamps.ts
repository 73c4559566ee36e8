/**
 * Timestamp readers for log formats. Every reader keeps a one-entry cache keyed by the
 * whole-second text, because consecutive lines almost always share their second: the cache turns
 * date arithmetic and `toISOString` into one string comparison. Sub-second digits are added to
 * the cached second. Readers are stateful (the cache), so each parser owns its own instances.
 * Zone-less formats (nginx/apache error logs) are read as UTC.
 */

const DAY = 86_400_000;
/** 1970-01-01 .. 9999-12-31: outside it `toISOString` leaves the 4-digit-year form. */
export const MAX_TS = 253_402_300_799_999;
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

/** Milliseconds of a fraction's digits ("1" → 100, "123456" → 123), or -1 when not digits. */
export function fractionMs(f: string): number {
  const n = f.length;
  if (n === 0 || n > 9) return -1;
  let ms = 0;
  for (let i = 0; i < 3; i++) {
    const d = i < n ? f.charCodeAt(i) - 48 : 0;
    if (d < 0 || d > 9) return -1;
    ms = ms * 10 + d;
  }
  for (let i = 3; i < n; i++) {
    const d = f.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
  }
  return ms;
}

/** ISO text of a whole second plus milliseconds, reusing the cached text of the second. */
export function withMs(secIso: string, ms: number): string {
  return ms === 0 ? secIso : secIso.slice(0, 20) + MS3[ms]! + 'Z';
}

/**
 * BSD syslog time `Mmm dd hh:mm:ss` (day space- or zero-padded) plus an optional fraction. No
 * year: the year of `ref`, or the year before when that would put the time more than one day
 * after `ref`. Most lines of a busy log differ in their second, so besides the whole-second cache
 * the day is cached too: a new second costs a few digit reads and a concatenation, no Date object.
 */
export class BsdClock {
  ts = 0;
  iso = '';
  private day = '';
  private time = '';
  private keyTs = NaN;
  private keyIso = '';
  // refs for which the cached key keeps its year decision
  private validFrom = 1;
  private validTo = 0;
  // day cache: 'Oct  6' → start of that day in the ref year and the year before
  private dayKey = '';
  private dayCur = NaN;
  private dayPrev = NaN;
  private isoCur = '';
  private isoPrev = '';
  private yStart = 1;
  private yEnd = 0;
  private year = 0;

  /**
   * `day` is 'Mmm dd' (or 'Mmm d'), `time` 'hh:mm:ss', `frac` the digits after its '.', if any.
   * Passed in parts because strings under 13 chars are flat copies in V8: comparing them with the
   * cached parts is much cheaper than comparing one 15-char slice of the line.
   */
  parse(day: string, time: string, frac: string | undefined, ref: number): boolean {
    if (!(time === this.time && day === this.day && ref >= this.validFrom && ref < this.validTo) && !this.compute(day, time, ref)) return false;
    if (frac === undefined) {
      this.ts = this.keyTs;
      this.iso = this.keyIso;
      return true;
    }
    const ms = fractionMs(frac);
    if (ms < 0) return false;
    this.ts = this.keyTs + ms;
    this.iso = withMs(this.keyIso, ms);
    return true;
  }

  private compute(day: string, time: string, ref: number): boolean {
    const n = day.length;
    if (n < 5 || n > 6 || day.charCodeAt(3) !== 32 || time.length !== 8 || time.charCodeAt(2) !== 58 || time.charCodeAt(5) !== 58) return false;
    const hh = digitsAt(time, 0, 2);
    const mi = digitsAt(time, 3, 2);
    const ss = digitsAt(time, 6, 2);
    if (hh < 0 || hh > 23 || mi < 0 || mi > 59 || ss < 0 || ss > 60) return false;
    if (!(ref >= this.yStart && ref < this.yEnd)) {
      if (!(ref === ref)) return false;
      this.year = new Date(ref).getUTCFullYear();
      this.yStart = Date.UTC(this.year, 0, 1);
      this.yEnd = Date.UTC(this.year + 1, 0, 1);
      this.dayKey = '';
    }
    if (day !== this.dayKey) {
      const m = monthAt(day, 0);
      const d = day.charCodeAt(4) === 32 ? digitsAt(day, 5, 1) : digitsAt(day, 4, n - 4);
      this.dayCur = civilUtc(this.year, m, d, 0, 0, 0);
      this.dayPrev = civilUtc(this.year - 1, m, d, 0, 0, 0);
      this.isoCur = this.dayCur === this.dayCur ? new Date(this.dayCur).toISOString().slice(0, 11) : '';
      this.isoPrev = this.dayPrev === this.dayPrev ? new Date(this.dayPrev).toISOString().slice(0, 11) : '';
      this.dayKey = day;
    }
    const tod = hh * 3_600_000 + mi * 60_000 + Math.min(ss, 59) * 1000;
    const cur = this.dayCur + tod;
    let ts = cur;
    let prefix = this.isoCur;
    // a time more than a day ahead of ref belongs to last year (so does Feb 29 absent this year)
    if (!(cur <= ref + DAY) && this.dayPrev === this.dayPrev) {
      ts = this.dayPrev + tod;
      prefix = this.isoPrev;
      this.validFrom = this.yStart;
      this.validTo = cur === cur ? Math.min(this.yEnd, cur - DAY) : this.yEnd;
    } else {
      this.validFrom = Math.max(this.yStart, cur - DAY);
      this.validTo = this.yEnd;
    }
    if (!(ts === ts)) {
      this.time = '';
      return false;
    }
    this.day = day;
    this.time = time;
    this.keyTs = ts;
    this.keyIso = ss === 60 ? new Date(ts).toISOString() : prefix + time + '.000Z';
    return true;
  }
}

/** RFC 3339 time as rsyslog and RFC 5424 write it, given as its parts. */
export class Rfc3339Clock {
  ts = 0;
  iso = '';
  private date = '';
  private time = '';
  private zone = '';
  private sec = 0;
  private secIso = '';

  /** `date` 'YYYY-MM-DD', `time` 'HH:MM:SS', `frac` the digits after '.', `zone` 'Z' | '±HH:MM' | '±HHMM'. */
  parse(date: string, time: string, frac: string | undefined, zone: string): boolean {
    if (!(time === this.time && date === this.date && zone === this.zone) && !this.compute(date, time, zone)) return false;
    if (frac === undefined) {
      this.ts = this.sec;
      this.iso = this.secIso;
      return true;
    }
    const ms = fractionMs(frac);
    if (ms < 0) return false;
    this.ts = this.sec + ms;
    this.iso = withMs(this.secIso, ms);
    return true;
  }

  private compute(date: string, time: string, zone: string): boolean {
    if (date.length !== 10 || date.charCodeAt(4) !== 45 || date.charCodeAt(7) !== 45 || time.length !== 8 || time.charCodeAt(2) !== 58 || time.charCodeAt(5) !== 58) return false;
    let off = 0;
    const z = zone.charCodeAt(0);
    if (zone.length === 1) {
      if (z !== 90 && z !== 122) return false;
    } else {
      if ((z !== 43 && z !== 45) || (zone.length !== 6 && zone.length !== 5) || (zone.length === 6 && zone.charCodeAt(3) !== 58)) return false;
      const oh = digitsAt(zone, 1, 2);
      const om = digitsAt(zone, zone.length - 2, 2);
      if (oh < 0 || om < 0 || oh > 23 || om > 59) return false;
      off = (oh * 60 + om) * 60_000 * (z === 45 ? -1 : 1);
    }
    const sec = civilUtc(digitsAt(date, 0, 4), digitsAt(date, 5, 2) - 1, digitsAt(date, 8, 2), digitsAt(time, 0, 2), digitsAt(time, 3, 2), digitsAt(time, 6, 2)) - off;
    if (!(sec >= 0 && sec <= MAX_TS - 999)) return false;
    this.date = date;
    this.time = time;
    this.zone = zone;
    this.sec = sec;
    this.secIso = new Date(sec).toISOString();
    return true;
  }
}
