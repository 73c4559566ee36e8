import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { auditHash, GENESIS_HASH, verifyAuditChain } from '../../audit-chain.js';
import type { AuditQuery, AuditRecord } from '../../port.js';
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

    test('listAudit filters by target (exact, or prefix ending in ":") and by time (since inclusive, until exclusive)', async () => {
      const { store, clock } = env();
      const targets = ['agent:web01', 'agent:web02', 'agent:', 'agentsx:1', 'Agent:web03', 'decision:d1', 'agent_x:1', 'a%:1', 'agent:web01:sub'];
      for (const [i, target] of targets.entries()) {
        clock.set(T0 + i * 1000);
        await store.appendAudit({ actor: 'cli', action: 'agent.update', target, origin: 'cli' });
      }
      const seqs = async (q: Omit<AuditQuery, 'limit'>) => (await store.listAudit({ limit: 100, ...q })).map((r) => r.seq);
      assert.deepEqual(await seqs({ target: 'agent:web01' }), [1], 'no trailing colon: exact');
      assert.deepEqual(await seqs({ target: 'agent:' }), [1, 2, 3, 9], 'prefix, case-sensitive');
      assert.deepEqual(await seqs({ target: 'agent:web01:' }), [9]);
      assert.deepEqual(await seqs({ target: 'agent_x:' }), [7], '_ is not a wildcard');
      assert.deepEqual(await seqs({ target: 'a%:' }), [8], '% is not a wildcard');
      assert.deepEqual(await seqs({ target: 'agent' }), []);
      assert.deepEqual(await seqs({ since: T0 + 2000, until: T0 + 4000 }), [3, 4]);
      assert.deepEqual(await seqs({ since: T0 + 2500 }), [4, 5, 6, 7, 8, 9]);
      assert.deepEqual(await seqs({ until: T0 + 1 }), [1]);
      assert.deepEqual(await seqs({ target: 'agent:', since: T0 + 1000, since_seq: 2 }), [3, 9]);
      assert.deepEqual(await seqs({ since: -1e20, until: 1e20 }), [1, 2, 3, 4, 5, 6, 7, 8, 9], 'bounds beyond the ISO range are clamped');
      await rejectsWith(store.listAudit({ limit: 10, since: Number.NaN }), 'store.invalid_input', 400);
    });

    test('auditHead is the newest seq and hash (0 and the genesis hash when empty)', async () => {
      const { store } = env();
      assert.deepEqual(await store.auditHead(), { seq: 0, hash: GENESIS_HASH });
      await store.appendAudit({ actor: 'cli', action: 'a', target: 't', origin: 'cli' });
      const r2 = await store.appendAudit({ actor: 'cli', action: 'b', target: 't', origin: 'cli' });
      assert.deepEqual(await store.auditHead(), { seq: 2, hash: r2.hash });
      const head = await store.auditHead();
      const r3 = await store.appendAudit({ actor: 'cli', action: 'c', target: 't', origin: 'cli' });
      assert.deepEqual(verifyAuditChain([r3], { anchor: head }), { ok: true }, 'the head anchors a later tail');
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
