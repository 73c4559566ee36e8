/**
 * Naive reference implementations (BigInt over one 128-bit space, WHATWG URL for IPv6 text) that
 * the fast code in ip.ts / ip-set.ts is property-tested against. Test-only.
 */
import { isIPv4, isIPv6 } from 'node:net';

export const MAPPED = 0xffffn << 32n;

/** Address → 128-bit value with IPv4 at ::ffff:a.b.c.d, or undefined. */
export function refValue(ip: string): bigint | undefined {
  if (isIPv4(ip)) {
    const p = ip.split('.');
    if (p.some((o) => o.length > 1 && o.startsWith('0'))) return undefined;
    return MAPPED + p.reduce((acc, o) => acc * 256n + BigInt(o), 0n);
  }
  if (!isIPv6(ip) || ip.includes('%')) return undefined;
  const host = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  const [head = '', tail] = host.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined ? [] : tail === '' ? [] : tail.split(':');
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** Canonical text the slow way: URL's RFC 5952-style serialisation, v4-mapped → dotted quad. */
export function refCanonical(ip: string): string | undefined {
  const v = refValue(ip);
  if (v === undefined) return undefined;
  if (v >> 32n === 0xffffn) return refFormat4(Number(v & 0xffffffffn));
  if (isIPv4(ip)) return ip;
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

export function refFormat4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** `addr/bits` or a bare address → [first, last] in the 128-bit space, or undefined. */
export function refRange(s: string): [bigint, bigint] | undefined {
  const [addr = '', bitsText, extra] = s.split('/');
  if (extra !== undefined) return undefined;
  const v = refValue(addr);
  if (v === undefined) return undefined;
  const isV4 = isIPv4(addr);
  let bits = isV4 ? 128 : 128;
  if (bitsText !== undefined) {
    if (!/^\d{1,3}$/.test(bitsText)) return undefined;
    const b = Number(bitsText);
    if (b > (isV4 ? 32 : 128)) return undefined;
    bits = isV4 ? b + 96 : b;
  }
  const host = (1n << BigInt(128 - bits)) - 1n;
  const first = v & ~host;
  return [first, first | host];
}

export function refHas(members: string[], ip: string): boolean {
  const v = refValue(ip);
  if (v === undefined) return false;
  return members.some((m) => {
    const r = refRange(m);
    return r !== undefined && v >= r[0] && v <= r[1];
  });
}
