import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DioEvent } from '@dio/protocol';
import { createEnricher } from './enricher.js';
import { loadGeoIp } from './load-geoip.js';
import { captureLogger } from './testdata/capture-logger.js';
import { buildMmdb } from './testdata/write-mmdb.js';

const warnings = (lines: Record<string, unknown>[]) => lines.filter((l) => l['level'] === 40);

function event(ip: string): DioEvent {
  return { '@timestamp': '2026-01-01T00:00:00Z', event: { kind: 'event' }, source: { ip } };
}

test('default is the bundled country database, no warnings', async () => {
  const { logger, lines } = captureLogger();
  const dbs = await loadGeoIp({}, logger);
  assert.match(dbs.country?.name ?? '', /^bundled:/);
  assert.equal(dbs.city, undefined);
  assert.equal(dbs.asn, undefined);
  assert.equal(warnings(lines()).length, 0);
  assert.equal(dbs.country?.lookup('8.8.8.8')?.country_iso_code, 'US');
});

test("'none' turns country lookups off without a warning", async () => {
  const { logger, lines } = captureLogger();
  const dbs = await loadGeoIp({ country_db: 'none' }, logger);
  assert.deepEqual(dbs, {});
  assert.equal(warnings(lines()).length, 0);
});

test('a missing database gives exactly one warning naming path and loss; enrichment goes on', async () => {
  const { logger, lines } = captureLogger();
  const path = '/nonexistent/dio/GeoLite2-City.mmdb';
  const dbs = await loadGeoIp({ city_db: path }, logger);
  const w = warnings(lines());
  assert.equal(w.length, 1, JSON.stringify(w));
  assert.equal(w[0]!['path'], path);
  assert.equal(w[0]!['db'], 'city');
  assert.match(String(w[0]!['msg']), /GeoLite2-City\.mmdb.*no city, region or location/);
  assert.equal(dbs.city, undefined);
  assert.ok(dbs.country, 'the bundled country database still loads');
  const enricher = createEnricher({ ...dbs, logger });
  const e = event('8.8.8.8');
  enricher.enrich(e);
  assert.equal(e.dio?.source_class, 'public');
  assert.equal(e.source?.geo?.country_iso_code, 'US');
});

test('every failing database warns once; with none left events still get their class', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dio-geo-'));
  try {
    const junk = join(dir, 'asn.mmdb');
    writeFileSync(junk, 'not a database');
    const { logger, lines } = captureLogger();
    const nowhere = pathToFileURL(join(dir, 'x.js')).href;
    const dbs = await loadGeoIp({ country_db: 'bundled', city_db: join(dir, 'missing.mmdb'), asn_db: junk }, logger, { bundledFrom: nowhere });
    assert.deepEqual(dbs, {});
    const w = warnings(lines());
    assert.deepEqual(w.map((l) => l['db']).sort(), ['asn', 'city', 'country']);
    const enricher = createEnricher({ ...dbs, logger });
    const e = event('2001:4860:4860::8888');
    enricher.enrich(e);
    assert.equal(e.dio?.source_class, 'public');
    assert.equal(e.source?.geo, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('operator paths for country, city and ASN are opened', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dio-geo-'));
  try {
    const country = join(dir, 'country.mmdb');
    const asn = join(dir, 'asn.mmdb');
    writeFileSync(country, buildMmdb([{ cidr: '203.0.112.0/24', data: { country: { iso_code: 'NZ' } } }], { ipVersion: 6, databaseType: 'GeoIP2-Country' }));
    writeFileSync(asn, buildMmdb([{ cidr: '203.0.112.0/24', data: { autonomous_system_number: 64511, autonomous_system_organization: 'Test AS' } }], { ipVersion: 4, databaseType: 'GeoLite2-ASN' }));
    const { logger, lines } = captureLogger();
    const dbs = await loadGeoIp({ country_db: country, asn_db: asn }, logger);
    assert.equal(warnings(lines()).length, 0);
    const enricher = createEnricher({ ...dbs, logger });
    const e = event('203.0.112.9');
    enricher.enrich(e);
    assert.deepEqual(e.source?.geo, { country_iso_code: 'NZ' });
    assert.deepEqual(e.source?.as, { number: 64511, organization: { name: 'Test AS' } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
