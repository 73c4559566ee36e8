import type { Alert, TelemetryPoint, TelemetrySample } from '@dio/protocol';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { Store } from '../storage/port.js';
import type { TelemetryRow } from '../storage/port-agents.js';
import type { AnomalyDetector } from './anomaly-detector.js';
import { buildHostAlert, TECHNIQUES } from './host-alerts.js';
import { seriesOf } from './telemetry-series.js';

export interface TelemetryRetention {
  /** Raw samples are kept this long, then folded into `rollupS` buckets. */
  rawMs: number;
  rollupS: number;
  /** Rolled-up points are kept this long. */
  rollupMs: number;
}

/**
 * Telemetry: samples from agents become stored series (raw, then downsampled), and run through
 * the anomaly detector; an anomaly becomes a host alert carrying the evidence pack (the host as
 * its agent described it, the top processes at the time, the numbers that crossed the line).
 */
export function createTelemetryService(deps: { store: Store; clock: Clock; logger: Logger; detector: AnomalyDetector; retention: TelemetryRetention; newId: () => string; submitAlerts: (a: Alert[]) => Promise<void>; onStored?: (n: number) => void }) {
  const { store } = deps;
  const log = deps.logger.child({ component: 'telemetry' });

  return {
    async ingest(agentId: string, samples: readonly TelemetrySample[]): Promise<{ stored: number; anomalies: number }> {
      const rows: TelemetryRow[] = [];
      const sorted = [...samples].sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts));
      for (const s of sorted) {
        const series = seriesOf(s);
        rows.push({ agent_id: agentId, ts: Date.parse(s.ts), resolution_s: Math.max(1, Math.round(s.interval_s)), avg: series, max: series, sample: s });
      }
      await store.telemetry.insertTelemetry(rows);
      deps.onStored?.(rows.length);
      const anomalies = sorted.flatMap((s) => deps.detector.observe(agentId, s));
      if (anomalies.length) {
        const agent = await store.agents.getAgent(agentId);
        if (agent) {
          const now = deps.clock.now();
          const alerts = anomalies.map((a) =>
            buildHostAlert({
              id: deps.newId(),
              now,
              agent,
              scenario: `host-${a.kind}-${a.metric.replace(/_/g, '-')}`,
              title: `${agent.hostname}: ${a.message}`,
              severity: a.kind === 'threshold' ? 'high' : 'medium',
              technique: TECHNIQUES.resources,
              action: 'telemetry_anomaly',
              message: a.message,
              firstSeen: a.since,
              processes: a.sample.processes,
              metrics: a.metrics,
              labels: { metric: a.metric, detector: a.kind },
            }),
          );
          log.warn({ agent: agentId, anomalies: anomalies.map((a) => a.message) }, 'telemetry anomaly');
          await deps.submitAlerts(alerts);
        }
      }
      return { stored: rows.length, anomalies: anomalies.length };
    },

    /** Points for charts: raw when the range is recent, else the rolled-up series. */
    async query(agentId: string, q: { since?: number; until?: number; resolution?: 'raw' | 'rollup'; limit: number }): Promise<TelemetryPoint[]> {
      const now = deps.clock.now();
      const since = q.since ?? now - 3600_000;
      const useRollup = q.resolution === 'rollup' || (q.resolution === undefined && since < now - deps.retention.rawMs);
      let rows: TelemetryRow[];
      if (useRollup) rows = await store.telemetry.queryTelemetry({ agent_id: agentId, resolution_s: deps.retention.rollupS, since, until: q.until, limit: q.limit });
      else {
        // Raw rows carry their agent's sample interval; find it from the newest one.
        const latest = await store.telemetry.latestTelemetry(agentId);
        rows = latest ? await store.telemetry.queryTelemetry({ agent_id: agentId, resolution_s: latest.resolution_s, since, until: q.until, limit: q.limit }) : [];
      }
      return rows.map((r) => ({ ts: new Date(r.ts).toISOString(), resolution_s: r.resolution_s, avg: r.avg, max: r.max }));
    },

    async latest(agentId: string): Promise<TelemetrySample | undefined> {
      return (await store.telemetry.latestTelemetry(agentId))?.sample as TelemetrySample | undefined;
    },

    /** Folds old raw samples into rollups and drops expired rollups (run every few minutes). */
    async housekeeping(): Promise<void> {
      const now = deps.clock.now();
      const intervals = new Set<number>();
      for (const a of await store.agents.listAgents()) {
        const latest = await store.telemetry.latestTelemetry(a.id);
        if (latest && latest.resolution_s < deps.retention.rollupS) intervals.add(latest.resolution_s);
      }
      for (const res of intervals) await store.telemetry.downsampleTelemetry(res, deps.retention.rollupS, now - deps.retention.rawMs);
      await store.telemetry.purgeTelemetry(deps.retention.rollupS, now - deps.retention.rollupMs);
    },

    forget(agentId: string): void {
      deps.detector.forget(agentId);
    },
  };
}
export type TelemetryService = ReturnType<typeof createTelemetryService>;
