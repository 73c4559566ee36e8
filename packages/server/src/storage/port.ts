import type { Alert, AlertFilter, Decision, DecisionFilter, DioEvent, Enforcement } from '@dio/protocol';
import type { AuthStore } from './port-auth.js';
import type { AgentStore, DecisionFeedStore, TaskStore, TelemetryStore } from './port-agents.js';

/** One page of a listing; `next_cursor` is opaque and null on the last page. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface StoredEvent {
  id: number;
  ts: number;
  event: DioEvent;
}

/** Event search, newest first by (ts, id). Times are epoch ms: `since` inclusive, `until` exclusive. */
export interface EventQuery {
  since?: number;
  until?: number;
  source_ip?: string;
  action?: string;
  /** Case-insensitive substring over the event's message (at most 256 characters; % and _ are literal). */
  text?: string;
  /** Clamped to 1..1000. */
  limit: number;
  cursor?: string;
}

export interface AuditInput {
  /** Who: "user:alice", "apikey:ci", "agent:web01", "system:decide", "cli". */
  actor: string;
  /** What: "decision.create", "decision.delete", "alert.status", "config.reload" … */
  action: string;
  /** The object acted on, e.g. "decision:01J…". */
  target: string;
  /** Where from: client IP, "cli", "pipeline". */
  origin: string;
  before?: unknown;
  after?: unknown;
}

/** Audit listing: records with seq > since_seq, oldest first. */
export interface AuditQuery {
  since_seq?: number;
  actor?: string;
  action?: string;
  /** Exact target, or a prefix when it ends with ':' ("agent:" matches "agent:web01"). */
  target?: string;
  /** Epoch ms bounds on `at`: since inclusive, until exclusive. */
  since?: number;
  until?: number;
  limit: number;
}

export interface AuditRecord extends AuditInput {
  seq: number;
  at: string;
  prev_hash: string;
  hash: string;
}

export interface SourceOffset {
  source: string;
  /** Identity of the file the offset belongs to (device:inode), so a rotated file is not resumed at the old offset. */
  file_id: string;
  offset: number;
  /** Hash of the first bytes of the file, to notice a file replaced in place with the same inode. */
  head_hash: string;
  updated_at: string;
}

export interface DecisionPatch {
  status?: Decision['status'];
  enforcement?: Enforcement;
}

/** Row counts (active_decisions by the store's clock) and the database size in bytes, or null where unknown. */
export interface StoreStats {
  events: number;
  alerts: number;
  decisions: number;
  active_decisions: number;
  audit_records: number;
  bytes: number | null;
}

/**
 * Store: DIO's memory. Every adapter (SQLite embedded, PostgreSQL distributed) passes the same
 * contract suite in `store.case.test.ts`. Methods either complete or throw an AppError with code
 * `store.*`; nothing half-written is left behind (each call is one transaction, except
 * purgeEvents, which deletes in short chunks). Error codes:
 * - `store.invalid_input` / `store.invalid_cursor` (400): the arguments, nothing was done;
 * - `store.conflict` (409): an alert or decision with that id exists;
 * - `store.write_failed` / `store.read_failed` (503): the database refused (read-only, full, locked);
 * - `store.unavailable` (503): the store is closed, or its database is unusable or was removed;
 * - `store.migration_failed` (503): migrate() could not bring the schema up to date.
 * Listings page newest first by (time, id) with an opaque `next_cursor`; alert filter `since` is
 * inclusive and `until` exclusive. Times the store stamps itself (audit `at`, batch receipt, the
 * "now" of stats) come from the Clock it was built with.
 */
export interface Store {
  readonly kind: string;
  /** Creates or upgrades the schema; idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  /**
   * Inserts a batch of events. With `batchId`, a batch id seen before is not stored again and
   * `duplicate` is true (idempotent ingest).
   */
  insertEvents(events: readonly DioEvent[], opts?: { batchId?: string }): Promise<{ inserted: number; duplicate: boolean }>;
  queryEvents(q: EventQuery): Promise<Page<StoredEvent>>;
  /**
   * Deletes events older than `before` (epoch ms) in short chunks (so ingest is never blocked for
   * long), and forgets ingest batch ids received before `before`; returns how many events went.
   */
  purgeEvents(before: number): Promise<number>;

  /** Validates against AlertSchema; an existing id is `store.conflict`. */
  insertAlert(alert: Alert): Promise<void>;
  getAlert(id: string): Promise<Alert | undefined>;
  /** A parent `technique` (T1110) also matches its sub-techniques (T1110.001). */
  listAlerts(filter: AlertFilter): Promise<Page<Alert>>;
  setAlertStatus(id: string, status: Alert['status']): Promise<Alert | undefined>;

  /** Validates against DecisionSchema; an existing id is `store.conflict`. */
  insertDecision(decision: Decision): Promise<void>;
  getDecision(id: string): Promise<Decision | undefined>;
  listDecisions(filter: DecisionFilter): Promise<Page<Decision>>;
  /** Decisions with status active and expires_at > now. */
  activeDecisions(now: number): Promise<Decision[]>;
  /** Merges the patch into the stored decision; undefined when there is no such id. */
  updateDecision(id: string, patch: DecisionPatch): Promise<Decision | undefined>;
  /** Marks active decisions whose expires_at <= now as expired and returns them. */
  expireDecisions(now: number): Promise<Decision[]>;
  /** How many decisions (any status, simulated or not) were made for `value` with created_at >= `since` — drives escalation. */
  countDecisionsFor(value: string, since: number): Promise<number>;

  /**
   * Appends a hash-chained audit record: seq = previous + 1, at = clock time, and
   * hash = sha256(prev_hash + canonical JSON of {seq, at, actor, action, target, origin, before, after})
   * (see audit-chain.ts; the first prev_hash is 64 zeros). before/after must be JSON, ≤ 256 KiB each.
   */
  appendAudit(input: AuditInput): Promise<AuditRecord>;
  /** Records with seq > since_seq, oldest first; limit clamped to 1..10000. */
  listAudit(q: AuditQuery): Promise<AuditRecord[]>;
  /** The newest record's seq and hash (0 and the genesis hash when empty). */
  auditHead(): Promise<{ seq: number; hash: string }>;

  getOffset(source: string): Promise<SourceOffset | undefined>;
  /** Upsert by source. */
  saveOffset(offset: SourceOffset): Promise<void>;

  stats(): Promise<StoreStats>;

  /** Users, refresh tokens, API keys, server secrets (port-auth.ts). */
  readonly auth: AuthStore;
  /** Enrollment tokens, agents, request nonces (port-agents.ts). */
  readonly agents: AgentStore;
  /** Tasks and findings. */
  readonly tasks: TaskStore;
  /** Telemetry time series. */
  readonly telemetry: TelemetryStore;
  /** The decision change log agents follow, and per-agent enforcement. */
  readonly feed: DecisionFeedStore;
}
