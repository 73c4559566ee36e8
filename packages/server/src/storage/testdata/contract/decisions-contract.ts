import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Decision, DecisionFilter } from '@dio/protocol';
import { iso, makeDecision } from '../fixtures.js';
import { allPages, newestFirst, rejectsWith, type EnvRef } from './helpers.js';

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;

export function decisionsContract(env: EnvRef): void {
  describe('decisions', () => {
    test('insertDecision / getDecision round-trip; conflicts and invalid input are refused', async () => {
      const { store } = env();
      const d = makeDecision({ alert_id: 'al-1', created_by: 'system:decide' });
      await store.insertDecision(d);
      assert.deepEqual(await store.getDecision(d.id), d);
      assert.equal(await store.getDecision('nope'), undefined);
      await rejectsWith(store.insertDecision(d), 'store.conflict', 409);
      await rejectsWith(store.insertDecision({ ...makeDecision(), value: 'not-an-ip' }), 'store.invalid_input', 400);
    });

    test('listDecisions pages newest first and filters by status, value and origin', async () => {
      const { store } = env();
      const all: Decision[] = [];
      for (let i = 0; i < 45; i++) {
        const d = makeDecision({
          id: `de-${String((i * 17) % 45).padStart(2, '0')}`,
          created_at: iso(T0 + (i % 6) * 1000),
          value: i % 3 === 0 ? '192.0.2.10' : `198.51.100.${i}`,
          origin: i % 5 === 0 ? 'manual' : 'scenario',
          status: i % 4 === 0 ? 'deleted' : 'active',
        });
        all.push(d);
        await store.insertDecision(d);
      }
      const list = async (f: Omit<DecisionFilter, 'limit'>) => (await allPages((cursor) => store.listDecisions({ limit: 4, ...f, cursor }))).items;
      const sorted = newestFirst(all, (d) => [Date.parse(d.created_at), d.id]);
      assert.deepEqual(await list({}), sorted);
      assert.deepEqual(await list({ status: 'deleted' }), sorted.filter((d) => d.status === 'deleted'));
      assert.deepEqual(await list({ value: '192.0.2.10' }), sorted.filter((d) => d.value === '192.0.2.10'));
      assert.deepEqual(await list({ origin: 'manual', status: 'active' }), sorted.filter((d) => d.origin === 'manual' && d.status === 'active'));
    });

    test('activeDecisions returns active decisions that have not expired yet', async () => {
      const { store } = env();
      const live = makeDecision({ created_at: iso(T0), duration_s: 7200 });
      const ended = makeDecision({ created_at: iso(T0), duration_s: 60 });
      const deleted = makeDecision({ created_at: iso(T0), duration_s: 7200, status: 'deleted' });
      for (const d of [live, ended, deleted]) await store.insertDecision(d);
      assert.deepEqual(await store.activeDecisions(T0 + HOUR), [live]);
      assert.deepEqual(await store.activeDecisions(T0 + 7200 * 1000), [], 'expires_at itself is no longer active');
    });

    test('updateDecision merges status and enforcement into the stored decision', async () => {
      const { store } = env();
      const d = makeDecision();
      await store.insertDecision(d);
      const enforcement = { status: 'applied' as const, firewall: 'nftables', at: iso(T0 + 5) };
      assert.deepEqual(await store.updateDecision(d.id, { enforcement }), { ...d, enforcement });
      assert.deepEqual(await store.updateDecision(d.id, { status: 'deleted' }), { ...d, enforcement, status: 'deleted' });
      assert.deepEqual(await store.getDecision(d.id), { ...d, enforcement, status: 'deleted' });
      assert.equal((await store.listDecisions({ limit: 10, status: 'deleted' })).items.length, 1);
      assert.deepEqual(await store.activeDecisions(T0), []);
      assert.equal(await store.updateDecision('missing', { status: 'deleted' }), undefined);
      await rejectsWith(store.updateDecision(d.id, { status: 'paused' as Decision['status'] }), 'store.invalid_input', 400);
      await rejectsWith(store.updateDecision(d.id, { enforcement: { status: 'done' } as unknown as Decision['enforcement'] }), 'store.invalid_input', 400);
    });

    test('expireDecisions flips due active decisions to expired, once, and returns them', async () => {
      const { store } = env();
      const due1 = makeDecision({ created_at: iso(T0), duration_s: 60 });
      const due2 = makeDecision({ created_at: iso(T0), duration_s: 120 });
      const later = makeDecision({ created_at: iso(T0), duration_s: 3600 });
      const deleted = makeDecision({ created_at: iso(T0), duration_s: 60, status: 'deleted' });
      for (const d of [due1, due2, later, deleted]) await store.insertDecision(d);
      const expired = await store.expireDecisions(T0 + 120_000);
      assert.deepEqual(
        expired.map((d) => d.id).sort(),
        [due1.id, due2.id].sort(),
      );
      assert.ok(expired.every((d) => d.status === 'expired'));
      assert.deepEqual(await store.expireDecisions(T0 + 120_000), []);
      assert.equal((await store.getDecision(due1.id))?.status, 'expired');
      assert.equal((await store.getDecision(deleted.id))?.status, 'deleted');
      assert.deepEqual((await store.listDecisions({ limit: 10, status: 'expired' })).items.map((d) => d.id).sort(), [due1.id, due2.id].sort());
      assert.deepEqual(await store.activeDecisions(T0 + 120_000), [later]);
    });

    test('countDecisionsFor counts every decision for the value since a time (escalation)', async () => {
      const { store } = env();
      const v = '203.0.113.50';
      await store.insertDecision(makeDecision({ value: v, created_at: iso(T0 - 48 * HOUR) }));
      await store.insertDecision(makeDecision({ value: v, created_at: iso(T0 - 2 * HOUR), status: 'expired' }));
      await store.insertDecision(makeDecision({ value: v, created_at: iso(T0 - HOUR), simulated: true, status: 'deleted' }));
      await store.insertDecision(makeDecision({ value: v, created_at: iso(T0) }));
      await store.insertDecision(makeDecision({ value: '203.0.113.51', created_at: iso(T0) }));
      assert.equal(await store.countDecisionsFor(v, T0 - 24 * HOUR), 3);
      assert.equal(await store.countDecisionsFor(v, T0), 1, 'since is inclusive');
      assert.equal(await store.countDecisionsFor(v, T0 - 72 * HOUR), 4);
      assert.equal(await store.countDecisionsFor('192.0.2.99', 0), 0);
    });
  });
}
