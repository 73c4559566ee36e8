import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { ErrorBodySchema } from '@dio/protocol';
import { AppError } from '../shared/app-error.js';
import { mapError } from './error-handler.js';
import { createTestApi, sampleEvent } from './testing/fakes.js';

const opts = { bodyLimitBytes: 1000 };

describe('mapError', () => {
  test('AppError keeps its code, status, message and details', () => {
    const m = mapError(new AppError('decision.allowlisted', '1.2.3.4 is allowlisted', { status: 409, details: { list: 'own' } }), opts);
    assert.equal(m.status, 409);
    assert.deepEqual(m.body, { error: { code: 'decision.allowlisted', message: '1.2.3.4 is allowlisted', details: { list: 'own' } } });
    assert.equal(m.level, 'debug');
  });

  test('503 AppError gets Retry-After from details, default 1 s', () => {
    assert.equal(mapError(new AppError('ingest.backpressure', 'busy', { status: 503, details: { retry_after_s: 2.2 } }), opts).retryAfterS, 3);
    assert.equal(mapError(new AppError('ingest.backpressure', 'busy', { status: 503 }), opts).retryAfterS, 1);
    assert.equal(mapError(new AppError('x.y', 'z', { status: 400 }), opts).retryAfterS, undefined);
  });

  test('5xx AppError shows its code but not its message or details (they describe our insides)', () => {
    const m = mapError(new AppError('store.unavailable', 'cannot open /var/lib/dio/dio.db: EACCES', { status: 503, details: { path: '/var/lib/dio' } }), opts);
    assert.equal(m.status, 503);
    assert.equal(m.body.error.code, 'store.unavailable');
    assert.doesNotMatch(JSON.stringify(m.body), /var\/lib|EACCES/);
    assert.equal(m.level, 'warn');
    const e = mapError(new AppError('store.write_failed', 'SQLITE_IOERR', { status: 500 }), opts);
    assert.deepEqual(e.body, { error: { code: 'store.write_failed', message: 'internal error' } });
    assert.equal(e.level, 'error');
  });

  test('AppError with an out-of-range status becomes 500', () => {
    assert.equal(mapError(new AppError('x.y', 'z', { status: 200 }), opts).status, 500);
  });

  test('anything else is a generic 500 that leaks nothing', () => {
    const m = mapError(new Error('SQLITE_CORRUPT at /var/lib/dio/secret.db'), opts);
    assert.equal(m.status, 500);
    assert.deepEqual(m.body, { error: { code: 'internal', message: 'internal error' } });
    assert.equal(m.level, 'error');
    assert.equal(mapError('a string', opts).status, 500);
    assert.equal(mapError(null, opts).status, 500);
  });

  test('Fastify body-limit error names the limit', () => {
    const m = mapError(Object.assign(new Error('Request body is too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }), opts);
    assert.equal(m.status, 413);
    assert.equal(m.body.error.code, 'request.too_large');
    assert.match(m.body.error.message, /1000 bytes/);
  });
});

describe('error responses through the app', () => {
  test('unknown route → 404 route.not_found', async () => {
    const { app } = await createTestApi();
    const r = await app.inject({ url: '/api/v1/nothing-here?x=1' });
    assert.equal(r.statusCode, 404);
    assert.equal(r.json().error.code, 'route.not_found');
    assert.match(r.json().error.message, /GET \/api\/v1\/nothing-here$/);
    await app.close();
  });

  test('malformed JSON → 400 request.malformed_json; empty JSON body → 400 request.empty_body', async () => {
    const { app } = await createTestApi();
    const bad = await app.inject({ method: 'POST', url: '/api/v1/decisions', headers: { 'content-type': 'application/json' }, payload: '{"value": "1.2.3.4"' });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'request.malformed_json');
    const empty = await app.inject({ method: 'POST', url: '/api/v1/decisions', headers: { 'content-type': 'application/json' }, payload: '' });
    assert.equal(empty.statusCode, 400);
    assert.equal(empty.json().error.code, 'request.empty_body');
    await app.close();
  });

  test('prototype pollution attempt is refused as malformed JSON', async () => {
    const { app } = await createTestApi();
    const r = await app.inject({ method: 'POST', url: '/api/v1/decisions', headers: { 'content-type': 'application/json' }, payload: '{"value":"1.2.3.4","__proto__":{"admin":true}}' });
    assert.equal(r.statusCode, 400);
    assert.equal(({} as Record<string, unknown>).admin, undefined);
    await app.close();
  });

  test('non-JSON media type → 415', async () => {
    const { app } = await createTestApi();
    for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const r = await app.inject({ method: 'POST', url: '/api/v1/decisions', headers: { 'content-type': ct }, payload: 'value=1.2.3.4' });
      assert.equal(r.statusCode, 415, ct);
      assert.equal(r.json().error.code, 'request.unsupported_media_type');
    }
    await app.close();
  });

  test('body over the limit → 413 request.too_large (plain and gzip)', async () => {
    const { app } = await createTestApi({ limits: { bodyLimitBytes: 64 * 1024 } });
    const big = JSON.stringify({ events: [sampleEvent({ message: 'x'.repeat(65_000) }), sampleEvent({ message: 'y'.repeat(10_000) })] });
    const plain = await app.inject({ method: 'POST', url: '/api/v1/events', headers: { 'content-type': 'application/json' }, payload: big });
    assert.equal(plain.statusCode, 413);
    assert.equal(plain.json().error.code, 'request.too_large');
    const gz = await app.inject({ method: 'POST', url: '/api/v1/events', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, payload: gzipSync(big) });
    assert.equal(gz.statusCode, 413);
    assert.equal(gz.json().error.code, 'request.too_large');
    await app.close();
  });

  test('default body limit is 10 MiB', async () => {
    const { app } = await createTestApi();
    const r = await app.inject({ method: 'POST', url: '/api/v1/events', headers: { 'content-type': 'application/json' }, payload: Buffer.alloc(10 * 1024 * 1024 + 1, 0x20) });
    assert.equal(r.statusCode, 413);
    await app.close();
  });

  test('malformed URL encoding → 400 request.bad_url', async () => {
    const { app } = await createTestApi();
    const r = await app.inject({ url: '/api/v1/alerts/%zz' });
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error.code, 'request.bad_url');
    await app.close();
  });

  test('an unexpected failure → 500 internal, generic message, no stack', async () => {
    const { app, store } = await createTestApi();
    store.getAlert = () => Promise.reject(new Error('disk on fire at /secret/path'));
    const r = await app.inject({ url: '/api/v1/alerts/a-1' });
    assert.equal(r.statusCode, 500);
    assert.deepEqual(r.json(), { error: { code: 'internal', message: 'internal error' } });
    assert.doesNotMatch(r.body, /secret|fire|at .*\.ts/);
    await app.close();
  });

  test('a store result that breaks the response schema is a 500, not leaked data', async () => {
    const { app, store } = await createTestApi();
    store.getAlert = () => Promise.resolve({ id: 'a-1', password_hash: 'x' } as never);
    const r = await app.inject({ url: '/api/v1/alerts/a-1' });
    assert.equal(r.statusCode, 500);
    assert.equal(r.json().error.code, 'internal');
    await app.close();
  });

  test('every error body matches ErrorBodySchema', async () => {
    const { app } = await createTestApi();
    const responses = await Promise.all([
      app.inject({ url: '/nope' }),
      app.inject({ url: '/api/v1/alerts?limit=0' }),
      app.inject({ method: 'POST', url: '/api/v1/decisions', payload: { value: 'nope' } }),
      app.inject({ method: 'DELETE', url: '/api/v1/decisions/nope' }),
    ]);
    for (const r of responses) {
      assert.ok(r.statusCode >= 400);
      assert.match(String(r.headers['content-type']), /application\/json/);
      ErrorBodySchema.parse(r.json());
    }
    await app.close();
  });
});
