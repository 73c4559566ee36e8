import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { eventArbitrary, iso, makeEvent } from '../fixtures.js';
import { allPages, rejectsWith, type EnvRef } from './helpers.js';

const T0 = Date.UTC(2026, 0, 1);

export function eventsContract(env: EnvRef): void {
  describe('events', () => {
    test('insertEvents then queryEvents returns them newest first with ids and epoch-ms ts', async () => {
      const { store } = env();
      const evs = [0, 2, 1].map((i) => makeEvent({ '@timestamp': iso(T0 + i * 1000), message: `line ${i}` }));
      assert.deepEqual(await store.insertEvents(evs), { inserted: 3, duplicate: false });
      const page = await store.queryEvents({ limit: 10 });
      assert.equal(page.next_cursor, null);
      assert.deepEqual(page.items.map((e) => e.event.message), ['line 2', 'line 1', 'line 0']);
      assert.deepEqual(page.items.map((e) => e.ts), [T0 + 2000, T0 + 1000, T0]);
      assert.deepEqual(page.items[0]!.event, evs[1]);
      assert.ok(page.items.every((e) => Number.isSafeInteger(e.id) && e.id > 0));
      assert.equal(new Set(page.items.map((e) => e.id)).size, 3);
    });

    test('a batch id makes ingest idempotent', async () => {
      const { store } = env();
      const evs = [makeEvent(), makeEvent()];
      assert.deepEqual(await store.insertEvents(evs, { batchId: 'agent-1:0001' }), { inserted: 2, duplicate: false });
      assert.deepEqual(await store.insertEvents(evs, { batchId: 'agent-1:0001' }), { inserted: 0, duplicate: true });
      assert.deepEqual(await store.insertEvents([makeEvent()], { batchId: 'agent-1:0002' }), { inserted: 1, duplicate: false });
      assert.deepEqual(await store.insertEvents([]), { inserted: 0, duplicate: false });
      assert.equal((await store.stats()).events, 3);
    });

    test('a batch with an invalid event stores nothing and does not consume its batch id', async () => {
      const { store } = env();
      const bad = { ...makeEvent(), '@timestamp': 'not a time' };
      await rejectsWith(store.insertEvents([makeEvent(), bad], { batchId: 'agent-1:0003' }), 'store.invalid_input', 400);
      assert.equal((await store.stats()).events, 0);
      assert.deepEqual(await store.insertEvents([makeEvent()], { batchId: 'agent-1:0003' }), { inserted: 1, duplicate: false });
      await rejectsWith(store.insertEvents([makeEvent()], { batchId: 'x'.repeat(129) }), 'store.invalid_input', 400);
    });

    test('queryEvents filters: since (inclusive), until (exclusive), source_ip, action, text', async () => {
      const { store } = env();
      await store.insertEvents([
        makeEvent({ '@timestamp': iso(T0), message: 'Accepted publickey for ALICE', source: { ip: '198.51.100.1' }, event: { kind: 'event', action: 'ssh_login' } }),
        makeEvent({ '@timestamp': iso(T0 + 1000), message: 'Failed password for bob (100%_sure)', source: { ip: '198.51.100.2' }, event: { kind: 'event', action: 'ssh_login' } }),
        makeEvent({ '@timestamp': iso(T0 + 2000), message: 'GET /admin 404', source: { ip: '198.51.100.1' }, event: { kind: 'event', action: 'http_request' } }),
        makeEvent({ '@timestamp': iso(T0 + 3000), event: { kind: 'event' }, source: undefined, message: undefined }),
      ]);
      const msgs = async (q: Parameters<typeof store.queryEvents>[0]) => (await store.queryEvents(q)).items.map((e) => e.event.message ?? '-');
      assert.deepEqual(await msgs({ limit: 10, since: T0 + 1000, until: T0 + 3000 }), ['GET /admin 404', 'Failed password for bob (100%_sure)']);
      assert.deepEqual(await msgs({ limit: 10, source_ip: '198.51.100.1' }), ['GET /admin 404', 'Accepted publickey for ALICE']);
      assert.deepEqual(await msgs({ limit: 10, action: 'ssh_login', since: T0 + 1 }), ['Failed password for bob (100%_sure)']);
      assert.deepEqual(await msgs({ limit: 10, text: 'alice' }), ['Accepted publickey for ALICE']);
      assert.deepEqual(await msgs({ limit: 10, text: '%_' }), ['Failed password for bob (100%_sure)'], 'LIKE wildcards in text are literal');
      assert.deepEqual(await msgs({ limit: 10, text: 'nothing like it' }), []);
      assert.deepEqual(await msgs({ limit: 10 }), ['-', 'GET /admin 404', 'Failed password for bob (100%_sure)', 'Accepted publickey for ALICE']);
    });

    test('queryEvents pages through ties on ts without gaps or duplicates', async () => {
      const { store } = env();
      // 53 events over 9 distinct timestamps, inserted out of order.
      const evs = Array.from({ length: 53 }, (_, i) => makeEvent({ '@timestamp': iso(T0 + ((i * 7) % 9) * 1000), message: `m${i}` }));
      await store.insertEvents(evs);
      const { items, pages } = await allPages((cursor) => store.queryEvents({ limit: 10, cursor }));
      assert.equal(pages, 6);
      assert.equal(items.length, 53);
      assert.equal(new Set(items.map((e) => e.id)).size, 53);
      for (let i = 1; i < items.length; i++) {
        const a = items[i - 1]!;
        const b = items[i]!;
        assert.ok(a.ts > b.ts || (a.ts === b.ts && a.id > b.id), `order broken at ${i}`);
      }
      const filtered = await allPages((cursor) => store.queryEvents({ limit: 4, cursor, since: T0 + 4000 }));
      assert.deepEqual(filtered.items, items.filter((e) => e.ts >= T0 + 4000));
      await rejectsWith(store.queryEvents({ limit: 10, cursor: 'garbage!' }), 'store.invalid_cursor', 400);
      await rejectsWith(store.queryEvents({ limit: 10, cursor: Buffer.from('[1,"x"]').toString('base64url') }), 'store.invalid_cursor', 400);
    });

    test('purgeEvents deletes only events older than the cutoff and says how many', async () => {
      const { store } = env();
      await store.insertEvents(Array.from({ length: 30 }, (_, i) => makeEvent({ '@timestamp': iso(T0 + i * 60_000) })));
      assert.equal(await store.purgeEvents(T0 + 10 * 60_000), 10);
      assert.equal(await store.purgeEvents(T0 + 10 * 60_000), 0);
      const left = await allPages((cursor) => store.queryEvents({ limit: 100, cursor }));
      assert.equal(left.items.length, 20);
      assert.ok(left.items.every((e) => e.ts >= T0 + 10 * 60_000));
    });

    test('purgeEvents forgets batch ids received before the cutoff', async () => {
      const { store, clock } = env();
      clock.set(T0);
      await store.insertEvents([makeEvent()], { batchId: 'agent-9:old' });
      clock.set(T0 + 86_400_000);
      await store.insertEvents([makeEvent()], { batchId: 'agent-9:new' });
      await store.purgeEvents(T0 + 1000);
      assert.equal((await store.insertEvents([makeEvent()], { batchId: 'agent-9:old' })).duplicate, false);
      assert.equal((await store.insertEvents([makeEvent()], { batchId: 'agent-9:new' })).duplicate, true);
    });

    test('NUL and lone surrogates (which some databases cannot store as text) survive and filter consistently', async () => {
      const { store } = env();
      const odd = makeEvent({ message: 'a\u0000b \ud800 Tail', event: { kind: 'event', action: 'x\u0000y' }, source: { ip: 'not\u0000an-ip' } });
      await store.insertEvents([odd, makeEvent()]);
      const byIp = await store.queryEvents({ limit: 10, source_ip: 'not\u0000an-ip' });
      assert.deepEqual(byIp.items.map((e) => e.event), [odd]);
      assert.deepEqual((await store.queryEvents({ limit: 10, action: 'x\u0000y' })).items.length, 1);
      assert.deepEqual((await store.queryEvents({ limit: 10, text: 'tail' })).items.map((e) => e.event), [odd]);
      await rejectsWith(store.insertEvents([makeEvent()], { batchId: 'batch\u0000id' }), 'store.invalid_input', 400);
    });

    test('random valid events round-trip exactly through insert and query (fast-check)', async () => {
      const { store } = env();
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(eventArbitrary(), { minLength: 1, maxLength: 25 }), async (evs) => {
          run++;
          const ip = `10.77.${run >> 8}.${run & 255}`;
          const tagged = evs.map((e) => ({ ...e, source: { ...e.source, ip } }));
          await store.insertEvents(tagged);
          const got = await allPages((cursor) => store.queryEvents({ limit: 7, cursor, source_ip: ip }));
          // Expected order: newest first, ties in reverse insertion order (ids grow with insertion).
          const expected = tagged.map((e, i) => ({ e, i, ts: Date.parse(e['@timestamp']) })).sort((a, b) => b.ts - a.ts || b.i - a.i);
          assert.deepEqual(got.items.map((s) => s.event), expected.map((x) => x.e));
          assert.deepEqual(got.items.map((s) => s.ts), expected.map((x) => x.ts));
        }),
        { numRuns: 40 },
      );
    });
  });
}
