import { join } from 'node:path';
import type { Alert, Decision, DioEvent } from '@dio/protocol';
import type { DioConfig } from '../config/schema.js';
import type { Broker } from '../broker/port.js';
import { createMemoryBroker } from '../broker/memory/memory-broker.js';
import type { Store } from '../storage/port.js';
import { createSqliteStore } from '../storage/sqlite/sqlite-store.js';
import type { Clock } from '../shared/clock.js';
import { createIdGenerator } from '../shared/id.js';
import { IpSet } from '../shared/ip-set.js';
import type { Logger } from '../shared/logger.js';
import type { Metrics } from '../shared/metrics.js';
import { loadParsers } from '../pipeline/parse/load-parsers.js';
import { loadGeoIp } from '../pipeline/enrich/load-geoip.js';
import { createEnricher, type EnricherStats } from '../pipeline/enrich/enricher.js';
import { loadScenarios } from '../pipeline/detect/load-scenarios.js';
import { createDetector, type Detector } from '../pipeline/detect/detector.js';
import { loadProfiles } from '../pipeline/decide/load-profiles.js';
import { createDecisionEngine, type DecisionEngine } from '../pipeline/decide/decision-engine.js';
import { BUILTIN_ALLOWLIST } from '../pipeline/decide/builtin-allowlist.js';
import { createAlertFlow, DECISIONS_STREAM, type AlertFlow } from '../pipeline/alert-flow.js';
import { createLinePipeline, type LinePipeline } from '../pipeline/line-pipeline.js';
import { createLiveFeed } from '../pipeline/live-feed.js';
import { createResponder, type Responder } from '../pipeline/respond/responder.js';
import { createFirewall } from './firewall-factory.js';
import { defaultContentDir } from './content-dir.js';


export interface Engine {
  config: Readonly<DioConfig>;
  store: Store;
  broker: Broker;
  pipeline: LinePipeline;
  detector: Detector;
  decide: DecisionEngine;
  alerts: AlertFlow;
  responder?: Responder;
  feed: ReturnType<typeof createLiveFeed>;
  /** The enrich stage, for events that arrive already parsed (ingest). */
  enrich(ev: DioEvent): void;
  /** Counters kept inside the stages (exported to Prometheus on scrape). */
  stageStats(): { parseErrors: number; enrich: EnricherStats };
  /** Alerts raised by detection in the current batch, waiting to be submitted to the broker. */
  takeAlerts(): Alert[];
  close(): Promise<void>;
}

export interface EngineOptions {
  config: Readonly<DioConfig>;
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  /** ':memory:' for replay; otherwise config.store.path or <data_dir>/dio.db. */
  storePath?: string;
  /** Enforce decisions on the configured firewall (false in replay). */
  respond: boolean;
  keepEvents?: boolean;
  /** Reference time for year-less syslog timestamps (replay: the file's modification time); default now. */
  referenceTime?: () => number;
  onAlert?: (a: Alert) => void;
  onDecision?: (d: Decision) => void;
}

/**
 * Wires one pipeline from configuration: the same composition serves `dio up` (live sources,
 * file store, firewall) and `dio replay` (in-memory store, no firewall), so a replay gives the
 * alerts the live pipeline would.
 */
export async function createEngine(o: EngineOptions): Promise<Engine> {
  const { config, logger, metrics, clock } = o;
  const contentDir = config.content_dir ?? defaultContentDir();
  const newId = createIdGenerator(() => clock.now());
  const allowlist = new IpSet([...BUILTIN_ALLOWLIST, ...config.decide.allowlist]);

  const [parser, geo, scenarios, profiles] = await Promise.all([
    loadParsers(join(contentDir, 'parsers'), { logger }),
    loadGeoIp({ country_db: config.geoip.country_db, city_db: config.geoip.city_db, asn_db: config.geoip.asn_db }, logger),
    loadScenarios(join(contentDir, 'scenarios'), config.detect.scenarios),
    loadProfiles(join(contentDir, 'profiles')),
  ]);
  const enricher = createEnricher({ ...geo, logger });

  const store = createSqliteStore({ path: o.storePath ?? config.store.path ?? join(config.data_dir, 'dio.db'), logger, clock });
  await store.migrate();
  const broker = createMemoryBroker({ clock, logger });
  const feed = createLiveFeed((e) => logger.warn({ err: String(e) }, 'live listener failed'));

  let pending: Alert[] = [];
  const detector = createDetector({ scenarios, clock, newId, maxBuckets: config.detect.max_buckets, onAlert: (a) => pending.push(a) });
  const pipeline = createLinePipeline({ parser, enrich: (ev) => enricher.enrich(ev), detector, metrics, keepEvents: o.keepEvents, referenceTime: o.referenceTime });

  // decide announces changes through the alert flow, which itself needs decide: bind late.
  const late: { flow?: AlertFlow } = {};
  const decide = createDecisionEngine({
    store,
    profiles,
    allowlist,
    simulation: config.decide.simulation,
    clock,
    newId,
    metrics,
    logger,
    onChange: (c) => late.flow?.publishChange(c),
  });
  await decide.init();
  const flow = createAlertFlow({ broker, store, decide, publishLive: (m) => feed.publish(m), metrics, logger, onAlert: o.onAlert, onDecision: o.onDecision });
  late.flow = flow;
  await flow.start();

  let responder: Responder | undefined;
  if (o.respond) {
    const firewall = createFirewall(config, logger);
    responder = createResponder({ firewall, broker, store, clock, metrics, logger, verify: config.respond.verify, stream: DECISIONS_STREAM, active: () => decide.active(), onEnforced: (d) => feed.publish({ type: 'decision', data: d }) });
    await responder.start(decide.active());
  }
  return {
    config,
    store,
    broker,
    pipeline,
    detector,
    decide,
    alerts: flow,
    responder,
    feed,
    enrich: (ev) => enricher.enrich(ev),
    stageStats: () => ({ parseErrors: parser.errors, enrich: enricher.stats() }),
    takeAlerts() {
      const out = pending;
      pending = [];
      return out;
    },
    async close() {
      await responder?.stop();
      await flow.stop();
      await broker.close();
      await store.close();
    },
  };
}
