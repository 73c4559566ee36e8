import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DecisionSchema } from '@dio/protocol';
import { createTestApi, sampleDecision } from '../../testing/fakes.js';

describe('GET /api/v1/decisions', () => {
  test('lists and filters', async () => {
    const { app, store } = await createTestApi();
    await store.insertDecision(sampleDecision({ id: 'd-a', created_at: '2026-01-01T00:00:01.000Z' }));
    await store.insertDecision(sampleDecision({ id: 'd-b', created_at: '2026-01-01T00:00:02.000Z', status: 'expired', origin: 'manual' }));
    const all = await app.inject({ url: '/api/v1/decisions' });
    assert.equal(all.statusCode, 200);
    assert.deepEqual(all.json().items.map((d: { id: string }) => d.id), ['d-b', 'd-a']);
    assert.equal(all.json().next_cursor, null);
    const active = await app.inject({ url: '/api/v1/decisions?status=active' });
    assert.deepEqual(active.json().items.map((d: { id: string }) => d.id), ['d-a']);
    const manual = await app.inject({ url: '/api/v1/decisions?origin=manual&limit=1' });
    assert.deepEqual(manual.json().items.map((d: { id: string }) => d.id), ['d-b']);
    const bad = await app.inject({ url: '/api/v1/decisions?status=gone' });
    assert.equal(bad.statusCode, 400);
    await app.close();
  });
});

describe('POST /api/v1/decisions', () => {
  test('creates a manual ban → 201 Decision, with the caller as actor', async () => {
    const { app, decisions, stream } = await createTestApi();
    const seen: string[] = [];
    stream.subscribe((m) => seen.push(m.type));
    const r = await app.inject({ method: 'POST', url: '/api/v1/decisions', payload: { value: '198.51.100.9', duration: '30m', reason: 'scanner' } });
    assert.equal(r.statusCode, 201);
    const d = DecisionSchema.parse(r.json());
    assert.equal(d.value, '198.51.100.9');
    assert.equal(d.duration_s, 1800);
    assert.equal(d.reason, 'scanner');
    assert.deepEqual(decisions.calls[0]!.by, { actor: 'apikey:test-admin', origin: '127.0.0.1' });
    assert.deepEqual(seen, ['decision']);
    await app.close();
  });

  test('defaults duration and reason; accepts IPv6 and CIDR', async () => {
    const { app } = await createTestApi();
    for (const value of ['2001:db8::1', '198.51.100.0/24', '2001:db8::/32']) {
      const r = await app.inject({ method: 'POST', url: '/api/v1/decisions', payload: { value } });
      assert.equal(r.statusCode, 201, `${value}: ${r.body}`);
      assert.equal(r.json().duration_s, 4 * 3600);
    }
    await app.close();
  });

  test('invalid IP or CIDR → 400 naming the field', async () => {
    const { app, decisions } = await createTestApi();
    for (const value of ['1.2.3.256', '1.2.3.4/33', '2001:db8::/129', 'example.com', '', '1.2.3.4; rm -rf /']) {
      const r = await app.inject({ method: 'POST', url: '/api/v1/decisions', payload: { value } });
      assert.equal(r.statusCode, 400, value);
      assert.equal(r.json().error.code, 'request.invalid');
      assert.match(r.json().error.message, /^body\.value: /);
      assert.equal(r.json().error.details.issues[0].path, 'value');
    }
    const dur = await app.inject({ method: 'POST', url: '/api/v1/decisions', payload: { value: '1.2.3.4', duration: '4 hours' } });
    assert.equal(dur.statusCode, 400);
    assert.match(dur.json().error.message, /^body\.duration/);
    assert.equal(decisions.calls.length, 0);
    await app.close();
  });

  test('unknown fields and missing body → 400', async () => {
    const { app } = await createTestApi();
    const extra = await app.inject({ method: 'POST', url: '/api/v1/decisions', payload: { value: '1.2.3.4', scope: 'ip' } });
    assert.equal(extra.statusCode, 400);
    assert.deepEqual(extra.json().error.details.issues[0].keys, ['scope']);
    const none = await app.inject({ method: 'POST', url: '/api/v1/decisions' });
    assert.equal(none.statusCode, 400);
    assert.equal(none.json().error.code, 'request.invalid');
    const arr = await app.inject({ method: 'POST', url: '/api/v1/decisions', payload: [{ value: '1.2.3.4' }] });
    assert.equal(arr.statusCode, 400);
    await app.close();
  });

  test('allowlisted value → 409 decision.allowlisted', async () => {
    const { app } = await createTestApi();
    const r = await app.inject({ method: 'POST', url: '/api/v1/decisions', payload: { value: '127.0.0.1' } });
    assert.equal(r.statusCode, 409);
    assert.equal(r.json().error.code, 'decision.allowlisted');
    await app.close();
  });
});

describe('DELETE /api/v1/decisions/:id', () => {
  test('deletes → 200 Decision with status deleted, then 404 for an unknown id', async () => {
    const { app, store, decisions } = await createTestApi();
    await store.insertDecision(sampleDecision({ id: 'd-x' }));
    const r = await app.inject({ method: 'DELETE', url: '/api/v1/decisions/d-x' });
    assert.equal(r.statusCode, 200);
    assert.equal(r.json().id, 'd-x');
    assert.equal(r.json().status, 'deleted');
    assert.equal(decisions.calls[0]!.op, 'remove');
    const missing = await app.inject({ method: 'DELETE', url: '/api/v1/decisions/d-nope' });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error.code, 'decision.not_found');
    await app.close();
  });
});
