import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Formats of the secrets DIO hands out. Each has a recognisable prefix (so a leaked one is easy
 * to grep for and to tell apart) and 256 random bits; only their sha256 is stored. sha256 is
 * enough here — unlike passwords these secrets are random, so there is nothing to brute-force.
 */
export function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Constant-time comparison of two hex digests. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

const REFRESH_RE = /^dio_rt_[A-Za-z0-9_-]{43}$/;
export function newRefreshToken(): string {
  return `dio_rt_${randomSecret()}`;
}
export function isRefreshToken(s: string): boolean {
  return REFRESH_RE.test(s);
}

/** API key: dio_ak_<id>_<secret>; the id is public (it names the key in listings and logs). */
const API_KEY_RE = /^dio_ak_([A-Za-z0-9]{16})_([A-Za-z0-9_-]{43})$/;
export function newApiKey(): { id: string; key: string; secretHash: string } {
  const id = randomBytes(12).toString('base64url').replace(/[-_]/g, 'x').slice(0, 16);
  const secret = randomSecret();
  return { id, key: `dio_ak_${id}_${secret}`, secretHash: sha256Hex(secret) };
}
export function parseApiKey(s: string): { id: string; secretHash: string } | undefined {
  const m = API_KEY_RE.exec(s);
  return m ? { id: m[1]!, secretHash: sha256Hex(m[2]!) } : undefined;
}

/**
 * Enrollment token: dio_et_<secret>.<fingerprint of the server's task-signing key>. The
 * fingerprint lets the agent check, before it trusts anything, that the server it enrolls with
 * is the one the token came from.
 */
const ENROLL_RE = /^dio_et_([A-Za-z0-9_-]{43})\.([0-9a-f]{16})$/;
export function newEnrollmentToken(serverKeyFingerprint: string): { token: string; hash: string } {
  const secret = randomSecret();
  return { token: `dio_et_${secret}.${serverKeyFingerprint}`, hash: sha256Hex(secret) };
}
export function parseEnrollmentToken(s: string): { hash: string; fingerprint: string } | undefined {
  const m = ENROLL_RE.exec(s);
  return m ? { hash: sha256Hex(m[1]!), fingerprint: m[2]! } : undefined;
}

/**
 * User names are case-insensitive: stored and looked up in lower case, so "Alice" and "alice"
 * can never be two accounts (one impersonating the other in an audit trail).
 */
export function canonicalUsername(name: string): string {
  return name.toLowerCase();
}
