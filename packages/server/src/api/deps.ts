import type { Alert, Decision, DioEvent, NewDecision } from '@dio/protocol';
import { AppError } from '../shared/app-error.js';
import type { Logger } from '../shared/logger.js';
import type { Metrics } from '../shared/metrics.js';
import type { Store } from '../storage/port.js';
import type { AuthService } from '../auth/auth-service.js';
import type { UserService } from '../auth/user-service.js';
import type { AgentRegistry } from '../fleet/agent-registry.js';
import type { DecisionFeedService } from '../fleet/decision-feed.js';
import type { Enrollment } from '../fleet/enrollment.js';
import type { TaskService } from '../fleet/task-service.js';
import type { TelemetryService } from '../fleet/telemetry-service.js';
import type { AgentVerifier } from './auth/authenticate.js';
import type { RejectionRecorder } from './auth/rejections.js';

/**
 * What the HTTP API needs from the rest of DIO. The composition root (cmd/) builds these and
 * hands them to `buildApp`; the API holds no state of its own beyond live stream clients.
 */

/** Who did something and from where; every mutation through the API carries one (for audit). */
export interface Actor {
  /** "user:alice", "apikey:ci", "agent:web01", "system:…". */
  actor: string;
  /** Client address as seen by the server, e.g. "127.0.0.1". */
  origin: string;
}

export interface DecisionService {
  /**
   * Creates a manual ban. Throws AppError `decision.allowlisted` (409) when the value is on the
   * allowlist and `decision.invalid` (400) when it cannot be acted on.
   */
  addManual(input: NewDecision, by: Actor): Promise<Decision>;
  /** Deletes (unbans) a decision; undefined when there is no such decision (→ 404 `decision.not_found`). */
  remove(id: string, by: Actor): Promise<Decision | undefined>;
}

export interface IngestService {
  /**
   * Accepts a validated batch. With `batchId`, a batch seen before is acknowledged with
   * `duplicate: true` and not stored again. May throw AppError `ingest.backpressure` (503; put
   * `details: { retry_after_s }` on it to steer the Retry-After header) or `store.*`.
   */
  ingest(events: DioEvent[], opts: { batchId?: string; by: Actor }): Promise<{ accepted: number; duplicate: boolean }>;
}

export type StreamMessage =
  | { type: 'alert'; data: Alert }
  | { type: 'decision'; data: Decision }
  | { type: 'decision_deleted'; data: Decision };

/** Source of live messages; `subscribe` returns the unsubscribe function. Listeners must not throw. */
export interface LiveStream {
  subscribe(listener: (m: StreamMessage) => void): () => void;
}

export type HealthStatus = 'ok' | 'degraded' | 'failing';

export interface HealthReport {
  status: HealthStatus;
  components: Record<string, { status: HealthStatus; detail?: string }>;
  version: string;
  uptime_s: number;
}

export interface ApiLimits {
  /** Largest accepted request body, after decompression. Default 10 MiB. */
  bodyLimitBytes?: number;
  /** Concurrent live stream clients (SSE + WebSocket together). Default 100. */
  maxStreamClients?: number;
  /** Bytes queued for one stream client before it counts as too slow and is disconnected. Default 1 MiB. */
  streamClientBufferBytes?: number;
  /** Interval of SSE heartbeat comments and WebSocket pings. Default 15 000 ms. */
  streamHeartbeatMs?: number;
  /** SSE `retry:` hint sent to clients, in ms. Default 3 000. */
  streamRetryMs?: number;
  /** Ingest batches processed at once; more are refused with 503 + Retry-After before their body is read. Default 4. */
  maxIngestInFlight?: number;
}

/** Authentication and user administration. */
export interface SecurityDeps {
  auth: AuthService;
  users: UserService;
  agentVerifier: AgentVerifier;
  /** Counts and audits rejected requests. */
  reject: RejectionRecorder;
  /** Serve /docs without authentication (default false). */
  publicDocs?: boolean;
}

/** The control plane for agents. */
export interface FleetDeps {
  enrollment: Enrollment;
  registry: AgentRegistry;
  tasks: TaskService;
  feed: DecisionFeedService;
  telemetry: TelemetryService;
  /** What agents are told in enrollment and heartbeat answers. */
  settings: { heartbeatIntervalS: number; telemetryIntervalS: number };
}

export interface ApiDeps {
  store: Store;
  security: SecurityDeps;
  fleet: FleetDeps;
  metrics: Metrics;
  logger: Logger;
  decisions: DecisionService;
  ingest: IngestService;
  stream: LiveStream;
  health(): HealthReport | Promise<HealthReport>;
  version: string;
  limits?: ApiLimits;
  /** The audit head recorded outside the database (catches deletion of the newest records). */
  auditAnchor?: () => { seq: number; hash: string } | undefined;
}

export const DEFAULT_LIMITS: Required<ApiLimits> = Object.freeze({
  bodyLimitBytes: 10 * 1024 * 1024,
  maxStreamClients: 100,
  streamClientBufferBytes: 1024 * 1024,
  streamHeartbeatMs: 15_000,
  streamRetryMs: 3_000,
  maxIngestInFlight: 4,
});

/** Fills defaults and refuses nonsense (a zero body limit would reject every request). */
export function resolveLimits(l: ApiLimits = {}): Required<ApiLimits> {
  const out = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof ApiLimits)[]) {
    const v = l[key];
    if (v === undefined) continue;
    if (!Number.isInteger(v) || v <= 0) throw new AppError('config.invalid', `api limit ${key} must be a positive integer, got ${String(v)}`, { status: 500 });
    out[key] = v;
  }
  return out;
}
