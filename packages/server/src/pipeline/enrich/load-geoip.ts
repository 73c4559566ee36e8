import { errorMessage } from '../../shared/app-error.js';
import type { Logger } from '../../shared/logger.js';
import { openBundledCountryDb } from './bundled-country-db.js';
import { openMmdbGeoIp } from './mmdb-geoip.js';
import type { GeoIp } from './port.js';

export interface GeoIpConfig {
  /** A .mmdb path, 'bundled' (the default: the CC0 country database from npm) or 'none'. */
  country_db?: string;
  /** Optional city .mmdb (MaxMind/DB-IP/ip-location-db city layout). */
  city_db?: string;
  /** Optional ASN .mmdb. */
  asn_db?: string;
}

export interface GeoIpDatabases {
  country?: GeoIp;
  city?: GeoIp;
  asn?: GeoIp;
}

const LOST = {
  country: 'country codes (source/destination.geo.country_iso_code) come only from a city database, if any',
  city: 'no city, region or location enrichment',
  asn: 'no AS number/organization enrichment',
} as const;

/**
 * Opens the configured GeoIP databases. A database that is missing or unreadable costs exactly
 * one warning (naming the path and what is lost) and is left out: enrichment carries on with
 * the others, and events always pass through. Never throws.
 */
export async function loadGeoIp(config: GeoIpConfig, logger: Logger, opts: { bundledFrom?: string } = {}): Promise<GeoIpDatabases> {
  const log = logger.child({ component: 'enrich' });
  const country = config.country_db ?? 'bundled';
  const [c, city, asn] = await Promise.all([
    country === 'none' || country === ''
      ? undefined
      : attempt('country', country, log, () => (country === 'bundled' ? openBundledCountryDb({ logger: log, from: opts.bundledFrom }) : openMmdbGeoIp(country, { logger: log }))),
    config.city_db ? attempt('city', config.city_db, log, () => openMmdbGeoIp(config.city_db!, { logger: log })) : undefined,
    config.asn_db ? attempt('asn', config.asn_db, log, () => openMmdbGeoIp(config.asn_db!, { logger: log })) : undefined,
  ]);
  const out: GeoIpDatabases = {};
  if (c !== undefined) out.country = c;
  if (city !== undefined) out.city = city;
  if (asn !== undefined) out.asn = asn;
  log.info({ country: out.country?.name ?? null, city: out.city?.name ?? null, asn: out.asn?.name ?? null }, 'GeoIP databases loaded');
  return out;
}

async function attempt(kind: keyof typeof LOST, path: string, log: Logger, open: () => Promise<GeoIp>): Promise<GeoIp | undefined> {
  try {
    return await open();
  } catch (e) {
    log.warn({ db: kind, path, err: errorMessage(e) }, `GeoIP ${kind} database unavailable (${path}): ${LOST[kind]}`);
    return undefined;
  }
}
