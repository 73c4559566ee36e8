import { parseDuration, type ApiKey, type Role, type User } from '@dio/protocol';
import type { Actor } from '../api/deps.js';
import { AppError } from '../shared/app-error.js';
import type { Clock } from '../shared/clock.js';
import type { Store } from '../storage/port.js';
import type { ApiKeyRecord, UserRecord } from '../storage/port-auth.js';
import { canonicalUsername, newApiKey } from './credentials.js';
import { hashPassword, verifyPassword } from './password.js';

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

/** The API view of a user: never the hash, never the failure counter. */
export function userView(u: UserRecord): User {
  return { id: u.id, username: u.username, role: u.role, disabled: u.disabled, created_at: iso(u.created_at)!, updated_at: iso(u.updated_at)!, last_login_at: iso(u.last_login_at), locked_until: iso(u.locked_until) };
}

export function apiKeyView(k: ApiKeyRecord): ApiKey {
  return { id: k.id, name: k.name, role: k.role, created_at: iso(k.created_at)!, created_by: k.created_by, expires_at: iso(k.expires_at), last_used_at: iso(k.last_used_at), revoked: k.revoked };
}

/**
 * User and API key administration. Every change is audited with before/after views (no
 * secrets). The last enabled admin can be neither disabled nor demoted: that would lock
 * everyone out of user management.
 */
export function createUserService(deps: { store: Store; clock: Clock; newId: () => string; onChange?: (userId?: string) => void }) {
  const { store, clock } = deps;

  async function get(username: string): Promise<UserRecord> {
    const u = await store.auth.getUserByName(canonicalUsername(username));
    if (!u) throw new AppError('user.not_found', `no user named ${username}`, { status: 404 });
    return u;
  }

  async function guardLastAdmin(u: UserRecord, next: { role?: Role; disabled?: boolean }): Promise<void> {
    const losesAdmin = u.role === 'admin' && !u.disabled && ((next.role !== undefined && next.role !== 'admin') || next.disabled === true);
    if (!losesAdmin) return;
    const admins = (await store.auth.listUsers()).filter((x) => x.role === 'admin' && !x.disabled);
    if (admins.length <= 1) throw new AppError('user.last_admin', `${u.username} is the last enabled admin; make another admin first`, { status: 409 });
  }

  return {
    async create(input: { username: string; password: string; role: Role }, by: Actor): Promise<User> {
      input = { ...input, username: canonicalUsername(input.username) };
      if (await store.auth.getUserByName(input.username)) throw new AppError('user.exists', `a user named ${input.username} already exists`, { status: 409 });
      const now = clock.now();
      const rec: UserRecord = { id: deps.newId(), username: input.username, password_hash: await hashPassword(input.password), role: input.role, disabled: false, created_at: now, updated_at: now, last_login_at: null, failed_logins: 0, locked_until: null };
      await store.auth.insertUser(rec);
      const view = userView(rec);
      await store.appendAudit({ actor: by.actor, action: 'user.create', target: `user:${rec.username}`, origin: by.origin, after: view });
      return view;
    },

    async list(): Promise<User[]> {
      return (await store.auth.listUsers()).map(userView);
    },

    async get(username: string): Promise<User> {
      return userView(await get(username));
    },

    /** Role, disabled flag and/or a new password; unlocks a locked account too. Revokes sessions on disable or password change. */
    async update(username: string, patch: { role?: Role; disabled?: boolean; password?: string }, by: Actor): Promise<User> {
      const u = await get(username);
      await guardLastAdmin(u, patch);
      const now = clock.now();
      const updated = await store.auth.updateUser(
        u.id,
        { ...(patch.role ? { role: patch.role } : {}), ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}), ...(patch.password ? { password_hash: await hashPassword(patch.password) } : {}), failed_logins: 0, locked_until: null },
        now,
      );
      if (!updated) throw new AppError('user.not_found', `no user named ${username}`, { status: 404 });
      if (patch.disabled || patch.password) await store.auth.revokeUserRefreshTokens(u.id, now);
      deps.onChange?.(u.id);
      const after = userView(updated);
      await store.appendAudit({ actor: by.actor, action: patch.password ? 'user.password' : 'user.update', target: `user:${u.username}`, origin: by.origin, before: userView(u), after: { ...after, ...(patch.password ? { password_changed: true } : {}) } });
      return after;
    },

    /** A user changing their own password must know the current one. */
    async changeOwnPassword(userId: string, current: string, next: string, by: Actor): Promise<void> {
      const u = await store.auth.getUser(userId);
      if (!u || !(await verifyPassword(u.password_hash, current))) throw new AppError('auth.invalid_credentials', 'the current password is wrong', { status: 401 });
      const now = clock.now();
      await store.auth.updateUser(u.id, { password_hash: await hashPassword(next) }, now);
      await store.auth.revokeUserRefreshTokens(u.id, now);
      deps.onChange?.(u.id);
      await store.appendAudit({ actor: by.actor, action: 'user.password', target: `user:${u.username}`, origin: by.origin, after: { password_changed: true } });
    },

    async createApiKey(input: { name: string; role: Role; expires?: string | number }, by: Actor): Promise<ApiKey & { key: string }> {
      const now = clock.now();
      const { id, key, secretHash } = newApiKey();
      const rec: ApiKeyRecord = { id, name: input.name, role: input.role, key_hash: secretHash, created_by: by.actor, created_at: now, expires_at: input.expires === undefined ? null : now + parseDuration(input.expires) * 1000, last_used_at: null, revoked: false };
      await store.auth.insertApiKey(rec);
      const view = apiKeyView(rec);
      await store.appendAudit({ actor: by.actor, action: 'apikey.create', target: `apikey:${id}`, origin: by.origin, after: view });
      return { ...view, key };
    },

    async listApiKeys(): Promise<ApiKey[]> {
      return (await store.auth.listApiKeys()).map(apiKeyView);
    },

    async revokeApiKey(id: string, by: Actor): Promise<ApiKey> {
      const before = await store.auth.getApiKey(id);
      if (!before) throw new AppError('apikey.not_found', `no API key with id ${id}`, { status: 404 });
      const after = await store.auth.updateApiKey(id, { revoked: true });
      deps.onChange?.();
      await store.appendAudit({ actor: by.actor, action: 'apikey.revoke', target: `apikey:${id}`, origin: by.origin, before: apiKeyView(before), after: apiKeyView(after!) });
      return apiKeyView(after!);
    },
  };
}
export type UserService = ReturnType<typeof createUserService>;
