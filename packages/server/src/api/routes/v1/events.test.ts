import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync, gzipSync } from 'node:zlib';
import { MAX_INGEST_BATCH } from '@dio/protocol';
import { AppError } from '../../../shared/app-error.js';
import { createTestApi, sampleEvent } from '../../testing/fakes.js';

const JSON_CT = { 'content-type': 'application/json' };

describe('POST /api/v1/events', () => {
  test('accepts a batch with 202 and hands it to the IngestService with the caller', async () => {
    const { app, ingest, store } = await createTestApi();
    const r = await app.inject({ method: 'POST', url: '/api/v1/events', payload: { events: [sampleEvent(), sampleEvent()] } });
    assert.equal(r.statusCode, 202);
    assert.deepEqual(r.json(), { accepted: 2, duplicate: false });
    assert.equal((await store.stats()).events, 2);
    assert.equal(ingest.calls[0]!.batchId, undefined);
    assert.deepEqual(ingest.calls[0]!.by, { actor: 'apikey:test-admin', origin: '127.0.0.1' });
    await app.close();
  });

  test('same batch_id twice → second is duplicate and stores nothing', async () => {
    const { app, store } = await createTestApi();
    const payload = { batch_id: 'agent-1:000042', events: [sampleEvent()] };
    const a = await app.inject({ method: 'POST', url: '/api/v1/events', payload });
    const b = await app.inject({ method: 'POST', url: '/api/v1/events', payload });
    assert.deepEqual(a.json(), { accepted: 1, duplicate: false });
    assert.equal(b.statusCode, 202);
    assert.deepEqual(b.json(), { accepted: 0, duplicate: true });
    assert.equal((await store.stats()).events, 1);
    await app.close();
  });

  test('Idempotency-Key header works like batch_id', async () => {
    const { app, ingest } = await createTestApi();
    const req = { method: 'POST' as const, url: '/api/v1/events', headers: { 'idempotency-key': 'key-12345678' }, payload: { events: [sampleEvent()] } };
    assert.equal((await app.inject(req)).json().duplicate, false);
    assert.equal((await app.inject(req)).json().duplicate, true);
    assert.equal(ingest.calls[1]!.batchId, 'key-12345678');
    // header equal to body batch_id is fine, different is refused
    const same = await app.inject({ ...req, payload: { batch_id: 'key-12345678', events: [sampleEvent()] } });
    assert.equal(same.statusCode, 202);
    const diff = await app.inject({ ...req, payload: { batch_id: 'other-12345678', events: [sampleEvent()] } });
    assert.equal(diff.statusCode, 400);
    assert.equal(diff.json().error.code, 'ingest.batch_id_mismatch');
    await app.close();
  });

  test('malformed Idempotency-Key → 400 naming the header', async () => {
    const { app } = await createTestApi();
    const r = await app.inject({ method: 'POST', url: '/api/v1/events', headers: { 'idempotency-key': 'short' }, payload: { events: [sampleEvent()] } });
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error.code, 'request.invalid');
    assert.match(r.json().error.message, /^headers\.idempotency-key/);
    await app.close();
  });

  test('a bounded ingest queue: beyond maxIngestInFlight batches, 503 + Retry-After before the body is read; slots free again', async () => {
    const { app, ingest } = await createTestApi({ limits: { maxIngestInFlight: 2 } });
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const real = ingest.ingest.bind(ingest);
    ingest.ingest = async (events, opts) => {
      await gate;
      return real(events, opts);
    };
    const post = (payload: Record<string, unknown>) => app.inject({ method: 'POST', url: '/api/v1/events', payload });
    const held = [post({ events: [sampleEvent()] }), post({ events: [sampleEvent()] })];
    await new Promise((r) => setTimeout(r, 20));
    const refused = await post({ events: [sampleEvent()] });
    assert.equal(refused.statusCode, 503, refused.body);
    assert.equal(refused.json().error.code, 'ingest.backpressure');
    assert.equal(refused.headers['retry-after'], '1');
    open();
    assert.deepEqual((await Promise.all(held)).map((r) => r.statusCode), [202, 202]);
    // Refused and invalid requests give their slot back too.
    for (let i = 0; i < 3; i++) assert.equal((await post({ events: [] })).statusCode, 400);
    assert.equal((await post({ events: [sampleEvent()] })).statusCode, 202);
    assert.equal(ingest.calls.length, 3, 'the refused batch never reached the ingest service');
    await app.close();
  });

  test('invalid events → 400 with issue paths; unknown fields rejected', async () => {
    const { app, ingest } = await createTestApi();
    const badTs = await app.inject({ method: 'POST', url: '/api/v1/events', payload: { events: [sampleEvent(), { ...sampleEvent(), '@timestamp': 'yesterday' }] } });
    assert.equal(badTs.statusCode, 400);
    assert.deepEqual(badTs.json().error.details.issues[0], { location: 'body', path: 'events[1].@timestamp', message: badTs.json().error.details.issues[0].message });
    const extra = await app.inject({ method: 'POST', url: '/api/v1/events', payload: { events: [{ ...sampleEvent(), evil: 1 }] } });
    assert.equal(extra.statusCode, 400);
    assert.deepEqual(extra.json().error.details.issues[0].keys, ['evil']);
    const topExtra = await app.inject({ method: 'POST', url: '/api/v1/events', payload: { events: [sampleEvent()], more: true } });
    assert.equal(topExtra.statusCode, 400);
    const empty = await app.inject({ method: 'POST', url: '/api/v1/events', payload: { events: [] } });
    assert.equal(empty.statusCode, 400);
    assert.equal(ingest.calls.length, 0);
    await app.close();
  });

  test('more than MAX_INGEST_BATCH events → 400; issues are capped', async () => {
    const { app } = await createTestApi();
    const tooMany = await app.inject({ method: 'POST', url: '/api/v1/events', payload: { events: Array.from({ length: MAX_INGEST_BATCH + 1 }, () => sampleEvent()) } });
    assert.equal(tooMany.statusCode, 400);
    const allBad = await app.inject({ method: 'POST', url: '/api/v1/events', payload: { events: Array.from({ length: 500 }, () => ({ nope: 1 })) } });
    assert.equal(allBad.statusCode, 400);
    assert.ok(allBad.json().error.details.issues.length <= 20);
    assert.ok(allBad.json().error.details.omitted > 0);
    await app.close();
  });

  test('backpressure from the IngestService → 503 with Retry-After', async () => {
    const { app, ingest } = await createTestApi();
    ingest.failWith = new AppError('ingest.backpressure', 'pipeline is saturated; retry later', { status: 503, details: { retry_after_s: 4 } });
    const r = await app.inject({ method: 'POST', url: '/api/v1/events', payload: { events: [sampleEvent()] } });
    assert.equal(r.statusCode, 503);
    assert.equal(r.headers['retry-after'], '4');
    assert.equal(r.json().error.code, 'ingest.backpressure');
    await app.close();
  });

  test('a store error surfaces as its AppError code', async () => {
    const { app, ingest } = await createTestApi();
    ingest.failWith = new AppError('store.unavailable', 'database is locked', { status: 503 });
    const r = await app.inject({ method: 'POST', url: '/api/v1/events', payload: { events: [sampleEvent()] } });
    assert.equal(r.statusCode, 503);
    assert.equal(r.json().error.code, 'store.unavailable');
    await app.close();
  });
});

describe('compressed ingest', () => {
  const body = JSON.stringify({ events: [sampleEvent(), sampleEvent()] });

  test('gzip and deflate bodies are inflated', async () => {
    const { app, store } = await createTestApi();
    const gz = await app.inject({ method: 'POST', url: '/api/v1/events', headers: { ...JSON_CT, 'content-encoding': 'gzip' }, payload: gzipSync(body) });
    assert.equal(gz.statusCode, 202, gz.body);
    const df = await app.inject({ method: 'POST', url: '/api/v1/events', headers: { ...JSON_CT, 'content-encoding': 'deflate' }, payload: deflateSync(body) });
    assert.equal(df.statusCode, 202, df.body);
    assert.equal((await store.stats()).events, 4);
    await app.close();
  });

  test('zip bomb: 10 MiB+ of zeros in a few KiB of gzip → 413, memory stays bounded', async () => {
    const { app, ingest } = await createTestApi();
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20), { level: 9 });
    assert.ok(bomb.length < 128 * 1024, `bomb is ${bomb.length} bytes`);
    const before = process.memoryUsage().rss;
    const r = await app.inject({ method: 'POST', url: '/api/v1/events', headers: { ...JSON_CT, 'content-encoding': 'gzip' }, payload: bomb });
    assert.equal(r.statusCode, 413);
    assert.equal(r.json().error.code, 'request.too_large');
    assert.equal(ingest.calls.length, 0);
    // 64 MiB inflated would show; the cap stops at 10 MiB + one chunk.
    assert.ok(process.memoryUsage().rss - before < 48 * 1024 * 1024);
    await app.close();
  });

  test('corrupt gzip → 400 request.bad_encoding; unknown encoding → 415', async () => {
    const { app } = await createTestApi();
    const corrupt = await app.inject({ method: 'POST', url: '/api/v1/events', headers: { ...JSON_CT, 'content-encoding': 'gzip' }, payload: Buffer.from('definitely not gzip') });
    assert.equal(corrupt.statusCode, 400);
    assert.equal(corrupt.json().error.code, 'request.bad_encoding');
    const truncated = await app.inject({ method: 'POST', url: '/api/v1/events', headers: { ...JSON_CT, 'content-encoding': 'gzip' }, payload: gzipSync(body).subarray(0, 20) });
    assert.equal(truncated.statusCode, 400);
    const br = await app.inject({ method: 'POST', url: '/api/v1/events', headers: { ...JSON_CT, 'content-encoding': 'br' }, payload: Buffer.from(body) });
    assert.equal(br.statusCode, 415);
    assert.equal(br.json().error.code, 'request.unsupported_encoding');
    await app.close();
  });

  test('identity encoding is a no-op', async () => {
    const { app } = await createTestApi();
    const r = await app.inject({ method: 'POST', url: '/api/v1/events', headers: { ...JSON_CT, 'content-encoding': 'identity' }, payload: body });
    assert.equal(r.statusCode, 202);
    await app.close();
  });
});
