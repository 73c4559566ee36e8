import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AgentRecord } from '../../port-agents.js';
import { makeAgent, makeEnrollmentToken, makeHostInfo } from '../fixtures.js';
import { rejectsWith, type EnvRef } from './helpers.js';

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;

export function agentsContract(env: EnvRef): void {
  describe('agents: enrollment tokens', () => {
    test('insert / get / list (newest first) / revoke; duplicate id or hash conflicts; invalid tokens refused', async () => {
      const { agents } = env().store;
      const t1 = makeEnrollmentToken({ id: 'et-1', created_at: T0, description: 'rack 4' });
      const t2 = makeEnrollmentToken({ id: 'et-2', created_at: T0 + 1000, max_uses: 10, labels: {} });
      await agents.insertEnrollmentToken(t1);
      await agents.insertEnrollmentToken(t2);
      assert.deepEqual(await agents.getEnrollmentToken('et-1'), t1);
      assert.equal('description' in (await agents.getEnrollmentToken('et-2'))!, false, 'an absent description stays absent');
      assert.equal(await agents.getEnrollmentToken('et-9'), undefined);
      assert.deepEqual(await agents.listEnrollmentTokens(), [t2, t1]);
      assert.deepEqual(await agents.revokeEnrollmentToken('et-1'), { ...t1, revoked: true });
      assert.equal(await agents.revokeEnrollmentToken('et-9'), undefined);
      await rejectsWith(agents.insertEnrollmentToken({ ...t1, token_hash: makeEnrollmentToken().token_hash }), 'store.conflict', 409);
      await rejectsWith(agents.insertEnrollmentToken(makeEnrollmentToken({ token_hash: t2.token_hash })), 'store.conflict', 409);
      await rejectsWith(agents.insertEnrollmentToken(makeEnrollmentToken({ max_uses: 0 })), 'store.invalid_input', 400);
      await rejectsWith(agents.insertEnrollmentToken(makeEnrollmentToken({ labels: { 'bad key!': 'x' } })), 'store.invalid_input', 400);
    });

    test('consumeEnrollmentToken counts uses up to max_uses, then says why it refuses', async () => {
      const { agents } = env().store;
      const t = makeEnrollmentToken({ max_uses: 2, expires_at: T0 + HOUR });
      await agents.insertEnrollmentToken(t);
      const first = await agents.consumeEnrollmentToken(t.token_hash, T0);
      assert.deepEqual(first, { ok: true, token: { ...t, uses: 1 } });
      assert.deepEqual(await agents.consumeEnrollmentToken(t.token_hash, T0), { ok: true, token: { ...t, uses: 2 } });
      assert.deepEqual(await agents.consumeEnrollmentToken(t.token_hash, T0), { ok: false, reason: 'exhausted' });
      assert.equal((await agents.getEnrollmentToken(t.id))?.uses, 2, 'a refused use is not counted');
      assert.deepEqual(await agents.consumeEnrollmentToken('0'.repeat(64), T0), { ok: false, reason: 'unknown' });

      const expiring = makeEnrollmentToken({ max_uses: 5, expires_at: T0 + HOUR });
      await agents.insertEnrollmentToken(expiring);
      assert.deepEqual(await agents.consumeEnrollmentToken(expiring.token_hash, T0 + HOUR), { ok: false, reason: 'expired' });
      const revoked = makeEnrollmentToken({ max_uses: 5 });
      await agents.insertEnrollmentToken(revoked);
      await agents.revokeEnrollmentToken(revoked.id);
      assert.deepEqual(await agents.consumeEnrollmentToken(revoked.token_hash, T0), { ok: false, reason: 'revoked' });
    });

    test('concurrent consumption never exceeds max_uses', async () => {
      const { agents } = env().store;
      const t = makeEnrollmentToken({ max_uses: 3 });
      await agents.insertEnrollmentToken(t);
      const results = await Promise.all(Array.from({ length: 8 }, () => agents.consumeEnrollmentToken(t.token_hash, T0)));
      assert.equal(results.filter((r) => r.ok).length, 3);
      assert.deepEqual(results.filter((r) => r.ok).map((r) => (r.ok ? r.token.uses : 0)).sort(), [1, 2, 3]);
      assert.ok(results.every((r) => r.ok || r.reason === 'exhausted'));
    });
  });

  describe('agents: records', () => {
    test('insert / get / list (by id) / update / delete; conflicts and invalid records', async () => {
      const { agents } = env().store;
      const b = makeAgent({ id: 'web02', labels: { env: 'prod', role: 'web' }, load: { cpu_pct: 3, uptime_s: 99 } });
      const a = makeAgent({ id: 'db01', host: makeHostInfo({ hostname: 'db01' }) });
      await agents.insertAgent(b);
      await agents.insertAgent(a);
      assert.deepEqual(await agents.getAgent('web02'), b);
      assert.equal(await agents.getAgent('nope'), undefined);
      assert.deepEqual(await agents.listAgents(), [a, b]);
      await rejectsWith(agents.insertAgent({ ...a, hostname: 'other' }), 'store.conflict', 409);
      await rejectsWith(agents.insertAgent(makeAgent({ id: '-bad' })), 'store.invalid_input', 400);
      await rejectsWith(agents.insertAgent(makeAgent({ public_key: 'short' })), 'store.invalid_input', 400);
      await rejectsWith(agents.insertAgent({ ...makeAgent(), host: { hostname: '' } as AgentRecord['host'] }), 'store.invalid_input', 400);
      await rejectsWith(agents.insertAgent(makeAgent({ state: 'sleeping' as AgentRecord['state'] })), 'store.invalid_input', 400);

      const seen = { last_seen_at: T0 + 30_000, last_address: '192.0.2.10', load: { cpu_pct: 55 }, silent_since: null, labels: { env: 'staging' } };
      assert.deepEqual(await agents.updateAgent('web02', seen), { ...b, ...seen });
      assert.deepEqual(await agents.updateAgent('web02', { state: 'disabled', load: undefined }), { ...b, ...seen, state: 'disabled' }, 'an undefined field is left alone');
      assert.deepEqual(await agents.getAgent('web02'), { ...b, ...seen, state: 'disabled' });
      assert.equal(await agents.updateAgent('nope', { state: 'revoked' }), undefined);
      await rejectsWith(agents.updateAgent('web02', { id: 'web03' } as never), 'store.invalid_input', 400);
      await rejectsWith(agents.updateAgent('web02', { heartbeat_interval_s: 0 }), 'store.invalid_input', 400);

      assert.equal(await agents.deleteAgent('web02'), true);
      assert.equal(await agents.deleteAgent('web02'), false);
      assert.deepEqual(await agents.listAgents(), [a]);
    });
  });

  describe('agents: request nonces', () => {
    test('useNonce catches a replay per agent; purgeNonces drops expired ones', async () => {
      const { agents } = env().store;
      assert.equal(await agents.useNonce('web01', 'n-aaaaaaaaaaaaaaaa', T0 + 600_000), true);
      assert.equal(await agents.useNonce('web01', 'n-aaaaaaaaaaaaaaaa', T0 + 600_000), false, 'replay');
      assert.equal(await agents.useNonce('web02', 'n-aaaaaaaaaaaaaaaa', T0 + 600_000), true, 'nonces are per agent');
      assert.equal(await agents.useNonce('web01', 'n-bbbbbbbbbbbbbbbb', T0 + 60_000), true);
      const both = await Promise.all([agents.useNonce('web01', 'n-race', T0 + 1), agents.useNonce('web01', 'n-race', T0 + 1)]);
      assert.deepEqual(both.sort(), [false, true]);
      assert.equal(await agents.purgeNonces(T0 + 60_000), 2, 'expires_at <= now goes');
      assert.equal(await agents.useNonce('web01', 'n-aaaaaaaaaaaaaaaa', T0 + 600_000), false, 'unexpired nonces are kept');
      assert.equal(await agents.purgeNonces(T0 + 600_000), 2);
      await rejectsWith(agents.useNonce('web01', '', T0), 'store.invalid_input', 400);
      await rejectsWith(agents.useNonce('web01', 'n-x', 1.5), 'store.invalid_input', 400);
    });
  });
}
