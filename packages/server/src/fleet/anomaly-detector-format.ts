import type { TelemetrySample } from '@dio/protocol';

/** How a metric reads in a sentence, and how its values are written. */
interface MetricStyle {
  label: string;
  format: (v: number) => string;
}

const trim = (v: number, digits: number) => String(Number(v.toFixed(digits)));
const percent = (v: number) => `${trim(v, 1)} %`;
const count = (v: number) => trim(v, 0);
const ratio = (v: number) => trim(v, 2);

export function formatBytesPerSecond(v: number): string {
  const units = ['B/s', 'kB/s', 'MB/s', 'GB/s', 'TB/s'];
  let i = 0;
  while (Math.abs(v) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${trim(v, i === 0 ? 0 : 1)} ${units[i]}`;
}

const STYLES: Record<string, MetricStyle> = {
  cpu_pct: { label: 'CPU', format: percent },
  mem_pct: { label: 'memory', format: percent },
  swap_pct: { label: 'swap', format: percent },
  disk_max_pct: { label: 'disk', format: percent },
  load1: { label: 'load', format: ratio },
  load1_per_cpu: { label: 'load per CPU', format: ratio },
  net_rx_bps: { label: 'network in', format: formatBytesPerSecond },
  net_tx_bps: { label: 'network out', format: formatBytesPerSecond },
  conn_established: { label: 'established connections', format: count },
  listening: { label: 'listening sockets', format: count },
  processes: { label: 'processes', format: count },
};

function styleOf(metric: string, sample: TelemetrySample): MetricStyle {
  const core = /^cpu_core_(\d+)$/.exec(metric);
  if (core) return { label: `CPU core ${core[1]}`, format: percent };
  const style = STYLES[metric] ?? { label: metric, format: (v: number) => trim(v, 2) };
  if (metric === 'disk_max_pct' && sample.disks.length > 0) {
    // Name the disk: "disk /var 96 %" is what an operator acts on.
    const fullest = sample.disks.reduce((a, b) => (b.used_pct > a.used_pct ? b : a));
    return { ...style, label: `disk ${fullest.mount}` };
  }
  return style;
}

export function formatDuration(s: number): string {
  if (s < 300) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${trim(s / 3600, 1)} h`;
}

/** "CPU 97.5 % for 60 s (limit 80 %)"; without the duration when the rule fires at once. */
export function thresholdMessage(metric: string, sample: TelemetrySample, value: number, above: number, forS: number, lastedS: number): string {
  const st = styleOf(metric, sample);
  const lasted = forS > 0 ? ` for ${formatDuration(lastedS)}` : '';
  return `${st.label} ${st.format(value)}${lasted} (limit ${st.format(above)})`;
}

/** "memory 71 % is 6.2σ above its baseline of 22 %". */
export function baselineMessage(metric: string, sample: TelemetrySample, value: number, mean: number, z: number): string {
  const st = styleOf(metric, sample);
  const side = value >= mean ? 'above' : 'below';
  return `${st.label} ${st.format(value)} is ${trim(Math.abs(z), 1)}σ ${side} its baseline of ${st.format(mean)}`;
}
