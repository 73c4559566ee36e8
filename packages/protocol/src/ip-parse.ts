import type { IpClass } from './event.js';
import { ipv4Class, ipv6Class } from './ip-class.js';

/**
 * IP parsing, canonical forms and CIDR membership for every stage. These run per event, so the
 * parsers are hand-written char loops (no regex, no split): IPv4 is one unsigned 32-bit number,
 * IPv6 four unsigned 32-bit words, BigInt appears only in a v6 Cidr's base/last (config time).
 *
 * One address model throughout: the IPv4-mapped IPv6 address ::ffff:a.b.c.d IS the IPv4 address
 * a.b.c.d (dual-stack sockets report v4 peers that way). canonicalIp returns the dotted quad,
 * a v4-mapped CIDR with prefix ≥ 96 becomes the IPv4 CIDR, and a v6 range that covers part of
 * ::ffff:0:0/96 (e.g. ::/0) contains those IPv4 addresses.
 */

/** Scratch for internal parses; safe because every caller finishes synchronously. */
const W = new Uint32Array(4);
const G = new Uint16Array(8);

/**
 * Dotted quad → uint32, or -1. Exactly four decimal octets ≤ 255; leading zeros are refused
 * ("010" is octal to inet_aton and decimal to others, so it is ambiguous in a security tool).
 */
export function parseIpv4(s: string, start = 0, end = s.length): number {
  const len = end - start;
  if (len < 7 || len > 15) return -1;
  let acc = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      acc = acc * 256 + octet;
      dots++;
      octet = 0;
      digits = 0;
      continue;
    }
    const d = c - 48;
    if (d < 0 || d > 9) return -1;
    if (digits !== 0 && octet === 0) return -1;
    octet = octet * 10 + d;
    if (octet > 255) return -1;
    digits++;
  }
  if (digits === 0 || dots !== 3) return -1;
  return acc * 256 + octet;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

/**
 * IPv6 text → `out[0..3]` (big-endian 32-bit words). Accepts `::` compression, upper/lower case,
 * 1–4 hex digits per group and a trailing embedded IPv4; refuses zone ids (`%eth0`), which name
 * an interface and are no address to match, ban or locate.
 */
export function parseIpv6(s: string, out: Uint32Array): boolean {
  const n = s.length;
  if (n < 2 || n > 45) return false;
  let count = 0;
  let dbl = -1;
  let i = 0;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return false;
    dbl = 0;
    i = 2;
  }
  while (i < n) {
    if (count === 8) return false;
    const gs = i;
    let v = 0;
    while (i < n) {
      const h = hexVal(s.charCodeAt(i));
      if (h < 0) break;
      v = (v << 4) | h;
      i++;
    }
    const digits = i - gs;
    if (i < n && s.charCodeAt(i) === 46) {
      if (count > 6) return false;
      const v4 = parseIpv4(s, gs, n);
      if (v4 < 0) return false;
      G[count++] = v4 >>> 16;
      G[count++] = v4 & 0xffff;
      i = n;
      break;
    }
    if (digits === 0 || digits > 4) return false;
    G[count++] = v;
    if (i === n) break;
    if (s.charCodeAt(i) !== 58) return false;
    i++;
    if (i === n) return false;
    if (s.charCodeAt(i) === 58) {
      if (dbl >= 0) return false;
      dbl = count;
      i++;
    }
  }
  if (dbl < 0) {
    if (count !== 8) return false;
  } else {
    if (count > 7) return false;
    const gap = 8 - count;
    for (let k = count - 1; k >= dbl; k--) G[k + gap] = G[k]!;
    for (let k = dbl; k < dbl + gap; k++) G[k] = 0;
  }
  out[0] = ((G[0]! << 16) | G[1]!) >>> 0;
  out[1] = ((G[2]! << 16) | G[3]!) >>> 0;
  out[2] = ((G[4]! << 16) | G[5]!) >>> 0;
  out[3] = ((G[6]! << 16) | G[7]!) >>> 0;
  return true;
}

/** True when the words hold ::ffff:a.b.c.d (then `w[3]` is the IPv4 address). */
export function isV4Mapped(w: Uint32Array): boolean {
  return w[0] === 0 && w[1] === 0 && w[2] === 0xffff;
}

export function formatIpv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** RFC 5952: lowercase, no leading zeros, the first longest run (≥ 2) of zero groups as `::`. */
export function formatIpv6(w: Uint32Array): string {
  if (isV4Mapped(w)) return formatIpv4(w[3]!);
  let bestAt = -1;
  let bestLen = 1;
  let runAt = -1;
  for (let k = 0; k < 8; k++) {
    const g = k & 1 ? w[k >> 1]! & 0xffff : w[k >> 1]! >>> 16;
    G[k] = g;
    if (g === 0) {
      if (runAt < 0) runAt = k;
      if (k - runAt + 1 > bestLen) {
        bestLen = k - runAt + 1;
        bestAt = runAt;
      }
    } else runAt = -1;
  }
  let s = '';
  for (let k = 0; k < 8; k++) {
    if (k === bestAt) {
      s += '::';
      k += bestLen - 1;
      continue;
    }
    if (s !== '' && !s.endsWith(':')) s += ':';
    s += G[k]!.toString(16);
  }
  return s;
}

/**
 * The one spelling of an address used for keys, bans and comparisons, or undefined when `s` is
 * not an address. IPv4 comes back as given (valid IPv4 has one spelling); IPv6 in RFC 5952 form;
 * ::ffff:a.b.c.d as a.b.c.d. No surrounding whitespace, brackets, ports or zone ids.
 */
export function canonicalIp(s: string): string | undefined {
  if (parseIpv4(s) >= 0) return s;
  return parseIpv6(s, W) ? formatIpv6(W) : undefined;
}

/** 4 or 6 for a valid address (a v4-mapped IPv6 counts as 4), else undefined. */
export function ipFamily(s: string): 4 | 6 | undefined {
  if (parseIpv4(s) >= 0) return 4;
  if (!parseIpv6(s, W)) return undefined;
  return isV4Mapped(W) ? 4 : 6;
}

/** Loopback, private, documentation, …: per the IANA special-purpose registries; else undefined. */
export function ipClass(ip: string): IpClass | undefined {
  const v4 = parseIpv4(ip);
  if (v4 >= 0) return ipv4Class(v4);
  return parseIpv6(ip, W) ? ipv6Class(W[0]!, W[1]!, W[2]!, W[3]!) : undefined;
}

/** A parsed CIDR range with host bits cleared. v6 ranges inside ::ffff:0:0/96 come back as v4. */
export type Cidr =
  | { readonly family: 4; readonly bits: number; readonly base: number; readonly last: number }
  | { readonly family: 6; readonly bits: number; readonly base: bigint; readonly last: bigint; readonly words: Uint32Array };

/** Mask of the top `bits` bits of a 32-bit word (bits may be ≤ 0 or ≥ 32). */
export function maskBits(bits: number): number {
  if (bits <= 0) return 0;
  if (bits >= 32) return 0xffffffff;
  return (0xffffffff << (32 - bits)) >>> 0;
}

function parsePrefix(s: string, from: number, max: number): number {
  const len = s.length - from;
  if (len < 1 || len > 3) return -1;
  let v = 0;
  for (let i = from; i < s.length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v <= max ? v : -1;
}

function v4Cidr(addr: number, bits: number): Cidr {
  const m = maskBits(bits);
  const base = (addr & m) >>> 0;
  return { family: 4, bits, base, last: (base | ~m) >>> 0 };
}

/**
 * `address/prefix` → range, or undefined when invalid. Host bits set in the address are cleared
 * (10.0.0.5/8 is 10.0.0.0/8) rather than refused: operators write it that way and mean the net.
 * A bare address is not a CIDR here; see parseIpOrCidr.
 */
export function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const addr = s.slice(0, slash);
  const v4 = parseIpv4(addr);
  if (v4 >= 0) {
    const bits = parsePrefix(s, slash + 1, 32);
    return bits < 0 ? undefined : v4Cidr(v4, bits);
  }
  const bits = parsePrefix(s, slash + 1, 128);
  return bits < 0 || !parseIpv6(addr, W) ? undefined : v6Cidr(W, bits);
}

function v6Cidr(w: Uint32Array, bits: number): Cidr {
  if (bits >= 96 && isV4Mapped(w)) return v4Cidr(w[3]!, bits - 96);
  const words = new Uint32Array(4);
  for (let k = 0; k < 4; k++) words[k] = (w[k]! & maskBits(bits - 32 * k)) >>> 0;
  const base = (BigInt(words[0]!) << 96n) | (BigInt(words[1]!) << 64n) | (BigInt(words[2]!) << 32n) | BigInt(words[3]!);
  return { family: 6, bits, base, last: base | ((1n << BigInt(128 - bits)) - 1n), words };
}

/**
 * The `bits`-long prefix holding integer address `addr` of `family`, normalised as parseCidr does;
 * undefined when out of range. For code that computes ranges (e.g. span → CIDRs) from numbers.
 */
export function cidrOf(family: 4 | 6, addr: bigint, bits: number): Cidr | undefined {
  const width = family === 4 ? 32 : 128;
  if (!Number.isInteger(bits) || bits < 0 || bits > width || addr < 0n || addr >> BigInt(width) !== 0n) return undefined;
  if (family === 4) return v4Cidr(Number(addr), bits);
  for (let k = 0; k < 4; k++) W[k] = Number((addr >> BigInt(96 - 32 * k)) & 0xffffffffn);
  return v6Cidr(W, bits);
}

/** An address as its /32 or /128 range, or a CIDR as parseCidr reads it. */
export function parseIpOrCidr(s: string): Cidr | undefined {
  if (s.indexOf('/') >= 0) return parseCidr(s);
  const v4 = parseIpv4(s);
  if (v4 >= 0) return v4Cidr(v4, 32);
  return parseIpv6(s, W) ? v6Cidr(W, 128) : undefined;
}

/** `base/prefix` in canonical form (host bits zeroed, v4-mapped → v4); a CIDR stays a CIDR. */
export function formatCidr(c: Cidr): string {
  return c.family === 4 ? `${formatIpv4(c.base)}/${c.bits}` : `${formatIpv6(c.words)}/${c.bits}`;
}

/** Inverse of parseIpOrCidr: /32 and /128 as the bare address (as ipset and nft list them). */
export function formatIpOrCidr(c: Cidr): string {
  if (c.bits < (c.family === 4 ? 32 : 128)) return formatCidr(c);
  return c.family === 4 ? formatIpv4(c.base) : formatIpv6(c.words);
}

/** Canonical text of a CIDR (see formatCidr), or undefined when `s` is not one. */
export function canonicalCidr(s: string): string | undefined {
  const c = parseCidr(s);
  return c === undefined ? undefined : formatCidr(c);
}

/** True when address `ip` lies in `cidr` (text or parsed). Invalid input is simply false. */
export function ipInCidr(ip: string, cidr: string | Cidr): boolean {
  const c = typeof cidr === 'string' ? parseCidr(cidr) : cidr;
  if (c === undefined) return false;
  let v4 = parseIpv4(ip);
  if (v4 < 0) {
    if (!parseIpv6(ip, W)) return false;
    if (isV4Mapped(W)) v4 = W[3]!;
  } else {
    W[0] = 0;
    W[1] = 0;
    W[2] = 0xffff;
    W[3] = v4;
  }
  if (c.family === 4) return v4 >= 0 && (v4 & maskBits(c.bits)) >>> 0 === c.base;
  for (let k = 0; k < 4; k++) {
    const m = maskBits(c.bits - 32 * k);
    if (m === 0) break;
    if ((W[k]! & m) >>> 0 !== c.words[k]) return false;
  }
  return true;
}
