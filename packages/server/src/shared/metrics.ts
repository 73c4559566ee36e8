import { Registry, Counter, Gauge, Histogram, collectDefaultMetrics } from 'prom-client';

/**
 * All Prometheus metrics of one DIO process, in one registry owned by the composition root
 * (no global registry, so tests and several pipelines in one process do not collide).
 * Per-event volume is counted here, never logged.
 */
export function createMetrics(opts: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'dio_' });
  const m = {
    registry,
    linesRead: new Counter({ name: 'dio_lines_read_total', help: 'Lines read by acquisition, per source', labelNames: ['source'], registers: [registry] }),
    linesDropped: new Counter({ name: 'dio_lines_dropped_total', help: 'Lines dropped by acquisition, per source and reason (overlong, binary, invalid_utf8)', labelNames: ['source', 'reason'], registers: [registry] }),
    linesParsed: new Counter({ name: 'dio_lines_parsed_total', help: 'Lines a parser turned into an event, per source', labelNames: ['source'], registers: [registry] }),
    linesUnparsed: new Counter({ name: 'dio_lines_unparsed_total', help: 'Lines no parser recognised, per source', labelNames: ['source'], registers: [registry] }),
    sourceErrors: new Counter({ name: 'dio_source_errors_total', help: 'Acquisition errors (missing or unreadable file, socket errors), per source', labelNames: ['source', 'reason'], registers: [registry] }),
    sourceUp: new Gauge({ name: 'dio_source_up', help: '1 when the source is reading, 0 while it retries', labelNames: ['source'], registers: [registry] }),
    eventsIngested: new Counter({ name: 'dio_events_ingested_total', help: 'Events accepted through the ingest API', registers: [registry] }),
    eventsStored: new Counter({ name: 'dio_events_stored_total', help: 'Events written to the store', registers: [registry] }),
    eventsDropped: new Counter({ name: 'dio_events_dropped_total', help: 'Events dropped, per stage and reason', labelNames: ['stage', 'reason'], registers: [registry] }),
    alerts: new Counter({ name: 'dio_alerts_total', help: 'Alerts raised, per scenario', labelNames: ['scenario'], registers: [registry] }),
    decisions: new Counter({ name: 'dio_decisions_total', help: 'Decisions made, per origin and whether simulated', labelNames: ['origin', 'simulated'], registers: [registry] }),
    decisionsSkipped: new Counter({ name: 'dio_decisions_skipped_total', help: 'Alerts that made no decision, per reason (allowlisted, no_profile, already_active)', labelNames: ['reason'], registers: [registry] }),
    firewallOps: new Counter({ name: 'dio_firewall_operations_total', help: 'Firewall apply/verify operations, per firewall and result', labelNames: ['firewall', 'op', 'result'], registers: [registry] }),
    activeDecisions: new Gauge({ name: 'dio_active_decisions', help: 'Active decisions', registers: [registry] }),
    activeBuckets: new Gauge({ name: 'dio_detect_active_buckets', help: 'Live buckets in the detection engine', registers: [registry] }),
    bucketsEvicted: new Counter({ name: 'dio_detect_buckets_evicted_total', help: 'Buckets evicted because the engine hit its memory cap', registers: [registry] }),
    storeErrors: new Counter({ name: 'dio_store_errors_total', help: 'Store write failures, per operation', labelNames: ['op'], registers: [registry] }),
    brokerDepth: new Gauge({ name: 'dio_broker_pending_messages', help: 'Messages waiting per durable consumer', labelNames: ['consumer'], registers: [registry] }),
    authRejections: new Counter({ name: 'dio_auth_rejections_total', help: 'Rejected requests and logins, per reason (invalid_token, bad_signature, replayed, clock_skew, forbidden, impersonation, …)', labelNames: ['reason'], registers: [registry] }),
    authRejectionsUnaudited: new Counter({ name: 'dio_auth_rejections_unaudited_total', help: 'Rejections counted but not audited because one client address exceeded the audit rate limit', registers: [registry] }),
    agents: new Gauge({ name: 'dio_agents', help: 'Enrolled agents per status', labelNames: ['status'], registers: [registry] }),
    tasksRejected: new Counter({ name: 'dio_tasks_rejected_total', help: 'Tasks agents refused (bad signature, expired, replayed, not allowed), per reason', labelNames: ['reason'], registers: [registry] }),
    telemetrySamples: new Counter({ name: 'dio_telemetry_samples_total', help: 'Telemetry samples stored', registers: [registry] }),
    latency: new Histogram({ name: 'dio_stage_latency_seconds', help: 'Latency from line read to stage done', labelNames: ['stage'], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 5], registers: [registry] }),
  };
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;
