import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApi } from '../../testing/fakes.js';

describe('GET /api/v1/health', () => {
  test('200 when ok or degraded, 503 when failing', async () => {
    const { app, health } = await createTestApi();
    const ok = await app.inject({ url: '/api/v1/health' });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.json().status, 'ok');
    assert.equal(ok.json().version, '0.0.0-test');
    health.report = { status: 'degraded', components: { broker: { status: 'degraded', detail: 'lagging' } }, version: 'v', uptime_s: 3 };
    assert.equal((await app.inject({ url: '/api/v1/health' })).statusCode, 200);
    health.report = { status: 'failing', components: { store: { status: 'failing', detail: 'disk full' } }, version: 'v', uptime_s: 3 };
    const failing = await app.inject({ url: '/api/v1/health' });
    assert.equal(failing.statusCode, 503);
    assert.equal(failing.json().components.store.detail, 'disk full');
    await app.close();
  });

  test('a health check that throws reports failing, not 500', async () => {
    const { app, health } = await createTestApi();
    health.report = new Error('boom');
    const r = await app.inject({ url: '/api/v1/health' });
    assert.equal(r.statusCode, 503);
    assert.equal(r.json().status, 'failing');
    assert.doesNotMatch(r.body, /boom/);
    await app.close();
  });
});

describe('GET /metrics', () => {
  test('Prometheus text including the API\'s own series', async () => {
    const { app } = await createTestApi();
    await app.inject({ url: '/api/v1/health' });
    const r = await app.inject({ url: '/metrics' });
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers['content-type']), /^text\/plain/);
    assert.match(r.body, /# TYPE dio_events_ingested_total counter/);
    assert.match(r.body, /dio_http_requests_total\{method="GET",route="\/api\/v1\/health",status="200"\} 1/);
    await app.close();
  });
});
