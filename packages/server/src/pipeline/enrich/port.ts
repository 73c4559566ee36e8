/**
 * What a GeoIP database says about one address. Adapters return only valid values (the shapes
 * @dio/protocol's GeoSchema accepts): `country_iso_code` is two upper-case letters, `location` is
 * finite and in range, `as_number` a non-negative integer, strings are bounded.
 */
export interface GeoInfo {
  country_iso_code?: string;
  country_name?: string;
  city_name?: string;
  region_name?: string;
  location?: { lat: number; lon: number };
  as_number?: number;
  as_organization?: string;
}

/**
 * GeoIp: address → location/AS. Adapters: the bundled CC0 country mmdb, or any operator .mmdb
 * (city, ASN). Lookups are synchronous (the database is held in memory) and must never throw.
 * `ip` is in canonical form (canonicalIp from @dio/protocol: IPv4 dotted quad, RFC 5952 IPv6, v4-mapped
 * IPv6 already turned into IPv4); the enricher only asks about public addresses. Returned
 * objects may be shared between calls: callers must not mutate them.
 */
export interface GeoIp {
  readonly name: string;
  lookup(ip: string): GeoInfo | undefined;
}
