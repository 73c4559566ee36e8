import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Alert, AlertFilter } from '@dio/protocol';
import { iso, makeAlert } from '../fixtures.js';
import { allPages, newestFirst, rejectsWith, type EnvRef } from './helpers.js';

const T0 = Date.UTC(2026, 0, 1);
const key = (a: Alert): [number, string] => [Date.parse(a.created_at), a.id];

export function alertsContract(env: EnvRef): void {
  describe('alerts', () => {
    test('insertAlert / getAlert round-trip; unknown id is undefined', async () => {
      const { store } = env();
      const a = makeAlert({ labels: { host: 'web01' }, origin: 'file:/var/log/auth.log' });
      await store.insertAlert(a);
      assert.deepEqual(await store.getAlert(a.id), a);
      assert.equal(await store.getAlert('no-such-alert'), undefined);
    });

    test('a duplicate id is a conflict and an invalid alert is refused', async () => {
      const { store } = env();
      const a = makeAlert();
      await store.insertAlert(a);
      await rejectsWith(store.insertAlert({ ...a, title: 'again' }), 'store.conflict', 409);
      assert.equal((await store.getAlert(a.id))?.title, a.title);
      await rejectsWith(store.insertAlert({ ...makeAlert(), severity: 'apocalyptic' } as unknown as Alert), 'store.invalid_input', 400);
      await rejectsWith(store.insertAlert({ ...makeAlert(), created_at: 'yesterday' }), 'store.invalid_input', 400);
      await rejectsWith(store.insertAlert(makeAlert({ id: 'al-\u0000' })), 'store.invalid_input', 400);
      assert.equal(await store.getAlert('al-\u0000'), undefined);
    });

    test('listAlerts walks every alert once, newest first by (created_at, id), across ties', async () => {
      const { store } = env();
      const all: Alert[] = [];
      for (let i = 0; i < 137; i++) {
        const a = makeAlert({ id: `al-${(i * 37) % 137}`, created_at: iso(T0 + (i % 11) * 1000) });
        all.push(a);
        await store.insertAlert(a);
      }
      const { items, pages } = await allPages((cursor) => store.listAlerts({ limit: 10, cursor }));
      assert.equal(pages, 14);
      assert.deepEqual(items, newestFirst(all, key));
    });

    test('alerts inserted while paging do not shift the pages being walked', async () => {
      const { store } = env();
      for (let i = 0; i < 30; i++) await store.insertAlert(makeAlert({ id: `old-${String(i).padStart(2, '0')}`, created_at: iso(T0 + i * 1000) }));
      const seen: string[] = [];
      let cursor: string | undefined;
      let n = 0;
      do {
        const page = await store.listAlerts({ limit: 7, cursor });
        seen.push(...page.items.map((a) => a.id));
        cursor = page.next_cursor ?? undefined;
        await store.insertAlert(makeAlert({ id: `new-${n++}`, created_at: iso(T0 + 10_000_000 + n) }));
      } while (cursor !== undefined);
      assert.deepEqual(seen, Array.from({ length: 30 }, (_, i) => `old-${String(29 - i).padStart(2, '0')}`));
    });

    test('listAlerts filters: since/until, scenario, severity, source_ip, technique (parent matches subs), status', async () => {
      const { store } = env();
      const mk = (id: string, t: number, over: Partial<Alert>) => makeAlert({ id, created_at: iso(T0 + t * 1000), ...over });
      const fixtures = [
        mk('a1', 1, { scenario: 'ssh-bruteforce', severity: 'high', source: { ip: '192.0.2.1' } }),
        mk('a2', 2, { scenario: 'port-scan', severity: 'low', source: { ip: '192.0.2.2' }, technique: { id: 'T1046', name: 'Network Service Discovery', tactic: 'discovery' } }),
        mk('a3', 3, { scenario: 'ssh-bruteforce', severity: 'critical', source: { ip: '192.0.2.1' }, technique: { id: 'T1110', name: 'Brute Force', tactic: 'credential-access' } }),
        mk('a4', 4, { scenario: 'http-probing', severity: 'medium', source: {}, technique: { id: 'T1595.002', name: 'Vulnerability Scanning', tactic: 'reconnaissance' }, status: 'resolved' }),
        mk('a5', 5, { scenario: 'ssh-bruteforce', severity: 'high', source: { ip: '192.0.2.3' }, technique: { id: 'T1110.003', name: 'Password Spraying', tactic: 'credential-access' } }),
      ];
      for (const a of fixtures) await store.insertAlert(a);
      const ids = async (f: Omit<AlertFilter, 'limit'>) => (await allPages((cursor) => store.listAlerts({ limit: 2, ...f, cursor }))).items.map((a) => a.id);
      assert.deepEqual(await ids({ since: iso(T0 + 2000), until: iso(T0 + 4000) }), ['a3', 'a2']);
      assert.deepEqual(await ids({ scenario: 'ssh-bruteforce' }), ['a5', 'a3', 'a1']);
      assert.deepEqual(await ids({ severity: 'high' }), ['a5', 'a1']);
      assert.deepEqual(await ids({ source_ip: '192.0.2.1' }), ['a3', 'a1']);
      assert.deepEqual(await ids({ technique: 'T1110' }), ['a5', 'a3', 'a1']);
      assert.deepEqual(await ids({ technique: 'T1110.001' }), ['a1']);
      assert.deepEqual(await ids({ technique: 'T1595' }), ['a4']);
      assert.deepEqual(await ids({ technique: 'T15' }), []);
      assert.deepEqual(await ids({ status: 'resolved' }), ['a4']);
      assert.deepEqual(await ids({ scenario: 'ssh-bruteforce', severity: 'high', since: iso(T0 + 2000) }), ['a5']);
      await rejectsWith(store.listAlerts({ limit: 10, since: 'soon' }), 'store.invalid_input', 400);
      await rejectsWith(store.listAlerts({ limit: 10, cursor: 'AAAA' }), 'store.invalid_cursor', 400);
    });

    test('setAlertStatus updates the document and the status column; unknown id is undefined', async () => {
      const { store } = env();
      const a = makeAlert();
      await store.insertAlert(a);
      assert.deepEqual(await store.setAlertStatus(a.id, 'acknowledged'), { ...a, status: 'acknowledged' });
      assert.equal((await store.getAlert(a.id))?.status, 'acknowledged');
      assert.deepEqual((await store.listAlerts({ limit: 10, status: 'acknowledged' })).items.map((x) => x.id), [a.id]);
      assert.equal((await store.listAlerts({ limit: 10, status: 'new' })).items.length, 0);
      assert.equal(await store.setAlertStatus('missing', 'resolved'), undefined);
      await rejectsWith(store.setAlertStatus(a.id, 'gone' as Alert['status']), 'store.invalid_input', 400);
    });
  });
}
