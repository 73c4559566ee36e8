import type { Alert, Decision, DioEvent, NewDecision } from '@dio/protocol';
import { parseDuration } from '@dio/protocol';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../shared/app-error.js';
import { silentLogger } from '../../shared/logger.js';
import { createMetrics, type Metrics } from '../../shared/metrics.js';
import type { Store } from '../../storage/port.js';
import { createSqliteStore, type SqliteStore } from '../../storage/sqlite/sqlite-store.js';
import { buildApp } from '../app.js';
import type { InjectOptions } from 'fastify';
import type { Role } from '@dio/protocol';
import { ConfigSchema } from '../../config/schema.js';
import { createControlPlane, type ControlPlane } from '../../cmd/control-plane.js';
import { createMemoryBroker } from '../../broker/memory/memory-broker.js';
import type { Broker } from '../../broker/port.js';
import { DECISIONS_STREAM, DECISIONS_SUBJECT } from '../../pipeline/alert-flow.js';
import { createIdGenerator } from '../../shared/id.js';
import { systemClock, type Clock, type ManualClock } from '../../shared/clock.js';
import type { Actor, ApiDeps, ApiLimits, DecisionService, HealthReport, IngestService, LiveStream, StreamMessage } from '../deps.js';

/** A LiveStream tests publish into by hand. */
export class FakeLiveStream implements LiveStream {
  readonly listeners = new Set<(m: StreamMessage) => void>();
  subscribe(listener: (m: StreamMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  publish(m: StreamMessage): void {
    for (const l of [...this.listeners]) l(m);
  }
}

export class FakeDecisionService implements DecisionService {
  readonly allowlist = new Set<string>(['127.0.0.1', '10.0.0.0/8']);
  readonly calls: { op: string; by: Actor }[] = [];
  private n = 0;

  constructor(
    private readonly store: Store,
    private readonly stream: FakeLiveStream,
  ) {}

  async addManual(input: NewDecision, by: Actor): Promise<Decision> {
    this.calls.push({ op: 'add', by });
    if (this.allowlist.has(input.value)) throw new AppError('decision.allowlisted', `${input.value} is on the allowlist`, { status: 409 });
    const duration = parseDuration(input.duration);
    const d = sampleDecision({ id: `d-${++this.n}`, value: input.value, duration_s: duration, reason: input.reason, origin: 'manual', created_by: by.actor, scope: input.value.includes('/') ? 'range' : 'ip' });
    await this.store.insertDecision(d);
    this.stream.publish({ type: 'decision', data: d });
    return d;
  }

  async remove(id: string, by: Actor): Promise<Decision | undefined> {
    this.calls.push({ op: 'remove', by });
    const d = await this.store.updateDecision(id, { status: 'deleted' });
    if (d) this.stream.publish({ type: 'decision_deleted', data: d });
    return d;
  }
}

export class FakeIngestService implements IngestService {
  /** Set to make the next calls fail, e.g. with an `ingest.backpressure` AppError. */
  failWith: Error | undefined;
  readonly calls: { count: number; batchId: string | undefined; by: Actor }[] = [];

  constructor(private readonly store: Store) {}

  async ingest(events: DioEvent[], opts: { batchId?: string; by: Actor }): Promise<{ accepted: number; duplicate: boolean }> {
    this.calls.push({ count: events.length, batchId: opts.batchId, by: opts.by });
    if (this.failWith) throw this.failWith;
    const r = await this.store.insertEvents(events, opts.batchId === undefined ? {} : { batchId: opts.batchId });
    return { accepted: r.duplicate ? 0 : r.inserted, duplicate: r.duplicate };
  }
}

export function sampleEvent(over: Partial<DioEvent> = {}): DioEvent {
  return {
    '@timestamp': '2026-01-01T00:00:00.000Z',
    message: 'Failed password for root from 203.0.113.7 port 22 ssh2',
    event: { kind: 'event', category: ['authentication'], action: 'ssh_login', outcome: 'failure', dataset: 'sshd' },
    source: { ip: '203.0.113.7', port: 50522 },
    ...over,
  };
}

export function sampleAlert(over: Partial<Alert> = {}): Alert {
  const ev = sampleEvent();
  return {
    id: 'a-1',
    created_at: '2026-01-01T00:00:10.000Z',
    scenario: 'ssh-bruteforce',
    title: 'SSH brute force from 203.0.113.7',
    severity: 'high',
    technique: { id: 'T1110.001', name: 'Password Guessing', tactic: 'credential-access' },
    group_key: '203.0.113.7',
    source: { ip: '203.0.113.7' },
    evidence: { count: 6, first_seen: ev['@timestamp'], last_seen: ev['@timestamp'], first_event: ev, last_event: ev },
    status: 'new',
    ...over,
  };
}

export function sampleDecision(over: Partial<Decision> = {}): Decision {
  return {
    id: 'd-0',
    created_at: '2026-01-01T00:00:10.000Z',
    type: 'ban',
    scope: 'ip',
    value: '203.0.113.7',
    duration_s: 14400,
    expires_at: '2026-01-01T04:00:10.000Z',
    origin: 'scenario',
    reason: 'ssh-bruteforce',
    simulated: false,
    offense: 1,
    status: 'active',
    enforcement: { status: 'pending' },
    ...over,
  };
}

export interface TestApi {
  /** `inject` sends the admin API key unless the request carries its own credentials (see `anonymous`). */
  app: FastifyInstance;
  store: SqliteStore;
  stream: FakeLiveStream;
  decisions: FakeDecisionService;
  ingest: FakeIngestService;
  metrics: Metrics;
  health: { report: HealthReport | Error };
  control: ControlPlane;
  broker: Broker;
  clock: ManualClock | typeof systemClock;
  /** An admin API key ("Bearer …" value for requests made outside inject). */
  adminKey: string;
  /** Authorization headers with the admin key. */
  auth: Record<string, string>;
  /** inject without the default credentials. */
  anonymous: FastifyInstance['inject'];
  /** An API key for a role, created on demand. */
  keyFor(role: Role): Promise<string>;
}

/** A migrated in-memory SQLite store (the real adapter, so API tests see real paging and errors). */
export async function createTestStore(opts: { clock?: Clock } = {}): Promise<SqliteStore> {
  const store = createSqliteStore({ path: ':memory:', ...(opts.clock ? { clock: opts.clock } : {}) });
  await store.migrate();
  return store;
}

/**
 * An app on a real in-memory SQLite store, the real auth and control plane, and fake decision
 * and ingest services; `app.close()` closes the store too.
 */
export async function createTestApi(opts: { limits?: ApiLimits; clock?: ManualClock; config?: Record<string, unknown>; metrics?: Metrics } = {}): Promise<TestApi> {
  const clock = opts.clock ?? systemClock;
  const store = await createTestStore({ clock });
  const stream = new FakeLiveStream();
  const decisions = new FakeDecisionService(store, stream);
  const ingest = new FakeIngestService(store);
  const metrics = opts.metrics ?? createMetrics();
  const logger = silentLogger();
  const config = ConfigSchema.parse(opts.config ?? {});
  const broker = createMemoryBroker({ clock, logger });
  await broker.ensureStream({ name: DECISIONS_STREAM, subjects: [DECISIONS_SUBJECT], maxMessages: 10_000 });
  const newId = createIdGenerator(() => clock.now());
  const submitted: Alert[] = [];
  const control = await createControlPlane({ config, store, broker, clock, logger, metrics, newId, submitAlerts: async (a) => {
    submitted.push(...a);
    for (const x of a) await store.insertAlert(x);
  } });
  await control.start();
  const health: TestApi['health'] = { report: { status: 'ok', components: { store: { status: 'ok' } }, version: '0.0.0-test', uptime_s: 1 } };
  const deps: ApiDeps = {
    store,
    metrics,
    logger,
    decisions,
    ingest,
    stream,
    security: control.security,
    fleet: control.fleet,
    version: '0.0.0-test',
    health: () => {
      if (health.report instanceof Error) throw health.report;
      return health.report;
    },
    ...(opts.limits ? { limits: opts.limits } : {}),
  };
  const app = await buildApp(deps);
  // The API does not own the store (the composition root does); in tests the app's lifetime is the store's.
  app.addHook('onClose', async () => {
    await control.stop();
    await broker.close();
    await store.close();
  });
  const system = { actor: 'system:test', origin: 'test' };
  const keys = new Map<Role, string>();
  const keyFor = async (role: Role): Promise<string> => {
    let k = keys.get(role);
    if (!k) {
      k = (await control.security.users.createApiKey({ name: `test-${role}`, role }, system)).key;
      keys.set(role, k);
    }
    return k;
  };
  const adminKey = await keyFor('admin');
  const anonymous: FastifyInstance['inject'] = app.inject.bind(app);
  const withKey = (o: InjectOptions | string): InjectOptions => {
    const opt: InjectOptions = typeof o === 'string' ? { url: o } : { ...o };
    const h = { ...(opt.headers as Record<string, string> | undefined) };
    if (h.authorization === undefined && h['x-api-key'] === undefined && h['x-dio-agent'] === undefined) h.authorization = `Bearer ${adminKey}`;
    opt.headers = h;
    return opt;
  };
  // Test convenience only: most API tests are about routes, not credentials.
  (app as { inject: unknown }).inject = (o: InjectOptions | string) => anonymous(withKey(o));
  return { app, store, stream, decisions, ingest, metrics, health, control, broker, clock, adminKey, auth: { authorization: `Bearer ${adminKey}` }, anonymous, keyFor };
}
