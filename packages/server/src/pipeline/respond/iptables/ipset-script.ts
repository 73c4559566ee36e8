import { AppError } from '../../../shared/app-error.js';
import { checkCapacity, timeoutSeconds, type BanTable, type StateEntry } from '../ban-batch.js';
import { formatIpOrCidr, parseIpOrCidr } from '@dio/protocol';

/**
 * ipset and iptables-restore scripts, shared by the iptables adapter (which runs them) and dry-run
 * (which prints them). hash:net sets hold nested ranges natively, so no shadowing is needed here.
 * Rules live only in DIO's own chains plus one jump from INPUT (and FORWARD) per family.
 */
export interface IpsetLayout {
  v4: string;
  v6: string;
  inputChain: string;
  forwardChain: string;
  forward: boolean;
  ipv6: boolean;
  maxEntries: number;
}

export function ipsetLayout(opts: { setPrefix?: string; chainPrefix?: string; forward?: boolean; ipv6?: boolean; maxEntries?: number } = {}): IpsetLayout {
  const p = opts.setPrefix ?? 'dio';
  const c = opts.chainPrefix ?? 'DIO';
  // ipset names are ≤ 31 chars ("-tmp" is appended during sync); chains ≤ 28
  if (!/^[A-Za-z0-9][A-Za-z0-9_]{0,15}$/.test(p)) throw new AppError('firewall.invalid_config', `ipset prefix must be 1-16 letters, digits or _: ${p}`);
  if (!/^[A-Za-z][A-Za-z0-9_]{0,15}$/.test(c)) throw new AppError('firewall.invalid_config', `chain prefix must be 1-16 letters, digits or _: ${c}`);
  const maxEntries = opts.maxEntries ?? 65_536;
  if (!Number.isInteger(maxEntries) || maxEntries < 1 || maxEntries > 4_000_000) throw new AppError('firewall.invalid_config', `maxEntries out of range: ${maxEntries}`);
  return { v4: `${p}-ban-v4`, v6: `${p}-ban-v6`, inputChain: `${c}-INPUT`, forwardChain: `${c}-FORWARD`, forward: opts.forward ?? true, ipv6: opts.ipv6 ?? true, maxEntries };
}

function families(l: IpsetLayout): (4 | 6)[] {
  return l.ipv6 ? [4, 6] : [4];
}

function setOf(l: IpsetLayout, f: 4 | 6): string {
  return f === 4 ? l.v4 : l.v6;
}

function createLine(l: IpsetLayout, f: 4 | 6, name = setOf(l, f)): string {
  // timeout 0: entries may carry their own timeout; those without one never expire
  return `create ${name} hash:net family ${f === 4 ? 'inet' : 'inet6'} timeout 0 maxelem ${l.maxEntries}`;
}

/** For `ipset restore -exist`: creating an existing identical set is then a no-op. */
export function ipsetCreateScript(l: IpsetLayout): string {
  return families(l).map((f) => createLine(l, f)).join('\n') + '\n';
}

/** Rules of the filter table as `iptables -S` prints them. */
export interface RuleDump {
  chains: Set<string>;
  rules: string[];
}

export function parseRuleDump(text: string): RuleDump {
  const chains = new Set<string>();
  const rules: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('-N ')) chains.add(line.slice(3).trim());
    else if (line.startsWith('-A ')) rules.push(line);
  }
  return { chains, rules };
}

function hooks(l: IpsetLayout): [string, string][] {
  const h: [string, string][] = [['INPUT', l.inputChain]];
  if (l.forward) h.push(['FORWARD', l.forwardChain]);
  return h;
}

/**
 * For `iptables-restore --noflush`: declaring our chains creates or empties them (so re-init never
 * duplicates rules), and the jump from INPUT/FORWARD is inserted only when it is missing.
 */
export function iptablesInitScript(l: IpsetLayout, f: 4 | 6, dump: RuleDump): string {
  const set = setOf(l, f);
  const lines = ['*filter'];
  for (const [, chain] of hooks(l)) lines.push(`:${chain} - [0:0]`);
  for (const [, chain] of hooks(l)) lines.push(`-A ${chain} -m set --match-set ${set} src -j DROP`);
  for (const [base, chain] of hooks(l)) if (!dump.rules.includes(`-A ${base} -j ${chain}`)) lines.push(`-I ${base} 1 -j ${chain}`);
  if (!l.forward && dump.chains.has(l.forwardChain)) {
    // forward was switched off since the last init
    for (const rule of dump.rules) if (rule === `-A FORWARD -j ${l.forwardChain}`) lines.push(`-D FORWARD -j ${l.forwardChain}`);
    lines.push(`-F ${l.forwardChain}`, `-X ${l.forwardChain}`);
  }
  lines.push('COMMIT');
  return lines.join('\n') + '\n';
}

/** Deletes every jump into our chains, then the chains; null when there is nothing of ours. */
export function iptablesTeardownScript(l: IpsetLayout, dump: RuleDump): string | null {
  const mine = [l.inputChain, l.forwardChain];
  const lines = ['*filter'];
  for (const rule of dump.rules) {
    const target = /\s-j\s+(\S+)\s*$/.exec(rule)?.[1];
    const chain = rule.split(/\s+/)[1];
    if (target !== undefined && mine.includes(target) && chain !== undefined && !mine.includes(chain)) lines.push(`-D${rule.slice(2)}`);
  }
  for (const chain of mine) if (dump.chains.has(chain)) lines.push(`-F ${chain}`, `-X ${chain}`);
  if (lines.length === 1) return null;
  lines.push('COMMIT');
  return lines.join('\n') + '\n';
}

/** Reads `ipset save NAME` / `ipset list NAME -o save` output. */
export function parseIpsetSave(text: string, setName: string, now: number): StateEntry[] {
  const out: StateEntry[] = [];
  for (const raw of text.split('\n')) {
    const parts = raw.trim().split(/\s+/);
    if (parts[0] !== 'add' || parts[1] !== setName || parts[2] === undefined) continue;
    if (parts.includes('nomatch')) continue; // an exception entry, not a ban
    const cidr = parseIpOrCidr(parts[2]);
    if (cidr === undefined) continue;
    const t = parts.indexOf('timeout');
    const secs = t === -1 ? 0 : Number(parts[t + 1]);
    // timeout 0 (or none) means the entry never expires
    const expiresAt = Number.isFinite(secs) && secs > 0 ? now + secs * 1000 : Infinity;
    out.push({ value: formatIpOrCidr(cidr), cidr, expiresAt });
  }
  return out;
}

function addLine(set: string, e: StateEntry, now: number): string {
  const t = timeoutSeconds(e.expiresAt, now);
  return t === null ? `add ${set} ${e.value}` : `add ${set} ${e.value} timeout ${Math.max(t, 1)}`;
}

export interface IpsetPlan {
  /** Script for `ipset restore -exist`; empty when nothing changes. */
  script: string;
  next: BanTable;
  added: number;
  removed: number;
}

/** Removals first; `-exist` makes a re-add refresh the timeout and a vanished entry's `del` a no-op. */
export function planIpsetApply(l: IpsetLayout, current: BanTable, adds: readonly StateEntry[], removes: readonly StateEntry[], now: number): IpsetPlan {
  const next: BanTable = new Map();
  for (const [k, e] of current) if (e.expiresAt > now) next.set(k, e);
  const lines: string[] = [];
  let removed = 0;
  for (const r of removes) {
    if (!next.delete(r.value)) continue;
    removed++;
    lines.push(`del ${setOf(l, r.cidr.family)} ${r.value}`);
  }
  for (const a of adds) {
    next.set(a.value, a);
    lines.push(addLine(setOf(l, a.cidr.family), a, now));
  }
  checkCapacity(next.size, l.maxEntries);
  return { script: lines.length ? lines.join('\n') + '\n' : '', next, added: adds.length, removed };
}

/**
 * Fills a temporary set per family and swaps it in, so the live set is replaced in one step and a
 * failure half-way leaves it untouched.
 */
export function planIpsetSync(l: IpsetLayout, active: readonly StateEntry[], now: number, previous?: BanTable): IpsetPlan {
  const next: BanTable = new Map();
  for (const a of active) if (a.expiresAt > now) next.set(a.value, a);
  checkCapacity(next.size, l.maxEntries);
  const lines: string[] = [];
  for (const f of families(l)) {
    const tmp = `${setOf(l, f)}-tmp`;
    lines.push(createLine(l, f, tmp), `flush ${tmp}`);
    for (const e of next.values()) if (e.cidr.family === f) lines.push(addLine(tmp, e, now));
    lines.push(`swap ${tmp} ${setOf(l, f)}`, `destroy ${tmp}`);
  }
  const removed = previous ? [...previous.keys()].filter((k) => !next.has(k)).length : 0;
  return { script: lines.join('\n') + '\n', next, added: next.size, removed };
}
