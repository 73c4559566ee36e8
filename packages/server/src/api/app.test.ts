import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../shared/logger.js';
import { createMetrics } from '../shared/metrics.js';
import { buildApp } from './app.js';
import { DEFAULT_LIMITS, resolveLimits, type ApiDeps } from './deps.js';
import { createTestApi, createTestStore, FakeDecisionService, FakeIngestService, FakeLiveStream } from './testing/fakes.js';

describe('buildApp', () => {
  test('serves the OpenAPI document at /docs/json with every route', async () => {
    const { app } = await createTestApi();
    const r = await app.inject({ url: '/docs/json' });
    assert.equal(r.statusCode, 200);
    const doc = r.json();
    assert.equal(doc.openapi, '3.1.0');
    assert.equal(doc.info.version, '0.0.0-test');
    assert.deepEqual(Object.keys(doc.paths).sort(), ['/api/v1/alerts', '/api/v1/alerts/{id}', '/api/v1/decisions', '/api/v1/decisions/{id}', '/api/v1/events', '/api/v1/health', '/api/v1/stream', '/api/v1/stream/ws']);
    assert.ok(doc.paths['/api/v1/decisions'].post.requestBody, 'request body documented');
    for (const name of ['Alert', 'Decision', 'Event', 'ErrorBody']) {
      assert.ok(Object.keys(doc.components.schemas).some((k) => k.startsWith(name)), `component ${name}`);
    }
    await app.close();
  });

  test('serves swagger-ui from bundled assets at /docs', async () => {
    const { app } = await createTestApi();
    const page = await app.inject({ url: '/docs/' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /swagger-ui/i);
    assert.doesNotMatch(page.body, /https?:\/\/(?!localhost)[a-z]+\.[a-z]+\//i, 'no CDN links');
    const bundle = await app.inject({ url: '/docs/static/swagger-ui-bundle.js' });
    assert.equal(bundle.statusCode, 200);
    await app.close();
  });

  test('can be built twice on one metrics registry (tests, several listeners)', async () => {
    const metrics = createMetrics();
    const stores: Awaited<ReturnType<typeof createTestStore>>[] = [];
    const make = async (): Promise<ApiDeps> => {
      const store = await createTestStore();
      stores.push(store);
      const stream = new FakeLiveStream();
      return { store, metrics, logger: silentLogger(), decisions: new FakeDecisionService(store, stream), ingest: new FakeIngestService(store), stream, version: 'x', health: () => ({ status: 'ok', components: {}, version: 'x', uptime_s: 0 }) };
    };
    const a = await buildApp(await make());
    const b = await buildApp(await make());
    assert.equal((await a.inject({ url: '/api/v1/health' })).statusCode, 200);
    assert.equal((await b.inject({ url: '/api/v1/health' })).statusCode, 200);
    await a.close();
    await b.close();
    await Promise.all(stores.map((s) => s.close()));
  });

  test('does not listen by itself', async () => {
    const { app } = await createTestApi();
    assert.equal(app.server.listening, false);
    await app.close();
  });
});

describe('resolveLimits', () => {
  test('fills defaults, accepts overrides, refuses nonsense', () => {
    assert.deepEqual(resolveLimits(), DEFAULT_LIMITS);
    assert.equal(DEFAULT_LIMITS.bodyLimitBytes, 10 * 1024 * 1024);
    assert.equal(resolveLimits({ bodyLimitBytes: 5 }).bodyLimitBytes, 5);
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => resolveLimits({ maxStreamClients: bad }), /maxStreamClients/);
    }
  });
});
