import type { Alert, AlertFilter, Decision, DecisionFilter, DioEvent, Enforcement } from '@dio/protocol';

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

export interface EventQuery {
  since?: number;
  until?: number;
  source_ip?: string;
  action?: string;
  /** Case-insensitive substring over the event's message. */
  text?: string;
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
 * `store.*`; nothing half-written is left behind (each call is one transaction).
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
  /** Deletes events older than `before` (epoch ms); returns how many. */
  purgeEvents(before: number): Promise<number>;

  insertAlert(alert: Alert): Promise<void>;
  getAlert(id: string): Promise<Alert | undefined>;
  listAlerts(filter: AlertFilter): Promise<Page<Alert>>;
  setAlertStatus(id: string, status: Alert['status']): Promise<Alert | undefined>;

  insertDecision(decision: Decision): Promise<void>;
  getDecision(id: string): Promise<Decision | undefined>;
  listDecisions(filter: DecisionFilter): Promise<Page<Decision>>;
  /** Decisions with status active and expires_at > now. */
  activeDecisions(now: number): Promise<Decision[]>;
  updateDecision(id: string, patch: DecisionPatch): Promise<Decision | undefined>;
  /** Marks active decisions whose expires_at <= now as expired and returns them. */
  expireDecisions(now: number): Promise<Decision[]>;
  /** How many decisions (any status, not simulated-only filter) were made for `value` since `since` — drives escalation. */
  countDecisionsFor(value: string, since: number): Promise<number>;

  /** Appends a hash-chained audit record (sha256 over the previous hash and the record). */
  appendAudit(input: AuditInput): Promise<AuditRecord>;
  listAudit(q: { since_seq?: number; actor?: string; action?: string; limit: number }): Promise<AuditRecord[]>;

  getOffset(source: string): Promise<SourceOffset | undefined>;
  saveOffset(offset: SourceOffset): Promise<void>;

  stats(): Promise<StoreStats>;
}
