/**
 * Parsers for the system-wide /proc files (stat, meminfo, loadavg, net/dev) and the deltas
 * computed between two reads. Pure functions over text, so tests feed them literal file contents.
 */

export interface CpuTimes {
  /** user + nice + system + irq + softirq (guest time is already inside user/nice). */
  busy: number;
  idle: number;
  iowait: number;
  steal: number;
  /** Every field above plus idle: the jiffies that elapsed on this CPU (or all CPUs). */
  total: number;
}

export interface ProcStat {
  all: CpuTimes;
  /** Per-CPU times in the order of /proc/stat (offline CPUs are absent there). */
  cores: { index: number; times: CpuTimes }[];
  /** Boot time, seconds since the epoch. */
  btime?: number;
  running?: number;
}

function cpuTimes(fields: string[]): CpuTimes {
  const n = (i: number) => {
    const v = Number(fields[i]);
    return Number.isFinite(v) && v > 0 ? v : 0;
  };
  const [user, nice, system, idle, iowait, irq, softirq, steal] = [n(1), n(2), n(3), n(4), n(5), n(6), n(7), n(8)];
  const busy = user + nice + system + irq + softirq;
  return { busy, idle, iowait, steal, total: busy + idle + iowait + steal };
}

export function parseProcStat(text: string, maxCores = 1024): ProcStat {
  const out: ProcStat = { all: { busy: 0, idle: 0, iowait: 0, steal: 0, total: 0 }, cores: [] };
  for (const line of text.split('\n')) {
    if (line.startsWith('cpu')) {
      const f = line.trim().split(/\s+/);
      const name = f[0]!;
      if (name === 'cpu') out.all = cpuTimes(f);
      else if (/^cpu\d+$/.test(name) && out.cores.length < maxCores) out.cores.push({ index: Number(name.slice(3)), times: cpuTimes(f) });
    } else if (line.startsWith('btime ')) out.btime = Number(line.slice(6)) || undefined;
    else if (line.startsWith('procs_running ')) out.running = Number(line.slice(14)) || 0;
  }
  return out;
}

const pct = (part: number, whole: number) => (whole > 0 ? Math.min(100, Math.max(0, (part / whole) * 100)) : 0);
const round2 = (v: number) => Math.round(v * 100) / 100;

/** CPU use between two reads; counters that went backwards (CPU hot-plug) count as idle. */
export function cpuDelta(prev: CpuTimes, cur: CpuTimes): { total_pct: number; iowait_pct: number; steal_pct: number } {
  const d = (k: keyof CpuTimes) => Math.max(0, cur[k] - prev[k]);
  const total = d('total');
  return { total_pct: round2(pct(d('busy'), total)), iowait_pct: round2(pct(d('iowait'), total)), steal_pct: round2(pct(d('steal'), total)) };
}

/** Per-core busy % for the cores present in both reads, in /proc/stat order. */
export function coresDelta(prev: ProcStat, cur: ProcStat): number[] {
  const before = new Map(prev.cores.map((c) => [c.index, c.times]));
  const out: number[] = [];
  for (const c of cur.cores) {
    const p = before.get(c.index);
    if (p) out.push(cpuDelta(p, c.times).total_pct);
  }
  return out;
}

export interface MemInfo {
  totalBytes: number;
  availableBytes: number;
  swapTotalBytes: number;
  swapFreeBytes: number;
}

export function parseMeminfo(text: string): MemInfo {
  const kb = new Map<string, number>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) kb.set(line.slice(0, colon), Number.parseInt(line.slice(colon + 1).trim(), 10) || 0);
  }
  const b = (k: string) => (kb.get(k) ?? 0) * 1024;
  const total = b('MemTotal');
  // MemAvailable exists since Linux 3.14; before it, free + buffers + page cache is the usual estimate.
  const available = kb.has('MemAvailable') ? b('MemAvailable') : b('MemFree') + b('Buffers') + b('Cached');
  return { totalBytes: total, availableBytes: Math.min(total, available), swapTotalBytes: b('SwapTotal'), swapFreeBytes: Math.min(b('SwapTotal'), b('SwapFree')) };
}

export function memorySection(m: MemInfo) {
  const used = Math.max(0, m.totalBytes - m.availableBytes);
  const swapUsed = Math.max(0, m.swapTotalBytes - m.swapFreeBytes);
  return {
    memory: { total_bytes: m.totalBytes, used_bytes: used, available_bytes: m.availableBytes, used_pct: round2(pct(used, m.totalBytes)) },
    swap: { total_bytes: m.swapTotalBytes, used_bytes: swapUsed, used_pct: round2(pct(swapUsed, m.swapTotalBytes)) },
  };
}

export function parseLoadavg(text: string): { load1: number; load5: number; load15: number; runnable?: number } {
  const f = text.trim().split(/\s+/);
  const n = (s: string | undefined) => {
    const v = Number(s);
    return Number.isFinite(v) && v > 0 ? v : 0;
  };
  const runnable = Number.parseInt(f[3] ?? '', 10);
  return { load1: n(f[0]), load5: n(f[1]), load15: n(f[2]), ...(Number.isInteger(runnable) && runnable >= 0 ? { runnable } : {}) };
}

export interface NetDevCounters {
  name: string;
  rxBytes: number;
  rxPackets: number;
  txBytes: number;
  txPackets: number;
}

/** Interfaces from /proc/net/dev except loopback, at most `max`. */
export function parseNetDev(text: string, max = 256): NetDevCounters[] {
  const out: NetDevCounters[] = [];
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.includes('|')) continue;
    const name = line.slice(0, colon).trim();
    if (!name || name === 'lo') continue;
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (f.length < 10) continue;
    out.push({ name: name.slice(0, 64), rxBytes: f[0]!, rxPackets: f[1]!, txBytes: f[8]!, txPackets: f[9]! });
    if (out.length >= max) break;
  }
  return out;
}

/**
 * Interfaces left out of the host totals because their traffic is counted again on another
 * interface (container veths and bridges, ifb mirrors) — they still appear per interface.
 */
const VIRTUAL_PREFIXES = ['veth', 'docker', 'br-', 'virbr', 'cni', 'flannel', 'cali', 'cilium', 'vxlan', 'lxc', 'kube-', 'weave', 'vnet', 'ifb'];
export const countsInTotal = (name: string): boolean => !VIRTUAL_PREFIXES.some((p) => name.startsWith(p));

/** Rates in bytes (and packets) per second over `seconds`; a counter that went backwards counts 0. */
export function networkDelta(prev: readonly NetDevCounters[], cur: readonly NetDevCounters[], seconds: number) {
  const before = new Map(prev.map((c) => [c.name, c]));
  const rate = (a: number, b: number) => (seconds > 0 && b >= a ? (b - a) / seconds : 0);
  const round = (v: number) => Math.round(v * 10) / 10;
  const interfaces: { name: string; rx_bps: number; tx_bps: number }[] = [];
  let rx = 0, tx = 0, rxp = 0, txp = 0;
  for (const c of cur) {
    const p = before.get(c.name);
    if (!p) continue; // appeared during the interval: no baseline yet
    const i = { name: c.name, rx_bps: round(rate(p.rxBytes, c.rxBytes)), tx_bps: round(rate(p.txBytes, c.txBytes)) };
    interfaces.push(i);
    if (!countsInTotal(c.name)) continue;
    rx += i.rx_bps;
    tx += i.tx_bps;
    rxp += rate(p.rxPackets, c.rxPackets);
    txp += rate(p.txPackets, c.txPackets);
  }
  return { rx_bps: round(rx), tx_bps: round(tx), rx_pps: round(rxp), tx_pps: round(txp), interfaces };
}
