import type { TelemetrySample, TelemetrySeriesName } from '@dio/protocol';

/**
 * The scalar series of one sample: the TELEMETRY_SERIES names plus `cpu_core_<i>`. One function
 * feeds both the store (charts, downsampling) and the anomaly detector, so an alert's numbers are
 * the numbers on the chart. A series the sample cannot support (no disks reported, no process
 * count) is left out rather than shown as 0.
 */
export function seriesOf(sample: TelemetrySample): Record<string, number> {
  const out: Partial<Record<TelemetrySeriesName, number>> & Record<string, number> = {
    cpu_pct: sample.cpu.total_pct,
    mem_pct: sample.memory.used_pct,
    swap_pct: sample.swap.used_pct,
    load1: sample.load.load1,
  };
  if (sample.disks.length > 0) out.disk_max_pct = Math.max(...sample.disks.map((d) => d.used_pct));
  out.net_rx_bps = sample.network.rx_bps;
  out.net_tx_bps = sample.network.tx_bps;
  out.conn_established = sample.connections.established;
  out.listening = sample.listening.length;
  if (sample.load.processes !== undefined) out.processes = sample.load.processes;
  sample.cpu.cores_pct.forEach((v, i) => {
    out[`cpu_core_${i}`] = v;
  });
  return out;
}
