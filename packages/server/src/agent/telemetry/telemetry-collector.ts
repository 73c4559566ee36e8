import { endianness } from 'node:os';
import type { HostInfo, TelemetrySample } from '@dio/protocol';
import { AppError } from '../../shared/app-error.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import { createDiskUsage, diskMounts, parseMounts, type StatfsFn } from './disk-usage.js';
import { nodeSystemInfo, readHostInfo, type SystemInfo } from './host-info.js';
import { connectionCounts, newSocketScan, scanSocketTable, type SocketProtocol } from './net-sockets.js';
import { createProcReader, type ProcReader } from './proc-reader.js';
import { createProcessTable, processCpu, selectTop, type ProcScan } from './process-table.js';
import { createSocketOwners } from './socket-owners.js';
import { coresDelta, cpuDelta, memorySection, networkDelta, parseLoadavg, parseMeminfo, parseNetDev, parseProcStat, type NetDevCounters, type ProcStat } from './system-stats.js';
import { createUserNames } from './user-names.js';

export interface TelemetryCollectorOptions {
  /** Default /proc; tests point it at a fake tree. */
  procRoot?: string;
  /** Where passwd and os-release are read (default /etc). */
  etcRoot?: string;
  /** Report exactly these mount points instead of the disk filesystems found in /proc/mounts. */
  mounts?: readonly string[];
  /** Top processes by CPU and by RSS (each; the merged list holds at most 40). Default 20. */
  topN?: number;
  clock?: Clock;
  /** uid → name; default: the passwd file, read once. */
  userNames?: ReadonlyMap<number, string>;
  /** The first sample reads the counters twice this far apart so it already has rates. Default 250. */
  primeMs?: number;
  sleep?: (ms: number) => Promise<void>;
  statfs?: StatfsFn;
  system?: SystemInfo;
  /** Byte order /proc/net addresses are printed in (the host's). */
  littleEndian?: boolean;
  /** Processes read per sample (default 8192, the newest when there are more; all are counted). */
  maxPids?: number;
  reader?: ProcReader;
}

export interface TelemetryCollector {
  /**
   * One sample; CPU, per-core, network and per-process CPU figures are deltas since the previous
   * call. The first call primes the counters, waits `primeMs`, and reports over that short span.
   */
  sample(): Promise<TelemetrySample>;
  hostInfo(): Promise<HostInfo>;
  stats(): { samples: number; socketScans: number; unresolvedSockets: number; hungMounts: readonly string[]; listenersTruncated: number };
}

interface Counters {
  at: number;
  stat: ProcStat;
  net: NetDevCounters[];
  scan: ProcScan;
}

const SOCKET_TABLES: readonly SocketProtocol[] = ['tcp', 'tcp6', 'udp', 'udp6'];
/** ~200 000 sockets; beyond it a table is read partly and the counts are lower bounds. */
const MAX_SOCKET_TABLE_BYTES = 32 << 20;

/** Reads a host's telemetry from procfs only (no child processes, no native modules). */
export function createTelemetryCollector(opts: TelemetryCollectorOptions = {}): TelemetryCollector {
  const procRoot = opts.procRoot ?? '/proc';
  const etcRoot = opts.etcRoot ?? '/etc';
  const reader = opts.reader ?? createProcReader();
  const clock = opts.clock ?? systemClock;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const primeMs = opts.primeMs ?? 250;
  const topN = Math.max(1, Math.min(40, Math.floor(opts.topN ?? 20)));
  const littleEndian = opts.littleEndian ?? endianness() === 'LE';
  const system = opts.system ?? nodeSystemInfo;
  const names = opts.userNames;
  const userName = names ? (uid: number) => names.get(uid) : createUserNames(reader, `${etcRoot}/passwd`);
  const table = createProcessTable({ procRoot, reader, userName, ...(opts.maxPids ? { maxPids: opts.maxPids } : {}) });
  const owners = createSocketOwners({ procRoot });
  const disks = createDiskUsage(opts.statfs ? { statfs: opts.statfs } : {});
  let prev: Counters | undefined;
  let samples = 0;
  let listenersTruncated = 0;

  function required(name: string): string {
    const text = reader.read(`${procRoot}/${name}`);
    if (text === undefined) throw new AppError('telemetry.unreadable', `telemetry: cannot read ${procRoot}/${name}`);
    return text;
  }

  async function counters(): Promise<Counters> {
    const at = clock.now();
    const stat = parseProcStat(required('stat'));
    const net = parseNetDev(reader.read(`${procRoot}/net/dev`) ?? '');
    return { at, stat, net, scan: await table.scan(at) };
  }

  function mountList(): { mount: string; fstype?: string }[] {
    const all = parseMounts(reader.read(`${procRoot}/mounts`) ?? '');
    if (!opts.mounts) return diskMounts(all);
    return opts.mounts.slice(0, 64).map((mount) => {
      const fstype = all.findLast((m) => m.mount === mount)?.fstype;
      return fstype ? { mount, fstype } : { mount };
    });
  }

  async function listening(scan: ProcScan) {
    const sockets = newSocketScan();
    const seen = new Set<string>();
    for (const p of SOCKET_TABLES) {
      const text = reader.read(`${procRoot}/net/${p}`, MAX_SOCKET_TABLE_BYTES);
      if (text !== undefined) scanSocketTable(text, p, sockets, { littleEndian, seen });
    }
    listenersTruncated = sockets.truncated;
    const byInode = await owners.resolve(sockets.listening.map((l) => l.inode), [...scan.procs.keys()]);
    const list = sockets.listening.map((l) => {
      const pid = byInode.get(l.inode);
      const name = pid === undefined ? undefined : scan.procs.get(pid)?.comm;
      return { protocol: l.protocol, address: l.address, port: l.port, ...(pid ? { pid } : {}), ...(name ? { process: name } : {}) };
    });
    return { list, connections: connectionCounts(sockets.byState) };
  }

  async function sampleNow(): Promise<TelemetrySample> {
    if (!prev) {
      prev = await counters();
      await sleep(primeMs);
    }
    const diskSamples = disks.sample(mountList());
    const cur = await counters();
    const before = prev;
    prev = cur;
    const seconds = (cur.at - before.at) / 1000;
    const cpu = cpuDelta(before.stat.all, cur.stat.all);
    const jiffiesPerCpu = Math.max(0, cur.stat.all.total - before.stat.all.total) / Math.max(1, cur.stat.cores.length);
    const mem = parseMeminfo(required('meminfo'));
    const top = table.describe(selectTop(processCpu(before.scan, cur.scan, jiffiesPerCpu), topN), mem.totalBytes);
    const sockets = await listening(cur.scan);
    const load = parseLoadavg(reader.read(`${procRoot}/loadavg`) ?? '');
    samples++;
    return {
      ts: new Date(cur.at).toISOString(),
      interval_s: Math.min(86_400, Math.max(0.001, Math.round(seconds * 1000) / 1000)),
      cpu: { total_pct: cpu.total_pct, cores_pct: coresDelta(before.stat, cur.stat), iowait_pct: cpu.iowait_pct, steal_pct: cpu.steal_pct },
      ...memorySection(mem),
      load: { ...load, processes: cur.scan.count },
      disks: await diskSamples,
      network: networkDelta(before.net, cur.net, seconds),
      processes: top,
      listening: sockets.list,
      connections: sockets.connections,
    };
  }

  // Overlapping calls would compute deltas against a half-updated previous read: run them in turn.
  let queue: Promise<unknown> = Promise.resolve();

  return {
    sample() {
      const next = queue.then(sampleNow);
      queue = next.catch(() => undefined);
      return next;
    },

    hostInfo() {
      return Promise.resolve(readHostInfo({ procRoot, etcRoot, reader, system }));
    },

    stats() {
      const o = owners.stats();
      return { samples, socketScans: o.scans, unresolvedSockets: o.unresolved, hungMounts: disks.hung(), listenersTruncated };
    },
  };
}
