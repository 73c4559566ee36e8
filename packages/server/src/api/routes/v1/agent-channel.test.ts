import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { generateEd25519, rawPublicKey } from '../../../shared/agent-signature.js';
import { createTestApi, sampleEvent } from '../../testing/fakes.js';
import { enrollTestAgent, signedRequester, testHost } from '../../testing/test-agent.js';

const HB = { version: '1.0.0', capabilities: ['telemetry'], labels: { role: 'web' }, load: { cpu_pct: 3 } };

async function rejections(t: Awaited<ReturnType<typeof createTestApi>>, code: string): Promise<number> {
  return (await t.store.listAudit({ action: 'auth.rejected', limit: 10_000 })).filter((a) => (a.after as { code: string }).code === code).length;
}

describe('enrollment', () => {
  test('a token enrolls an agent once; its labels are given; retry with the same key is idempotent', async () => {
    const t = await createTestApi();
    const tok = (await t.app.inject({ method: 'POST', url: '/api/v1/enrollment-tokens', payload: { uses: 1, labels: { env: 'prod' } } })).json();
    assert.match(tok.token, /^dio_et_[A-Za-z0-9_-]{43}\.[0-9a-f]{16}$/);
    const a = await enrollTestAgent(t.app, { id: 'web01', token: tok.token, labels: { role: 'web' } });
    assert.equal(a.enroll.statusCode, 200, a.enroll.body);
    assert.equal(a.enroll.json().server_key, t.control.keys.taskPublicKey);
    const agent = (await t.app.inject({ url: '/api/v1/agents/web01' })).json();
    assert.deepEqual(agent.labels, { env: 'prod', role: 'web' });
    assert.equal(agent.status, 'online');
    const again = await t.anonymous({ method: 'POST', url: '/api/v1/agent/enroll', payload: { token: tok.token, id: 'web01', public_key: a.publicKey, version: '1', capabilities: [], host: testHost() } });
    assert.equal(again.statusCode, 200, 'a lost answer can be retried');
    const other = rawPublicKey(generateEd25519().publicKey);
    const steal = await t.anonymous({ method: 'POST', url: '/api/v1/agent/enroll', payload: { token: tok.token, id: 'web01', public_key: other, version: '1', capabilities: [], host: testHost() } });
    assert.equal(steal.statusCode, 409);
    const used = await t.anonymous({ method: 'POST', url: '/api/v1/agent/enroll', payload: { token: tok.token, id: 'web02', public_key: other, version: '1', capabilities: [], host: testHost() } });
    assert.equal(used.statusCode, 401);
    assert.equal(used.json().error.code, 'enroll.token_exhausted');
    assert.equal((await t.store.listAudit({ action: 'agent.enroll', limit: 10 })).length, 1);
    await t.app.close();
  });

  test('bad, foreign, expired and revoked tokens are refused with clear codes', async () => {
    const t = await createTestApi();
    const body = (token: string, id = 'x1') => ({ token, id, public_key: rawPublicKey(generateEd25519().publicKey), version: '1', capabilities: [], host: testHost() });
    const enroll = (b: unknown) => t.anonymous({ method: 'POST', url: '/api/v1/agent/enroll', payload: b as object });
    assert.equal((await enroll(body('dio_et_garbage_garbage_garbage'))).json().error.code, 'enroll.invalid_token');
    const tok = (await t.app.inject({ method: 'POST', url: '/api/v1/enrollment-tokens', payload: { uses: 5, expires: '60s' } })).json();
    const foreign = tok.token.replace(/\.[0-9a-f]{16}$/, '.0123456789abcdef');
    assert.equal((await enroll(body(foreign))).json().error.code, 'enroll.wrong_server');
    const unknown = `dio_et_${'A'.repeat(43)}.${t.control.keys.taskKeyFingerprint}`;
    assert.equal((await enroll(body(unknown))).json().error.code, 'enroll.token_unknown');
    await t.app.inject({ method: 'DELETE', url: `/api/v1/enrollment-tokens/${tok.id}` });
    assert.equal((await enroll(body(tok.token))).json().error.code, 'enroll.token_revoked');
    const bad = await enroll({ ...body(tok.token), public_key: 'short' });
    assert.equal(bad.statusCode, 400);
    await t.app.close();
  });
});

describe('signed agent requests', () => {
  test('heartbeat with a valid signature updates the registry and returns intervals', async () => {
    const t = await createTestApi();
    const a = await enrollTestAgent(t.app, { id: 'web01' });
    const r = await a.request('POST', '/api/v1/agent/heartbeat', HB);
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json().heartbeat_interval_s, 30);
    assert.deepEqual(r.json().tasks, []);
    const agent = (await t.app.inject({ url: '/api/v1/agents/web01' })).json();
    assert.equal(agent.load.cpu_pct, 3);
    assert.equal(agent.labels.role, 'web');
    await t.app.close();
  });

  test('forged, tampered, replayed, skewed and unknown-agent requests are refused, counted and audited', async () => {
    const t = await createTestApi();
    const a = await enrollTestAgent(t.app, { id: 'web01' });
    const cases: Array<[string, Promise<{ statusCode: number; json(): { error: { code: string } } }>, string]> = [
      ['other key', a.request('POST', '/api/v1/agent/heartbeat', HB, { key: generateEd25519().privateKey }), 'agent.bad_signature'],
      ['garbage signature', a.request('POST', '/api/v1/agent/heartbeat', HB, { sig: 'x'.repeat(86) }), 'agent.bad_signature'],
      ['body changed after signing', a.request('POST', '/api/v1/agent/heartbeat', HB, { bodyAfterSigning: JSON.stringify({ ...HB, version: '6.6.6' }) }), 'agent.bad_signature'],
      ['clock 10 min behind', a.request('POST', '/api/v1/agent/heartbeat', HB, { ts: Date.now() - 600_000 }), 'agent.clock_skew'],
      ['clock 10 min ahead', a.request('POST', '/api/v1/agent/heartbeat', HB, { ts: Date.now() + 600_000 }), 'agent.clock_skew'],
      ['unknown agent', a.request('POST', '/api/v1/agent/heartbeat', HB, { agentId: 'ghost' }), 'agent.unknown'],
      ['bad nonce', a.request('POST', '/api/v1/agent/heartbeat', HB, { nonce: 'short' }), 'agent.bad_nonce'],
    ];
    for (const [what, p, code] of cases) {
      const r = await p;
      assert.equal(r.statusCode, 401, what);
      assert.equal(r.json().error.code, code, what);
    }
    const nonce = 'N'.repeat(24);
    assert.equal((await a.request('POST', '/api/v1/agent/heartbeat', HB, { nonce })).statusCode, 200);
    const replay = await a.request('POST', '/api/v1/agent/heartbeat', HB, { nonce });
    assert.equal(replay.statusCode, 401);
    assert.equal(replay.json().error.code, 'agent.replayed');
    assert.equal(await rejections(t, 'agent.bad_signature'), 3);
    assert.equal(await rejections(t, 'agent.replayed'), 1);
    assert.match(await t.metrics.registry.getSingleMetricAsString('dio_auth_rejections_total'), /reason="clock_skew"\} 2/);
    await t.app.close();
  });

  test('a revoked agent is refused at once; a disabled one until enabled', async () => {
    const t = await createTestApi();
    const a = await enrollTestAgent(t.app, { id: 'web01' });
    assert.equal((await a.request('POST', '/api/v1/agent/heartbeat', HB)).statusCode, 200);
    await t.app.inject({ method: 'POST', url: '/api/v1/agents/web01/disable' });
    const off = await a.request('POST', '/api/v1/agent/heartbeat', HB);
    assert.equal(off.statusCode, 403);
    assert.equal(off.json().error.code, 'agent.disabled');
    await t.app.inject({ method: 'POST', url: '/api/v1/agents/web01/enable' });
    assert.equal((await a.request('POST', '/api/v1/agent/heartbeat', HB)).statusCode, 200);
    const rev = await t.app.inject({ method: 'POST', url: '/api/v1/agents/web01/revoke' });
    assert.equal(rev.json().status, 'revoked');
    const refused = await a.request('POST', '/api/v1/agent/heartbeat', HB);
    assert.equal(refused.statusCode, 401);
    assert.equal(refused.json().error.code, 'agent.revoked');
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/agents/web01/enable' })).statusCode, 409);
    const actions = (await t.store.listAudit({ target: 'agent:', limit: 100 })).map((x) => x.action);
    assert.deepEqual(actions, ['agent.enroll', 'agent.disable', 'agent.enable', 'agent.revoke']);
    await t.app.close();
  });

  test('events: stamped with the agent id, idempotent per agent, impersonation refused, oversize and malformed batches refused', async () => {
    const t = await createTestApi({ limits: { bodyLimitBytes: 64 * 1024 } });
    const a = await enrollTestAgent(t.app, { id: 'web01' });
    const b = await enrollTestAgent(t.app, { id: 'web02' });
    const batch = { batch_id: 'batch-0001', events: [sampleEvent(), sampleEvent()] };
    const r1 = await a.request('POST', '/api/v1/events', batch);
    assert.equal(r1.statusCode, 202, r1.body);
    assert.deepEqual(r1.json(), { accepted: 2, duplicate: false });
    assert.equal((await a.request('POST', '/api/v1/events', batch)).json().duplicate, true);
    assert.equal((await b.request('POST', '/api/v1/events', batch)).json().duplicate, false, "another agent's key space");
    const stored = await t.store.queryEvents({ limit: 10 });
    assert.deepEqual([...new Set(stored.items.map((e) => e.event.dio?.agent_id))].sort(), ['web01', 'web02']);
    const fake = await a.request('POST', '/api/v1/events', { events: [sampleEvent({ dio: { agent_id: 'web02' } })] });
    assert.equal(fake.statusCode, 403);
    assert.equal(fake.json().error.code, 'agent.impersonation');
    assert.equal(await rejections(t, 'agent.impersonation'), 1);
    const huge = await a.request('POST', '/api/v1/events', { events: Array.from({ length: 200 }, () => sampleEvent({ message: 'x'.repeat(1000) })) });
    assert.equal(huge.statusCode, 413);
    const malformed = await a.request('POST', '/api/v1/events', { events: [{ nope: true }] });
    assert.equal(malformed.statusCode, 400);
    await t.app.close();
  });

  test('gzip bodies are signed as sent', async () => {
    const t = await createTestApi();
    const a = await enrollTestAgent(t.app, { id: 'web01' });
    const raw = gzipSync(Buffer.from(JSON.stringify({ events: [sampleEvent()] })));
    const { signRequest, SIG_HEADERS } = await import('../../../shared/agent-signature.js');
    const ts = String(Date.now());
    const nonce = 'G'.repeat(20);
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: raw,
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', [SIG_HEADERS.agent]: 'web01', [SIG_HEADERS.ts]: ts, [SIG_HEADERS.nonce]: nonce, [SIG_HEADERS.sig]: signRequest(a.privateKey, { method: 'POST', path: '/api/v1/events', ts, nonce, body: raw }) },
    });
    assert.equal(r.statusCode, 202, r.body);
    await t.app.close();
  });

  test('an agent can only reach its own channel', async () => {
    const t = await createTestApi();
    const a = await enrollTestAgent(t.app, { id: 'web01' });
    assert.equal((await a.request('GET', '/api/v1/agents')).statusCode, 403);
    assert.equal((await a.request('POST', '/api/v1/decisions', { value: '198.51.100.1' })).statusCode, 403);
    const key = generateEd25519();
    const stranger = signedRequester(t.app, 'web01', key.privateKey);
    assert.equal((await stranger('POST', '/api/v1/agent/heartbeat', HB)).statusCode, 401);
    await t.app.close();
  });
});
