import type { TelemetrySample } from '@dio/protocol';
import { AppError } from '../shared/app-error.js';
import { AnomalyConfigSchema, type AnomalyConfig, type AnomalyConfigInput } from './anomaly-detector-config.js';
import { baselineMessage, thresholdMessage } from './anomaly-detector-format.js';
import { seriesOf } from './telemetry-series.js';

export { AnomalyConfigSchema, DEFAULT_ANOMALY_CONFIG, type AnomalyConfig, type AnomalyConfigInput } from './anomaly-detector-config.js';

export interface Anomaly {
  agentId: string;
  metric: string;
  kind: 'threshold' | 'baseline';
  value: number;
  /** Threshold anomalies: the line, and how long it had to be crossed. */
  threshold?: { above: number; for_s: number };
  /** Baseline anomalies: what normal looked like when it fired. */
  baseline?: { mean: number; stddev: number; z: number };
  /** Episode start (ms): the start of the interval of the first sample past the line. */
  since: number;
  /** Time of the sample that fired (ms). */
  at: number;
  /** The sample that fired, so the caller can attach its top processes. */
  sample: TelemetrySample;
  /** Evidence numbers: `<metric>` and `<metric>_limit|_for_s` or `<metric>_baseline|_stddev|_z`. */
  metrics: Record<string, number>;
  message: string;
}

export interface AnomalyDetectorStats {
  agents: number;
  maxAgents: number;
  evicted: number;
  samples: number;
  /** Samples not newer than the agent's last one (resent batches) or without a valid time. */
  ignored: number;
  fired: { threshold: number; baseline: number };
}

// Per-agent state lives in two Float64Arrays with fixed slots: 100 000 agents × a dozen metrics
// stay a few hundred bytes each, with no per-sample allocation beyond the series record.
const T_SINCE = 0, T_FIRED = 1, T_NORMAL = 2, T_SLOTS = 3;
const B_MEAN = 0, B_VAR = 1, B_N = 2, B_RUN = 3, B_SINCE = 4, B_FIRING = 5, B_NORMAL = 6, B_SLOTS = 7;

interface AgentState {
  lastTs: number;
  t: Float64Array;
  b: Float64Array;
}

/** The detector's series: the stored ones plus load normalised by the number of cores. */
function metricValues(sample: TelemetrySample): Record<string, number> {
  const v = seriesOf(sample);
  v.load1_per_cpu = sample.load.load1 / Math.max(1, sample.cpu.cores_pct.length);
  return v;
}

/**
 * Telemetry anomalies per agent: absolute thresholds held for a duration, and deviations from a
 * learned EWMA baseline (mean and variance) with warm-up, z-score and minimum deviation, K
 * consecutive samples and one alert per episode. Pure and deterministic: time is the samples' `ts`.
 */
export function createAnomalyDetector(input: AnomalyConfigInput = {}) {
  const parsed = AnomalyConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AppError('anomaly.invalid_config', `anomaly detection config: ${issue.path.join('.') || '(root)'}: ${issue.message}`, { status: 400, cause: parsed.error });
  }
  const cfg: AnomalyConfig = parsed.data;
  const base = cfg.baseline;
  const baseMetrics = base.enabled ? base.metrics : [];
  const agents = new Map<string, AgentState>();
  const stats = { evicted: 0, samples: 0, ignored: 0, threshold: 0, baseline: 0 };

  function stateOf(agentId: string): AgentState {
    let st = agents.get(agentId);
    if (st) agents.delete(agentId); // re-inserted below: Map order is the LRU order
    else {
      st = { lastTs: -Infinity, t: new Float64Array(cfg.thresholds.length * T_SLOTS), b: new Float64Array(baseMetrics.length * B_SLOTS) };
      for (let i = 0; i < cfg.thresholds.length; i++) st.t[i * T_SLOTS + T_SINCE] = NaN;
      while (agents.size >= cfg.max_agents) {
        agents.delete(agents.keys().next().value!);
        stats.evicted++;
      }
    }
    agents.set(agentId, st);
    return st;
  }

  function thresholds(agentId: string, st: AgentState, sample: TelemetrySample, v: Record<string, number>, ts: number, gap: boolean, out: Anomaly[]) {
    const t = st.t;
    cfg.thresholds.forEach((rule, i) => {
      const value = v[rule.metric];
      if (value === undefined) return;
      const o = i * T_SLOTS;
      if (gap) t[o + T_SINCE] = NaN;
      if (value <= rule.above) {
        t[o + T_SINCE] = NaN;
        if (t[o + T_FIRED] && ++t[o + T_NORMAL]! >= cfg.rearm_samples) t[o + T_FIRED] = t[o + T_NORMAL] = 0;
        return;
      }
      t[o + T_NORMAL] = 0;
      // The value is an average over the interval before `ts`, so the crossing began at its start.
      if (Number.isNaN(t[o + T_SINCE])) t[o + T_SINCE] = ts - sample.interval_s * 1000;
      const since = t[o + T_SINCE]!;
      const lastedS = (ts - since) / 1000;
      if (t[o + T_FIRED] || lastedS < rule.for_s) return;
      t[o + T_FIRED] = 1;
      stats.threshold++;
      out.push({
        agentId,
        metric: rule.metric,
        kind: 'threshold',
        value,
        threshold: { above: rule.above, for_s: rule.for_s },
        since,
        at: ts,
        sample,
        metrics: { [rule.metric]: value, [`${rule.metric}_limit`]: rule.above, [`${rule.metric}_for_s`]: lastedS },
        message: thresholdMessage(rule.metric, sample, value, rule.above, rule.for_s, lastedS),
      });
    });
  }

  function baselines(agentId: string, st: AgentState, sample: TelemetrySample, v: Record<string, number>, ts: number, gap: boolean, out: Anomaly[]) {
    const b = st.b;
    // Time-based EWMA weight, so agents sampling every 10 s or every 60 s remember as far back.
    const alpha = 1 - Math.exp(-Math.min(Math.max(sample.interval_s, 1), base.window_s) / base.window_s);
    baseMetrics.forEach((m, i) => {
      const value = v[m.metric];
      if (value === undefined) return;
      const o = i * B_SLOTS;
      const learn = (a: number) => {
        const d = value - b[o + B_MEAN]!;
        b[o + B_MEAN]! += a * d;
        b[o + B_VAR] = (1 - a) * (b[o + B_VAR]! + a * d * d);
      };
      if (b[o + B_N]! < base.warmup_samples) {
        // 1/n at first makes the warm-up baseline the plain mean and variance of what was seen.
        learn(Math.max(alpha, 1 / (b[o + B_N]! + 1)));
        b[o + B_N]!++;
        return;
      }
      if (gap && !b[o + B_FIRING]) b[o + B_RUN] = 0;
      const mean = b[o + B_MEAN]!;
      // Floor: a perfectly flat baseline would make any wiggle infinitely many σ away.
      const sd = Math.max(Math.sqrt(b[o + B_VAR]!), m.min_deviation / base.z_limit);
      const raw = value - mean;
      const dev = m.direction === 'above' ? raw : m.direction === 'below' ? -raw : Math.abs(raw);
      if (!(dev >= m.min_deviation && dev / sd >= base.z_limit)) {
        b[o + B_RUN] = 0;
        learn(alpha);
        if (b[o + B_FIRING] && ++b[o + B_NORMAL]! >= cfg.rearm_samples) b[o + B_FIRING] = b[o + B_NORMAL] = 0;
        return;
      }
      b[o + B_NORMAL] = 0;
      if (b[o + B_RUN] === 0) b[o + B_SINCE] = ts - sample.interval_s * 1000;
      b[o + B_RUN]!++;
      // Anomalous values barely move the mean and leave the variance alone: the anomaly must not
      // become the new normal while it lasts, yet a lasting change of level is learnt in hours.
      b[o + B_MEAN]! += alpha * base.anomalous_weight * raw;
      if (b[o + B_FIRING] || b[o + B_RUN]! < base.consecutive) return;
      b[o + B_FIRING] = 1;
      stats.baseline++;
      const z = raw / sd;
      out.push({
        agentId,
        metric: m.metric,
        kind: 'baseline',
        value,
        baseline: { mean, stddev: sd, z },
        since: b[o + B_SINCE]!,
        at: ts,
        sample,
        metrics: { [m.metric]: value, [`${m.metric}_baseline`]: mean, [`${m.metric}_stddev`]: sd, [`${m.metric}_z`]: z },
        message: baselineMessage(m.metric, sample, value, mean, z),
      });
    });
  }

  return {
    /** Feeds one sample (in time order per agent) and returns the anomalies it starts. */
    observe(agentId: string, sample: TelemetrySample): Anomaly[] {
      const ts = Date.parse(sample.ts);
      const st = stateOf(agentId);
      if (!Number.isFinite(ts) || ts <= st.lastTs) {
        stats.ignored++;
        return [];
      }
      const gap = ts - st.lastTs > cfg.max_gap_s * 1000;
      st.lastTs = ts;
      stats.samples++;
      const values = metricValues(sample);
      const out: Anomaly[] = [];
      thresholds(agentId, st, sample, values, ts, gap, out);
      baselines(agentId, st, sample, values, ts, gap, out);
      return out;
    },

    forget(agentId: string): void {
      agents.delete(agentId);
    },

    /** What the detector has learnt as normal for one metric of one agent (charts, debugging). */
    baselineOf(agentId: string, metric: string): { mean: number; stddev: number; samples: number; anomalous: boolean } | undefined {
      const st = agents.get(agentId);
      const i = baseMetrics.findIndex((m) => m.metric === metric);
      if (!st || i < 0 || st.b[i * B_SLOTS + B_N] === 0) return undefined;
      const o = i * B_SLOTS;
      return { mean: st.b[o + B_MEAN]!, stddev: Math.sqrt(st.b[o + B_VAR]!), samples: st.b[o + B_N]!, anomalous: st.b[o + B_RUN]! > 0 || st.b[o + B_FIRING] === 1 };
    },

    stats(): AnomalyDetectorStats {
      return { agents: agents.size, maxAgents: cfg.max_agents, evicted: stats.evicted, samples: stats.samples, ignored: stats.ignored, fired: { threshold: stats.threshold, baseline: stats.baseline } };
    },
  };
}
export type AnomalyDetector = ReturnType<typeof createAnomalyDetector>;
