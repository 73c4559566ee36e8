/** What a GeoIP database says about one address. */
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
 * (city, ASN). Lookups are synchronous (mmdb is memory-mapped) and must never throw.
 */
export interface GeoIp {
  readonly name: string;
  lookup(ip: string): GeoInfo | undefined;
}
