import { isIPv4 } from '@dio/protocol';

/**
 * Ban targets as numbers, so every adapter and the verifier agree on one spelling of an entry and
 * can tell whether one range contains another (nftables interval sets refuse nested ranges).
 * Canonical text: IPv4 dotted quad, IPv6 RFC 5952 (lowercase, longest zero run compressed),
 * host bits cleared, and /32 or /128 written as the bare address. IPv4-mapped IPv6
 * (::ffff:a.b.c.d) becomes IPv4, because such packets reach the firewall as IPv4.
 */
export interface Cidr {
  family: 4 | 6;
  /** Network address (host bits cleared). */
  addr: bigint;
  prefix: number;
}

const V4_MAPPED = 0xffffn << 32n;
const MAX_TEXT = 64;

function bitsOf(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

function parseV4(s: string): bigint | null {
  if (!isIPv4(s)) return null;
  let n = 0;
  for (const part of s.split('.')) n = n * 256 + Number(part);
  return BigInt(n);
}

function parseV6(s: string): bigint | null {
  if (s.length < 2 || s.length > 45 || !/^[0-9a-fA-F:.]+$/.test(s)) return null;
  let text = s;
  if (s.includes('.')) {
    // an IPv4 tail fills the last two groups: rewrite it as two hex groups
    const cut = s.lastIndexOf(':');
    const tail = parseV4(s.slice(cut + 1));
    if (tail === null) return null;
    text = `${s.slice(0, cut + 1)}${(tail >> 16n).toString(16)}:${(tail & 0xffffn).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (h: string): string[] | null => {
    if (h === '') return [];
    const g = h.split(':');
    return g.every((x) => /^[0-9a-fA-F]{1,4}$/.test(x)) ? g : null;
  };
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === null || rest === null) return null;
  const count = head.length + rest.length;
  if (halves.length === 1 ? count !== 8 : count > 7) return null;
  const all = [...head, ...Array<string>(8 - count).fill('0'), ...rest];
  let n = 0n;
  for (const g of all) n = (n << 16n) | BigInt(parseInt(g, 16));
  return n;
}

/** Parses an address or CIDR; null when it is not one. Host bits are cleared. */
export function parseCidr(value: string): Cidr | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_TEXT) return null;
  const slash = value.indexOf('/');
  const addrText = slash === -1 ? value : value.slice(0, slash);
  let prefix: number | null = null;
  if (slash !== -1) {
    const bits = value.slice(slash + 1);
    if (!/^\d{1,3}$/.test(bits)) return null;
    prefix = Number(bits);
  }
  let family: 4 | 6 = 4;
  let addr = parseV4(addrText);
  if (addr === null) {
    addr = parseV6(addrText);
    family = 6;
  }
  if (addr === null) return null;
  const max = bitsOf(family);
  const p = prefix ?? max;
  if (p > max) return null;
  if (family === 6 && p >= 96 && addr >> 32n === V4_MAPPED >> 32n) {
    return normalise({ family: 4, addr: addr & 0xffffffffn, prefix: p - 96 });
  }
  return normalise({ family, addr, prefix: p });
}

function normalise(c: Cidr): Cidr {
  const host = bitsOf(c.family) - c.prefix;
  return { family: c.family, addr: (c.addr >> BigInt(host)) << BigInt(host), prefix: c.prefix };
}

function formatV6(n: bigint): string {
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((n >> BigInt(i * 16)) & 0xffffn));
  let bestAt = -1;
  let bestLen = 1; // RFC 5952: a single zero group is never compressed
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestAt === -1) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`;
}

export function formatCidr(c: Cidr): string {
  const addr =
    c.family === 4 ? [24n, 16n, 8n, 0n].map((s) => String((c.addr >> s) & 0xffn)).join('.') : formatV6(c.addr);
  return c.prefix === bitsOf(c.family) ? addr : `${addr}/${c.prefix}`;
}

/** Canonical text of an address or CIDR, or null when it is not one. */
export function canonicalBan(value: string): string | null {
  const c = parseCidr(value);
  return c === null ? null : formatCidr(c);
}

/** Last address of the range. */
export function cidrEnd(c: Cidr): bigint {
  return c.addr | ((1n << BigInt(bitsOf(c.family) - c.prefix)) - 1n);
}

export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return outer.family === inner.family && outer.prefix <= inner.prefix && inner.addr >= outer.addr && inner.addr <= cidrEnd(outer);
}

/** Smallest list of CIDRs that exactly covers [start, end] (for ranges added by hand). */
export function rangeToCidrs(family: 4 | 6, start: bigint, end: bigint, limit = 256): Cidr[] {
  const out: Cidr[] = [];
  const max = bitsOf(family);
  let cur = start;
  while (cur <= end && out.length < limit) {
    let size = max;
    // grow the block while it stays aligned at `cur` and inside the range
    while (size > 0) {
      const host = BigInt(max - size + 1);
      const mask = (1n << host) - 1n;
      if ((cur & mask) !== 0n || cur + mask > end) break;
      size--;
    }
    out.push({ family, addr: cur, prefix: size });
    cur = cur + (1n << BigInt(max - size));
  }
  return out;
}

/**
 * Splits CIDRs into those not inside any other (what an interval set can hold) and the nested
 * rest. CIDRs are either nested or disjoint, so one sweep in address order finds them.
 */
export function outermost<T extends { cidr: Cidr }>(items: readonly T[]): { outer: T[]; nested: T[] } {
  const sorted = [...items].sort((a, b) => {
    if (a.cidr.family !== b.cidr.family) return a.cidr.family - b.cidr.family;
    if (a.cidr.addr !== b.cidr.addr) return a.cidr.addr < b.cidr.addr ? -1 : 1;
    return a.cidr.prefix - b.cidr.prefix;
  });
  const outer: T[] = [];
  const nested: T[] = [];
  let last: T | undefined;
  for (const item of sorted) {
    if (last !== undefined && cidrContains(last.cidr, item.cidr)) nested.push(item);
    else {
      outer.push(item);
      last = item;
    }
  }
  return { outer, nested };
}
