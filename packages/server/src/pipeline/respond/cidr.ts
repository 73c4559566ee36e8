import { cidrOf, type Cidr } from '@dio/protocol';

/**
 * Range arithmetic the firewall adapters need on top of @dio/protocol's ip-parse, which parses, canonicalises and
 * prints every ban value (parseIpOrCidr / formatIpOrCidr). Containment here is per family, unlike
 * @dio/protocol's address model where a v6 range over ::ffff:0:0/96 also holds IPv4 addresses: the
 * kernel keeps one set per family, and an entry in the IPv6 set never drops an IPv4 packet.
 */

/** Order of entries in listings and sweeps: family, then first address, then broader first. */
export function compareCidr(a: Cidr, b: Cidr): number {
  if (a.family !== b.family) return a.family - b.family;
  if (a.base !== b.base) return a.base < b.base ? -1 : 1;
  return a.bits - b.bits;
}

/** True when every address of `inner` is in `outer` and both are of one family. */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return outer.family === inner.family && outer.bits <= inner.bits && inner.base >= outer.base && inner.base <= outer.last;
}

const MAPPED = 0xffffn << 32n;

/**
 * Smallest list of CIDRs that exactly covers `first` to `last` (nft lists ranges added by hand
 * that way); at most `limit` of them, none when the ends are out of order. With one v6 end, an
 * IPv4 end counts as ::ffff:a.b.c.d and the blocks inside ::ffff:0:0/96 come back as IPv4.
 */
export function rangeToCidrs(first: Cidr, last: Cidr, limit = 256): Cidr[] {
  const family = first.family === 6 || last.family === 6 ? 6 : 4;
  const wide = (c: Cidr, at: number | bigint): bigint => (c.family < family ? MAPPED | BigInt(at) : BigInt(at));
  const out: Cidr[] = [];
  const max = family === 4 ? 32 : 128;
  const end = wide(last, last.last);
  let cur = wide(first, first.base);
  while (cur <= end && out.length < limit) {
    let size = max;
    // grow the block while it stays aligned at `cur` and inside the range
    while (size > 0) {
      const mask = (1n << BigInt(max - size + 1)) - 1n;
      if ((cur & mask) !== 0n || cur + mask > end) break;
      size--;
    }
    out.push(cidrOf(family, cur, size)!);
    cur += 1n << BigInt(max - size);
  }
  return out;
}

/**
 * Splits CIDRs into those not inside any other (what an interval set can hold) and the nested
 * rest. CIDRs are either nested or disjoint, so one sweep in address order finds them.
 */
export function outermost<T extends { cidr: Cidr }>(items: readonly T[]): { outer: T[]; nested: T[] } {
  const sorted = [...items].sort((a, b) => compareCidr(a.cidr, b.cidr));
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
