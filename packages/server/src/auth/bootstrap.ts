import { readFileSync } from 'node:fs';
import { LOCAL_KEY_FILE, writePrivateFile } from '../shared/private-file.js';
import { join } from 'node:path';
import { PasswordSchema } from '@dio/protocol';
import { AppError } from '../shared/app-error.js';
import type { Clock } from '../shared/clock.js';
import type { Store } from '../storage/port.js';
import { canonicalUsername, newApiKey, parseApiKey, randomSecret, sameDigest } from './credentials.js';
import { hashPassword } from './password.js';

const SYSTEM = { actor: 'system:bootstrap', origin: 'local' };

/**
 * First start: with no user at all, creates the admin. The password comes from the operator
 * (DIO_ADMIN_PASSWORD, or a file) or is generated; a generated one is returned so the caller
 * prints it exactly once — it is stored only as an argon2id hash.
 */
export async function ensureAdmin(deps: { store: Store; clock: Clock; newId: () => string; username: string; password?: string }): Promise<{ created: boolean; generatedPassword?: string }> {
  if ((await deps.store.auth.countUsers()) > 0) return { created: false };
  let password = deps.password;
  let generated: string | undefined;
  if (password === undefined) {
    generated = randomSecret(18);
    password = generated;
  } else if (!PasswordSchema.safeParse(password).success) {
    throw new AppError('config.invalid', 'the admin password (DIO_ADMIN_PASSWORD or auth.admin_password_file) must be 12-1024 characters', { status: 400 });
  }
  const now = deps.clock.now();
  const rec = { id: deps.newId(), username: canonicalUsername(deps.username), password_hash: await hashPassword(password), role: 'admin' as const, disabled: false, created_at: now, updated_at: now, last_login_at: null, failed_logins: 0, locked_until: null };
  await deps.store.auth.insertUser(rec);
  await deps.store.appendAudit({ ...SYSTEM, action: 'user.create', target: `user:${rec.username}`, after: { username: rec.username, role: 'admin', password: generated ? 'generated' : 'provided' } });
  return generated === undefined ? { created: true } : { created: true, generatedPassword: generated };
}

/** Reads an admin password file: first line, trimmed; the file should be private (0600). */
export function readPasswordFile(path: string): string {
  try {
    return readFileSync(path, 'utf8').split('\n')[0]!.trim();
  } catch (e) {
    throw new AppError('config.unreadable', `cannot read admin password file ${path}: ${(e as Error).message}`, { status: 400, cause: e });
  }
}

/**
 * The key `dio` commands on this host use to talk to the local `dio up` without a login, kept in
 * <data_dir>/cli.key with mode 0600 — whoever can read the data directory owns this DIO anyway
 * (they can read the database). It is a normal admin API key named "local-cli": listed,
 * audited, revocable; a revoked or missing one is replaced at the next start.
 */
export async function ensureLocalCliKey(deps: { store: Store; clock: Clock; dataDir: string }): Promise<string> {
  const path = join(deps.dataDir, LOCAL_KEY_FILE);
  let existing: string | undefined;
  try {
    existing = readFileSync(path, 'utf8').trim();
  } catch {
    existing = undefined;
  }
  const parsed = existing ? parseApiKey(existing) : undefined;
  if (parsed) {
    const rec = await deps.store.auth.getApiKey(parsed.id);
    if (rec && !rec.revoked && rec.expires_at === null && sameDigest(rec.key_hash, parsed.secretHash)) return path;
  }
  const now = deps.clock.now();
  const { id, key, secretHash } = newApiKey();
  await deps.store.auth.insertApiKey({ id, name: 'local-cli', role: 'admin', key_hash: secretHash, created_by: SYSTEM.actor, created_at: now, expires_at: null, last_used_at: null, revoked: false });
  await deps.store.appendAudit({ ...SYSTEM, action: 'apikey.create', target: `apikey:${id}`, after: { name: 'local-cli', role: 'admin', file: path } });
  writePrivateFile(path, `${key}\n`);
  return path;
}
