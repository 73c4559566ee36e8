import type { ProcessSample, TelemetrySample } from '@dio/protocol';

export interface SampleSpec {
  /** Sample time, ms since the epoch. */
  ts: number;
  interval_s?: number;
  cpu?: number;
  cores?: number;
  mem?: number;
  swap?: number;
  load1?: number;
  /** used_pct of each disk; [] for none. */
  disks?: number[];
  rx?: number;
  tx?: number;
  established?: number;
  listening?: number;
  processes?: number;
  top?: ProcessSample[];
}

const GiB = 1024 ** 3;

/** A valid TelemetrySample with the given headline numbers and plausible everything else. */
export function buildSample(s: SampleSpec): TelemetrySample {
  const cpu = s.cpu ?? 3;
  const mem = s.mem ?? 20;
  const swap = s.swap ?? 0;
  const total = 8 * GiB;
  const used = Math.round((total * mem) / 100);
  return {
    ts: new Date(s.ts).toISOString(),
    interval_s: s.interval_s ?? 10,
    cpu: { total_pct: cpu, cores_pct: Array.from({ length: s.cores ?? 4 }, () => cpu), iowait_pct: 0, steal_pct: 0 },
    memory: { total_bytes: total, used_bytes: used, available_bytes: total - used, used_pct: mem },
    swap: { total_bytes: 2 * GiB, used_bytes: Math.round((2 * GiB * swap) / 100), used_pct: swap },
    load: { load1: s.load1 ?? 0.2, load5: 0.2, load15: 0.2, runnable: 1, processes: s.processes ?? 180 },
    disks: (s.disks ?? [40]).map((pct, i) => ({ mount: i === 0 ? '/' : `/data${i}`, fstype: 'ext4', total_bytes: 100 * GiB, used_bytes: Math.round(pct * GiB), used_pct: pct })),
    network: { rx_bps: s.rx ?? 20_000, tx_bps: s.tx ?? 10_000, rx_pps: 50, tx_pps: 40, interfaces: [{ name: 'eth0', rx_bps: s.rx ?? 20_000, tx_bps: s.tx ?? 10_000 }] },
    processes: s.top ?? [{ pid: 1, name: 'systemd', user: 'root', cpu_pct: 0, rss_bytes: 12_000_000, mem_pct: 0.1, cmdline: '/sbin/init' }],
    listening: Array.from({ length: s.listening ?? 3 }, (_, i) => ({ protocol: 'tcp' as const, address: '0.0.0.0', port: 22 + i })),
    connections: { established: s.established ?? 12, time_wait: 3, total: 15 },
  };
}

/** Deterministic noise in [-1, 1) (mulberry32), so "steady noise" tests are reproducible. */
export function noise(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * 2 - 1;
  };
}

/** `n` samples every `interval_s` from `start`, each shaped by `at(i)`. */
export function sampleRun(start: number, n: number, at: (i: number) => Omit<SampleSpec, 'ts'>, interval_s = 10): TelemetrySample[] {
  return Array.from({ length: n }, (_, i) => buildSample({ interval_s, ...at(i), ts: start + i * interval_s * 1000 }));
}

/** A quiet host's normal: CPU 2-6 %, memory 30 ± 1 %, light traffic, a few connections. */
export function idleHost(rand: () => number): Omit<SampleSpec, 'ts'> {
  return { cpu: 4 + 2 * rand(), mem: 30 + rand(), load1: 0.3 + 0.2 * rand(), rx: 30_000 + 20_000 * rand(), tx: 15_000 + 10_000 * rand(), established: Math.round(12 + 4 * rand()), processes: Math.round(180 + 3 * rand()) };
}
