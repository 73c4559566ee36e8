import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isAppError } from '../../shared/app-error.js';
import { silentLogger } from '../../shared/logger.js';
import { BUNDLED_COUNTRY_PACKAGE, findBundledCountryDb, openBundledCountryDb } from './bundled-country-db.js';
import { openMmdbGeoIp } from './mmdb-geoip.js';
import { mapMmdbRecord } from './mmdb-record.js';
import { buildMmdb } from './testdata/write-mmdb.js';

const logger = silentLogger();
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dio-mmdb-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('bundled country database', () => {
  test('is found inside node_modules, combined and per-family files', () => {
    const files = findBundledCountryDb()!;
    assert.ok(files.combined?.endsWith('geo-whois-asn-country.mmdb'), JSON.stringify(files));
    assert.ok(files.ipv4?.endsWith('-ipv4.mmdb') && files.ipv6?.endsWith('-ipv6.mmdb'));
    assert.match(files.version ?? '', /^\d+\.\d+\.\d+$/);
  });

  test('answers well-known addresses; private, documentation and junk get nothing', async () => {
    const db = await openBundledCountryDb({ logger });
    assert.match(db.name, /^bundled:geo-whois-asn-country@/);
    // Google DNS, Cloudflare (APNIC-registered, AU in whois), RIPE NCC, Google DNS over IPv6
    assert.equal(db.lookup('8.8.8.8')?.country_iso_code, 'US');
    assert.equal(db.lookup('1.1.1.1')?.country_iso_code, 'AU');
    assert.equal(db.lookup('193.0.6.139')?.country_iso_code, 'NL');
    assert.equal(db.lookup('2001:4860:4860::8888')?.country_iso_code, 'US');
    assert.equal(db.lookup('::ffff:8.8.8.8')?.country_iso_code, 'US', 'v4-mapped is read as IPv4');
    for (const ip of ['10.0.0.1', '127.0.0.1', '192.0.2.1', 'not-an-ip', '']) assert.equal(db.lookup(ip), undefined, ip);
    // The database has stray records for some special ranges (172.16/12, 192.168/16,
    // 198.51.100/24 say AU, 2001:db8::/32 JP); the enricher never asks about non-public
    // addresses, see enricher.test.ts.
    assert.equal(db.lookup('192.168.1.1')?.country_iso_code, 'AU');
    // equal records map to one shared object
    assert.equal(db.lookup('8.8.8.8'), db.lookup('8.8.4.4'));
  });

  test('a package shipping only -ipv4/-ipv6 files is served by family', async () => {
    const real = findBundledCountryDb()!;
    const pkg = join(dir, 'fake', 'node_modules', ...BUNDLED_COUNTRY_PACKAGE.split('/'));
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: BUNDLED_COUNTRY_PACKAGE, version: '9.9.9' }));
    symlinkSync(real.ipv4!, join(pkg, 'x-ipv4.mmdb'));
    symlinkSync(real.ipv6!, join(pkg, 'x-ipv6.mmdb'));
    const from = pathToFileURL(join(dir, 'fake', 'index.js')).href;
    const files = findBundledCountryDb(from)!;
    assert.equal(files.combined, undefined);
    assert.equal(files.version, '9.9.9');
    const db = await openBundledCountryDb({ logger, from });
    assert.equal(db.lookup('8.8.8.8')?.country_iso_code, 'US');
    assert.equal(db.lookup('2001:4860:4860::8888')?.country_iso_code, 'US');
    assert.equal(db.lookup('2a00:1450:4001::1')?.country_iso_code, 'IE');
  });

  test('missing package → geoip.bundled_missing', async () => {
    const from = pathToFileURL(join(dir, 'nowhere', 'index.js')).href;
    assert.equal(findBundledCountryDb(from), undefined);
    await assert.rejects(openBundledCountryDb({ logger, from }), (e: unknown) => isAppError(e) && e.code === 'geoip.bundled_missing');
  });
});

test('an IPv4-only database is never asked about IPv6 (its tree would answer nonsense)', async () => {
  const db = await openMmdbGeoIp(findBundledCountryDb()!.ipv4!, { logger });
  assert.equal(db.ipVersion, 4);
  assert.equal(db.lookup('8.8.8.8')?.country_iso_code, 'US');
  assert.equal(db.lookup('2a00:1450:4001::1'), undefined);
});

describe('operator databases', () => {
  test('MaxMind city layout, IPv4 and IPv6 networks', async () => {
    const path = join(dir, 'city.mmdb');
    const london = {
      city: { geoname_id: 2643743, names: { en: 'London', de: 'London' } },
      country: { geoname_id: 2635167, iso_code: 'GB', names: { en: 'United Kingdom' } },
      location: { accuracy_radius: 100, latitude: 51.5142, longitude: -0.0931, time_zone: 'Europe/London' },
      subdivisions: [{ geoname_id: 6269131, iso_code: 'ENG', names: { en: 'England' } }],
      traits: { autonomous_system_number: 64500, autonomous_system_organization: 'Example Transit Networks International Limited' },
    };
    const kyoto = { country: { iso_code: 'JP', names: { en: 'Japan' } }, city: { names: { en: 'Kyoto' } }, location: { latitude: 35.0, longitude: 135.75 } };
    writeFileSync(path, buildMmdb([{ cidr: '81.2.69.0/24', data: london }, { cidr: '2001:218::/32', data: kyoto }], { ipVersion: 6, databaseType: 'GeoIP2-City' }));
    const db = await openMmdbGeoIp(path, { logger });
    assert.equal(db.name, 'city.mmdb');
    assert.match(db.description, /^GeoIP2-City built 2026-01-01$/);
    assert.deepEqual(db.lookup('81.2.69.160'), {
      country_iso_code: 'GB',
      country_name: 'United Kingdom',
      city_name: 'London',
      region_name: 'England',
      location: { lat: 51.5142, lon: -0.0931 },
      as_number: 64500,
      as_organization: 'Example Transit Networks International Limited',
    });
    assert.equal(db.lookup('2001:218:1::5')?.city_name, 'Kyoto');
    assert.equal(db.lookup('81.2.70.1'), undefined);
    assert.equal(db.lookup('2001:219::1'), undefined);
  });

  test('GeoLite2-ASN layout and ip-location-db flat city layout', async () => {
    const asnPath = join(dir, 'asn.mmdb');
    writeFileSync(asnPath, buildMmdb([{ cidr: '8.8.8.0/24', data: { autonomous_system_number: 15169, autonomous_system_organization: 'GOOGLE' } }], { ipVersion: 4, databaseType: 'GeoLite2-ASN' }));
    const asn = await openMmdbGeoIp(asnPath, { logger });
    assert.deepEqual(asn.lookup('8.8.8.8'), { as_number: 15169, as_organization: 'GOOGLE' });
    assert.equal(asn.lookup('2001:4860::1'), undefined);

    const flatPath = join(dir, 'flat-city.mmdb');
    const rec = { city: 'Mountain View', country_code: 'US', latitude: 37.4, longitude: -122.07, postcode: '94043', state1: 'California', timezone: 'America/Los_Angeles' };
    writeFileSync(flatPath, buildMmdb([{ cidr: '8.8.8.0/24', data: rec }], { ipVersion: 6, databaseType: 'dbip-city' }));
    const flat = await openMmdbGeoIp(flatPath, { logger });
    assert.deepEqual(flat.lookup('8.8.8.8'), { country_iso_code: 'US', city_name: 'Mountain View', region_name: 'California', location: { lat: 37.4, lon: -122.07 } });
  });

  test('missing or non-mmdb files → geoip.open_failed naming the path', async () => {
    const missing = join(dir, 'nope.mmdb');
    await assert.rejects(openMmdbGeoIp(missing, { logger }), (e: unknown) => isAppError(e) && e.code === 'geoip.open_failed' && e.message.includes(missing));
    const junk = join(dir, 'junk.mmdb');
    writeFileSync(junk, 'this is not a MaxMind database\n'.repeat(100));
    await assert.rejects(openMmdbGeoIp(junk, { logger }), (e: unknown) => isAppError(e) && e.code === 'geoip.open_failed');
  });
});

describe('mapMmdbRecord', () => {
  test('IPinfo Lite layout', () => {
    assert.deepEqual(mapMmdbRecord({ asn: 'AS13335', as_name: 'Cloudflare, Inc.', country: 'Australia', country_code: 'AU', continent: 'Oceania' }), {
      country_iso_code: 'AU',
      country_name: 'Australia',
      as_number: 13335,
      as_organization: 'Cloudflare, Inc.',
    });
  });

  test('registered_country is the fallback for country', () => {
    assert.deepEqual(mapMmdbRecord({ registered_country: { iso_code: 'de', names: { en: 'Germany' } } }), { country_iso_code: 'DE' });
  });

  test('bad values are dropped, not passed on', () => {
    const rec = {
      country_code: 'USA',
      country: { iso_code: 'ZZ' },
      city: { names: { en: '   ' } },
      location: { latitude: 200, longitude: 10 },
      autonomous_system_number: -1,
      asn: 'AS12x',
      autonomous_system_organization: 'x'.repeat(1000),
    };
    const got = mapMmdbRecord(rec);
    assert.deepEqual(got, { as_organization: 'x'.repeat(256) });
    for (const nothing of [null, undefined, 42, 'US', [], {}, { unrelated: 1 }]) assert.equal(mapMmdbRecord(nothing), undefined);
    assert.deepEqual(mapMmdbRecord({ latitude: '48.85', longitude: '2.35' }), { location: { lat: 48.85, lon: 2.35 } });
  });
});
