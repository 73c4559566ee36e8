import { AppError } from '../../../shared/app-error.js';
import { checkCapacity, timeoutSeconds, type BanTable, type StateEntry } from '../ban-batch.js';
import { formatIpOrCidr, parseCidr, parseIpOrCidr, type Cidr } from '@dio/protocol';
import { outermost, rangeToCidrs } from '../cidr.js';

/**
 * nft scripts, shared by the nftables adapter (which runs them) and dry-run (which prints them).
 * Everything lives in one `inet` table DIO owns; nothing here names another table.
 */
export interface NftLayout {
  table: string;
  v4: string;
  v6: string;
  priority: number;
  forward: boolean;
}

export function nftLayout(opts: { table?: string; priority?: number; forward?: boolean } = {}): NftLayout {
  const table = opts.table ?? 'dio';
  if (!/^[A-Za-z][A-Za-z0-9_]{0,31}$/.test(table)) {
    throw new AppError('firewall.invalid_config', `nft table name must be a letter then letters, digits or _ (max 32): ${table}`);
  }
  const priority = opts.priority ?? -10;
  if (!Number.isInteger(priority) || Math.abs(priority) > 1000) throw new AppError('firewall.invalid_config', `nft priority must be an integer within ±1000: ${priority}`);
  return { table, v4: `${table}_ban_v4`, v6: `${table}_ban_v6`, priority, forward: opts.forward ?? true };
}

/**
 * Idempotent in one transaction: `add` of an existing table or set is a no-op, so set contents
 * survive a re-init. The chains are recreated (`add` + `flush` + `delete` is safe whether or not
 * they exist) because nft cannot change an existing base chain's priority, so a changed priority
 * or `forward: false` takes effect on the next init instead of failing it.
 */
export function nftInitScript(l: NftLayout): string {
  const t = `inet ${l.table}`;
  const lines = [
    `add table ${t}`,
    `add set ${t} ${l.v4} { type ipv4_addr; flags interval, timeout; }`,
    `add set ${t} ${l.v6} { type ipv6_addr; flags interval, timeout; }`,
  ];
  for (const h of ['input', 'forward']) {
    lines.push(`add chain ${t} ${h}`, `flush chain ${t} ${h}`, `delete chain ${t} ${h}`);
    if (h === 'forward' && !l.forward) continue;
    lines.push(`add chain ${t} ${h} { type filter hook ${h} priority ${l.priority}; policy accept; }`);
    lines.push(`add rule ${t} ${h} ip saddr @${l.v4} counter drop`, `add rule ${t} ${h} ip6 saddr @${l.v6} counter drop`);
  }
  return lines.join('\n') + '\n';
}

/** `add` first so deleting an absent table is not an error (nft 1.0.6 has no `destroy`). */
export function nftTeardownScript(l: NftLayout): string {
  return `add table inet ${l.table}\ndelete table inet ${l.table}\n`;
}

/** One `nft` run lists both sets (and the rules): half the processes of listing each set, on every batch and every verification. */
export function nftListArgs(l: NftLayout): string[] {
  return ['-j', 'list', 'table', 'inet', l.table];
}

type Scalar = string | { prefix: { addr: string; len: number } } | { range: [string, string] };

function asScalar(v: unknown): Scalar | null {
  if (typeof v === 'string') return v;
  if (v === null || typeof v !== 'object') return null;
  const o = v as { prefix?: { addr?: unknown; len?: unknown }; range?: unknown };
  if (o.prefix && typeof o.prefix.addr === 'string' && typeof o.prefix.len === 'number') return { prefix: { addr: o.prefix.addr, len: o.prefix.len } };
  if (Array.isArray(o.range) && o.range.length === 2 && typeof o.range[0] === 'string' && typeof o.range[1] === 'string') return { range: [o.range[0], o.range[1]] };
  return null;
}

function scalarToCidrs(v: Scalar): Cidr[] {
  const one = (c: Cidr | undefined): Cidr[] => (c ? [c] : []);
  if (typeof v === 'string') return one(parseIpOrCidr(v));
  if ('prefix' in v) return one(parseCidr(`${v.prefix.addr}/${v.prefix.len}`));
  const [a, b] = [parseIpOrCidr(v.range[0]), parseIpOrCidr(v.range[1])];
  // ranges only appear when someone added one by hand; show them as the CIDRs they cover
  return a && b ? rangeToCidrs(a, b) : [];
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);

/**
 * Reads `nft -j list table …` (or `list set …`) output into entries per set (expiry from the
 * kernel's remaining seconds, which nft truncates); a set the output does not hold is `null`.
 * Hand-checked rather than schema-parsed: a full set is 65k elements and this runs before every
 * batch. Elements it cannot read are skipped.
 */
export function parseNftSets(json: string, setNames: readonly string[], now: number): Map<string, StateEntry[] | null> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (e) {
    throw new AppError('firewall.unexpected_output', `could not read nft JSON for ${setNames.join(', ')}`, { cause: e });
  }
  const list = (parsed as { nftables?: unknown } | null)?.nftables;
  if (!Array.isArray(list)) throw new AppError('firewall.unexpected_output', `nft JSON for ${setNames.join(', ')} has no "nftables" array`);
  const found = new Map<string, StateEntry[] | null>(setNames.map((n) => [n, null]));
  for (const obj of list as unknown[]) {
    const set = (obj as { set?: { name?: unknown; elem?: unknown } } | null)?.set;
    if (!set || typeof set.name !== 'string' || !found.has(set.name)) continue;
    const out: StateEntry[] = found.get(set.name) ?? [];
    found.set(set.name, out);
    if (!Array.isArray(set.elem)) continue;
    for (const el of set.elem as unknown[]) {
      const wrapped = el !== null && typeof el === 'object' && 'elem' in el ? (el as { elem: { val?: unknown; timeout?: unknown; expires?: unknown } }).elem : { val: el };
      const val = asScalar(wrapped.val);
      if (val === null) continue;
      const w = wrapped as { timeout?: unknown; expires?: unknown };
      const secs = num(w.expires) ?? num(w.timeout);
      const expiresAt = secs === undefined ? Infinity : now + secs * 1000;
      for (const cidr of scalarToCidrs(val)) out.push({ value: formatIpOrCidr(cidr), cidr, expiresAt });
    }
  }
  return found;
}

export interface NftPlan {
  /** nft script to run with `nft -f -`; empty when nothing changes. */
  script: string;
  /** What the set holds afterwards (outermost entries). */
  kernel: BanTable;
  /** Entries inside a broader one, remembered to re-add if the broader one is removed. */
  shadow: BanTable;
  added: number;
  removed: number;
}

const CHUNK = 512;

function elementLines(verb: 'add' | 'delete', l: NftLayout, entries: readonly StateEntry[], now: number): string[] {
  const lines: string[] = [];
  for (const family of [4, 6] as const) {
    const mine = entries.filter((e) => e.cidr.family === family);
    const set = family === 4 ? l.v4 : l.v6;
    for (let i = 0; i < mine.length; i += CHUNK) {
      const items = mine.slice(i, i + CHUNK).map((e) => {
        if (verb === 'delete') return e.value;
        const t = timeoutSeconds(e.expiresAt, now);
        return t === null ? e.value : `${e.value} timeout ${Math.max(t, 1)}s`;
      });
      lines.push(`${verb} element inet ${l.table} ${set} { ${items.join(', ')} }`);
    }
  }
  return lines;
}

function split(logical: BanTable): { kernel: BanTable; shadow: BanTable } {
  const { outer, nested } = outermost([...logical.values()]);
  return { kernel: new Map(outer.map((e) => [e.value, e])), shadow: new Map(nested.map((e) => [e.value, e])) };
}

/**
 * Above this many deletions from one set, the plan flushes and refills that set instead (still one
 * atomic transaction). nft 1.0.x spends about 1 µs × set size on every interval element it
 * deletes: measured here, 1000 deletes from a 10k set took 11 s, refilling all 10k took 0.3 s.
 */
export const REBUILD_AFTER_DELETES = 32;

/**
 * Plans one transaction from the set as read (`kernel`) and the remembered nested entries.
 * Deletes come before adds so a refresh (delete + add of one element) and replacing inner
 * entries by an outer one both fit in the same atomic batch.
 */
export function planNftApply(
  l: NftLayout,
  kernel: BanTable,
  shadow: BanTable,
  adds: readonly StateEntry[],
  removes: readonly StateEntry[],
  now: number,
  maxEntries: number,
  rebuildAfter = REBUILD_AFTER_DELETES,
): NftPlan {
  const logical: BanTable = new Map();
  for (const t of [kernel, shadow]) for (const [k, e] of t) if (e.expiresAt > now && !logical.has(k)) logical.set(k, e);
  let removed = 0;
  for (const r of removes) if (logical.delete(r.value)) removed++;
  const refreshed = new Set<string>();
  for (const a of adds) {
    logical.set(a.value, a);
    refreshed.add(a.value);
  }
  checkCapacity(logical.size, maxEntries);
  const next = split(logical);
  const lines: string[] = [];
  for (const family of [4, 6] as const) {
    const dels = [...kernel.values()].filter((e) => e.cidr.family === family && (!next.kernel.has(e.value) || refreshed.has(e.value)));
    const wanted = [...next.kernel.values()].filter((e) => e.cidr.family === family);
    if (dels.length > rebuildAfter) {
      lines.push(`flush set inet ${l.table} ${family === 4 ? l.v4 : l.v6}`, ...elementLines('add', l, wanted, now));
      continue;
    }
    const puts = wanted.filter((e) => !kernel.has(e.value) || refreshed.has(e.value));
    lines.push(...elementLines('delete', l, dels, now), ...elementLines('add', l, puts, now));
  }
  return { script: lines.length ? lines.join('\n') + '\n' : '', ...next, added: adds.length, removed };
}

/** Replaces the contents of both sets in one transaction; `previous` (if read) only feeds the counts. */
export function planNftSync(l: NftLayout, active: readonly StateEntry[], now: number, maxEntries: number, previous?: BanTable): NftPlan {
  const logical: BanTable = new Map();
  for (const a of active) if (a.expiresAt > now) logical.set(a.value, a);
  checkCapacity(logical.size, maxEntries);
  const next = split(logical);
  const lines = [`flush set inet ${l.table} ${l.v4}`, `flush set inet ${l.table} ${l.v6}`, ...elementLines('add', l, [...next.kernel.values()], now)];
  const removed = previous ? [...previous.keys()].filter((k) => !logical.has(k)).length : 0;
  return { script: lines.join('\n') + '\n', ...next, added: logical.size, removed };
}
