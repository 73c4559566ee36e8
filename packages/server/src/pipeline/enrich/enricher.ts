import type { DioEvent, IpClass } from '@dio/protocol';
import type { Logger } from '../../shared/logger.js';
import { canonicalIp, ipClass } from '@dio/protocol';
import type { GeoInfo, GeoIp } from './port.js';

type Endpoint = NonNullable<DioEvent['source']>;
type EcsGeo = NonNullable<Endpoint['geo']>;
type EcsAs = NonNullable<Endpoint['as']>;

/** Everything enrich derives from one address string; cached, shared, frozen. */
interface IpFacts {
  /** Canonical spelling. */
  readonly canonical: string;
  /** The key was not canonical: write `canonical` back (a flag, to skip a string compare per event). */
  readonly rewrite: boolean;
  /** Undefined when the string is not an address. */
  readonly cls: IpClass | undefined;
  readonly geo: EcsGeo | undefined;
  readonly as: EcsAs | undefined;
}

export interface EnricherStats {
  /** Addresses looked at (source and destination each count). */
  lookups: number;
  hits: number;
  misses: number;
  /** Addresses that were not valid IPs (left as they were, no class). */
  invalid: number;
  /** GeoIP lookups that threw (the adapter broke its contract); the event passed through. */
  errors: number;
  cached: number;
}

export interface Enricher {
  /** Fills dio.{source,destination}_class and, for public addresses, geo/as. Mutates in place. */
  enrich(event: DioEvent): void;
  /** Counters since creation; the caller flushes deltas to metrics. */
  stats(): EnricherStats;
  /** Drops the cache (after a GeoIP database reload). */
  clear(): void;
}

export interface EnricherOptions {
  country?: GeoIp;
  city?: GeoIp;
  asn?: GeoIp;
  logger: Logger;
  /** Distinct addresses remembered (default 65536; 0 disables the cache). */
  cacheSize?: number;
}

const MAX_KEY = 64;

/**
 * The enrich stage. Per event the cost is one Map lookup per address: attack traffic repeats
 * addresses, so facts (canonical form, class, geo, AS) are computed once per distinct string and
 * kept in a two-generation cache (a full young map becomes the old one; hits in the old map are
 * promoted), which approximates LRU without per-hit bookkeeping. Cached geo/as objects are frozen
 * and shared between events: downstream code must copy, not mutate, them.
 *
 * Rules: the address is rewritten to canonical form (so detection keys and bans agree); only
 * public addresses get geo/as; values already on the event (a parser that read the country from
 * the log line) win over the database, which only fills what is missing.
 */
export function createEnricher(opts: EnricherOptions): Enricher {
  return new CachingEnricher(opts);
}

const EMPTY_STATS = { hits: 0, misses: 0, invalid: 0, errors: 0 };

class CachingEnricher implements Enricher {
  readonly #dbs: { city: GeoIp | undefined; country: GeoIp | undefined; asn: GeoIp | undefined };
  readonly #half: number;
  #young = new Map<string, IpFacts>();
  #old = new Map<string, IpFacts>();
  #n = { ...EMPTY_STATS };
  /** ECS objects per GeoInfo when one database answered alone, so equal answers share objects. */
  #ecs = new WeakMap<GeoInfo, { geo: EcsGeo | undefined; as: EcsAs | undefined }>();

  constructor(opts: EnricherOptions) {
    this.#dbs = { city: opts.city, country: opts.country, asn: opts.asn };
    const size = opts.cacheSize ?? 65536;
    this.#half = Number.isFinite(size) && size > 0 ? Math.max(1, Math.floor(size / 2)) : 0;
    opts.logger.debug({ component: 'enrich', country: opts.country?.name, city: opts.city?.name, asn: opts.asn?.name, cacheSize: this.#half * 2 }, 'enricher ready');
  }

  enrich(event: DioEvent): void {
    // typeof checks, not !== undefined: an event that skipped validation must not throw in here
    const src = event.source;
    if (typeof src?.ip === 'string') {
      const cls = this.#apply(src, src.ip);
      if (cls !== undefined) (event.dio ??= {}).source_class = cls;
    }
    const dst = event.destination;
    if (typeof dst?.ip === 'string') {
      const cls = this.#apply(dst, dst.ip);
      if (cls !== undefined) (event.dio ??= {}).destination_class = cls;
    }
  }

  stats(): EnricherStats {
    const n = this.#n;
    return { lookups: n.hits + n.misses, hits: n.hits, misses: n.misses, invalid: n.invalid, errors: n.errors, cached: this.#young.size + this.#old.size };
  }

  clear(): void {
    this.#young = new Map();
    this.#old = new Map();
    this.#ecs = new WeakMap();
  }

  #apply(ep: Endpoint, ip: string): IpClass | undefined {
    const f = this.#facts(ip);
    if (f.cls === undefined) {
      this.#n.invalid++;
      return undefined;
    }
    if (f.rewrite) ep.ip = f.canonical;
    if (f.geo !== undefined) {
      const g = ep.geo;
      if (g === undefined) ep.geo = f.geo;
      else if (g !== f.geo) ep.geo = { ...f.geo, ...g };
    }
    if (f.as !== undefined) {
      const a = ep.as;
      if (a === undefined) ep.as = f.as;
      else if (a !== f.as) ep.as = { ...f.as, ...a };
    }
    return f.cls;
  }

  #facts(ip: string): IpFacts {
    let f = this.#young.get(ip);
    if (f !== undefined) {
      this.#n.hits++;
      return f;
    }
    f = this.#old.get(ip);
    if (f !== undefined) this.#n.hits++;
    else {
      this.#n.misses++;
      f = this.#compute(ip);
      // Keys come from the wire: over-long strings are never valid addresses, do not keep them.
      if (ip.length > MAX_KEY) return f;
    }
    if (this.#half === 0) return f;
    if (this.#young.size >= this.#half) {
      this.#old = this.#young;
      this.#young = new Map();
    }
    this.#young.set(ip, f);
    return f;
  }

  #compute(ip: string): IpFacts {
    const canonical = ip.length <= MAX_KEY ? canonicalIp(ip) : undefined;
    if (canonical === undefined) return { canonical: ip, rewrite: false, cls: undefined, geo: undefined, as: undefined };
    const rewrite = canonical !== ip;
    const cls = ipClass(canonical);
    if (cls !== 'public') return { canonical, rewrite, cls, geo: undefined, as: undefined };
    const { city, country, asn } = this.#dbs;
    const c = this.#lookup(city, canonical);
    const k = this.#lookup(country, canonical);
    const a = this.#lookup(asn, canonical);
    const only = (c ? 1 : 0) + (k ? 1 : 0) + (a ? 1 : 0) === 1 ? (c ?? k ?? a) : undefined;
    if (only !== undefined) {
      let ecs = this.#ecs.get(only);
      if (ecs === undefined) {
        ecs = toEcs([only], [only]);
        this.#ecs.set(only, ecs);
      }
      return { canonical, rewrite, cls, geo: ecs.geo, as: ecs.as };
    }
    // City databases locate better than the country one; AS data comes from the ASN database first.
    const { geo, as } = toEcs([c, k, a], [a, c, k]);
    return { canonical, rewrite, cls, geo, as };
  }

  #lookup(db: GeoIp | undefined, ip: string): GeoInfo | undefined {
    if (db === undefined) return undefined;
    try {
      return db.lookup(ip);
    } catch {
      this.#n.errors++;
      return undefined;
    }
  }
}

function first<K extends keyof GeoInfo>(infos: (GeoInfo | undefined)[], key: K): GeoInfo[K] {
  for (const i of infos) if (i !== undefined && i[key] !== undefined) return i[key];
  return undefined;
}

function toEcs(geoOrder: (GeoInfo | undefined)[], asOrder: (GeoInfo | undefined)[]): { geo: EcsGeo | undefined; as: EcsAs | undefined } {
  const geo: EcsGeo = {};
  const iso = first(geoOrder, 'country_iso_code');
  if (iso !== undefined) geo.country_iso_code = iso;
  const countryName = first(geoOrder, 'country_name');
  if (countryName !== undefined) geo.country_name = countryName;
  const city = first(geoOrder, 'city_name');
  if (city !== undefined) geo.city_name = city;
  const region = first(geoOrder, 'region_name');
  if (region !== undefined) geo.region_name = region;
  const loc = first(geoOrder, 'location');
  if (loc !== undefined) geo.location = Object.freeze({ lat: loc.lat, lon: loc.lon });
  const num = first(asOrder, 'as_number');
  const org = first(asOrder, 'as_organization');
  let as: EcsAs | undefined;
  if (num !== undefined || org !== undefined) {
    as = {};
    if (num !== undefined) as.number = num;
    if (org !== undefined) as.organization = Object.freeze({ name: org });
    Object.freeze(as);
  }
  return { geo: Object.keys(geo).length > 0 ? Object.freeze(geo) : undefined, as };
}
