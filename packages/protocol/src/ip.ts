import { z } from 'zod';

/**
 * IP and CIDR validation without Node dependencies, so the dashboard and agent share it.
 * Canonicalisation (compressing IPv6, stripping IPv4-mapped prefixes) lives in the server's
 * shared/ip module, which has the full parser; these schemas only accept or refuse.
 */
const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIPv4(s: string): boolean {
  return s.length <= 15 && V4.test(s);
}

export function isIPv6(s: string): boolean {
  if (s.length < 2 || s.length > 45) return false;
  let head = s;
  let tailGroups = 0;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.')) {
    // embedded IPv4 tail, e.g. ::ffff:192.0.2.1
    if (!isIPv4(s.slice(lastColon + 1))) return false;
    head = s.slice(0, lastColon + 1) + '0';
    tailGroups = 1; // the v4 tail takes two groups; '0' stood in for one
  }
  const dbl = head.indexOf('::');
  if (dbl !== -1 && head.indexOf('::', dbl + 1) !== -1) return false;
  const parts = head.split(':');
  const groupRe = /^[0-9a-fA-F]{1,4}$/;
  let groups = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (p === '') {
      const atEdge = (i === 0 || i === parts.length - 1) && dbl !== -1;
      const inDouble = dbl !== -1;
      if (!inDouble && !atEdge) return false;
      continue;
    }
    if (!groupRe.test(p)) return false;
    groups++;
  }
  groups += tailGroups;
  if (dbl === -1) return groups === 8 && !head.startsWith(':') && !head.endsWith(':');
  if (head.startsWith(':') && !head.startsWith('::')) return false;
  if (head.endsWith(':') && !head.endsWith('::')) return false;
  return groups <= 7;
}

export function isIP(s: string): boolean {
  return isIPv4(s) || isIPv6(s);
}

export function isCIDR(s: string): boolean {
  const slash = s.indexOf('/');
  if (slash === -1) return false;
  const addr = s.slice(0, slash);
  const bits = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return false;
  const n = Number(bits);
  if (isIPv4(addr)) return n <= 32;
  if (isIPv6(addr)) return n <= 128;
  return false;
}

export const IpSchema = z.string().max(45).refine(isIP, { message: 'not a valid IPv4 or IPv6 address' });
export const CidrSchema = z.string().max(49).refine(isCIDR, { message: 'not a valid CIDR range (address/prefix)' });
export const IpOrCidrSchema = z.string().max(49).refine((s) => isIP(s) || isCIDR(s), { message: 'not a valid IP address or CIDR range' });
