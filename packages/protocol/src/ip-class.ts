import type { IpClass } from './event.js';

/**
 * Address classes from the IANA IPv4/IPv6 special-purpose address registries. A range whose
 * "globally reachable" column is true (AS112, AMT, NAT64 64:ff9b::/96, ORCHIDv2, …) is public;
 * other special ranges are `reserved` unless a more telling class exists. Integer compares
 * only: these run once per distinct address, but on every cache miss of the enrich stage.
 */
export function ipv4Class(n: number): IpClass {
  const a = n >>> 24;
  const b = (n >>> 16) & 255;
  switch (a) {
    case 0:
      return n === 0 ? 'unspecified' : 'reserved';
    case 10:
      return 'private';
    case 100:
      return b >= 64 && b <= 127 ? 'cgnat' : 'public';
    case 127:
      return 'loopback';
    case 169:
      return b === 254 ? 'link_local' : 'public';
    case 172:
      return b >= 16 && b <= 31 ? 'private' : 'public';
    case 192: {
      if (b === 168) return 'private';
      const c24 = n >>> 8;
      if (c24 === 0xc00002) return 'documentation'; // 192.0.2.0/24
      if (c24 === 0xc00000) {
        // 192.0.0.0/24 IETF assignments; .9 (PCP anycast) and .10 (TURN anycast) are global
        const d = n & 255;
        return d === 9 || d === 10 ? 'public' : 'reserved';
      }
      if (c24 === 0xc05863) return 'reserved'; // 192.88.99.0/24, deprecated 6to4 relay anycast
      return 'public';
    }
    case 198:
      if (b === 18 || b === 19) return 'reserved'; // 198.18.0.0/15 benchmarking
      return n >>> 8 === 0xc63364 ? 'documentation' : 'public'; // 198.51.100.0/24
    case 203:
      return n >>> 8 === 0xcb0071 ? 'documentation' : 'public'; // 203.0.113.0/24
  }
  if (a >= 224) return a < 240 ? 'multicast' : 'reserved'; // 240/4 and 255.255.255.255
  return 'public';
}

/** Class of an IPv6 address given as four big-endian 32-bit words. */
export function ipv6Class(w0: number, w1: number, w2: number, w3: number): IpClass {
  const h = w0 >>> 16;
  if ((h & 0xe000) === 0x2000) return globalUnicastClass(w0, w1, w2, w3);
  if ((h & 0xfe00) === 0xfc00) return 'private'; // fc00::/7 unique local
  if ((h & 0xffc0) === 0xfe80) return 'link_local'; // fe80::/10
  if (h >= 0xff00) return 'multicast'; // ff00::/8
  if (w0 === 0 && w1 === 0) {
    if (w2 === 0) {
      if (w3 === 0) return 'unspecified';
      if (w3 === 1) return 'loopback';
      return 'reserved'; // deprecated IPv4-compatible ::/96
    }
    if (w2 === 0xffff) return ipv4Class(w3); // ::ffff:0:0/96 is IPv4
    return 'reserved';
  }
  // 64:ff9b::/96 (NAT64 well-known prefix) is globally reachable; 64:ff9b:1::/48 is not
  if (w0 === 0x0064ff9b && w1 === 0 && w2 === 0) return 'public';
  // Everything else outside 2000::/3 is unassigned or special (100::/64 discard, fec0::/10
  // deprecated site-local, 5f00::/16 SRv6 SIDs, …): never a public Internet source.
  return 'reserved';
}

function globalUnicastClass(w0: number, w1: number, w2: number, w3: number): IpClass {
  const h = w0 >>> 16;
  const l = w0 & 0xffff;
  if (h === 0x2001) {
    if (l === 0x0db8) return 'documentation'; // 2001:db8::/32
    if (l < 0x0200) {
      // 2001::/23 IETF protocol assignments, with globally reachable exceptions
      if (l === 1 && w1 === 0 && w2 === 0 && w3 >= 1 && w3 <= 3) return 'public'; // 2001:1::1-3
      if (l === 3) return 'public'; // 2001:3::/32 AMT
      if (l === 4 && w1 >>> 16 === 0x0112) return 'public'; // 2001:4:112::/48 AS112-v6
      if (l >= 0x20 && l <= 0x3f) return 'public'; // 2001:20::/28 ORCHIDv2, 2001:30::/28 DRIP
      return 'reserved';
    }
    return 'public';
  }
  if (h === 0x3fff && l < 0x1000) return 'documentation'; // 3fff::/20 (RFC 9637)
  return 'public';
}
