import { realpath } from 'node:fs/promises';
import { posix } from 'node:path';
import { formatIpOrCidr, formatIpv4, formatIpv6, parseIpOrCidr, type Cidr } from '@dio/protocol';
import { AppError } from '../../shared/app-error.js';
import { invalidParams, pathNotAllowed } from './task-errors.js';

/**
 * The agent's own limits on what a task may touch: scan targets inside `tasks.scan_targets`,
 * file paths under `tasks.scan_paths`. Everything that leaves here is canonical (addresses
 * reformatted, paths resolved with realpath), so what reaches a tool's argv is what was checked.
 */

/** Most addresses one scan task may cover (NmapResult holds at most 4096 hosts). */
export const MAX_SCAN_ADDRESSES = 4096;

export interface ScanTarget {
  /** Canonical text: a bare address for /32 and /128, else base/prefix. */
  text: string;
  cidr: Cidr;
  /** Number of addresses in the range. */
  count: number;
}

const MAPPED = 0xffffn << 32n;

/** [first, last] as 128-bit numbers, an IPv4 range as its ::ffff:a.b.c.d image. */
function span(c: Cidr): [bigint, bigint] {
  return c.family === 4 ? [MAPPED + BigInt(c.base), MAPPED + BigInt(c.last)] : [c.base, c.last];
}

function inside(inner: Cidr, outer: Cidr): boolean {
  if (inner.family === 4 && outer.family === 4) return inner.base >= outer.base && inner.last <= outer.last;
  const [a, b] = span(inner);
  const [c, d] = span(outer);
  return a >= c && b <= d;
}

/**
 * Checks scan targets against the allowlist and the size limit, in the caller's order, duplicates
 * dropped. @throws AppError task.target_not_allowed (403) naming the target and the allowed
 * CIDRs; task.invalid_params when a target is not an IP/CIDR or the total exceeds 4096 addresses.
 */
export function checkTargets(targets: readonly string[], allowed: readonly string[]): ScanTarget[] {
  const allow = allowed.map((a) => parseIpOrCidr(a)).filter((c): c is Cidr => c !== undefined);
  const out = new Map<string, ScanTarget>();
  let total = 0;
  for (const t of targets) {
    const cidr = parseIpOrCidr(t);
    if (cidr === undefined) throw invalidParams(`scan target ${JSON.stringify(t.slice(0, 64))} is not an IP address or CIDR range`);
    const text = formatIpOrCidr(cidr);
    if (!allow.some((a) => inside(cidr, a))) {
      const which = allowed.length === 0 ? 'tasks.scan_targets is empty, so every scan is refused' : `allowed: ${allowed.join(', ')}`;
      throw new AppError('task.target_not_allowed', `scan target ${text} is not inside this agent's tasks.scan_targets (${which})`, { status: 403, details: { target: text, allowed } });
    }
    if (out.has(text)) continue;
    const [first, last] = span(cidr);
    const n = last - first + 1n;
    total += n > BigInt(MAX_SCAN_ADDRESSES) ? MAX_SCAN_ADDRESSES + 1 : Number(n);
    if (total > MAX_SCAN_ADDRESSES) throw invalidParams(`scan targets cover more than ${MAX_SCAN_ADDRESSES} addresses; split the task`);
    out.set(text, { text, cidr, count: Number(n) });
  }
  return [...out.values()];
}

/** Every address of the (already size-checked) targets, in order. */
export function* addressesOf(targets: readonly ScanTarget[]): Generator<string> {
  const w = new Uint32Array(4);
  for (const { cidr } of targets) {
    if (cidr.family === 4) {
      for (let a = cidr.base; a <= cidr.last; a++) yield formatIpv4(a);
      continue;
    }
    for (let a = cidr.base; a <= cidr.last; a++) {
      for (let k = 0; k < 4; k++) w[k] = Number((a >> BigInt(96 - 32 * k)) & 0xffffffffn);
      yield formatIpv6(w);
    }
  }
}

const BAD_CHARS = /[\0\n\r]/;

function under(p: string, root: string): boolean {
  return p === root || p.startsWith(root === '/' ? '/' : `${root}/`);
}

/** realpath, or undefined when the path does not exist (other errors propagate). */
async function resolveExisting(p: string): Promise<string | undefined> {
  try {
    return await realpath(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/**
 * Resolves each path with realpath and checks it lies under one of `roots` (themselves
 * resolved, so /home → /data/home setups work). A symlink under a root that points elsewhere is
 * refused: the check is on where the tool will actually read. The runners also tell the tools
 * not to follow symlinks inside the trees they walk.
 * @throws AppError task.path_not_allowed (403), task.invalid_params (missing or odd path).
 */
export async function checkPaths(paths: readonly string[], roots: readonly string[]): Promise<string[]> {
  const realRoots: string[] = [];
  for (const r of roots) {
    const rr = await resolveExisting(posix.normalize(r));
    if (rr !== undefined) realRoots.push(rr);
  }
  const out: string[] = [];
  for (const raw of paths) {
    if (!raw.startsWith('/') || BAD_CHARS.test(raw) || raw.split('/').includes('..')) {
      throw invalidParams(`path ${JSON.stringify(raw.slice(0, 256))} is not an absolute path without .. segments`);
    }
    const p = posix.normalize(raw).replace(/(.)\/+$/, '$1');
    const real = await resolveExisting(p);
    if (real === undefined) throw invalidParams(`path ${p} does not exist on this host`);
    // realpath can introduce characters the parameter check never saw (a symlink's target).
    if (!real.startsWith('/') || BAD_CHARS.test(real)) throw pathNotAllowed(`path ${p} resolves to a name the scanners cannot be given safely`);
    if (!realRoots.some((r) => under(real, r))) {
      const via = real === p ? '' : ` (it resolves to ${real})`;
      throw pathNotAllowed(`path ${p}${via} is not under this agent's tasks.scan_paths (${roots.join(', ') || 'none'})`);
    }
    if (!out.includes(real)) out.push(real);
  }
  return out;
}
