import type { GeoInfo } from './port.js';

/**
 * Maps one decoded .mmdb record to GeoInfo, whatever the database's layout:
 * - ip-location-db flat records: `country_code`; city: `city`, `state1`, `latitude`, `longitude`;
 *   ASN: `autonomous_system_number`, `autonomous_system_organization`;
 * - MaxMind GeoIP2/GeoLite2 and DB-IP (same layout): `country.iso_code`, `country.names.en`,
 *   `registered_country.iso_code` (fallback), `city.names.en`, `subdivisions[0].names.en`,
 *   `location.latitude/longitude`, `traits.autonomous_system_*`; GeoLite2-ASN top-level
 *   `autonomous_system_number/organization`;
 * - IPinfo Lite: `country_code`, `country` (a name), `asn` ("AS15169"), `as_name`.
 * The file is operator-supplied, so every value is checked and bad ones are dropped: the event
 * schema must still accept what enrich writes.
 */
export function mapMmdbRecord(rec: unknown): GeoInfo | undefined {
  if (!isObject(rec)) return undefined;
  const out: GeoInfo = {};
  const country = rec['country'];
  const iso = countryCode(rec['country_code']) ?? countryCode(field(country, 'iso_code')) ?? countryCode(field(rec['registered_country'], 'iso_code'));
  if (iso !== undefined) out.country_iso_code = iso;
  const countryName = typeof country === 'string' ? text(country) : englishName(country);
  if (countryName !== undefined) out.country_name = countryName;

  const city = rec['city'];
  const cityName = typeof city === 'string' ? text(city) : englishName(city);
  if (cityName !== undefined) out.city_name = cityName;
  const subs = rec['subdivisions'];
  const region = (Array.isArray(subs) ? englishName(subs[0]) : undefined) ?? text(rec['state1']) ?? text(rec['region']);
  if (region !== undefined) out.region_name = region;

  const loc = rec['location'];
  const lat = coordinate(isObject(loc) ? loc['latitude'] : rec['latitude'], 90);
  const lon = coordinate(isObject(loc) ? loc['longitude'] : rec['longitude'], 180);
  if (lat !== undefined && lon !== undefined) out.location = { lat, lon };

  const traits = rec['traits'];
  const asn = asNumber(rec['autonomous_system_number']) ?? asNumber(field(traits, 'autonomous_system_number')) ?? asNumber(rec['asn']);
  if (asn !== undefined) out.as_number = asn;
  const org = text(rec['autonomous_system_organization']) ?? text(field(traits, 'autonomous_system_organization')) ?? text(rec['as_name']);
  if (org !== undefined) out.as_organization = org;

  for (const _ in out) return out;
  return undefined;
}

const MAX_TEXT = 256;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function field(v: unknown, key: string): unknown {
  return isObject(v) ? v[key] : undefined;
}

function text(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  if (t === '') return undefined;
  return t.length > MAX_TEXT ? t.slice(0, MAX_TEXT) : t;
}

function englishName(v: unknown): string | undefined {
  return text(field(field(v, 'names'), 'en'));
}

/** ISO 3166-1 alpha-2; "ZZ" (unknown) and placeholders like "--" are no answer. */
function countryCode(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.length !== 2) return undefined;
  const c = v.toUpperCase();
  const a = c.charCodeAt(0);
  const b = c.charCodeAt(1);
  if (a < 65 || a > 90 || b < 65 || b > 90 || c === 'ZZ') return undefined;
  return c;
}

function coordinate(v: unknown, limit: number): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) && n >= -limit && n <= limit ? n : undefined;
}

function asNumber(v: unknown): number | undefined {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'bigint') n = Number(v);
  else if (typeof v === 'string' && /^(AS)?\d{1,10}$/i.test(v)) n = Number(v.replace(/^AS/i, ''));
  else return undefined;
  return Number.isInteger(n) && n >= 0 && n <= 0xffffffff ? n : undefined;
}
