import { basename } from 'node:path';
import { open as openMaxmind, type Reader, type Response } from 'maxmind';
import { AppError, errorMessage } from '../../shared/app-error.js';
import type { Logger } from '../../shared/logger.js';
import { canonicalIp } from '@dio/protocol';
import { mapMmdbRecord } from './mmdb-record.js';
import type { GeoInfo, GeoIp } from './port.js';

export interface MmdbGeoIp extends GeoIp {
  /** Database type and build date from the file's metadata, for logs and `dio` status output. */
  readonly description: string;
  readonly ipVersion: 4 | 6;
  /** Lookups that threw inside the reader (a corrupt file); they answered undefined. */
  readonly errors: number;
}

/**
 * Opens any MaxMind-format database (country, city or ASN; MaxMind, DB-IP, ip-location-db,
 * IPinfo layouts, see mmdb-record.ts) as a GeoIp. The maxmind package reads the whole file into
 * memory (no mmap); decoded records are cached by data offset, and so are our mapped results,
 * so a country database with a few hundred distinct records costs few allocations.
 *
 * @throws AppError `geoip.open_failed` (missing, unreadable or not an mmdb file).
 */
export async function openMmdbGeoIp(path: string, opts: { logger: Logger; name?: string }): Promise<MmdbGeoIp> {
  let reader: Reader<Response>;
  try {
    reader = await openMaxmind<Response>(path);
  } catch (e) {
    throw new AppError('geoip.open_failed', `cannot open GeoIP database ${path}: ${errorMessage(e)}`, { cause: e });
  }
  const meta = reader.metadata;
  if (meta.ipVersion !== 4 && meta.ipVersion !== 6) {
    throw new AppError('geoip.open_failed', `cannot open GeoIP database ${path}: unsupported ip_version ${String(meta.ipVersion)}`);
  }
  const built = Number.isFinite(meta.buildEpoch.getTime()) ? meta.buildEpoch.toISOString().slice(0, 10) : 'unknown date';
  const description = `${String(meta.databaseType)} built ${built}`;
  const name = opts.name ?? basename(path);
  opts.logger.debug({ component: 'enrich', db: name, path, type: meta.databaseType, built, ipVersion: meta.ipVersion }, 'GeoIP database opened');
  return new ReaderGeoIp(name, description, meta.ipVersion, reader);
}

class ReaderGeoIp implements MmdbGeoIp {
  errors = 0;
  /** Records are shared objects from the reader's cache; map each one once. */
  readonly #mapped = new WeakMap<object, GeoInfo | null>();

  constructor(
    readonly name: string,
    readonly description: string,
    readonly ipVersion: 4 | 6,
    readonly reader: Reader<Response>,
  ) {}

  lookup(ip: string): GeoInfo | undefined {
    // The reader's own parser accepts garbage and reads ::ffff:a.b.c.d as an IPv6 path, so
    // canonicalise here too (cheap; the enricher already caches per address).
    const c = canonicalIp(ip);
    if (c === undefined) return undefined;
    // An IPv4-only tree would walk an IPv6 address's first 32 bits and answer nonsense.
    if (this.ipVersion === 4 && c.includes(':')) return undefined;
    let rec: Response | null;
    try {
      rec = this.reader.get(c);
    } catch {
      this.errors++;
      return undefined;
    }
    if (rec === null || typeof rec !== 'object') return undefined;
    let info = this.#mapped.get(rec);
    if (info === undefined) {
      info = mapMmdbRecord(rec) ?? null;
      this.#mapped.set(rec, info);
    }
    return info ?? undefined;
  }
}

/** One GeoIp over a v4-only and a v6-only database (some packages ship the two separately). */
export function byFamilyGeoIp(name: string, v4: GeoIp | undefined, v6: GeoIp | undefined): GeoIp {
  return {
    name,
    lookup: (ip) => (ip.includes(':') ? v6?.lookup(ip) : v4?.lookup(ip)),
  };
}
