import type { DioEvent } from '@dio/protocol';
import type { HealthReport, IngestService } from '../api/deps.js';
import { AppError, errorMessage } from '../shared/app-error.js';
import type { Metrics } from '../shared/metrics.js';
import type { LineSource } from '../pipeline/acquire/port.js';
import type { Engine } from './engine.js';

/**
 * Ingest of already-parsed events (agents, API clients): stored first — idempotently per batch —
 * then run through enrich and detect like lines from a local source.
 */
export function createIngestService(engine: Engine, metrics: Metrics): IngestService {
  return {
    async ingest(events: DioEvent[], opts) {
      const res = await engine.store.insertEvents(events, { batchId: opts.batchId });
      if (res.duplicate) return { accepted: 0, duplicate: true };
      metrics.eventsIngested.inc(events.length);
      for (const ev of events) {
        const ts = Date.parse(ev['@timestamp']);
        if (Number.isNaN(ts)) continue;
        try {
          engine.enrich(ev);
          engine.detector.process({ ts, event: ev });
        } catch {
          metrics.eventsDropped.inc({ stage: 'ingest', reason: 'stage_error' });
        }
      }
      const alerts = engine.takeAlerts();
      if (alerts.length) {
        try {
          await engine.alerts.submit(alerts);
        } catch (e) {
          throw new AppError('ingest.backpressure', `alert queue is full, retry later: ${errorMessage(e)}`, { status: 503, details: { retry_after_s: 5 } });
        }
      }
      return { accepted: events.length, duplicate: false };
    },
  };
}

/** Health: store writable, sources reading, recent store errors. */
export function createHealth(deps: { engine: Engine; sources: () => LineSource[]; version: string; startedAt: number; storeFailing: () => string | undefined }): () => Promise<HealthReport> {
  return async () => {
    const components: HealthReport['components'] = {};
    try {
      await deps.engine.store.stats();
      const failing = deps.storeFailing();
      components.store = failing ? { status: 'degraded', detail: failing } : { status: 'ok', detail: deps.engine.store.kind };
    } catch (e) {
      components.store = { status: 'failing', detail: errorMessage(e) };
    }
    for (const s of deps.sources()) {
      const st = s.status();
      components[`source:${st.id}`] = st.state === 'running' || st.state === 'done' || st.state === 'starting' ? { status: 'ok', detail: `${st.state}, ${st.linesRead} lines` } : { status: 'degraded', detail: `${st.state}${st.error ? `: ${st.error}` : ''}${st.retryInMs ? ` (retry in ${Math.round(st.retryInMs / 1000)}s)` : ''}` };
    }
    const det = deps.engine.detector.stats();
    components.detect = { status: 'ok', detail: `${det.buckets} buckets, ${det.alerts} alerts` };
    const statuses = Object.values(components).map((c) => c.status);
    const status = statuses.includes('failing') ? 'failing' : statuses.includes('degraded') ? 'degraded' : 'ok';
    return { status, components, version: deps.version, uptime_s: Math.round((Date.now() - deps.startedAt) / 1000) };
  };
}
