import { AppError } from './app-error.js';
import { canonicalIp, formatCidr, isV4Mapped, parseIpOrCidr, parseIpv4, parseIpv6, type Cidr } from '@dio/protocol';

const W = new Uint32Array(4);
const MAPPED_LO = 0xffffn << 32n;
const MAPPED_HI = MAPPED_LO | 0xffffffffn;
const MAX_ENTRY = 64;

/**
 * A set of addresses given as IPs and CIDR ranges, v4 and v6 mixed (it backs the never-ban
 * allowlist). Members are merged into sorted disjoint intervals, one table per family, so `has`
 * is a parse plus a binary search with no allocation, whatever the mix of prefix lengths.
 *
 * Same address model as @dio/protocol's ip-parse: ::ffff:a.b.c.d is a.b.c.d, so a v6 member covering part of
 * ::ffff:0:0/96 (::/0 does) also contains those IPv4 addresses.
 */
export class IpSet {
  readonly #members: readonly string[];
  /** v4 intervals: inclusive [start, end] pairs, sorted, disjoint, non-adjacent. */
  readonly #v4s: Uint32Array;
  readonly #v4e: Uint32Array;
  /** v6 intervals: 4 words per bound, same ordering. */
  readonly #v6s: Uint32Array;
  readonly #v6e: Uint32Array;

  /** @throws AppError `config.invalid_cidr` naming the first entry that is not an IP or CIDR. */
  constructor(entries: Iterable<string>) {
    const members = new Set<string>();
    const v4: [number, number][] = [];
    const v6: [bigint, bigint][] = [];
    for (const raw of entries) {
      const e = typeof raw === 'string' ? raw.trim() : '';
      const c = e.length <= MAX_ENTRY ? parseIpOrCidr(e) : undefined;
      if (c === undefined) {
        const shown = typeof raw === 'string' ? JSON.stringify(raw.slice(0, MAX_ENTRY)) : String(raw);
        throw new AppError('config.invalid_cidr', `not an IP address or CIDR range: ${shown}`, { status: 400, details: { entry: shown } });
      }
      members.add(e.includes('/') ? formatCidr(c) : (canonicalIp(e) ?? e));
      if (c.family === 4) {
        v4.push([c.base, c.last]);
        continue;
      }
      v6.push([c.base, c.last]);
      if (c.base <= MAPPED_HI && c.last >= MAPPED_LO) {
        const lo = c.base > MAPPED_LO ? c.base : MAPPED_LO;
        const hi = c.last < MAPPED_HI ? c.last : MAPPED_HI;
        v4.push([Number(lo - MAPPED_LO), Number(hi - MAPPED_LO)]);
      }
    }
    this.#members = [...members];
    const m4 = mergeIntervals(v4, (x) => x + 1);
    this.#v4s = Uint32Array.from(m4, (r) => r[0]);
    this.#v4e = Uint32Array.from(m4, (r) => r[1]);
    const m6 = mergeIntervals(v6, (x) => x + 1n);
    this.#v6s = new Uint32Array(m6.length * 4);
    this.#v6e = new Uint32Array(m6.length * 4);
    m6.forEach(([s, e], i) => {
      putWords(this.#v6s, i * 4, s);
      putWords(this.#v6e, i * 4, e);
    });
  }

  /** Number of distinct members (in canonical form) the set was built from. */
  get size(): number {
    return this.#members.length;
  }

  /** The members in canonical form: bare addresses stay addresses, ranges stay CIDRs. */
  entries(): IterableIterator<string> {
    return this.#members.values();
  }

  /** True when `ip` is a valid address inside any member; false for anything else. */
  has(ip: string): boolean {
    let v4 = parseIpv4(ip);
    if (v4 < 0) {
      if (!parseIpv6(ip, W)) return false;
      if (!isV4Mapped(W)) return overlaps6(this.#v6s, this.#v6e, W, W);
      v4 = W[3]!;
    }
    return overlaps4(this.#v4s, this.#v4e, v4, v4);
  }

  /**
   * True when any address of `range` (a CIDR, an address, or a parsed Cidr) is in the set: the
   * question "may this range be banned?" asks of an allowlist. Invalid input is false.
   */
  intersects(range: string | Cidr): boolean {
    const c = typeof range === 'string' ? parseIpOrCidr(range.trim()) : range;
    if (c === undefined) return false;
    if (c.family === 4) return overlaps4(this.#v4s, this.#v4e, c.base, c.last);
    const lo = new Uint32Array(4);
    const hi = new Uint32Array(4);
    putWords(lo, 0, c.base);
    putWords(hi, 0, c.last);
    if (overlaps6(this.#v6s, this.#v6e, lo, hi)) return true;
    if (c.base > MAPPED_HI || c.last < MAPPED_LO) return false;
    const a = c.base > MAPPED_LO ? c.base : MAPPED_LO;
    const b = c.last < MAPPED_HI ? c.last : MAPPED_HI;
    return overlaps4(this.#v4s, this.#v4e, Number(a - MAPPED_LO), Number(b - MAPPED_LO));
  }
}

/** Does any interval intersect [lo, hi]? The last interval starting ≤ hi decides (they are disjoint). */
function overlaps4(starts: Uint32Array, ends: Uint32Array, lo: number, hi: number): boolean {
  let l = 0;
  let h = starts.length - 1;
  let at = -1;
  while (l <= h) {
    const mid = (l + h) >>> 1;
    if (starts[mid]! <= hi) {
      at = mid;
      l = mid + 1;
    } else h = mid - 1;
  }
  return at >= 0 && ends[at]! >= lo;
}

function overlaps6(starts: Uint32Array, ends: Uint32Array, lo: Uint32Array, hi: Uint32Array): boolean {
  let l = 0;
  let h = (starts.length >>> 2) - 1;
  let at = -1;
  while (l <= h) {
    const mid = (l + h) >>> 1;
    if (cmpWords(starts, mid * 4, hi) <= 0) {
      at = mid;
      l = mid + 1;
    } else h = mid - 1;
  }
  return at >= 0 && cmpWords(ends, at * 4, lo) >= 0;
}

/** Compares the 128-bit value at `arr[off..off+3]` with `w`: negative, 0 or positive. */
function cmpWords(arr: Uint32Array, off: number, w: Uint32Array): number {
  for (let k = 0; k < 4; k++) {
    const d = arr[off + k]! - w[k]!;
    if (d !== 0) return d;
  }
  return 0;
}

function putWords(arr: Uint32Array, off: number, v: bigint): void {
  arr[off] = Number((v >> 96n) & 0xffffffffn);
  arr[off + 1] = Number((v >> 64n) & 0xffffffffn);
  arr[off + 2] = Number((v >> 32n) & 0xffffffffn);
  arr[off + 3] = Number(v & 0xffffffffn);
}

/** Sorts and merges overlapping or adjacent inclusive intervals. */
function mergeIntervals<T extends number | bigint>(list: [T, T][], next: (x: T) => T): [T, T][] {
  list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: [T, T][] = [];
  for (const [s, e] of list) {
    const last = out[out.length - 1];
    if (last !== undefined && s <= next(last[1])) {
      if (e > last[1]) last[1] = e;
    } else out.push([s, e]);
  }
  return out;
}
