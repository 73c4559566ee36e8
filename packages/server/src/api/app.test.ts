import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetrics } from '../shared/metrics.js';
import { DEFAULT_LIMITS, resolveLimits } from './deps.js';
import { createTestApi } from './testing/fakes.js';
import { routeTable } from './auth/authenticate.js';

describe('buildApp', () => {
  test('serves the OpenAPI document at /docs/json with every route', async () => {
    const t = await createTestApi();
    const { app } = t;
    const r = await app.inject({ url: '/docs/json' });
    assert.equal(r.statusCode, 200);
    const doc = r.json();
    assert.equal(doc.openapi, '3.1.0');
    assert.equal(doc.info.version, '0.0.0-test');
    const routes = new Set(routeTable(app).filter((x) => x.url.startsWith('/api/')).map((x) => x.url.replace(/:(\w+)/g, '{$1}')));
    assert.deepEqual(Object.keys(doc.paths).sort(), [...routes].sort());
    assert.ok(routes.size > 30);
    assert.deepEqual(doc.security, [{ bearer: [] }]);
    assert.equal((await t.anonymous({ url: '/docs/json' })).statusCode, 401, 'docs need auth unless api.public_docs');
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
    const a = await createTestApi({ metrics });
    const b = await createTestApi({ metrics });
    assert.equal((await a.app.inject({ url: '/api/v1/health' })).statusCode, 200);
    assert.equal((await b.app.inject({ url: '/api/v1/health' })).statusCode, 200);
    await a.app.close();
    await b.app.close();
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
