import { z } from 'zod';

/** A series name (see telemetry-series.ts, plus the detector's `load1_per_cpu`); short enough for evidence keys with suffixes. */
const MetricName = z.string().regex(/^[a-z][a-z0-9_]{0,47}$/, 'a series name such as cpu_pct, mem_pct, cpu_core_0');

export const ThresholdRuleSchema = z
  .object({
    metric: MetricName,
    /** Fires when the value is strictly above this … */
    above: z.number(),
    /** … for this many seconds of sample time (0: on the first sample above). */
    for_s: z.number().min(0).max(7 * 86400).default(0),
  })
  .strict();
export type ThresholdRule = z.infer<typeof ThresholdRuleSchema>;

export const BaselineMetricSchema = z
  .object({
    metric: MetricName,
    /** Smallest distance from the baseline mean that counts, in the metric's unit (whatever the z-score). */
    min_deviation: z.number().positive(),
    direction: z.enum(['above', 'below', 'both']).default('above'),
  })
  .strict();
export type BaselineMetric = z.infer<typeof BaselineMetricSchema>;

const DEFAULT_THRESHOLDS = (): ThresholdRule[] => [
  // The issue's own line: a host held above 80 % CPU for a minute is worth a look.
  { metric: 'cpu_pct', above: 80, for_s: 60 },
  { metric: 'mem_pct', above: 90, for_s: 60 },
  { metric: 'swap_pct', above: 80, for_s: 120 },
  { metric: 'disk_max_pct', above: 95, for_s: 0 },
];

const DEFAULT_BASELINE_METRICS = (): BaselineMetric[] => [
  { metric: 'cpu_pct', min_deviation: 20, direction: 'above' },
  { metric: 'mem_pct', min_deviation: 15, direction: 'above' },
  { metric: 'load1_per_cpu', min_deviation: 1, direction: 'above' },
  { metric: 'net_rx_bps', min_deviation: 5_000_000, direction: 'above' },
  { metric: 'net_tx_bps', min_deviation: 5_000_000, direction: 'above' },
  { metric: 'conn_established', min_deviation: 200, direction: 'above' },
  { metric: 'processes', min_deviation: 200, direction: 'above' },
];

/**
 * Telemetry anomaly detection (fleet/anomaly-detector.ts). Durations are seconds of sample time.
 * Every key has a default, so `AnomalyConfigSchema.parse({})` is the shipped configuration.
 */
export const AnomalyConfigSchema = z
  .object({
    /** Agents whose state is kept; the least recently reporting are forgotten beyond it. */
    max_agents: z.number().int().min(1).max(10_000_000).default(100_000),
    thresholds: z.array(ThresholdRuleSchema).max(64).default(DEFAULT_THRESHOLDS),
    baseline: z
      .object({
        enabled: z.boolean().default(true),
        /** EWMA time constant: how far back "normal" reaches. */
        window_s: z.number().min(60).max(30 * 86400).default(900),
        /** Samples learned before the baseline may alert. */
        warmup_samples: z.number().int().min(2).max(100_000).default(30),
        z_limit: z.number().min(1).max(100).default(4),
        /** Consecutive anomalous samples before firing (absorbs one-off spikes). */
        consecutive: z.number().int().min(1).max(100).default(2),
        /** While anomalous the mean learns at this fraction of its normal rate (variance not at all). */
        anomalous_weight: z.number().min(0).max(1).default(0.02),
        metrics: z.array(BaselineMetricSchema).max(32).default(DEFAULT_BASELINE_METRICS),
      })
      .strict()
      .prefault({}),
    /** After firing, a metric re-arms once this many consecutive samples were normal again. */
    rearm_samples: z.number().int().min(1).max(10_000).default(3),
    /** A gap between samples longer than this restarts the "above for" clocks. */
    max_gap_s: z.number().min(1).max(86400).default(300),
  })
  .strict();
export type AnomalyConfig = z.output<typeof AnomalyConfigSchema>;
export type AnomalyConfigInput = z.input<typeof AnomalyConfigSchema>;

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

export const DEFAULT_ANOMALY_CONFIG: AnomalyConfig = deepFreeze(AnomalyConfigSchema.parse({}));
