import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { EventSchema, type DioEvent } from '@dio/protocol';
import { silentLogger } from '../../shared/logger.js';
import { openBundledCountryDb } from './bundled-country-db.js';
import { createEnricher } from './enricher.js';
import type { GeoInfo, GeoIp } from './port.js';

const logger = silentLogger();

function ev(src?: string, dst?: string): DioEvent {
  const e: DioEvent = { '@timestamp': '2026-01-01T00:00:00Z', event: { kind: 'event' } };
  if (src !== undefined) e.source = { ip: src, port: 40000 };
  if (dst !== undefined) e.destination = { ip: dst, port: 22 };
  return e;
}

/** A GeoIp answering from a table, counting calls. */
function fakeGeo(name: string, table: Record<string, GeoInfo>): GeoIp & { calls: number } {
  const db = {
    name,
    calls: 0,
    lookup(ip: string) {
      db.calls++;
      return table[ip];
    },
  };
  return db;
}

describe('with the bundled country database', () => {
  let country: GeoIp;
  before(async () => {
    country = await openBundledCountryDb({ logger });
  });

  test('public addresses get class and country; private and documentation get a class only', () => {
    const enricher = createEnricher({ country, logger });
    const e = ev('8.8.8.8', '192.168.1.1');
    enricher.enrich(e);
    assert.equal(e.dio?.source_class, 'public');
    assert.equal(e.source?.geo?.country_iso_code, 'US');
    assert.equal(e.dio?.destination_class, 'private');
    // the bundled data has a stray AU record for 192.168/16: it must not leak into events
    assert.equal(e.destination?.geo, undefined);
    assert.equal(e.destination?.as, undefined);
    for (const [ip, cls] of [['192.0.2.10', 'documentation'], ['2001:db8::1', 'documentation'], ['198.51.100.1', 'documentation'], ['127.0.0.1', 'loopback'], ['100.64.1.1', 'cgnat'], ['fe80::1', 'link_local']] as const) {
      const x = ev(ip);
      enricher.enrich(x);
      assert.equal(x.dio?.source_class, cls, ip);
      assert.equal(x.source?.geo, undefined, ip);
    }
    assert.doesNotThrow(() => EventSchema.parse(e));
  });

  test('addresses are rewritten to canonical form, v4-mapped to IPv4', () => {
    const enricher = createEnricher({ country, logger });
    const e = ev('::ffff:1.1.1.1', '2001:4860:4860:0:0:0:0:8888');
    enricher.enrich(e);
    assert.equal(e.source?.ip, '1.1.1.1');
    assert.equal(e.source?.geo?.country_iso_code, 'AU');
    assert.equal(e.destination?.ip, '2001:4860:4860::8888');
    assert.equal(e.destination?.geo?.country_iso_code, 'US');
  });
});

test('events without addresses pass untouched; invalid addresses are left and counted', () => {
  const enricher = createEnricher({ logger });
  const plain = ev();
  const copy = structuredClone(plain);
  enricher.enrich(plain);
  assert.deepEqual(plain, copy);
  const noIp: DioEvent = { ...ev(), source: { port: 1 } };
  enricher.enrich(noIp);
  assert.equal(noIp.dio, undefined);
  const bad = ev('999.1.1.1', 'fe80::1%eth0');
  enricher.enrich(bad);
  assert.equal(bad.source?.ip, '999.1.1.1');
  assert.equal(bad.dio, undefined);
  enricher.enrich(ev('x'.repeat(200)));
  assert.equal(enricher.stats().invalid, 3);
  assert.equal(enricher.stats().cached, 2, 'over-long keys are not cached');
});

test('database precedence: city for place, ASN database for AS; values on the event win', () => {
  const city = fakeGeo('city', { '8.8.8.8': { country_iso_code: 'GB', city_name: 'London', location: { lat: 51.5, lon: -0.1 }, as_number: 1, as_organization: 'from city' } });
  const country = fakeGeo('country', { '8.8.8.8': { country_iso_code: 'US' }, '9.9.9.9': { country_iso_code: 'CH' } });
  const asn = fakeGeo('asn', { '8.8.8.8': { as_number: 15169, as_organization: 'GOOGLE' } });
  const enricher = createEnricher({ city, country, asn, logger });
  const e = ev('8.8.8.8', '9.9.9.9');
  enricher.enrich(e);
  assert.deepEqual(e.source?.geo, { country_iso_code: 'GB', city_name: 'London', location: { lat: 51.5, lon: -0.1 } });
  assert.deepEqual(e.source?.as, { number: 15169, organization: { name: 'GOOGLE' } });
  assert.deepEqual(e.destination?.geo, { country_iso_code: 'CH' });
  assert.equal(e.destination?.as, undefined);

  const parsed = ev('8.8.8.8');
  parsed.source!.geo = { country_iso_code: 'FR' };
  parsed.source!.as = { number: 3215 };
  enricher.enrich(parsed);
  assert.deepEqual(parsed.source?.geo, { country_iso_code: 'FR', city_name: 'London', location: { lat: 51.5, lon: -0.1 } });
  assert.deepEqual(parsed.source?.as, { number: 3215, organization: { name: 'GOOGLE' } });
  assert.doesNotThrow(() => EventSchema.parse(parsed));
});

test('cache: one lookup per distinct address; shared frozen objects; bounded; clear()', () => {
  const country = fakeGeo('country', { '8.8.8.8': { country_iso_code: 'US' }, '1.1.1.1': { country_iso_code: 'AU' } });
  const enricher = createEnricher({ country, logger, cacheSize: 8 });
  const a = ev('8.8.8.8');
  const b = ev('8.8.8.8');
  for (let i = 0; i < 1000; i++) enricher.enrich(i % 2 ? a : b);
  assert.equal(country.calls, 1);
  assert.equal(a.source?.geo, b.source?.geo);
  assert.ok(Object.isFrozen(a.source?.geo));
  assert.throws(() => {
    (a.source!.geo as { country_iso_code?: string }).country_iso_code = 'XX';
  }, TypeError);

  // fill far past the bound with other public addresses, then check answers are still right
  for (let i = 0; i < 100; i++) enricher.enrich(ev(`11.0.0.${i}`));
  assert.ok(enricher.stats().cached <= 8, String(enricher.stats().cached));
  const c = ev('1.1.1.1', '8.8.8.8');
  enricher.enrich(c);
  assert.equal(c.source?.geo?.country_iso_code, 'AU');
  assert.equal(c.destination?.geo?.country_iso_code, 'US');
  const s = enricher.stats();
  assert.equal(s.lookups, s.hits + s.misses);
  assert.equal(s.misses, 1 + 100 + 2);

  // a hot address in the old generation is promoted and survives the next rotation
  const calls = country.calls;
  for (let i = 0; i < 40; i++) {
    enricher.enrich(ev('8.8.8.8'));
    enricher.enrich(ev(`12.0.0.${i}`));
  }
  assert.equal(country.calls - calls, 40, 'only the 40 new addresses were looked up');

  enricher.clear();
  assert.equal(enricher.stats().cached, 0);
  enricher.enrich(ev('8.8.8.8'));
  assert.equal(country.calls, calls + 41);
});

test('cacheSize 0 disables the cache; a throwing GeoIp never stops an event', () => {
  const broken: GeoIp = {
    name: 'broken',
    lookup() {
      throw new Error('corrupt');
    },
  };
  const enricher = createEnricher({ country: broken, logger, cacheSize: 0 });
  const e = ev('8.8.8.8');
  enricher.enrich(e);
  enricher.enrich(ev('8.8.8.8'));
  assert.equal(e.dio?.source_class, 'public');
  assert.equal(e.source?.geo, undefined);
  assert.equal(enricher.stats().errors, 2);
  assert.equal(enricher.stats().cached, 0);
});

test('malformed events that skipped validation do not throw', () => {
  const enricher = createEnricher({ logger });
  const weird = [
    { '@timestamp': 'x', event: { kind: 'event' }, source: { ip: 42 } },
    { '@timestamp': 'x', event: { kind: 'event' }, source: null, destination: { ip: null } },
    { '@timestamp': 'x', event: { kind: 'event' }, source: { ip: ['1.2.3.4'] } },
  ] as unknown as DioEvent[];
  for (const e of weird) assert.doesNotThrow(() => enricher.enrich(e));
});
