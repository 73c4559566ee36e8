import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { UserRecord } from '../../port-auth.js';
import { makeApiKey, makeRefreshToken, makeUser, sha256Hex } from '../fixtures.js';
import { rejectsWith, type EnvRef } from './helpers.js';

const T0 = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;
/** What a caller passes as `next`: family and user come from the spent token. */
const nextToken = (at: number) => ({ token_hash: sha256Hex(), created_at: at, expires_at: at + DAY });

export function authContract(env: EnvRef): void {
  describe('auth: users', () => {
    test('insertUser / getUser / getUserByName / listUsers (by username) / countUsers', async () => {
      const { auth } = env().store;
      const bob = makeUser({ id: 'us-2', username: 'bob', role: 'viewer', last_login_at: T0 + 5, locked_until: T0 + 60_000, failed_logins: 3 });
      const alice = makeUser({ id: 'us-1', username: 'alice', role: 'admin', disabled: true });
      await auth.insertUser(bob);
      await auth.insertUser(alice);
      assert.deepEqual(await auth.getUser('us-2'), bob);
      assert.deepEqual(await auth.getUserByName('alice'), alice);
      assert.equal(await auth.getUserByName('Alice'), undefined, 'usernames match exactly');
      assert.equal(await auth.getUser('us-3'), undefined);
      assert.deepEqual(await auth.listUsers(), [alice, bob]);
      assert.equal(await auth.countUsers(), 2);
    });

    test('a duplicate id or username is a conflict; invalid users are refused', async () => {
      const { auth } = env().store;
      const u = makeUser({ username: 'carol' });
      await auth.insertUser(u);
      await rejectsWith(auth.insertUser({ ...u, username: 'carol2' }), 'store.conflict', 409);
      await rejectsWith(auth.insertUser(makeUser({ username: 'carol' })), 'store.conflict', 409);
      await rejectsWith(auth.insertUser(makeUser({ role: 'root' as UserRecord['role'] })), 'store.invalid_input', 400);
      await rejectsWith(auth.insertUser(makeUser({ id: '' })), 'store.invalid_input', 400);
      await rejectsWith(auth.insertUser(makeUser({ id: 'us-\u0000' })), 'store.invalid_input', 400);
      await rejectsWith(auth.insertUser(makeUser({ username: 'has space' })), 'store.invalid_input', 400);
      await rejectsWith(auth.insertUser(makeUser({ created_at: 1.5 })), 'store.invalid_input', 400);
      await rejectsWith(auth.insertUser(makeUser({ failed_logins: -1 })), 'store.invalid_input', 400);
      assert.equal(await auth.countUsers(), 1);
    });

    test('updateUser merges the patch and stamps updated_at; unknown id is undefined', async () => {
      const { auth } = env().store;
      const u = makeUser();
      await auth.insertUser(u);
      const locked = await auth.updateUser(u.id, { failed_logins: 5, locked_until: T0 + 900_000 }, T0 + 10);
      assert.deepEqual(locked, { ...u, failed_logins: 5, locked_until: T0 + 900_000, updated_at: T0 + 10 });
      const back = await auth.updateUser(u.id, { failed_logins: 0, locked_until: null, last_login_at: T0 + 20, role: 'admin', disabled: true, password_hash: '$argon2id$new' }, T0 + 20);
      const expected = { ...u, failed_logins: 0, locked_until: null, last_login_at: T0 + 20, role: 'admin' as const, disabled: true, password_hash: '$argon2id$new', updated_at: T0 + 20 };
      assert.deepEqual(back, expected);
      assert.deepEqual(await auth.getUser(u.id), expected);
      assert.deepEqual(await auth.updateUser(u.id, {}, T0 + 30), { ...expected, updated_at: T0 + 30 });
      assert.equal(await auth.updateUser('missing', { disabled: true }, T0), undefined);
      await rejectsWith(auth.updateUser(u.id, { role: 'god' as UserRecord['role'] }, T0), 'store.invalid_input', 400);
      await rejectsWith(auth.updateUser(u.id, { username: 'renamed' } as never, T0), 'store.invalid_input', 400);
    });
  });

  describe('auth: refresh tokens', () => {
    test('rotateRefreshToken: ok keeps family and user; a spent token is reused and revokes the family', async () => {
      const { auth } = env().store;
      const first = makeRefreshToken({ user_id: 'us-1', family_id: 'fa-1' });
      await auth.insertRefreshToken(first);
      const second = { token_hash: sha256Hex(), created_at: T0 + 1000, expires_at: T0 + DAY };
      assert.deepEqual(await auth.rotateRefreshToken(first.token_hash, second, T0 + 1000), { status: 'ok', user_id: 'us-1', family_id: 'fa-1' });
      const third = { token_hash: sha256Hex(), created_at: T0 + 2000, expires_at: T0 + DAY };
      assert.deepEqual(await auth.rotateRefreshToken(second.token_hash, third, T0 + 2000), { status: 'ok', user_id: 'us-1', family_id: 'fa-1' });
      // replaying the first token: reuse detected, the live descendant dies with its family
      assert.deepEqual(await auth.rotateRefreshToken(first.token_hash, nextToken(T0 + 3000), T0 + 3000), { status: 'reused', user_id: 'us-1', family_id: 'fa-1' });
      assert.deepEqual(await auth.rotateRefreshToken(third.token_hash, nextToken(T0 + 4000), T0 + 4000), { status: 'revoked' });
      assert.equal(await auth.revokeRefreshFamily('fa-1', T0 + 5000), 0, 'nothing was live any more');
    });

    test('rotateRefreshToken: unknown, expired and revoked tokens', async () => {
      const { auth } = env().store;
      const next = () => ({ token_hash: sha256Hex(), created_at: T0, expires_at: T0 + DAY });
      assert.deepEqual(await auth.rotateRefreshToken(sha256Hex(), next(), T0), { status: 'unknown' });
      const old = makeRefreshToken({ expires_at: T0 + 1000 });
      await auth.insertRefreshToken(old);
      assert.deepEqual(await auth.rotateRefreshToken(old.token_hash, next(), T0 + 1000), { status: 'expired' }, 'expires_at itself is expired');
      const live = makeRefreshToken({ family_id: 'fa-2' });
      await auth.insertRefreshToken(live);
      assert.equal(await auth.revokeRefreshFamily('fa-2', T0), 1);
      assert.deepEqual(await auth.rotateRefreshToken(live.token_hash, next(), T0), { status: 'revoked' });
      await rejectsWith(auth.rotateRefreshToken(live.token_hash, { ...next(), token_hash: 'not-hex' }, T0), 'store.invalid_input', 400);
      await rejectsWith(auth.insertRefreshToken(live), 'store.conflict', 409);
    });

    test('two concurrent rotations of one token: exactly one ok, the other reused, and the family is revoked', async () => {
      const { auth } = env().store;
      const t = makeRefreshToken({ family_id: 'fa-race', user_id: 'us-9' });
      await auth.insertRefreshToken(t);
      const a = { token_hash: sha256Hex(), created_at: T0 + 1, expires_at: T0 + DAY };
      const b = { token_hash: sha256Hex(), created_at: T0 + 1, expires_at: T0 + DAY };
      const results = await Promise.all([auth.rotateRefreshToken(t.token_hash, a, T0 + 1), auth.rotateRefreshToken(t.token_hash, b, T0 + 1)]);
      assert.deepEqual(results.map((r) => r.status).sort(), ['ok', 'reused']);
      const winner = results[0].status === 'ok' ? a : b;
      assert.deepEqual(await auth.rotateRefreshToken(winner.token_hash, { token_hash: sha256Hex(), created_at: T0 + 2, expires_at: T0 + DAY }, T0 + 2), { status: 'revoked' });
    });

    test('revokeRefreshFamily / revokeUserRefreshTokens count live tokens; purgeRefreshTokens forgets expired ones', async () => {
      const { auth } = env().store;
      await auth.insertRefreshToken(makeRefreshToken({ user_id: 'us-a', family_id: 'f1' }));
      await auth.insertRefreshToken(makeRefreshToken({ user_id: 'us-a', family_id: 'f2' }));
      await auth.insertRefreshToken(makeRefreshToken({ user_id: 'us-a', family_id: 'f3', expires_at: T0 + 10 }));
      const other = makeRefreshToken({ user_id: 'us-b', family_id: 'f4' });
      await auth.insertRefreshToken(other);
      assert.equal(await auth.revokeRefreshFamily('f1', T0 + 100), 1);
      assert.equal(await auth.revokeRefreshFamily('f1', T0 + 100), 0, 'revoking twice finds nothing live');
      assert.equal(await auth.revokeUserRefreshTokens('us-a', T0 + 100), 1, 'f2 only: f1 is revoked and f3 expired');
      assert.equal(await auth.revokeRefreshFamily('no-such-family', T0), 0);
      assert.equal(await auth.purgeRefreshTokens(T0 + 11), 1);
      assert.equal(await auth.purgeRefreshTokens(T0 + 2 * DAY), 3);
      assert.deepEqual(await auth.rotateRefreshToken(other.token_hash, { token_hash: sha256Hex(), created_at: T0, expires_at: T0 + DAY }, T0), { status: 'unknown' });
    });
  });

  describe('auth: API keys and secrets', () => {
    test('insertApiKey / getApiKey / listApiKeys (newest first) / updateApiKey; conflicts and invalid keys', async () => {
      const { auth } = env().store;
      const k1 = makeApiKey({ id: 'k1', created_at: T0 });
      const k2 = makeApiKey({ id: 'k2', created_at: T0 + 1000, role: 'admin', expires_at: T0 + DAY, name: 'deploy' });
      const k0 = makeApiKey({ id: 'k0', created_at: T0 });
      for (const k of [k1, k2, k0]) await auth.insertApiKey(k);
      assert.deepEqual(await auth.getApiKey('k2'), k2);
      assert.equal(await auth.getApiKey('k9'), undefined);
      assert.deepEqual(await auth.listApiKeys(), [k2, k1, k0]);
      assert.deepEqual(await auth.updateApiKey('k1', { last_used_at: T0 + 5 }), { ...k1, last_used_at: T0 + 5 });
      assert.deepEqual(await auth.updateApiKey('k1', { revoked: true }), { ...k1, last_used_at: T0 + 5, revoked: true });
      assert.deepEqual(await auth.updateApiKey('k1', {}), { ...k1, last_used_at: T0 + 5, revoked: true });
      assert.equal(await auth.updateApiKey('k9', { revoked: true }), undefined);
      await rejectsWith(auth.insertApiKey({ ...k0, name: 'other' }), 'store.conflict', 409);
      await rejectsWith(auth.insertApiKey(makeApiKey({ key_hash: 'short' })), 'store.invalid_input', 400);
      await rejectsWith(auth.updateApiKey('k1', { role: 'admin' } as never), 'store.invalid_input', 400);
    });

    test('putSecretIfAbsent stores the first value and returns it to everyone after', async () => {
      const { auth } = env().store;
      assert.equal(await auth.getSecret('jwt_hs256'), undefined);
      assert.equal(await auth.putSecretIfAbsent('jwt_hs256', 'first', T0), 'first');
      assert.equal(await auth.putSecretIfAbsent('jwt_hs256', 'second', T0 + 1), 'first');
      assert.equal(await auth.getSecret('jwt_hs256'), 'first');
      const raced = await Promise.all(['a', 'b', 'c'].map((v) => auth.putSecretIfAbsent('task_key', v, T0)));
      assert.equal(new Set(raced).size, 1, `every starter agrees on one secret: ${raced.join(',')}`);
      assert.equal(await auth.getSecret('task_key'), raced[0]);
      await rejectsWith(auth.putSecretIfAbsent('', 'x', T0), 'store.invalid_input', 400);
      await rejectsWith(auth.putSecretIfAbsent('k', '', T0), 'store.invalid_input', 400);
    });
  });
}
