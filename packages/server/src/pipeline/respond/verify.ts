import { prepareValue } from './ban-batch.js';
import { formatIpOrCidr, parseIpOrCidr, type Cidr } from '@dio/protocol';
import { cidrContains, compareCidr, outermost } from './cidr.js';
import type { BanEntry, Firewall, VerifyResult } from './port.js';

/**
 * Compares what the firewall holds (read back from the kernel) with what should be banned, in
 * canonical forms (IPv6 compressed lowercase, /32 and /128 as bare addresses, host bits cleared).
 * An expected entry inside a broader entry that is present counts as present: its packets are
 * dropped, and nftables interval sets can only hold the broader one. Expected entries whose
 * expiry has passed are ignored (the kernel has dropped them by now). Invalid expected values are
 * reported as missing, never thrown, so one bad decision cannot hide the state of the rest.
 */
export async function verifyFirewall(fw: Firewall, expected: readonly BanEntry[], now = Date.now()): Promise<VerifyResult> {
  return compareBans(await fw.list(), expected, now);
}

/** The pure comparison behind verifyFirewall (also used by tests on canned listings). */
export function compareBans(present: readonly string[], expected: readonly BanEntry[], now: number): VerifyResult {
  const have = new Map<string, Cidr>();
  const unreadable: string[] = [];
  for (const v of present) {
    const c = parseIpOrCidr(v);
    if (c) have.set(formatIpOrCidr(c), c);
    else unreadable.push(v);
  }
  const want = new Map<string, Cidr>();
  const missing = new Set<string>();
  for (const e of expected) {
    if (typeof e.expiresAt === 'number' && e.expiresAt <= now) continue;
    try {
      const p = prepareValue(e.value);
      want.set(p.value, p.cidr);
    } catch {
      missing.add(String(e.value));
    }
  }
  // outermost entries are disjoint and sorted, so the only candidate container of an address is
  // the last one starting at or before it: binary search keeps 65k × 65k checks cheap
  const outer = outermost([...have.values()].map((cidr) => ({ cidr }))).outer.map((o) => o.cidr);
  const covered = (c: Cidr): boolean => {
    let lo = 0;
    let hi = outer.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (compareCidr(outer[mid]!, c) <= 0) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best !== -1 && cidrContains(outer[best]!, c);
  };
  for (const [v, c] of want) if (!have.has(v) && !covered(c)) missing.add(v);
  const unexpected = [...unreadable];
  for (const v of have.keys()) if (!want.has(v)) unexpected.push(v);
  return { ok: missing.size === 0 && unexpected.length === 0, missing: [...missing].sort(), unexpected: unexpected.sort() };
}
