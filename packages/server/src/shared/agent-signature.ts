import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

/**
 * Agent request signatures, shared by the agent's client and the server's verifier. Every
 * request an enrolled agent makes carries four headers:
 *   x-dio-agent: <agent id>   x-dio-ts: <epoch ms>   x-dio-nonce: <16-64 base64url>   x-dio-sig: <base64url>
 * and the signature is Ed25519 over the string below, so method, path with query, time, nonce
 * and body are all bound: a captured request cannot be replayed (nonce), delayed beyond the
 * skew window (ts), pointed at another route (path) or given another body (sha256).
 */
export const SIG_HEADERS = { agent: 'x-dio-agent', ts: 'x-dio-ts', nonce: 'x-dio-nonce', sig: 'x-dio-sig' } as const;
const PREFIX = 'dio-agent-v1';
export const NONCE_RE = /^[A-Za-z0-9_-]{16,64}$/;

export function bodyDigest(body: Uint8Array | undefined): string {
  return createHash('sha256')
    .update(body ?? new Uint8Array(0))
    .digest('hex');
}

export function signingString(r: { method: string; path: string; ts: string; nonce: string; bodySha256: string }): string {
  return `${PREFIX}\n${r.method.toUpperCase()}\n${r.path}\n${r.ts}\n${r.nonce}\n${r.bodySha256}`;
}

export function signRequest(privateKey: KeyObject, r: { method: string; path: string; ts: string; nonce: string; body?: Uint8Array }): string {
  const s = signingString({ ...r, bodySha256: bodyDigest(r.body) });
  return sign(null, Buffer.from(s, 'utf8'), privateKey).toString('base64url');
}

export function verifyRequestSignature(publicKey: KeyObject, r: { method: string; path: string; ts: string; nonce: string; body?: Uint8Array }, sig: string): boolean {
  if (!/^[A-Za-z0-9_-]{80,90}$/.test(sig)) return false;
  const s = signingString({ ...r, bodySha256: bodyDigest(r.body) });
  try {
    return verify(null, Buffer.from(s, 'utf8'), publicKey, Buffer.from(sig, 'base64url'));
  } catch {
    return false;
  }
}

/** Raw 32-byte Ed25519 public key as base64url (what enrollment sends and the server stores). */
export function rawPublicKey(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw new Error('not an Ed25519 key');
  return jwk.x;
}

/** Imports a base64url raw Ed25519 public key; throws on anything else. */
export function publicKeyFromRaw(x: string): KeyObject {
  if (!/^[A-Za-z0-9_-]{43}$/.test(x)) throw new Error('not a base64url raw Ed25519 public key');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
}

/** First 16 hex characters of sha256 over the raw public key: short enough to read aloud, long enough to pin. */
export function keyFingerprint(x: string): string {
  return createHash('sha256').update(Buffer.from(x, 'base64url')).digest('hex').slice(0, 16);
}

export function generateEd25519(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ed25519');
}

export function privateKeyFromPem(pem: string): KeyObject {
  const k = createPrivateKey(pem);
  if (k.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 private key');
  return k;
}
