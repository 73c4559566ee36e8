import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { AppError } from '../../shared/app-error.js';
import type { Logger } from '../../shared/logger.js';
import { byFamilyGeoIp, openMmdbGeoIp } from './mmdb-geoip.js';
import type { GeoIp } from './port.js';

/** The CC0 country database DIO ships with (GeoFeed + RIR whois + ASN country, IPv4 and IPv6). */
export const BUNDLED_COUNTRY_PACKAGE = '@ip-location-db/geo-whois-asn-country-mmdb';

export interface BundledCountryFiles {
  /** One database covering IPv4 and IPv6, when the package has it (preferred: one read). */
  readonly combined?: string;
  readonly ipv4?: string;
  readonly ipv6?: string;
  readonly version?: string;
}

/**
 * Where the bundled .mmdb files are inside node_modules, or undefined when the package is not
 * installed. Resolved with createRequire from this module, which also works from the esbuild
 * bundle (dependencies stay external there). `from` is for tests.
 */
export function findBundledCountryDb(from: string = import.meta.url): BundledCountryFiles | undefined {
  let pkgJson: string;
  try {
    pkgJson = createRequire(from).resolve(`${BUNDLED_COUNTRY_PACKAGE}/package.json`);
  } catch {
    return undefined;
  }
  const dir = dirname(pkgJson);
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.mmdb'));
  } catch {
    return undefined;
  }
  const files: { combined?: string; ipv4?: string; ipv6?: string; version?: string } = {};
  for (const n of names.sort()) {
    if (/-ipv4\.mmdb$/.test(n)) files.ipv4 ??= join(dir, n);
    else if (/-ipv6\.mmdb$/.test(n)) files.ipv6 ??= join(dir, n);
    else files.combined ??= join(dir, n);
  }
  const version = readVersion(pkgJson);
  if (version !== undefined) files.version = version;
  return files.combined ?? files.ipv4 ?? files.ipv6 ? files : undefined;
}

function readVersion(pkgJson: string): string | undefined {
  try {
    const v: unknown = (JSON.parse(readFileSync(pkgJson, 'utf8')) as { version?: unknown }).version;
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Opens the bundled country database: the combined file when present, else the v4 and v6 files
 * behind one GeoIp that routes by address family.
 *
 * @throws AppError `geoip.bundled_missing` when the package or its files are absent,
 *   `geoip.open_failed` when a file cannot be read.
 */
export async function openBundledCountryDb(opts: { logger: Logger; from?: string }): Promise<GeoIp> {
  const files = findBundledCountryDb(opts.from);
  if (files === undefined) {
    throw new AppError('geoip.bundled_missing', `bundled country database not found (is ${BUNDLED_COUNTRY_PACKAGE} installed?)`);
  }
  const name = `bundled:geo-whois-asn-country${files.version ? `@${files.version}` : ''}`;
  if (files.combined !== undefined) return openMmdbGeoIp(files.combined, { logger: opts.logger, name });
  const [v4, v6] = await Promise.all([
    files.ipv4 === undefined ? undefined : openMmdbGeoIp(files.ipv4, { logger: opts.logger, name: `${name}/ipv4` }),
    files.ipv6 === undefined ? undefined : openMmdbGeoIp(files.ipv6, { logger: opts.logger, name: `${name}/ipv6` }),
  ]);
  return byFamilyGeoIp(name, v4, v6);
}
