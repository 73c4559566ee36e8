import { readdirSync } from 'node:fs';
import type { ProcessSample } from '@dio/protocol';
import { yieldToLoop, type ProcReader } from './proc-reader.js';

/** What /proc/[pid]/stat says about one process. */
export interface PidStat {
  comm: string;
  /** utime + stime, in clock ticks (USER_HZ), all threads together. */
  ticks: number;
  /** Start time in ticks since boot: tells a reused pid from the process it replaced. */
  start: number;
  rssPages: number;
}

/** Parses /proc/[pid]/stat; the name sits in parentheses and may itself contain spaces and ')'. */
export function parsePidStat(text: string): PidStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state): utime 14, stime 15, starttime 22, rss 24 → f[11], f[12], f[19], f[21].
  const utime = Number(f[11]), stime = Number(f[12]), start = Number(f[19]), rss = Number(f[21]);
  if (![utime, stime, start].every(Number.isFinite)) return undefined;
  return { comm: text.slice(open + 1, close).slice(0, 256), ticks: utime + stime, start, rssPages: Number.isFinite(rss) && rss > 0 ? rss : 0 };
}

/** The real uid and VmRSS (bytes) from /proc/[pid]/status; kernel threads have no VmRSS. */
export function parsePidStatus(text: string): { uid?: number; rssBytes: number } {
  const uid = /^Uid:\s+(\d+)/m.exec(text);
  const rss = /^VmRSS:\s+(\d+)\s*kB/m.exec(text);
  return { ...(uid ? { uid: Number(uid[1]) } : {}), rssBytes: rss ? Number(rss[1]) * 1024 : 0 };
}

export interface ProcScan {
  at: number;
  procs: Map<number, PidStat>;
  /** Every pid directory, including those beyond the scan bound. */
  count: number;
  /** False when the bound cut the scan short (then new pids cannot be told from unscanned ones). */
  complete: boolean;
}

export interface ProcessTableOptions {
  procRoot: string;
  reader: ProcReader;
  /** At most this many processes are read per sample (each costs ~15 µs of CPU, mostly in the kernel). */
  maxPids?: number;
  userName: (uid: number) => string | undefined;
}

export interface CpuEntry {
  pid: number;
  stat: PidStat;
  cpuPct: number;
}

/**
 * Per-process CPU % (of one core) between two scans. `jiffiesPerCpu` is the /proc/stat total
 * delta divided by the CPU count — the elapsed ticks per CPU, so no USER_HZ guess is needed. A pid
 * absent from a complete previous scan started during the interval: all its ticks count.
 */
export function processCpu(prev: ProcScan | undefined, cur: ProcScan, jiffiesPerCpu: number): CpuEntry[] {
  const out: CpuEntry[] = [];
  for (const [pid, stat] of cur.procs) {
    const before = prev?.procs.get(pid);
    let d = 0;
    if (before && before.start === stat.start) d = stat.ticks - before.ticks;
    else if (prev?.complete) d = stat.ticks;
    const cpuPct = jiffiesPerCpu > 0 && d > 0 ? Math.min(100_000, Math.round((d / jiffiesPerCpu) * 10_000) / 100) : 0;
    out.push({ pid, stat, cpuPct });
  }
  return out;
}

/** The top `n` by CPU and the top `n` by RSS, interleaved and deduplicated, at most `max`. */
export function selectTop(entries: readonly CpuEntry[], n: number, max = 40): CpuEntry[] {
  const byCpu = entries.filter((e) => e.cpuPct > 0).sort((a, b) => b.cpuPct - a.cpuPct || a.pid - b.pid).slice(0, n);
  const byRss = entries.filter((e) => e.stat.rssPages > 0).sort((a, b) => b.stat.rssPages - a.stat.rssPages || a.pid - b.pid).slice(0, n);
  const picked = new Map<number, CpuEntry>();
  for (let i = 0; i < n && picked.size < max; i++) {
    const c = byCpu[i];
    if (c) picked.set(c.pid, c);
    const r = byRss[i];
    if (r && picked.size < max) picked.set(r.pid, r);
  }
  return [...picked.values()];
}

export function createProcessTable(opts: ProcessTableOptions) {
  const { procRoot, reader } = opts;
  const maxPids = opts.maxPids ?? 8192;
  // Command lines change on exec (which renames the process too) or when a daemon retitles itself
  // (nginx, postgres), and reading one makes the kernel walk the process's memory: cache them per
  // pid, start time and name, refreshed every CMDLINE_TTL scans to pick up retitles.
  const cmdlines = new Map<number, { start: number; comm: string; cmd: string; scan: number }>();
  const CMDLINE_TTL = 30;
  let scans = 0;

  function cmdline(pid: number, stat: PidStat): string {
    const had = cmdlines.get(pid);
    if (had && had.start === stat.start && had.comm === stat.comm && scans - had.scan < CMDLINE_TTL) return had.cmd;
    const cmd = (reader.readOnce(`${procRoot}/${pid}/cmdline`, 4096) ?? '').replace(/\0+/g, ' ').trim().slice(0, 1024);
    cmdlines.set(pid, { start: stat.start, comm: stat.comm, cmd, scan: scans });
    return cmd;
  }

  return {
    async scan(at: number): Promise<ProcScan> {
      scans++;
      const names = readdirSync(procRoot);
      const pids: number[] = [];
      for (const name of names) {
        const c = name.charCodeAt(0);
        if (c >= 48 && c <= 57) pids.push(Number(name));
      }
      // Over the bound, the newest processes (highest pids, until pid_max wraps) are the ones
      // read: a freshly started miner or shell matters more than a long-known daemon.
      const chosen = pids.length > maxPids ? pids.sort((a, b) => a - b).slice(-maxPids) : pids;
      const procs = new Map<number, PidStat>();
      for (let i = 0; i < chosen.length; i++) {
        const pid = chosen[i]!;
        const text = reader.readOnce(`${procRoot}/${pid}/stat`, 4096);
        const stat = text === undefined ? undefined : parsePidStat(text);
        if (stat) procs.set(pid, stat);
        if ((i & 255) === 255) await yieldToLoop();
      }
      for (const [pid, c] of cmdlines) if (procs.get(pid)?.start !== c.start) cmdlines.delete(pid);
      return { at, procs, count: pids.length, complete: chosen.length === pids.length };
    },

    /** The wire form of the chosen processes; those that exited since the scan are left out. */
    describe(entries: readonly CpuEntry[], memTotalBytes: number): ProcessSample[] {
      const out: ProcessSample[] = [];
      for (const e of entries) {
        const statusText = reader.readOnce(`${procRoot}/${e.pid}/status`, 16 * 1024);
        if (statusText === undefined) continue;
        const status = parsePidStatus(statusText);
        const cmd = cmdline(e.pid, e.stat);
        const user = status.uid === undefined ? undefined : (opts.userName(status.uid) ?? String(status.uid));
        const memPct = memTotalBytes > 0 ? Math.min(100, Math.round((status.rssBytes / memTotalBytes) * 10_000) / 100) : 0;
        out.push({
          pid: e.pid,
          name: e.stat.comm,
          ...(user ? { user: user.slice(0, 64) } : {}),
          cpu_pct: e.cpuPct,
          rss_bytes: status.rssBytes,
          mem_pct: memPct,
          ...(cmd ? { cmdline: cmd } : {}),
        });
      }
      return out;
    },
  };
}
export type ProcessTable = ReturnType<typeof createProcessTable>;
