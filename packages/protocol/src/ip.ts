import { z } from 'zod';
import { parseCidr, parseIpv4, parseIpv6 } from './ip-parse.js';

/**
 * Validation for schemas shared with the agent and the dashboard. It is the same parser the
 * pipeline uses (ip-parse.ts), so what the API accepts is exactly what decide and the firewall
 * adapters can act on.
 */
const W = new Uint32Array(4);

export function isIPv4(s: string): boolean {
  return parseIpv4(s) >= 0;
}

export function isIPv6(s: string): boolean {
  return parseIpv6(s, W);
}

export function isIP(s: string): boolean {
  return isIPv4(s) || isIPv6(s);
}

export function isCIDR(s: string): boolean {
  return s.includes('/') && parseCidr(s) !== undefined;
}

export const IpSchema = z.string().max(45).refine(isIP, { message: 'not a valid IPv4 or IPv6 address' });
export const CidrSchema = z.string().max(49).refine(isCIDR, { message: 'not a valid CIDR range (address/prefix)' });
export const IpOrCidrSchema = z.string().max(49).refine((s) => isIP(s) || isCIDR(s), { message: 'not a valid IP address or CIDR range' });
