import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Alert } from '@dio/protocol';
import { ManualClock } from '../../shared/clock.js';
import { createIdGenerator } from '../../shared/id.js';
import { IpSet } from '../../shared/ip-set.js';
import { silentLogger } from '../../shared/logger.js';
import { createMetrics } from '../../shared/metrics.js';
import { createSqliteStore } from '../../storage/sqlite/sqlite-store.js';
import { defaultContentDir } from '../../cmd/content-dir.js';
import { BUILTIN_ALLOWLIST } from './builtin-allowlist.js';
import { loadProfiles, compileProfile } from './load-profiles.js';
import { createDecisionEngine, type DecisionChange } from './decision-engine.js';

const H = 3600_000;

function alert(ip: string, severity: Alert['severity'] = 'high', scenario = 'ssh-bruteforce'): Alert {
  const ev = { '@timestamp': '2025-10-06T00:00:00.000Z', event: { kind: 'event' as const, action: 'ssh_login' }, source: { ip } };
  return {
    id: `A${Math.random().toString(36).slice(2, 12)}`,
    created_at: new Date().toISOString(),
    scenario,
    title: 't',
    severity,
    technique: { id: 'T1110.001', name: 'Password Guessing', tactic: 'credential-access' },
    group_key: ip,
    source: { ip },
    evidence: { count: 11, first_seen: ev['@timestamp'], last_seen: ev['@timestamp'], first_event: ev, last_event: ev },
    status: 'new',
  };
}

async function setup(opts: { simulation?: boolean; allow?: string[] } = {}) {
  const store = createSqliteStore({ path: ':memory:' });
  await store.migrate();
  const clock = new ManualClock(Date.UTC(2026, 10, 21));
  const changes: DecisionChange[] = [];
  const engine = createDecisionEngine({
    store,
    profiles: await loadProfiles(join(defaultContentDir(), 'profiles')),
    allowlist: new IpSet([...BUILTIN_ALLOWLIST, ...(opts.allow ?? [])]),
    simulation: opts.simulation ?? false,
    clock,
    newId: createIdGenerator(() => clock.now()),
    metrics: createMetrics(),
    logger: silentLogger(),
    onChange: (c) => changes.push(c),
  });
  await engine.init();
  return { store, clock, engine, changes };
}

test('an alert becomes a 4h ban counted from now (not from the old event time), audited', async () => {
  const { engine, clock, store, changes } = await setup();
  const d = await engine.onAlert(alert('198.51.100.7'));
  assert.ok(d);
  assert.equal(d.value, '198.51.100.7');
  assert.equal(d.duration_s, 4 * 3600);
  assert.equal(Date.parse(d.expires_at), clock.now() + 4 * H, 'TTL from decision time, though the events are a year old');
  assert.equal(d.enforcement.status, 'pending');
  assert.equal(changes[0]?.kind, 'created');
  const audit = await store.listAudit({ limit: 10 });
  assert.equal(audit[0]?.action, 'decision.create');
  assert.equal(audit[0]?.actor, 'system:decide');
});

test('repeat offenders escalate 4h → 24h → 7d; an active ban is not duplicated', async () => {
  const { engine, clock } = await setup();
  const d1 = await engine.onAlert(alert('203.0.113.5'));
  assert.equal(await engine.onAlert(alert('203.0.113.5')), undefined, 'already banned');
  clock.advance(5 * H);
  await engine.expire();
  const d2 = await engine.onAlert(alert('203.0.113.5'));
  clock.advance(25 * H);
  await engine.expire();
  const d3 = await engine.onAlert(alert('203.0.113.5'));
  assert.deepEqual([d1?.duration_s, d2?.duration_s, d3?.duration_s], [4 * 3600, 24 * 3600, 7 * 86400]);
  assert.deepEqual([d1?.offense, d2?.offense, d3?.offense], [1, 2, 3]);
});

test('allowlisted and loopback sources are never banned, by alerts or by hand', async () => {
  const { engine } = await setup({ allow: ['192.0.2.0/24', '2001:db8::/32'] });
  assert.equal(await engine.onAlert(alert('192.0.2.44')), undefined);
  assert.equal(await engine.onAlert(alert('2001:db8::5')), undefined);
  assert.equal(await engine.onAlert(alert('127.0.0.1')), undefined);
  const by = { actor: 'cli', origin: 'test' };
  await assert.rejects(engine.addManual({ value: '127.0.0.5', duration: '1h', reason: 'x' }, by), { code: 'decision.allowlisted' });
  await assert.rejects(engine.addManual({ value: '192.0.0.0/16', duration: '1h', reason: 'x' }, by), { code: 'decision.allowlisted' }, 'a range overlapping the allowlist');
  await assert.rejects(engine.addManual({ value: '::1', duration: '1h', reason: 'x' }, by), { code: 'decision.allowlisted' });
  await assert.rejects(engine.addManual({ value: '999.1.1.1', duration: '1h', reason: 'x' }, by), { code: 'decision.invalid' });
});

test('low severity alerts (scanners) make no decision', async () => {
  const { engine } = await setup();
  assert.equal(await engine.onAlert(alert('198.51.100.8', 'low', 'ssh-probe')), undefined);
});

test('simulation mode records decisions without enforcement', async () => {
  const { engine } = await setup({ simulation: true });
  const d = await engine.onAlert(alert('198.51.100.9'));
  assert.equal(d?.simulated, true);
  assert.equal(d?.enforcement.status, 'simulated');
});

test('manual decisions: canonical values, ranges, supersede, remove, expire', async () => {
  const { engine, changes, clock, store } = await setup();
  const by = { actor: 'cli', origin: 'test' };
  const a = await engine.addManual({ value: '2001:DB8:0:0::1', duration: '2h', reason: 'r' }, by);
  assert.equal(a.value, '2001:db8::1');
  const r = await engine.addManual({ value: '198.51.100.77/24', duration: '1h', reason: 'r' }, by);
  assert.equal(r.value, '198.51.100.0/24');
  assert.equal(r.scope, 'range');
  assert.equal(await engine.onAlert(alert('198.51.100.20')), undefined, 'covered by the active range');
  const a2 = await engine.addManual({ value: '2001:db8::1', duration: '7d', reason: 'longer' }, by);
  assert.equal((await store.getDecision(a.id))?.status, 'deleted', 'superseded');
  assert.equal(engine.active().length, 2);
  const removed = await engine.remove(a2.id, by);
  assert.equal(removed?.status, 'deleted');
  assert.equal(await engine.remove('nope', by), undefined);
  clock.advance(2 * H);
  const expired = await engine.expire();
  assert.deepEqual(expired.map((d) => d.value), ['198.51.100.0/24']);
  assert.deepEqual(changes.map((c) => c.kind), ['created', 'created', 'removed', 'created', 'removed', 'expired'], 'the superseded ban is lifted before its successor is announced');
});

test('range profiles ban the surrounding prefix', async () => {
  const { store } = await setup();
  const profile = compileProfile({ name: 'ranges', description: 'd', filter: { severity: 'critical' }, decision: { type: 'ban', scope: 'range', duration: '1h', range_prefix: { v4: 24, v6: 48 } } }, 'test.yaml');
  const clock = new ManualClock();
  const engine = createDecisionEngine({ store, profiles: [profile], allowlist: new IpSet(BUILTIN_ALLOWLIST), simulation: false, clock, newId: createIdGenerator(), metrics: createMetrics(), logger: silentLogger() });
  assert.equal((await engine.onAlert(alert('203.0.113.99', 'critical')))?.value, '203.0.113.0/24');
  assert.equal((await engine.onAlert(alert('2001:db8:1:2::3', 'critical')))?.value, '2001:db8:1::/48');
});

test('profile content errors name the file and key', () => {
  assert.throws(() => compileProfile({ name: 'p1', description: 'd', filter: {}, decision: { type: 'ban', duration: '4 hours' } }, 'p.yaml'), /p\.yaml: decision\.duration/);
  assert.throws(() => compileProfile({ name: 'p1', description: 'd', filter: {}, decision: { type: 'ban', duration: '4h' }, extra: 1 }, 'p.yaml'), /unknown key extra/);
});
