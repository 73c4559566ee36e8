/**
 * The Store contract: every adapter runs this suite against itself, e.g.
 *   runStoreContract('sqlite :memory:', ({ clock }) => Promise.resolve(createSqliteStore({ path: ':memory:', clock })));
 * `makeStore` must return a store on an EMPTY database that uses the given clock (for audit times,
 * batch receipt times and stats); the suite calls migrate() itself. Not run directly (the runner
 * skips *.case.test.ts); adapters import it from their own test file.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { ManualClock } from '../shared/clock.js';
import type { Store } from './port.js';
import { agentsContract } from './testdata/contract/agents-contract.js';
import { alertsContract } from './testdata/contract/alerts-contract.js';
import { auditContract } from './testdata/contract/audit-contract.js';
import { authContract } from './testdata/contract/auth-contract.js';
import { decisionsContract } from './testdata/contract/decisions-contract.js';
import { eventsContract } from './testdata/contract/events-contract.js';
import { feedContract } from './testdata/contract/feed-contract.js';
import { tasksContract } from './testdata/contract/tasks-contract.js';
import { telemetryContract } from './testdata/contract/telemetry-contract.js';
import { rejectsWith, type ContractEnv } from './testdata/contract/helpers.js';
import { iso, makeAlert, makeDecision, makeEvent } from './testdata/fixtures.js';

export type { ContractEnv } from './testdata/contract/helpers.js';

const T0 = Date.UTC(2026, 0, 1);

export function runStoreContract(name: string, makeStore: (ctx: { clock: ManualClock }) => Promise<Store>, dispose?: (s: Store) => Promise<void>): void {
  describe(`Store contract: ${name}`, () => {
    let env: ContractEnv | undefined;
    const ref = (): ContractEnv => {
      assert.ok(env, 'store not set up');
      return env;
    };
    beforeEach(async () => {
      const clock = new ManualClock(T0);
      const store = await makeStore({ clock });
      await store.migrate();
      env = { store, clock };
    });
    afterEach(async () => {
      if (env === undefined) return;
      const { store } = env;
      env = undefined;
      await (dispose ?? ((s: Store) => s.close()))(store);
    });

    eventsContract(ref);
    alertsContract(ref);
    decisionsContract(ref);
    auditContract(ref);
    authContract(ref);
    agentsContract(ref);
    tasksContract(ref);
    telemetryContract(ref);
    feedContract(ref);

    describe('offsets', () => {
      test('getOffset is undefined for an unknown source; saveOffset upserts', async () => {
        const { store } = ref();
        assert.equal(await store.getOffset('file:/var/log/auth.log'), undefined);
        const first = { source: 'file:/var/log/auth.log', file_id: '2049:131', offset: 4096, head_hash: 'ab'.repeat(32), updated_at: iso(T0) };
        await store.saveOffset(first);
        assert.deepEqual(await store.getOffset(first.source), first);
        const rotated = { ...first, file_id: '2049:977', offset: 2 ** 40, updated_at: iso(T0 + 1000) };
        await store.saveOffset(rotated);
        assert.deepEqual(await store.getOffset(first.source), rotated);
        await store.saveOffset({ ...first, source: 'file:/var/log/nginx/access.log' });
        assert.deepEqual(await store.getOffset(first.source), rotated);
        await rejectsWith(store.saveOffset({ ...first, offset: -1 }), 'store.invalid_input', 400);
        await rejectsWith(store.saveOffset({ ...first, updated_at: 'later' }), 'store.invalid_input', 400);
      });
    });

    describe('stats and lifecycle', () => {
      test('stats counts rows (active decisions by the store clock) and reports size', async () => {
        const { store, clock } = ref();
        assert.deepEqual({ ...(await store.stats()), bytes: 0 }, { events: 0, alerts: 0, decisions: 0, active_decisions: 0, audit_records: 0, bytes: 0 });
        await store.insertEvents([makeEvent(), makeEvent()]);
        await store.insertAlert(makeAlert());
        await store.insertDecision(makeDecision({ created_at: iso(T0), duration_s: 60 }));
        await store.insertDecision(makeDecision({ created_at: iso(T0), duration_s: 3600 }));
        await store.appendAudit({ actor: 'cli', action: 'decision.create', target: 'decision:x', origin: 'cli' });
        clock.set(T0 + 120_000);
        const s = await store.stats();
        assert.deepEqual({ ...s, bytes: 0 }, { events: 2, alerts: 1, decisions: 2, active_decisions: 1, audit_records: 1, bytes: 0 });
        assert.ok(s.bytes === null || (Number.isSafeInteger(s.bytes) && s.bytes > 0), `bytes: ${s.bytes}`);
      });

      test('migrate is idempotent and keeps data', async () => {
        const { store } = ref();
        await store.insertAlert(makeAlert({ id: 'kept' }));
        await store.migrate();
        await store.migrate();
        assert.equal((await store.getAlert('kept'))?.id, 'kept');
      });

      test('a closed store refuses work with store.unavailable; close is idempotent', async () => {
        const { store } = ref();
        const pending = store.insertEvents([makeEvent()]);
        await store.close();
        await pending; // close waits for work already started
        await rejectsWith(store.insertEvents([makeEvent()]), 'store.unavailable', 503);
        await rejectsWith(store.listAlerts({ limit: 1 }), 'store.unavailable', 503);
        await store.close();
      });
    });
  });
}
