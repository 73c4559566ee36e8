import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonCodec } from '../../../broker/port.js';
import { DECISIONS_SUBJECT } from '../../../pipeline/alert-flow.js';
import { ManualClock } from '../../../shared/clock.js';
import { createSignedClient } from '../../../agent/signed-client.js';
import { createTestApi, sampleDecision } from '../../testing/fakes.js';
import { enrollTestAgent } from '../../testing/test-agent.js';

const future = (ms: number) => new Date(Date.now() + ms).toISOString();

describe('decision feed for agents', () => {
  test('cursor 0 resets to the active set; later changes arrive in order; a long poll wakes on a new change', async () => {
    const t = await createTestApi();
    const a = await enrollTestAgent(t.app, { id: 'web01' });
    const d1 = sampleDecision({ id: 'd-1', value: '198.51.100.1', expires_at: future(3600_000) });
    await t.store.insertDecision(d1);
    const first = await a.request('GET', '/api/v1/agent/decisions');
    assert.equal(first.statusCode, 200, first.body);
    assert.equal(first.json().reset, true);
    assert.deepEqual(first.json().active.map((d: { id: string }) => d.id), ['d-1']);
    const cursor = first.json().cursor as number;

    const poll = a.request('GET', `/api/v1/agent/decisions?cursor=${cursor}&wait=10`);
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 100));
    const d2 = sampleDecision({ id: 'd-2', value: '198.51.100.2', expires_at: future(3600_000) });
    await t.store.insertDecision(d2);
    await t.broker.publish(DECISIONS_SUBJECT, jsonCodec.encode({ kind: 'created', decision: d2 }), { msgId: 'd-2:created' });
    const woke = await poll;
    assert.ok(Date.now() - started < 3000, 'the long poll answered on the change, not at its timeout');
    assert.equal(woke.json().reset, false);
    assert.deepEqual(woke.json().changes.map((c: { kind: string; decision: { id: string } }) => `${c.kind}:${c.decision.id}`), ['created:d-2']);

    await t.broker.publish(DECISIONS_SUBJECT, jsonCodec.encode({ kind: 'removed', decision: { ...d2, status: 'deleted' } }), { msgId: 'd-2:removed' });
    // The same change redelivered is recorded once.
    await t.store.feed.appendDecisionChange('removed', { ...d2, status: 'deleted' }, Date.now());
    const next = await a.request('GET', `/api/v1/agent/decisions?cursor=${woke.json().cursor}&wait=5`);
    assert.deepEqual(next.json().changes.map((c: { kind: string }) => c.kind), ['removed']);
    const empty = await a.request('GET', `/api/v1/agent/decisions?cursor=${next.json().cursor}&wait=0`);
    assert.deepEqual(empty.json().changes, []);
    await t.app.close();
  });

  test('over a real socket, a caught-up long poll waits for its timeout instead of returning at once', async () => {
    const t = await createTestApi();
    const a = await enrollTestAgent(t.app, { id: 'web01' });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = t.app.server.address() as { port: number };
    const client = createSignedClient({ server: `http://127.0.0.1:${port}`, agentId: 'web01', privateKey: a.privateKey, userAgent: 'test' });
    const first = await client.request<{ cursor: number }>('GET', '/api/v1/agent/decisions');
    const started = Date.now();
    const r = await client.request<{ changes: unknown[] }>('GET', `/api/v1/agent/decisions?cursor=${first.body!.cursor}&wait=1`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body!.changes, []);
    assert.ok(Date.now() - started >= 900, `answered after ${Date.now() - started} ms`);
    await t.app.close();
  });

  test('a cursor older than the retained log, or ahead of it, gets a reset', async () => {
    const t = await createTestApi();
    const a = await enrollTestAgent(t.app, { id: 'web01' });
    const ahead = await a.request('GET', '/api/v1/agent/decisions?cursor=999999');
    assert.equal(ahead.json().reset, true);
    await t.app.close();
  });

  test('enforcement reports show per agent, on the decision and on the agent', async () => {
    const t = await createTestApi();
    const a = await enrollTestAgent(t.app, { id: 'web01' });
    const b = await enrollTestAgent(t.app, { id: 'web02' });
    await t.store.insertDecision(sampleDecision({ id: 'd-9', expires_at: future(3600_000) }));
    const at = new Date().toISOString();
    assert.equal((await a.request('POST', '/api/v1/agent/enforcement', { reports: [{ decision_id: 'd-9', status: 'verified', firewall: 'nftables', at }] })).statusCode, 204);
    assert.equal((await b.request('POST', '/api/v1/agent/enforcement', { reports: [{ decision_id: 'd-9', status: 'allowlisted', firewall: 'dry-run', at, error: 'on the allowlist' }] })).statusCode, 204);
    const per = (await t.app.inject({ url: '/api/v1/decisions/d-9/enforcement' })).json().items;
    assert.deepEqual(per.map((e: { agent_id: string; status: string }) => `${e.agent_id}:${e.status}`).sort(), ['web01:verified', 'web02:allowlisted']);
    const mine = (await t.app.inject({ url: '/api/v1/agents/web01/enforcement' })).json().items;
    assert.equal(mine.length, 1);
    const bad = await a.request('POST', '/api/v1/agent/enforcement', { reports: [{ decision_id: 'd-9', status: 'exploded', firewall: 'x', at }] });
    assert.equal(bad.statusCode, 400);
    await t.app.close();
  });
});

describe('agent registry', () => {
  test('online → stale after two missed heartbeats (one agent-silent alert) → offline after 5 min; back online on a heartbeat', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const t = await createTestApi({ clock, config: { agents: { heartbeat_interval: '10s' } } });
    await enrollTestAgent(t.app, { id: 'web01' });
    const status = async () => (await t.app.inject({ url: '/api/v1/agents/web01' })).json().status as string;
    assert.equal(await status(), 'online');
    clock.advance(20_000);
    assert.equal(await status(), 'online', 'within two intervals plus grace');
    clock.advance(6_000);
    assert.equal(await status(), 'stale');
    const alerts = await t.control.fleet.registry.checkSilence();
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]!.scenario, 'agent-silent');
    assert.equal(alerts[0]!.technique.id, 'T1562.001');
    assert.equal(alerts[0]!.evidence.host?.hostname, 'web01');
    assert.equal((await t.control.fleet.registry.checkSilence()).length, 0, 'one alert per silence');
    clock.advance(5 * 60_000);
    assert.equal(await status(), 'offline');
    const list = (await t.app.inject({ url: '/api/v1/agents?status=offline' })).json().items;
    assert.equal(list.length, 1);
    await t.control.fleet.registry.heartbeat('web01', { version: '1', capabilities: [], labels: {}, load: {} }, '127.0.0.1');
    assert.equal(await status(), 'online');
    assert.equal((await t.store.agents.getAgent('web01'))!.silent_since, null);
    await t.app.close();
  });
});
