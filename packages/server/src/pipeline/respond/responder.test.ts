import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Decision } from '@dio/protocol';
import { jsonCodec } from '../../broker/port.js';
import { createMemoryBroker } from '../../broker/memory/memory-broker.js';
import { ManualClock } from '../../shared/clock.js';
import { silentLogger } from '../../shared/logger.js';
import { createMetrics } from '../../shared/metrics.js';
import { createSqliteStore } from '../../storage/sqlite/sqlite-store.js';
import { createDryRunFirewall } from './dry-run/dry-run-firewall.js';
import type { Firewall } from './port.js';
import { createResponder } from './responder.js';

const NOW = Date.UTC(2026, 10, 21, 12);

function decision(value: string, over: Partial<Decision> = {}): Decision {
  return {
    id: `D${value.replace(/[^0-9a-f]/gi, '')}${Math.random().toString(36).slice(2, 8)}`,
    created_at: new Date(NOW).toISOString(),
    type: 'ban',
    scope: value.includes('/') ? 'range' : 'ip',
    value,
    duration_s: 3600,
    expires_at: new Date(NOW + 3600_000).toISOString(),
    origin: 'scenario',
    reason: 'test',
    simulated: false,
    offense: 1,
    status: 'active',
    enforcement: { status: 'pending' },
    ...over,
  };
}

async function setup(firewall?: Firewall) {
  const clock = new ManualClock(NOW);
  const store = createSqliteStore({ path: ':memory:', clock });
  await store.migrate();
  const broker = createMemoryBroker();
  await broker.ensureStream({ name: 'DEC', subjects: ['dio.decisions'], maxMessages: 1000 });
  const fw = firewall ?? createDryRunFirewall({ logger: silentLogger(), render: 'nftables', clock });
  const active: Decision[] = [];
  const responder = createResponder({ firewall: fw, broker, store, clock, metrics: createMetrics(), logger: silentLogger(), verify: true, stream: 'DEC', active: () => active });
  const send = async (kind: string, d: Decision) => {
    await broker.publish('dio.decisions', jsonCodec.encode({ kind, decision: d }));
  };
  const settle = async (pred: () => Promise<boolean>) => {
    for (let i = 0; i < 500 && !(await pred()); i++) await new Promise((r) => setTimeout(r, 10));
  };
  return { clock, store, broker, fw, responder, send, settle, active };
}

test('start re-syncs the firewall with the active decisions, skipping simulated ones', async () => {
  const { fw, responder } = await setup();
  await responder.start([decision('203.0.113.1'), decision('2001:db8::1'), decision('198.51.100.0/24'), decision('203.0.113.2', { simulated: true })]);
  assert.deepEqual((await fw.list()).sort(), ['198.51.100.0/24', '2001:db8::1', '203.0.113.1']);
  await responder.stop();
});

test('created → applied and verified, recorded on the decision; removed → gone', async () => {
  const { fw, responder, send, store, settle } = await setup();
  await responder.start([]);
  const d = decision('203.0.113.9');
  await store.insertDecision(d);
  await send('created', d);
  await settle(async () => (await store.getDecision(d.id))?.enforcement.status === 'verified');
  const stored = await store.getDecision(d.id);
  assert.equal(stored?.enforcement.status, 'verified');
  assert.equal(stored?.enforcement.firewall, 'dry-run');
  assert.deepEqual(await fw.list(), ['203.0.113.9']);
  await send('expired', { ...d, status: 'expired' });
  await settle(async () => (await fw.list()).length === 0);
  assert.deepEqual(await fw.list(), []);
  assert.equal((await store.getDecision(d.id))?.enforcement.status, 'removed');
  await responder.stop();
});

test('simulated decisions are never enforced; invalid messages are dropped', async () => {
  const { fw, responder, send, broker, settle, store } = await setup();
  await responder.start([]);
  await broker.publish('dio.decisions', jsonCodec.encode({ kind: 'created', decision: { value: '$(reboot)' } }));
  await broker.publish('dio.decisions', new TextEncoder().encode('not json'));
  const sim = decision('203.0.113.20', { simulated: true, enforcement: { status: 'simulated' } });
  await store.insertDecision(sim);
  await send('created', sim);
  const real = decision('203.0.113.21');
  await store.insertDecision(real);
  await send('created', real);
  await settle(async () => (await fw.list()).length > 0);
  assert.deepEqual(await fw.list(), ['203.0.113.21']);
  assert.equal((await store.getDecision(sim.id))?.enforcement.status, 'simulated');
  const info = await broker.consumerInfo('DEC', 'respond');
  assert.equal(info.pending + info.inFlight, 0, 'every message settled (invalid ones terminated)');
  await responder.stop();
});

test('a failing firewall marks the decision failed and retries through redelivery', async () => {
  const inner = createDryRunFirewall({ logger: silentLogger(), render: 'nftables' });
  let failures = 1;
  const flaky: Firewall = {
    ...inner,
    name: 'flaky',
    init: () => inner.init(),
    list: () => inner.list(),
    entries: () => inner.entries(),
    sync: (a) => inner.sync(a),
    teardown: () => inner.teardown(),
    apply: async (add, remove) => {
      if (failures-- > 0) throw new Error('nft: Could not process rule: No such file or directory');
      return inner.apply(add, remove);
    },
  };
  const { responder, send, store, settle } = await setup(flaky);
  await responder.start([]);
  const d = decision('203.0.113.30');
  await store.insertDecision(d);
  await send('created', d);
  await settle(async () => (await store.getDecision(d.id))?.enforcement.status === 'failed');
  assert.match((await store.getDecision(d.id))!.enforcement.error!, /No such file/);
  await settle(async () => (await store.getDecision(d.id))?.enforcement.status === 'verified');
  assert.equal((await store.getDecision(d.id))?.enforcement.status, 'verified', 'redelivered and applied');
  await responder.stop();
});

test('reconcile repairs a firewall emptied behind our back', async () => {
  const { fw, responder, active } = await setup();
  active.push(decision('203.0.113.40'), decision('2001:db8::40'));
  await responder.start(active);
  await fw.teardown();
  await responder.reconcile();
  assert.deepEqual((await fw.list()).sort(), ['2001:db8::40', '203.0.113.40']);
  await fw.apply([{ value: '192.0.2.99', expiresAt: NOW + 60_000 }], []);
  await responder.reconcile();
  assert.deepEqual((await fw.list()).sort(), ['2001:db8::40', '203.0.113.40'], 'an entry DIO did not decide is removed');
  await responder.stop();
});
