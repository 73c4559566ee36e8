import type { TokenResponse } from '@dio/protocol';
import { AppError } from '../shared/app-error.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { Store } from '../storage/port.js';
import type { UserRecord } from '../storage/port-auth.js';
import type { AccessTokens } from './access-tokens.js';
import { canonicalUsername, isRefreshToken, newRefreshToken, parseApiKey, randomSecret, sameDigest, sha256Hex } from './credentials.js';
import { LoginLimiter } from './login-limiter.js';
import { burnPasswordCheck, verifyPassword } from './password.js';
import type { Principal } from './principal.js';

export interface AuthPolicy {
  refreshTtlS: number;
  /** Consecutive failures before the account locks. */
  lockoutAfter: number;
  lockoutS: number;
  /** Login attempts per client address per minute. */
  loginsPerMinute: number;
}

/** How long a looked-up user or API key is trusted before it is read again (changes made through this process apply at once). */
const CACHE_MS = 2000;
const TOUCH_EVERY_MS = 60_000;

const unauthorized = (message = 'invalid user name or password') => new AppError('auth.invalid_credentials', message, { status: 401 });

/**
 * Logins, refresh-token rotation, logout and bearer/API-key authentication. Fails closed: any
 * doubt (unknown, disabled, expired, revoked, malformed) is a 401 without saying which part failed.
 */
export function createAuthService(deps: { store: Store; tokens: AccessTokens; policy: AuthPolicy; clock: Clock; logger: Logger; onFailure?: (reason: string) => void }) {
  const { store, clock, policy } = deps;
  const log = deps.logger.child({ component: 'auth' });
  const limiter = new LoginLimiter(policy.loginsPerMinute, 60_000);
  const userCache = new Map<string, { user: UserRecord | undefined; at: number }>();
  const keyCache = new Map<string, { principal: Principal | undefined; hash: string; at: number; touched: number }>();
  const fail = (reason: string) => deps.onFailure?.(reason);

  async function cachedUser(id: string): Promise<UserRecord | undefined> {
    const now = clock.now();
    const hit = userCache.get(id);
    if (hit && now - hit.at < CACHE_MS) return hit.user;
    const user = await store.auth.getUser(id);
    if (userCache.size > 10_000) userCache.clear();
    userCache.set(id, { user, at: now });
    return user;
  }

  /** Tokens for a user; `rotated` is the refresh token a rotation already stored, else a new family starts. */
  async function issue(user: UserRecord, rotated?: string): Promise<TokenResponse> {
    const now = clock.now();
    let refresh = rotated;
    if (refresh === undefined) {
      refresh = newRefreshToken();
      await store.auth.insertRefreshToken({ token_hash: sha256Hex(refresh), created_at: now, expires_at: now + policy.refreshTtlS * 1000, family_id: randomSecret(16), user_id: user.id });
    }
    return {
      access_token: await deps.tokens.issue(user.id, user.username),
      token_type: 'Bearer',
      expires_in: deps.tokens.ttlS,
      refresh_token: refresh,
      refresh_expires_in: policy.refreshTtlS,
      user: { id: user.id, username: user.username, role: user.role },
    };
  }

  return {
    invalidate(userId?: string): void {
      if (userId === undefined) userCache.clear();
      else userCache.delete(userId);
      keyCache.clear();
    },

    async login(username: string, password: string, origin: string): Promise<TokenResponse> {
      const now = clock.now();
      const wait = limiter.hit(origin, now);
      if (wait > 0) {
        fail('login_rate_limited');
        throw new AppError('auth.rate_limited', `too many login attempts from ${origin}; try again in ${wait} s`, { status: 429, details: { retry_after_s: wait } });
      }
      const user = await store.auth.getUserByName(canonicalUsername(username));
      if (!user) {
        await burnPasswordCheck(password);
        fail('unknown_user');
        throw unauthorized();
      }
      if (user.locked_until !== null && user.locked_until > now) {
        fail('locked');
        const s = Math.ceil((user.locked_until - now) / 1000);
        throw new AppError('auth.locked', `account ${username} is locked after repeated failed logins; try again in ${Math.ceil(s / 60)} min or ask an admin to unlock it`, { status: 423, details: { retry_after_s: s } });
      }
      const ok = await verifyPassword(user.password_hash, password);
      if (!ok || user.disabled) {
        fail(user.disabled ? 'disabled' : 'bad_password');
        if (!ok) {
          const failed = user.failed_logins + 1;
          const lock = failed >= policy.lockoutAfter;
          await store.auth.updateUser(user.id, { failed_logins: lock ? 0 : failed, ...(lock ? { locked_until: now + policy.lockoutS * 1000 } : {}) }, now);
          if (lock) {
            log.warn({ user: username, origin }, 'account locked after repeated failed logins');
            await store.appendAudit({ actor: 'system:auth', action: 'user.locked', target: `user:${username}`, origin, after: { failed_logins: failed, locked_for_s: policy.lockoutS } });
          }
        }
        throw unauthorized();
      }
      await store.auth.updateUser(user.id, { failed_logins: 0, locked_until: null, last_login_at: now }, now);
      userCache.delete(user.id);
      await store.appendAudit({ actor: `user:${username}`, action: 'auth.login', target: `user:${username}`, origin });
      return issue(user);
    },

    /** Rotates a refresh token. A spent token presented again revokes its whole family (stolen token). */
    async refresh(refreshToken: string, origin: string): Promise<TokenResponse> {
      if (!isRefreshToken(refreshToken)) {
        fail('bad_refresh');
        throw new AppError('auth.invalid_token', 'the refresh token is not valid; log in again', { status: 401 });
      }
      const now = clock.now();
      const next = newRefreshToken();
      const r = await store.auth.rotateRefreshToken(sha256Hex(refreshToken), { token_hash: sha256Hex(next), created_at: now, expires_at: now + policy.refreshTtlS * 1000 }, now);
      if (r.status === 'reused') {
        fail('refresh_reuse');
        log.warn({ user_id: r.user_id, origin }, 'refresh token reused: the session was revoked');
        await store.appendAudit({ actor: 'system:auth', action: 'auth.refresh_reuse', target: `user-id:${r.user_id}`, origin, after: { family_revoked: true } });
        throw new AppError('auth.token_reused', 'this refresh token was already used; the session has been revoked — log in again', { status: 401 });
      }
      if (r.status !== 'ok') {
        fail(`refresh_${r.status}`);
        throw new AppError('auth.invalid_token', `the refresh token is ${r.status === 'unknown' ? 'not valid' : r.status}; log in again`, { status: 401 });
      }
      const user = await store.auth.getUser(r.user_id);
      if (!user || user.disabled) {
        await store.auth.revokeRefreshFamily(r.family_id, now);
        throw new AppError('auth.invalid_token', 'the account is disabled', { status: 401 });
      }
      return issue(user, next);
    },

    async logout(refreshToken: string, by: Principal): Promise<void> {
      if (!isRefreshToken(refreshToken)) return;
      const now = clock.now();
      // Rotating to a throw-away successor spends the token, then the family goes with it.
      const r = await store.auth.rotateRefreshToken(sha256Hex(refreshToken), { token_hash: sha256Hex(newRefreshToken()), created_at: now, expires_at: now + 1000 }, now);
      if (r.status === 'ok' || r.status === 'reused') {
        if (by.kind === 'user' && r.user_id !== by.id) return;
        await store.auth.revokeRefreshFamily(r.family_id, now);
      }
    },

    /** A bearer access token → the user, or AppError 401. */
    async authenticateAccessToken(token: string): Promise<Principal> {
      const userId = await deps.tokens.verify(token);
      const user = await cachedUser(userId);
      if (!user || user.disabled) throw new AppError('auth.invalid_token', 'the account behind this token is disabled or gone', { status: 401 });
      return { kind: 'user', id: user.id, name: user.username, role: user.role };
    },

    /** An API key → its principal, or AppError 401. */
    async authenticateApiKey(key: string): Promise<Principal> {
      const parsed = parseApiKey(key);
      if (!parsed) throw new AppError('auth.invalid_api_key', 'the API key is malformed', { status: 401 });
      const now = clock.now();
      let hit = keyCache.get(parsed.id);
      if (!hit || now - hit.at >= CACHE_MS) {
        const rec = await store.auth.getApiKey(parsed.id);
        const valid = rec !== undefined && !rec.revoked && (rec.expires_at === null || rec.expires_at > now);
        hit = { principal: valid ? { kind: 'apikey', id: rec.id, name: rec.name, role: rec.role } : undefined, hash: rec?.key_hash ?? '', at: now, touched: hit?.touched ?? 0 };
        if (keyCache.size > 10_000) keyCache.clear();
        keyCache.set(parsed.id, hit);
      }
      if (!hit.principal || !sameDigest(hit.hash, parsed.secretHash)) throw new AppError('auth.invalid_api_key', 'the API key is not valid (unknown, revoked or expired)', { status: 401 });
      if (now - hit.touched > TOUCH_EVERY_MS) {
        hit.touched = now;
        store.auth.updateApiKey(parsed.id, { last_used_at: now }).catch((e: unknown) => log.debug({ err: String(e) }, 'could not record API key use'));
      }
      return hit.principal;
    },
  };
}
export type AuthService = ReturnType<typeof createAuthService>;
