import { AppError } from '../../shared/app-error.js';
import { formatIpOrCidr, parseIpOrCidr, type Cidr } from '@dio/protocol';
import { compareCidr } from './cidr.js';
import type { BanEntry, ListedEntry } from './port.js';

/**
 * Shared by every Firewall adapter: validating a batch, the in-memory picture of a ban set, and
 * timeout arithmetic, so dry-run and the real adapters cannot drift apart.
 */
export interface StateEntry {
  /** Canonical text. */
  value: string;
  cidr: Cidr;
  /** Epoch ms; Infinity when the kernel entry has no timeout (added by hand). */
  expiresAt: number;
}

/** Canonical value → entry. */
export type BanTable = Map<string, StateEntry>;

/** ipset refuses longer timeouts; nftables on older kernels too. Longer bans are re-added by sync. */
export const MAX_TIMEOUT_S = 2_147_483;
/** Default bound on entries held per adapter (ipset's default maxelem). */
export const DEFAULT_MAX_ENTRIES = 65_536;
/** Bound on one batch, so a runaway caller cannot build a gigabyte script. */
export const MAX_BATCH = 200_000;

export interface PreparedBatch {
  adds: StateEntry[];
  removes: StateEntry[];
  /** Adds skipped because their expiry had already passed. */
  expired: number;
}

function invalid(message: string, value: unknown): AppError {
  return new AppError('firewall.invalid_entry', message, { status: 400, details: { value } });
}

/** Validates and canonicalises one value; throws `firewall.invalid_entry`. */
export function prepareValue(value: unknown, opts: { ipv6?: boolean } = {}): { value: string; cidr: Cidr } {
  const cidr = typeof value === 'string' ? parseIpOrCidr(value) : undefined;
  if (cidr === undefined) throw invalid(`not an IP address or CIDR: ${JSON.stringify(value)?.slice(0, 80)}`, value);
  // A /0 would cut the host off the network; no decision should ever mean that.
  if (cidr.bits === 0) throw invalid(`refusing to ban a whole address family: ${String(value)}`, value);
  if (cidr.family === 6 && opts.ipv6 === false) throw invalid(`IPv6 is disabled for this firewall: ${String(value)}`, value);
  return { value: formatIpOrCidr(cidr), cidr };
}

/**
 * Validates a batch before anything runs. Adds of one value are merged keeping the latest
 * expiry (one batch never shortens a ban it also extends); expired adds are dropped.
 */
export function prepareBatch(
  add: readonly BanEntry[],
  remove: readonly string[],
  now: number,
  opts: { ipv6?: boolean } = {},
): PreparedBatch {
  const lists: unknown[] = [add, remove]; // callers may be untyped (JSON from an API or agent)
  if (!lists.every((l) => Array.isArray(l))) throw invalid('apply expects two arrays', null);
  if (add.length + remove.length > MAX_BATCH) throw invalid(`batch of ${add.length + remove.length} exceeds ${MAX_BATCH}`, null);
  const adds = new Map<string, StateEntry>();
  let expired = 0;
  for (const e of add) {
    if (e === null || typeof e !== 'object') throw invalid('ban entry must be an object', e);
    const { value, cidr } = prepareValue(e.value, opts);
    if (typeof e.expiresAt !== 'number' || Number.isNaN(e.expiresAt)) throw invalid(`expiresAt of ${value} is not a number`, e.expiresAt);
    if (timeoutSeconds(e.expiresAt, now) === 0) {
      expired++;
      continue;
    }
    const prev = adds.get(value);
    if (prev === undefined || prev.expiresAt < e.expiresAt) adds.set(value, { value, cidr, expiresAt: e.expiresAt });
  }
  const removes = new Map<string, StateEntry>();
  for (const v of remove) {
    const { value, cidr } = prepareValue(v, opts);
    removes.set(value, { value, cidr, expiresAt: 0 });
  }
  return { adds: [...adds.values()], removes: [...removes.values()], expired };
}

/** Whole seconds until expiry, rounded up, capped; 0 when already due; null for permanent. */
export function timeoutSeconds(expiresAt: number, now: number): number | null {
  if (expiresAt === Infinity) return null;
  const s = Math.ceil((expiresAt - now) / 1000);
  if (!(s > 0)) return 0;
  return Math.min(s, MAX_TIMEOUT_S);
}

/** The table as the port reports it: sorted by family, address, prefix. */
export function toListed(entries: Iterable<StateEntry>): ListedEntry[] {
  return [...entries]
    .sort((a, b) => compareCidr(a.cidr, b.cidr))
    .map((e) => ({ value: e.value, expiresAt: e.expiresAt === Infinity ? null : e.expiresAt }));
}

/** Drops entries whose expiry passed (the kernel has dropped them too). */
export function pruneExpired(table: BanTable, now: number): void {
  for (const [k, e] of table) if (e.expiresAt <= now) table.delete(k);
}

export function checkCapacity(size: number, max: number): void {
  if (size > max) {
    throw new AppError('firewall.capacity', `the firewall would hold ${size} entries, more than its limit of ${max}`, { status: 507 });
  }
}

/**
 * Runs async operations one at a time: apply reads the kernel, plans and writes, and two of those
 * interleaved would plan against a stale read.
 */
export function createSerialQueue(): <T>(op: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(op: () => Promise<T>): Promise<T> => {
    const run = tail.then(op, op);
    tail = run.catch(() => undefined);
    return run;
  };
}

/** Runs synchronous work behind a Promise-returning port method, turning throws into rejections. */
export function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
}
