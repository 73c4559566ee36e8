import { Counter, Gauge } from 'prom-client';
import type { Metrics } from '../shared/metrics.js';
import type { LineSource } from '../pipeline/acquire/port.js';
import type { Engine } from './engine.js';

/**
 * Exposes counters the stages keep locally (they are too hot for prom-client calls per event) as
 * Prometheus metrics, read at scrape time: source state and drops, parse errors, GeoIP cache,
 * detection buckets.
 */
export function registerRuntimeMetrics(metrics: Metrics, engine: Engine, sources: () => readonly LineSource[]): void {
  const registers = [metrics.registry];
  const seen = new Map<string, number>();
  /** Turns a cumulative value into counter increments. */
  const bump = (c: Counter<string>, key: string, labels: Record<string, string>, total: number) => {
    const prev = seen.get(key) ?? 0;
    if (total > prev) c.inc(labels, total - prev);
    seen.set(key, total);
  };
  const parseErrors = new Counter({ name: 'dio_parse_errors_total', help: 'Lines lost to an internal parser error', registers });
  const geoLookups = new Counter({ name: 'dio_enrich_lookups_total', help: 'GeoIP lookups by result (hit = cache hit)', labelNames: ['result'], registers });
  const geoCached = new Gauge({ name: 'dio_enrich_cached_addresses', help: 'Addresses in the enrichment cache', registers });
  new Gauge({
    name: 'dio_source_state',
    help: 'Acquisition sources: 1 for the current state of each',
    labelNames: ['source', 'state'],
    registers,
    collect() {
      this.reset();
      for (const s of sources()) {
        const st = s.status();
        this.set({ source: st.id, state: st.state }, 1);
        metrics.sourceUp.set({ source: st.id }, st.state === 'running' ? 1 : 0);
        for (const [reason, n] of Object.entries(st.dropped)) bump(metrics.linesDropped, `drop:${st.id}:${reason}`, { source: st.id, reason }, n);
      }
      const ss = engine.stageStats();
      bump(parseErrors, 'parse_errors', {}, ss.parseErrors);
      bump(geoLookups, 'geo_hit', { result: 'hit' }, ss.enrich.hits);
      bump(geoLookups, 'geo_miss', { result: 'miss' }, ss.enrich.misses);
      bump(geoLookups, 'geo_invalid', { result: 'invalid' }, ss.enrich.invalid);
      bump(geoLookups, 'geo_error', { result: 'error' }, ss.enrich.errors);
      geoCached.set(ss.enrich.cached);
      const det = engine.detector.stats();
      metrics.activeBuckets.set(det.buckets);
      bump(metrics.bucketsEvicted, 'evicted', {}, det.evicted);
    },
  });
}
