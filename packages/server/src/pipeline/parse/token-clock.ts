import { BsdClock, civilUtc, digitsAt, fractionMs, MAX_TS, monthAt, Rfc3339Clock, withMs } from './timestamps.js';

/** Timestamp formats a content pattern may name for its `timestamp` group. */
export const TIMESTAMP_FORMATS = ['bsd', 'rfc3339', 'clf', 'nginx_error', 'apache_error', 'unix', 'unix_ms'] as const;
export type TimestampFormat = (typeof TIMESTAMP_FORMATS)[number];

const BSD_TOKEN = /^([A-Z][a-z]{2} [ \d]?\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?$/;
const RFC3339_TOKEN = /^(\d{4}-\d\d-\d\d)[Tt ](\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?([Zz]|[+-]\d\d:?\d\d)$/;

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
      return {
        ts: 0,
        iso: '',
        parse(s, ref) {
          const m = BSD_TOKEN.exec(s);
          if (m === null || !c.parse(m[1]!, m[2]!, m[3], ref)) return false;
          this.ts = c.ts;
          this.iso = c.iso;
          return true;
        },
      };
    }
    case 'rfc3339': {
      const c = new Rfc3339Clock();
      return {
        ts: 0,
        iso: '',
        parse(s) {
          const m = RFC3339_TOKEN.exec(s);
          if (m === null || !c.parse(m[1]!, m[2]!, m[3], m[4]!)) return false;
          this.ts = c.ts;
          this.iso = c.iso;
          return true;
        },
      };
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
  private fracMs = 0;
  private key = '';
  private sec = 0;
  private secIso = '';
  constructor(private readonly format: 'clf' | 'nginx_error' | 'apache_error') {}

  parse(s: string): boolean {
    let key = s;
    this.fracMs = 0;
    if (this.format === 'apache_error' && s.length > 24) {
      // 'Wed Oct 11 14:32:52.123456 2000': the fraction sits before the year
      const space = s.indexOf(' ', 20);
      if (s.charCodeAt(19) !== 46 || space < 0) return false;
      this.fracMs = fractionMs(s.slice(20, space));
      if (this.fracMs < 0) return false;
      key = s.slice(0, 19) + s.slice(space);
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
