import { hash, verify } from '@node-rs/argon2';

/**
 * argon2id with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane): ~50 ms here, run on
 * libuv's thread pool so the event loop stays free. Logins are rate-limited before hashing, so
 * a flood of attempts cannot turn this cost into a denial of service.
 */
// algorithm 2 is Argon2id (the package's const enum cannot be imported under verbatimModuleSyntax).
const PARAMS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, PARAMS);
}

/** False for a wrong password and for a hash that is not a PHC argon2 string (never throws). */
export async function verifyPassword(phc: string, password: string): Promise<boolean> {
  try {
    return await verify(phc, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;
/**
 * Spends the same time as a real check, for logins naming a user that does not exist, so the
 * answer time does not tell an attacker which user names are real.
 */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummy ??= hashPassword('dio-timing-equaliser');
  await verifyPassword(await dummy, password);
}
