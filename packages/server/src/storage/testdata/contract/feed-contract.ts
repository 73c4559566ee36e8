import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { EnforcementReport } from '@dio/protocol';
import type { DecisionChangeKind } from '../../port-agents.js';
import { iso, makeDecision, makeEnforcementReport } from '../fixtures.js';
import { rejectsWith, type EnvRef } from './helpers.js';

const T0 = Date.UTC(2026, 0, 1);

export function feedContract(env: EnvRef): void {
  describe('decision feed: change log', () => {
    test('appendDecisionChange assigns increasing seqs and is idempotent per (decision, kind)', async () => {
      const { feed } = env().store;
      assert.deepEqual(await feed.decisionChangeBounds(), { first: null, last: 0 });
      const d1 = makeDecision({ id: 'de-1' });
      const d2 = makeDecision({ id: 'de-2', value: '198.51.100.7' });
      const a = await feed.appendDecisionChange('created', d1, T0);
      const b = await feed.appendDecisionChange('created', d2, T0 + 1);
      const c = await feed.appendDecisionChange('removed', { ...d1, status: 'deleted' }, T0 + 2);
      assert.equal(a.duplicate || b.duplicate || c.duplicate, false);
      assert.ok(a.seq >= 1 && b.seq > a.seq && c.seq > b.seq, `${a.seq} < ${b.seq} < ${c.seq}`);
      assert.deepEqual(await feed.appendDecisionChange('created', d1, T0 + 99), { seq: a.seq, duplicate: true }, 'a redelivery returns the original seq');
      const all = await feed.listDecisionChanges(0, 100);
      assert.deepEqual(all, [
        { seq: a.seq, kind: 'created', decision: d1, at: T0 },
        { seq: b.seq, kind: 'created', decision: d2, at: T0 + 1 },
        { seq: c.seq, kind: 'removed', decision: { ...d1, status: 'deleted' }, at: T0 + 2 },
      ]);
      assert.deepEqual((await feed.listDecisionChanges(a.seq, 100)).map((x) => x.seq), [b.seq, c.seq]);
      assert.deepEqual((await feed.listDecisionChanges(0, 1)).map((x) => x.seq), [a.seq]);
      assert.deepEqual(await feed.listDecisionChanges(c.seq, 100), []);
      assert.deepEqual(await feed.decisionChangeBounds(), { first: a.seq, last: c.seq });
    });

    test('concurrent appends of one change store it once', async () => {
      const { feed } = env().store;
      const d = makeDecision();
      const results = await Promise.all([1, 2, 3].map(() => feed.appendDecisionChange('expired', d, T0)));
      assert.equal(new Set(results.map((r) => r.seq)).size, 1);
      assert.deepEqual(results.map((r) => r.duplicate).sort(), [false, true, true]);
      assert.equal((await feed.listDecisionChanges(0, 10)).length, 1);
    });

    test('purgeDecisionChanges drops old changes, keeps the newest, and seqs are never handed out again', async () => {
      const { feed } = env().store;
      const seqs: number[] = [];
      for (let i = 0; i < 5; i++) seqs.push((await feed.appendDecisionChange('created', makeDecision({ id: `de-p${i}` }), T0 + i * 1000)).seq);
      assert.equal(await feed.purgeDecisionChanges(T0 + 2000), 2);
      assert.deepEqual(await feed.decisionChangeBounds(), { first: seqs[2], last: seqs[4] });
      assert.deepEqual((await feed.listDecisionChanges(0, 100)).map((c) => c.seq), seqs.slice(2));
      assert.equal(await feed.purgeDecisionChanges(T0 + 99_000), 2, 'the newest change stays, so `last` survives');
      assert.deepEqual(await feed.decisionChangeBounds(), { first: seqs[4], last: seqs[4] });
      const next = await feed.appendDecisionChange('created', makeDecision(), T0 + 100_000);
      assert.ok(next.seq > seqs[4]!, `seq ${next.seq} after ${seqs[4]}`);
      assert.equal(await feed.purgeDecisionChanges(T0), 0);
    });

    test('invalid changes are refused', async () => {
      const { feed } = env().store;
      await rejectsWith(feed.appendDecisionChange('paused' as DecisionChangeKind, makeDecision(), T0), 'store.invalid_input', 400);
      await rejectsWith(feed.appendDecisionChange('created', { ...makeDecision(), value: 'nope' }, T0), 'store.invalid_input', 400);
      await rejectsWith(feed.appendDecisionChange('created', makeDecision(), Number.NaN), 'store.invalid_input', 400);
      await rejectsWith(feed.listDecisionChanges(Number.NaN, 10), 'store.invalid_input', 400);
      assert.deepEqual(await feed.decisionChangeBounds(), { first: null, last: 0 });
    });
  });

  describe('decision feed: per-agent enforcement', () => {
    const rep = (decision_id: string, t: number, over: Partial<EnforcementReport> = {}) => makeEnforcementReport({ decision_id, at: iso(T0 + t), ...over });

    test('upsertEnforcement keeps the newest report per (agent, decision); older reports are ignored', async () => {
      const { feed } = env().store;
      await feed.upsertEnforcement('web01', [rep('de-1', 10), rep('de-2', 20)]);
      await feed.upsertEnforcement('web01', [rep('de-1', 5, { status: 'failed', error: 'stale' })]);
      assert.deepEqual(await feed.listEnforcement({ agent_id: 'web01', decision_id: 'de-1', limit: 10 }), [{ ...rep('de-1', 10), agent_id: 'web01' }]);
      const verified = rep('de-1', 30, { status: 'verified' });
      await feed.upsertEnforcement('web01', [verified]);
      const tie = rep('de-1', 30, { status: 'removed' });
      await feed.upsertEnforcement('web01', [tie]);
      assert.deepEqual(await feed.listEnforcement({ decision_id: 'de-1', limit: 10 }), [{ ...tie, agent_id: 'web01' }], 'a report as new as the stored one replaces it');
      // one batch naming a decision twice: the newest wins whatever the order
      await feed.upsertEnforcement('web02', [rep('de-1', 50, { status: 'applied' }), rep('de-1', 40, { status: 'failed', error: 'x' })]);
      assert.deepEqual(await feed.listEnforcement({ agent_id: 'web02', limit: 10 }), [{ ...rep('de-1', 50), agent_id: 'web02' }]);
      await feed.upsertEnforcement('web01', []);
    });

    test('listEnforcement by decision or by agent, newest first, bounded; arguments are checked', async () => {
      const { feed } = env().store;
      await feed.upsertEnforcement('web01', [rep('de-1', 1), rep('de-2', 4), rep('de-3', 2)]);
      await feed.upsertEnforcement('web02', [rep('de-1', 3, { firewall: 'iptables', status: 'allowlisted' })]);
      assert.deepEqual((await feed.listEnforcement({ agent_id: 'web01', limit: 10 })).map((e) => e.decision_id), ['de-2', 'de-3', 'de-1']);
      assert.deepEqual(await feed.listEnforcement({ decision_id: 'de-1', limit: 10 }), [
        { ...rep('de-1', 3, { firewall: 'iptables', status: 'allowlisted' }), agent_id: 'web02' },
        { ...rep('de-1', 1), agent_id: 'web01' },
      ]);
      assert.equal((await feed.listEnforcement({ agent_id: 'web01', limit: 2 })).length, 2);
      assert.deepEqual(await feed.listEnforcement({ decision_id: 'de-9', limit: 10 }), []);
      await rejectsWith(feed.listEnforcement({ limit: 10 }), 'store.invalid_input', 400);
      await rejectsWith(feed.upsertEnforcement('web01', [rep('de-4', 1), { ...rep('de-5', 1), status: 'exploded' } as unknown as EnforcementReport]), 'store.invalid_input', 400);
      await rejectsWith(feed.upsertEnforcement('bad agent', [rep('de-4', 1)]), 'store.invalid_input', 400);
      assert.deepEqual(await feed.listEnforcement({ decision_id: 'de-4', limit: 10 }), [], 'a refused batch stores nothing');
    });
  });
}
