import { AGENT_STATUSES, parseDuration, type Alert } from '@dio/protocol';
import type { FleetDeps, SecurityDeps } from '../api/deps.js';
import { createRejectionRecorder } from '../api/auth/rejections.js';
import { createAccessTokens } from '../auth/access-tokens.js';
import { createAuthService } from '../auth/auth-service.js';
import { loadServerKeys, type ServerKeys } from '../auth/server-keys.js';
import { createUserService } from '../auth/user-service.js';
import type { Broker } from '../broker/port.js';
import type { DioConfig } from '../config/schema.js';
import { createAgentVerifier } from '../fleet/agent-auth.js';
import { createAgentRegistry } from '../fleet/agent-registry.js';
import { createAnomalyDetector } from '../fleet/anomaly-detector.js';
import { createDecisionFeed } from '../fleet/decision-feed.js';
import { createEnrollment } from '../fleet/enrollment.js';
import { createTaskService } from '../fleet/task-service.js';
import { createTelemetryService } from '../fleet/telemetry-service.js';
import { DECISIONS_STREAM } from '../pipeline/alert-flow.js';
import { errorMessage } from '../shared/app-error.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { Metrics } from '../shared/metrics.js';
import type { Store } from '../storage/port.js';

export interface ControlPlane {
  keys: ServerKeys;
  security: SecurityDeps;
  fleet: FleetDeps;
  /** Starts the decision feed and the periodic jobs (silence monitor, task timeouts, purges). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Wires authentication, users and the agent control plane on a store and a broker: the same
 * composition serves `dio up` and the API tests. The decision streams must exist (the alert flow
 * creates them) before start().
 */
export async function createControlPlane(o: { config: Readonly<DioConfig>; store: Store; broker: Broker; clock: Clock; logger: Logger; metrics: Metrics; newId: () => string; submitAlerts: (a: Alert[]) => Promise<void> }): Promise<ControlPlane> {
  const { config, store, clock, logger, metrics, newId } = o;
  const log = logger.child({ component: 'control-plane' });
  const s = (d: string) => parseDuration(d);
  const keys = await loadServerKeys(store.auth, clock.now());
  const tokens = createAccessTokens({ key: keys.jwtKey, ttlS: s(config.auth.access_ttl), clock });
  const auth = createAuthService({
    store,
    tokens,
    clock,
    logger,
    policy: { refreshTtlS: s(config.auth.refresh_ttl), lockoutAfter: config.auth.lockout_after, lockoutS: s(config.auth.lockout_duration), loginsPerMinute: config.auth.login_attempts_per_minute },
    onFailure: (reason) => metrics.authRejections.inc({ reason }),
  });
  const users = createUserService({ store, clock, newId, onChange: (id) => auth.invalidate(id) });
  const agentVerifier = createAgentVerifier({ store, clock, maxSkewS: s(config.agents.max_clock_skew) });
  const reject = createRejectionRecorder({ store, logger, counter: metrics.authRejections, unaudited: metrics.authRejectionsUnaudited, now: () => clock.now() });

  const heartbeatIntervalS = s(config.agents.heartbeat_interval);
  const telemetryIntervalS = s(config.agents.telemetry_interval);
  const enrollment = createEnrollment({ store, clock, keys, newId, heartbeatIntervalS, telemetryIntervalS });
  const registry = createAgentRegistry({ store, clock, logger, newId, heartbeatIntervalS, offlineAfterMs: s(config.agents.offline_after) * 1000, submitAlerts: o.submitAlerts, onCredentialsChanged: (id) => agentVerifier.invalidate(id) });
  const tasks = createTaskService({ store, clock, keys, logger, newId, submitAlerts: o.submitAlerts, onRejected: (reason) => metrics.tasksRejected.inc({ reason }) });
  const feed = createDecisionFeed({ store, broker: o.broker, stream: DECISIONS_STREAM, clock, logger });
  const telemetry = createTelemetryService({
    store,
    clock,
    logger,
    detector: createAnomalyDetector(config.agents.anomaly),
    retention: { rawMs: s(config.agents.telemetry_raw_retention) * 1000, rollupS: 300, rollupMs: s(config.agents.telemetry_retention) * 1000 },
    newId,
    submitAlerts: o.submitAlerts,
    onStored: (n) => metrics.telemetrySamples.inc(n),
  });

  const timers: NodeJS.Timeout[] = [];
  const every = (what: string, ms: number, fn: () => Promise<unknown>) => {
    let running = false;
    const t = setInterval(() => {
      if (running) return;
      running = true;
      fn()
        .catch((e: unknown) => log.error({ err: errorMessage(e) }, `${what} failed`))
        .finally(() => (running = false));
    }, ms);
    t.unref();
    timers.push(t);
  };

  return {
    keys,
    security: { auth, users, agentVerifier, reject, publicDocs: config.api.public_docs },
    fleet: { enrollment, registry, tasks, feed, telemetry, settings: { heartbeatIntervalS, telemetryIntervalS } },
    async start() {
      await feed.start();
      // A decision made just before a crash may have missed the change log: the log is idempotent per decision and kind.
      for (const d of await store.activeDecisions(clock.now())) await store.feed.appendDecisionChange('created', d, clock.now());
      every('silence monitor', Math.min(5000, (heartbeatIntervalS * 1000) / 2), async () => {
        await registry.checkSilence();
        const counts = Object.fromEntries(AGENT_STATUSES.map((st) => [st, 0]));
        for (const a of await registry.list()) counts[a.status]! += 1;
        for (const [status, n] of Object.entries(counts)) metrics.agents.set({ status }, n);
      });
      every('task timeouts', 10_000, () => tasks.sweep());
      every('nonce purge', 60_000, () => store.agents.purgeNonces(clock.now()));
      every('refresh token purge', 3_600_000, () => store.auth.purgeRefreshTokens(clock.now()));
      every('telemetry housekeeping', 300_000, () => telemetry.housekeeping());
      every('decision log purge', 3_600_000, () => store.feed.purgeDecisionChanges(clock.now() - s(config.agents.decision_log_retention) * 1000));
    },
    async stop() {
      for (const t of timers) clearInterval(t);
      await feed.stop();
    },
  };
}
