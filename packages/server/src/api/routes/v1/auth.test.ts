import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../shared/clock.js';
import { createTestApi } from '../../testing/fakes.js';

const T0 = Date.UTC(2026, 5, 1);
const PW = 'correct horse battery staple';

async function withUser(opts: { clock?: ManualClock; config?: Record<string, unknown> } = {}) {
  const t = await createTestApi(opts);
  const r = await t.app.inject({ method: 'POST', url: '/api/v1/users', payload: { username: 'alice', password: PW, role: 'analyst' } });
  assert.equal(r.statusCode, 201, r.body);
  const login = (password = PW, ip = '127.0.0.1') => t.anonymous({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'alice', password }, remoteAddress: ip });
  return { ...t, login };
}

describe('login, tokens and sessions', () => {
  test('login returns an access token that works and a refresh token; /me tells who and what', async () => {
    const t = await withUser();
    const r = await t.login();
    assert.equal(r.statusCode, 200, r.body);
    const tok = r.json();
    assert.equal(tok.token_type, 'Bearer');
    assert.equal(tok.user.role, 'analyst');
    assert.equal(tok.expires_in, 900);
    const me = await t.anonymous({ url: '/api/v1/auth/me', headers: { authorization: `Bearer ${tok.access_token}` } });
    assert.equal(me.statusCode, 200);
    assert.equal(me.json().name, 'alice');
    assert.ok(me.json().permissions.includes('decisions:write'));
    assert.ok(!me.json().permissions.includes('users:write'));
    const forbidden = await t.anonymous({ url: '/api/v1/users', headers: { authorization: `Bearer ${tok.access_token}` } });
    assert.equal(forbidden.statusCode, 403);
    assert.match(forbidden.json().error.message, /user alice \(role analyst\) may not do this \(needs users:read\)/);
    const audit = await t.store.listAudit({ action: 'auth.login', limit: 10 });
    assert.equal(audit[0]!.actor, 'user:alice');
    await t.app.close();
  });

  test('user names are case-insensitive: "Alice" is alice, never a second account', async () => {
    const t = await withUser();
    const dup = await t.app.inject({ method: 'POST', url: '/api/v1/users', payload: { username: 'Alice', password: PW, role: 'admin' } });
    assert.equal(dup.statusCode, 409, dup.body);
    assert.equal(dup.json().error.code, 'user.exists');
    const r = await t.anonymous({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'ALICE', password: PW }, remoteAddress: '127.0.0.1' });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json().user.username, 'alice');
    const bob = await t.app.inject({ method: 'POST', url: '/api/v1/users', payload: { username: 'Bob', password: PW, role: 'viewer' } });
    assert.equal(bob.json().username, 'bob');
    const patched = await t.app.inject({ method: 'PATCH', url: '/api/v1/users/BOB', payload: { role: 'analyst' } });
    assert.equal(patched.statusCode, 200, patched.body);
    const [rec] = await t.store.listAudit({ action: 'user.update', limit: 10 });
    assert.equal(rec?.target, 'user:bob', 'audit targets name the stored account, whatever case was typed');
    await t.app.close();
  });

  test('wrong password and unknown user get the same 401; no password hash ever leaves the API', async () => {
    const t = await withUser();
    const bad = await t.login('wrong password!!');
    const nobody = await t.anonymous({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'mallory', password: PW } });
    assert.equal(bad.statusCode, 401);
    assert.equal(nobody.statusCode, 401);
    assert.equal(bad.json().error.message, nobody.json().error.message);
    assert.equal(bad.headers['www-authenticate'], 'Bearer realm="dio"');
    const users = await t.app.inject({ url: '/api/v1/users' });
    assert.doesNotMatch(users.body, /argon2/);
    await t.app.close();
  });

  test('five failures lock the account (423) until an admin resets it; lockout is audited', async () => {
    const t = await withUser();
    for (let i = 0; i < 5; i++) assert.equal((await t.login('nope nope nope', `10.0.0.${i}`)).statusCode, 401);
    const locked = await t.login(PW, '10.0.0.9');
    assert.equal(locked.statusCode, 423);
    assert.equal(locked.json().error.code, 'auth.locked');
    assert.equal((await t.store.listAudit({ action: 'user.locked', limit: 5 })).length, 1);
    const unlock = await t.app.inject({ method: 'PATCH', url: '/api/v1/users/alice', payload: { disabled: false } });
    assert.equal(unlock.statusCode, 200);
    assert.equal((await t.login(PW, '10.0.0.9')).statusCode, 200);
    await t.app.close();
  });

  test('logins are rate-limited per client address (429 with Retry-After)', async () => {
    const t = await withUser({ config: { auth: { login_attempts_per_minute: 3, lockout_after: 100 } } });
    for (let i = 0; i < 3; i++) await t.login('bad password 12', '198.51.100.1');
    const limited = await t.login(PW, '198.51.100.1');
    assert.equal(limited.statusCode, 429);
    assert.ok(Number(limited.headers['retry-after']) > 0);
    assert.equal((await t.login(PW, '198.51.100.2')).statusCode, 200, 'another address is not affected');
    await t.app.close();
  });

  test('refresh tokens rotate; reusing a spent one revokes the whole session', async () => {
    const t = await withUser();
    const first = (await t.login()).json();
    const second = await t.anonymous({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: first.refresh_token } });
    assert.equal(second.statusCode, 200);
    const replay = await t.anonymous({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: first.refresh_token } });
    assert.equal(replay.statusCode, 401);
    assert.equal(replay.json().error.code, 'auth.token_reused');
    const afterTheft = await t.anonymous({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: second.json().refresh_token } });
    assert.equal(afterTheft.statusCode, 401, 'the legitimate successor is revoked too');
    assert.equal((await t.store.listAudit({ action: 'auth.refresh_reuse', limit: 5 })).length, 1);
    await t.app.close();
  });

  test('access tokens expire; forged and malformed tokens are refused', async () => {
    const clock = new ManualClock(T0);
    const t = await withUser({ clock });
    const tok = (await t.login()).json();
    const auth = { authorization: `Bearer ${tok.access_token}` };
    assert.equal((await t.anonymous({ url: '/api/v1/alerts', headers: auth })).statusCode, 200);
    clock.advance(16 * 60_000);
    const expired = await t.anonymous({ url: '/api/v1/alerts', headers: auth });
    assert.equal(expired.statusCode, 401);
    assert.equal(expired.json().error.code, 'auth.token_expired');
    const [h, p] = tok.access_token.split('.');
    for (const bad of [`${h}.${p}.AAAA`, 'not-a-jwt', `${h}.${Buffer.from(JSON.stringify({ sub: 'x', typ: 'access' })).toString('base64url')}.`, 'dio_ak_AAAAAAAAAAAAAAAA_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']) {
      const r = await t.anonymous({ url: '/api/v1/alerts', headers: { authorization: `Bearer ${bad}` } });
      assert.equal(r.statusCode, 401, bad);
    }
    assert.equal((await t.anonymous({ url: '/api/v1/alerts', headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } })).statusCode, 401);
    await t.app.close();
  });

  test('disabling a user ends their access at once; the last admin cannot be disabled', async () => {
    const t = await withUser();
    const tok = (await t.login()).json();
    await t.app.inject({ method: 'PATCH', url: '/api/v1/users/alice', payload: { disabled: true } });
    assert.equal((await t.anonymous({ url: '/api/v1/alerts', headers: { authorization: `Bearer ${tok.access_token}` } })).statusCode, 401);
    assert.equal((await t.anonymous({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: tok.refresh_token } })).statusCode, 401);
    await t.app.inject({ method: 'POST', url: '/api/v1/users', payload: { username: 'root', password: PW, role: 'admin' } });
    for (const patch of [{ disabled: true }, { role: 'viewer' }]) {
      const last = await t.app.inject({ method: 'PATCH', url: '/api/v1/users/root', payload: patch });
      assert.equal(last.statusCode, 409);
      assert.equal(last.json().error.code, 'user.last_admin');
    }
    await t.app.close();
  });

  test('API keys: shown once, hashed at rest, role-scoped, revocable; every change audited', async () => {
    const t = await createTestApi();
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/api-keys', payload: { name: 'grafana', role: 'viewer' } });
    assert.equal(created.statusCode, 201);
    const key = created.json().key as string;
    assert.match(key, /^dio_ak_[A-Za-z0-9]{16}_[A-Za-z0-9_-]{43}$/);
    const rec = await t.store.auth.getApiKey(created.json().id);
    // The secret is base64url and may itself contain "_": take everything after the 16-char id.
    const secret = /^dio_ak_[A-Za-z0-9]{16}_(.+)$/.exec(key)![1]!;
    assert.ok(rec && !JSON.stringify(rec).includes(secret), 'the secret is not stored');
    const h = { authorization: `Bearer ${key}` };
    assert.equal((await t.anonymous({ url: '/api/v1/alerts', headers: h })).statusCode, 200);
    assert.equal((await t.anonymous({ url: '/api/v1/alerts', headers: { 'x-api-key': key } })).statusCode, 200);
    assert.equal((await t.anonymous({ method: 'POST', url: '/api/v1/decisions', headers: h, payload: { value: '198.51.100.1' } })).statusCode, 403);
    assert.equal((await t.app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${created.json().id}` })).statusCode, 200);
    assert.equal((await t.anonymous({ url: '/api/v1/alerts', headers: h })).statusCode, 401);
    const actions = (await t.store.listAudit({ limit: 100 })).map((a) => a.action);
    assert.ok(actions.includes('apikey.create') && actions.includes('apikey.revoke'));
    await t.app.close();
  });
});
