import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApi, sampleAlert } from '../../testing/fakes.js';

async function withAlerts(n: number) {
  const t = await createTestApi();
  for (let i = 0; i < n; i++) {
    await t.store.insertAlert(
      sampleAlert({
        id: `a-${i}`,
        created_at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
        severity: i % 2 === 0 ? 'high' : 'low',
        source: { ip: `203.0.113.${i}` },
      }),
    );
  }
  return t;
}

describe('GET /api/v1/alerts', () => {
  test('lists newest first and pages with next_cursor', async () => {
    const { app } = await withAlerts(5);
    const p1 = await app.inject({ url: '/api/v1/alerts?limit=2' });
    assert.equal(p1.statusCode, 200);
    assert.deepEqual(p1.json().items.map((a: { id: string }) => a.id), ['a-4', 'a-3']);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r: LightMyRequestResponse = await app.inject({ url: '/api/v1/alerts', query: { limit: '2', ...(cursor ? { cursor } : {}) } });
      assert.equal(r.statusCode, 200);
      const page = r.json<{ items: { id: string }[]; next_cursor: string | null }>();
      seen.push(...page.items.map((a) => a.id));
      cursor = page.next_cursor;
    } while (cursor);
    assert.deepEqual(seen, ['a-4', 'a-3', 'a-2', 'a-1', 'a-0']);
    await app.close();
  });

  test('filters by severity, source_ip and time', async () => {
    const { app } = await withAlerts(5);
    const high = await app.inject({ url: '/api/v1/alerts?severity=high' });
    assert.deepEqual(high.json().items.map((a: { id: string }) => a.id), ['a-4', 'a-2', 'a-0']);
    const ip = await app.inject({ url: '/api/v1/alerts?source_ip=203.0.113.3' });
    assert.deepEqual(ip.json().items.map((a: { id: string }) => a.id), ['a-3']);
    const since = await app.inject({ url: '/api/v1/alerts?since=2026-01-01T00:03:00Z' });
    assert.equal(since.json().items.length, 2);
    await app.close();
  });

  test('invalid or unknown filters → 400 naming the parameter', async () => {
    const { app } = await withAlerts(1);
    for (const [qs, name] of [
      ['severity=urgent', 'querystring.severity'],
      ['limit=0', 'querystring.limit'],
      ['limit=5000', 'querystring.limit'],
      ['limit=abc', 'querystring.limit'],
      ['since=yesterday', 'querystring.since'],
      ['severity=high&severity=low', 'querystring.severity'],
      ['colour=red', 'querystring'],
    ] as const) {
      const r = await app.inject({ url: `/api/v1/alerts?${qs}` });
      assert.equal(r.statusCode, 400, qs);
      assert.equal(r.json().error.code, 'request.invalid');
      assert.ok(r.json().error.message.startsWith(name), `${qs}: ${r.json().error.message}`);
    }
    await app.close();
  });

  test('a bad cursor is the store\'s 400', async () => {
    const { app } = await withAlerts(1);
    const r = await app.inject({ url: '/api/v1/alerts?cursor=bm9wZQ' });
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error.code, 'store.invalid_cursor');
    await app.close();
  });
});

describe('GET /api/v1/alerts/:id', () => {
  test('returns the alert with its evidence', async () => {
    const { app } = await withAlerts(2);
    const r = await app.inject({ url: '/api/v1/alerts/a-1' });
    assert.equal(r.statusCode, 200);
    assert.equal(r.json().id, 'a-1');
    assert.equal(r.json().evidence.count, 6);
    await app.close();
  });

  test('unknown id → 404 alert.not_found; overlong id → 400', async () => {
    const { app } = await withAlerts(1);
    const missing = await app.inject({ url: '/api/v1/alerts/a-999' });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error.code, 'alert.not_found');
    const long = await app.inject({ url: `/api/v1/alerts/${'x'.repeat(65)}` });
    assert.equal(long.statusCode, 400);
    await app.close();
  });
});
