import { randomBytes, type KeyObject } from 'node:crypto';
import { generateEd25519, keyFingerprint, privateKeyFromPem, rawPublicKey } from '../shared/agent-signature.js';
import { createPublicKey } from 'node:crypto';
import type { AuthStore } from '../storage/port-auth.js';

/**
 * The server's own secrets, created on first start and kept in the store so every server on one
 * database (distributed mode) signs and verifies with the same keys:
 * - an HS256 key for access tokens;
 * - an Ed25519 key pair that signs tasks; agents pin its public half at enrollment.
 */
export interface ServerKeys {
  jwtKey: Uint8Array;
  taskKey: KeyObject;
  /** base64url raw public key of taskKey. */
  taskPublicKey: string;
  taskKeyFingerprint: string;
}

export async function loadServerKeys(store: AuthStore, now: number): Promise<ServerKeys> {
  const jwt = await store.putSecretIfAbsent('jwt_hs256', randomBytes(32).toString('base64url'), now);
  const { privateKey } = generateEd25519();
  const pem = await store.putSecretIfAbsent('task_signing_ed25519', privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), now);
  const taskKey = privateKeyFromPem(pem);
  const taskPublicKey = rawPublicKey(createPublicKey(taskKey));
  return { jwtKey: Buffer.from(jwt, 'base64url'), taskKey, taskPublicKey, taskKeyFingerprint: keyFingerprint(taskPublicKey) };
}
