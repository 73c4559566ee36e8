import { accessSync, constants, mkdirSync } from 'node:fs';
import type { LoadedConfig } from '../config/load-config.js';
import type { SourceConfig } from '../config/schema.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { createMetrics } from '../shared/metrics.js';
import { systemClock } from '../shared/clock.js';
import { errorMessage } from '../shared/app-error.js';
import { parseDuration } from '@dio/protocol';
import { buildApp } from '../api/app.js';
import type { LineBatch, LineSource } from '../pipeline/acquire/port.js';
import { createFileTailSource } from '../pipeline/acquire/file-tail-source.js';
import { createSyslogSource } from '../pipeline/acquire/syslog-source.js';
import { createEngine, type Engine } from './engine.js';
import { createHealth, createIngestService } from './live-services.js';
import { DIO_VERSION } from './version.js';
import { registerRuntimeMetrics } from './runtime-metrics.js';
import { createControlPlane } from './control-plane.js';
import { bootstrapAccess } from './bootstrap-access.js';
import { createAuditAnchor } from './audit-anchor.js';
import { createIdGenerator } from '../shared/id.js';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost):\d+$/;

function splitHostPort(hp: string): { host: string; port: number } {
  const i = hp.lastIndexOf(':');
  return { host: hp.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(hp.slice(i + 1)) };
}

/** Sources from config, or /var/log/auth.log when it is readable and nothing is configured. */
export function effectiveSources(configured: readonly SourceConfig[] | undefined, logger: Logger): SourceConfig[] {
  if (configured) return [...configured];
  try {
    accessSync('/var/log/auth.log', constants.R_OK);
    return [{ type: 'file', path: '/var/log/auth.log', parser: 'auto', start_at: 'end' }];
  } catch {
    logger.warn('no sources configured and /var/log/auth.log is not readable: add `sources:` to dio.yaml, send syslog, or use `dio replay FILE`');
    return [];
  }
}

/** `dio up`: everything in one process — sources, pipeline, decisions, firewall, API. */
export async function runUp(loaded: LoadedConfig): Promise<void> {
  const t0 = performance.now();
  const { config } = loaded;
  const logger = createLogger({ level: config.log_level });
  for (const w of loaded.warnings) logger.warn(w);
  if (!LOOPBACK.test(config.api.listen) && !config.api.allow_remote) {
    throw new Error(`refusing to listen on ${config.api.listen} without --allow-remote (api.allow_remote: true): the API speaks plain HTTP, so put a TLS proxy in front of it before exposing it beyond this host.`);
  }
  mkdirSync(config.data_dir, { recursive: true });
  const metrics = createMetrics({ defaultMetrics: true });
  const engine = await createEngine({ config, logger, metrics, clock: systemClock, respond: true, keepEvents: config.store.store_events });

  let storeFailure: string | undefined;
  const sources: Array<{ src: LineSource; parser: string }> = [];
  const sink = (parser: string) => async (batch: LineBatch) => {
    const r = engine.pipeline.processBatch(batch, parser);
    const alerts = engine.takeAlerts();
    if (alerts.length) await engine.alerts.submit(alerts);
    if (r.events?.length) {
      try {
        await engine.store.insertEvents(r.events);
        metrics.eventsStored.inc(r.events.length);
        storeFailure = undefined;
      } catch (e) {
        // The store cannot write: surface it (health, metric, log) and keep detecting.
        storeFailure = errorMessage(e);
        metrics.storeErrors.inc({ op: 'insert_events' });
        metrics.eventsDropped.inc({ stage: 'store', reason: 'write_failed' }, r.events.length);
        logger.error({ err: storeFailure }, 'could not store events');
      }
    }
  };
  for (const s of effectiveSources(config.sources, logger)) {
    if (s.type === 'file') {
      sources.push({ parser: s.parser, src: createFileTailSource({ path: s.path, offsets: engine.store, logger, startAt: s.start_at, maxLineBytes: config.limits.max_line_bytes }) });
    } else {
      sources.push({
        parser: s.parser,
        src: createSyslogSource({ udp: s.udp ? splitHostPort(s.udp) : undefined, tcp: s.tcp ? splitHostPort(s.tcp) : undefined, logger }),
      });
    }
  }

  registerRuntimeMetrics(metrics, engine, () => sources.map((s) => s.src));
  const newId = createIdGenerator();
  const control = await createControlPlane({ config, store: engine.store, broker: engine.broker, clock: systemClock, logger, metrics, newId, submitAlerts: (a) => engine.alerts.submit(a) });
  await bootstrapAccess({ config, store: engine.store, newId });
  const anchor = createAuditAnchor(engine.store, config.data_dir, logger);
  const app = await buildApp({
    store: engine.store,
    security: control.security,
    fleet: control.fleet,
    auditAnchor: () => anchor.read(),
    metrics,
    logger,
    version: DIO_VERSION,
    stream: engine.feed,
    decisions: { addManual: (i, by) => engine.decide.addManual(i, by), remove: (id, by) => engine.decide.remove(id, by) },
    ingest: createIngestService(engine, metrics),
    health: createHealth({ engine, sources: () => sources.map((s) => s.src), version: DIO_VERSION, startedAt: Date.now(), storeFailing: () => storeFailure }),
    limits: { bodyLimitBytes: config.api.body_limit_bytes, maxIngestInFlight: config.api.ingest_max_in_flight },
  });
  const { host, port } = splitHostPort(config.api.listen);
  if (!LOOPBACK.test(config.api.listen)) logger.warn(`the API listens on ${config.api.listen}, beyond loopback, over plain HTTP: put a TLS proxy in front of it`);
  await app.listen({ host, port });
  await control.start();
  anchor.start();

  for (const s of sources) {
    s.src.start(sink(s.parser)).catch((e: unknown) => logger.error({ source: s.src.id, err: errorMessage(e) }, 'source stopped'));
  }
  const timers = startHousekeeping(engine, logger, parseDuration(config.store.event_retention) * 1000);
  const readyMs = Math.round(performance.now() - t0);
  logger.info({ listen: config.api.listen, sources: sources.map((s) => s.src.id), firewall: config.respond.firewall, simulation: config.decide.simulation, ready_ms: readyMs }, 'dio is up');
  process.stderr.write(`DIO ${DIO_VERSION} is up in ${readyMs} ms — API http://${config.api.listen} (OpenAPI at /docs), firewall ${config.respond.firewall}${config.decide.simulation ? ' (simulation)' : ''}, ${sources.length} source(s). Ctrl-C stops.\n`);

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  logger.info('shutting down');
  for (const t of timers) clearInterval(t);
  await Promise.allSettled(sources.map((s) => s.src.stop()));
  await control.stop();
  await anchor.stop();
  await app.close();
  await engine.close();
}

function startHousekeeping(engine: Engine, logger: Logger, retentionMs: number): NodeJS.Timeout[] {
  const guard = (what: string, fn: () => Promise<unknown>) => () => {
    fn().catch((e: unknown) => logger.error({ err: errorMessage(e) }, `${what} failed`));
  };
  const expire = setInterval(guard('decision expiry', () => engine.decide.expire()), 5_000);
  const purge = setInterval(guard('event retention', () => engine.store.purgeEvents(Date.now() - retentionMs)), 3_600_000);
  expire.unref();
  purge.unref();
  return [expire, purge];
}
