import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrorBodySchema } from '@dio/protocol';
import { createTestApi, sampleEvent } from '../../testing/fakes.js';

/** Bodies that are mostly almost-right, so validation goes deep instead of failing at the top. */
const nearEvent = fc.record(
  {
    '@timestamp': fc.oneof(fc.constant('2026-01-01T00:00:00Z'), fc.string()),
    event: fc.oneof(fc.constant({ kind: 'event' }), fc.dictionary(fc.string(), fc.jsonValue())),
    source: fc.oneof(fc.record({ ip: fc.string(), port: fc.oneof(fc.integer(), fc.double()) }, { requiredKeys: [] }), fc.jsonValue()),
    message: fc.jsonValue(),
    labels: fc.dictionary(fc.string(), fc.jsonValue()),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  fc.jsonValue(),
  fc.record({ events: fc.array(fc.oneof(nearEvent, fc.constant(sampleEvent())), { maxLength: 5 }) }, { requiredKeys: [] }),
  fc.record({ batch_id: fc.oneof(fc.string(), fc.jsonValue()), events: fc.array(nearEvent, { maxLength: 3 }) }, { requiredKeys: [] }),
);
/** Raw strings, most of them not JSON at all. */
const rawText = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.jsonValue().map((v) => JSON.stringify(v).slice(0, -1)));

test('POST /api/v1/events never answers 5xx and always sends a JSON error body on 4xx', async () => {
  const { app } = await createTestApi();
  const check = (r: { statusCode: number; body: string; headers: Record<string, unknown> }): void => {
    assert.ok(r.statusCode < 500, `status ${r.statusCode}: ${r.body}`);
    if (r.statusCode >= 400) {
      assert.match(String(r.headers['content-type']), /^application\/json/);
      ErrorBodySchema.parse(JSON.parse(r.body));
    } else {
      assert.equal(r.statusCode, 202);
    }
  };
  await fc.assert(
    fc.asyncProperty(body, async (b) => {
      check(await app.inject({ method: 'POST', url: '/api/v1/events', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(b) ?? '' }));
    }),
    { numRuns: 300 },
  );
  await fc.assert(
    fc.asyncProperty(rawText, fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/octet-stream'), async (s, ct) => {
      check(await app.inject({ method: 'POST', url: '/api/v1/events', headers: { 'content-type': ct }, payload: s }));
    }),
    { numRuns: 200 },
  );
  await app.close();
});
