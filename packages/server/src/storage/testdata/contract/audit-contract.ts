import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { auditHash, GENESIS_HASH, verifyAuditChain } from '../../audit-chain.js';
import type { AuditRecord } from '../../port.js';
import { rejectsWith, type EnvRef } from './helpers.js';

const T0 = Date.UTC(2026, 0, 1);

export function auditContract(env: EnvRef): void {
  describe('audit', () => {
    test('appendAudit chains records from the genesis hash with the clock time', async () => {
      const { store, clock } = env();
      clock.set(T0);
      const r1 = await store.appendAudit({ actor: 'user:alice', action: 'decision.create', target: 'decision:d1', origin: '127.0.0.1', after: { value: '192.0.2.1', ttl: 3600 } });
      clock.advance(1500);
      const r2 = await store.appendAudit({ actor: 'cli', action: 'decision.delete', target: 'decision:d1', origin: 'cli', before: { value: '192.0.2.1', status: 'active' }, after: null });
      assert.equal(r1.seq, 1);
      assert.equal(r2.seq, 2);
      assert.equal(r1.prev_hash, GENESIS_HASH);
      assert.equal(r2.prev_hash, r1.hash);
      assert.equal(r1.at, new Date(T0).toISOString());
      assert.equal(r2.at, new Date(T0 + 1500).toISOString());
      assert.equal(r1.hash, auditHash(GENESIS_HASH, r1));
      assert.match(r1.hash, /^[0-9a-f]{64}$/);
      const listed = await store.listAudit({ limit: 10 });
      assert.deepEqual(listed, [r1, r2]);
      assert.equal('before' in listed[0]!, false, 'an absent snapshot stays absent');
      assert.equal(listed[1]!.after, null, 'a null snapshot stays null');
      assert.deepEqual(verifyAuditChain(listed), { ok: true });
    });

    test('listAudit filters by since_seq, actor and action, oldest first, bounded by limit', async () => {
      const { store } = env();
      for (let i = 0; i < 12; i++) {
        await store.appendAudit({ actor: i % 2 ? 'user:bob' : 'system:decide', action: i % 3 ? 'decision.create' : 'alert.status', target: `t${i}`, origin: 'pipeline' });
      }
      assert.deepEqual((await store.listAudit({ limit: 100, since_seq: 9 })).map((r) => r.seq), [10, 11, 12]);
      assert.deepEqual((await store.listAudit({ limit: 3 })).map((r) => r.seq), [1, 2, 3]);
      assert.deepEqual((await store.listAudit({ limit: 100, actor: 'user:bob', action: 'alert.status' })).map((r) => r.seq), [4, 10]);
      const paged: AuditRecord[] = [];
      for (let since = 0; ; ) {
        const page = await store.listAudit({ limit: 5, since_seq: since });
        if (page.length === 0) break;
        paged.push(...page);
        since = page[page.length - 1]!.seq;
      }
      assert.equal(paged.length, 12);
      assert.deepEqual(verifyAuditChain(paged), { ok: true });
    });

    test('verifyAuditChain finds an edited, a deleted and a reordered record', async () => {
      const { store } = env();
      for (let i = 0; i < 6; i++) await store.appendAudit({ actor: 'user:alice', action: 'config.reload', target: `cfg:${i}`, origin: '::1', after: { n: i, nested: { b: 1, a: [i] } } });
      const chain = await store.listAudit({ limit: 100 });
      assert.deepEqual(verifyAuditChain(chain), { ok: true });
      const edited = chain.map((r) => (r.seq === 3 ? { ...r, after: { n: 99 } } : r));
      assert.deepEqual(verifyAuditChain(edited), { ok: false, brokenAt: 3 });
      const rehashed = edited.map((r) => (r.seq === 3 ? { ...r, hash: auditHash(r.prev_hash, r) } : r));
      assert.deepEqual(verifyAuditChain(rehashed), { ok: false, brokenAt: 4 }, 'recomputing the edited hash breaks the next link');
      assert.deepEqual(verifyAuditChain(chain.filter((r) => r.seq !== 4)), { ok: false, brokenAt: 5 });
      assert.deepEqual(verifyAuditChain(chain.slice(1)), { ok: false, brokenAt: 2 });
      assert.deepEqual(verifyAuditChain([chain[1]!, chain[0]!, ...chain.slice(2)]), { ok: false, brokenAt: 2 });
      assert.deepEqual(verifyAuditChain(chain.slice(2), { anchor: { seq: 2, hash: chain[1]!.hash } }), { ok: true });
    });

    test('appendAudit refuses empty or oversized fields', async () => {
      const { store } = env();
      await rejectsWith(store.appendAudit({ actor: '', action: 'x', target: 'y', origin: 'z' }), 'store.invalid_input', 400);
      await rejectsWith(store.appendAudit({ actor: 'a', action: 'x', target: 'y'.repeat(10_000), origin: 'z' }), 'store.invalid_input', 400);
      await rejectsWith(store.appendAudit({ actor: 'a', action: 'x', target: 'y', origin: 'z', after: 'x'.repeat(300_000) }), 'store.invalid_input', 400);
      assert.deepEqual(await store.listAudit({ limit: 10 }), []);
    });
  });
}
