import type { AgentEnforcement, Decision, EnforcementReport, Finding, FindingFilter, HostInfo, LoadSummary, TaskEnvelope, TaskFilter, TaskStatus, TaskType } from '@dio/protocol';
import type { Page } from './port.js';

/**
 * The parts of the Store that hold the fleet: enrollment tokens, agents, request nonces, tasks
 * and findings, telemetry series, the decision change log agents follow, and per-agent
 * enforcement. Times are epoch ms. Same error codes as the Store (port.ts).
 */
export interface EnrollmentTokenRecord {
  id: string;
  /** sha256 hex of the token secret. */
  token_hash: string;
  created_by: string;
  created_at: number;
  expires_at: number;
  max_uses: number;
  uses: number;
  /** Given to every agent enrolled with this token (merged under the agent's own labels). */
  labels: Record<string, string>;
  description?: string;
  revoked: boolean;
}

export type ConsumeTokenResult = { ok: true; token: EnrollmentTokenRecord } | { ok: false; reason: 'unknown' | 'expired' | 'exhausted' | 'revoked' };

export type AgentState = 'active' | 'disabled' | 'revoked';

export interface AgentRecord {
  id: string;
  hostname: string;
  /** base64url raw Ed25519 public key. */
  public_key: string;
  key_fingerprint: string;
  state: AgentState;
  enrolled_at: number;
  last_seen_at: number | null;
  last_address: string | null;
  heartbeat_interval_s: number;
  version: string;
  capabilities: string[];
  labels: Record<string, string>;
  host: HostInfo;
  load: LoadSummary | null;
  /** When the "agent went silent" alert fired for the current silence; null while it reports. */
  silent_since: number | null;
  token_id: string;
}

export type AgentPatch = Partial<Omit<AgentRecord, 'id' | 'enrolled_at' | 'token_id'>>;

export interface AgentStore {
  insertEnrollmentToken(t: EnrollmentTokenRecord): Promise<void>;
  getEnrollmentToken(id: string): Promise<EnrollmentTokenRecord | undefined>;
  /** Newest first. */
  listEnrollmentTokens(): Promise<EnrollmentTokenRecord[]>;
  revokeEnrollmentToken(id: string): Promise<EnrollmentTokenRecord | undefined>;
  /** Atomically checks and counts one use of the token with this hash. */
  consumeEnrollmentToken(tokenHash: string, now: number): Promise<ConsumeTokenResult>;

  /** `store.conflict` when the id exists. */
  insertAgent(a: AgentRecord): Promise<void>;
  getAgent(id: string): Promise<AgentRecord | undefined>;
  /** All agents, by id. */
  listAgents(): Promise<AgentRecord[]>;
  updateAgent(id: string, patch: AgentPatch): Promise<AgentRecord | undefined>;
  /** Removes the agent record (its tasks, telemetry and enforcement rows stay for the record). */
  deleteAgent(id: string): Promise<boolean>;

  /**
   * Records a request nonce; false when this agent used it before (a replayed request). Nonces are
   * kept until `expiresAt` — longer than the accepted clock skew, so a replay is always caught.
   */
  useNonce(agentId: string, nonce: string, expiresAt: number): Promise<boolean>;
  purgeNonces(now: number): Promise<number>;
}

export interface TaskRecord {
  id: string;
  type: TaskType;
  params: Record<string, unknown>;
  agent_id: string;
  status: TaskStatus;
  created_at: number;
  created_by: string;
  expires_at: number;
  timeout_s: number;
  started_at: number | null;
  finished_at: number | null;
  error: string | null;
  result: unknown;
  findings: number;
  /** The signed envelope exactly as sent to the agent. */
  envelope: TaskEnvelope;
}

export type TaskPatch = Partial<Pick<TaskRecord, 'status' | 'started_at' | 'finished_at' | 'error' | 'result' | 'findings'>>;

export interface TaskStore {
  /** All or nothing; `store.conflict` when an id exists. */
  insertTasks(tasks: readonly TaskRecord[]): Promise<void>;
  getTask(id: string): Promise<TaskRecord | undefined>;
  /** Newest first by (created_at, id). */
  listTasks(filter: TaskFilter): Promise<Page<TaskRecord>>;
  /** Pending tasks of the agent not yet expired, oldest first. */
  pendingTasks(agentId: string, now: number, limit: number): Promise<TaskRecord[]>;
  /**
   * Merges the patch. With `from`, only when the current status is one of them (compare and
   * set): a late report cannot move a finished task back. Undefined when there is no such task
   * or the status did not match.
   */
  updateTask(id: string, patch: TaskPatch, opts?: { from?: readonly TaskStatus[] }): Promise<TaskRecord | undefined>;
  /**
   * Marks as timed_out, and returns: pending tasks whose expires_at <= now, and running tasks
   * whose started_at + timeout_s + graceMs <= now.
   */
  timeoutTasks(now: number, graceMs: number): Promise<TaskRecord[]>;

  /** `store.conflict` when an id exists. */
  insertFindings(findings: readonly Finding[]): Promise<void>;
  /** Newest first by (created_at, id). */
  listFindings(filter: FindingFilter): Promise<Page<Finding>>;
}

/** One stored telemetry point: raw (resolution = the sample interval) or downsampled. */
export interface TelemetryRow {
  agent_id: string;
  ts: number;
  resolution_s: number;
  /** Scalar series (TELEMETRY_SERIES names, plus cpu_core_N) averaged over the point. */
  avg: Record<string, number>;
  max: Record<string, number>;
  /** Raw points only: the whole sample (top processes, sockets…) for drill-down; null when downsampled. */
  sample: unknown;
}

export interface TelemetryStore {
  /** Upserts by (agent_id, resolution_s, ts). */
  insertTelemetry(rows: readonly TelemetryRow[]): Promise<void>;
  /** Oldest first; limit clamped to 1..10000. */
  queryTelemetry(q: { agent_id: string; resolution_s: number; since?: number; until?: number; limit: number }): Promise<TelemetryRow[]>;
  /** The newest raw row of the agent (with its sample). */
  latestTelemetry(agentId: string): Promise<TelemetryRow | undefined>;
  /**
   * Folds rows of resolution `from` older than `before` into `to`-second buckets (avg of avgs, max
   * of maxes, per agent), upserting them, then deletes the folded rows. Returns rows folded.
   */
  downsampleTelemetry(from: number, to: number, before: number): Promise<number>;
  /** Deletes rows of this resolution older than `before`. */
  purgeTelemetry(resolution_s: number, before: number): Promise<number>;
}

export type DecisionChangeKind = 'created' | 'removed' | 'expired';

export interface DecisionChangeRecord {
  seq: number;
  kind: DecisionChangeKind;
  decision: Decision;
  at: number;
}

export interface DecisionFeedStore {
  /**
   * Appends to the ordered change log agents follow. Idempotent per (decision id, kind): a repeat
   * (broker redelivery) returns the original seq with duplicate true.
   */
  appendDecisionChange(kind: DecisionChangeKind, decision: Decision, at: number): Promise<{ seq: number; duplicate: boolean }>;
  /** Changes with seq > afterSeq, oldest first; limit clamped to 1..10000. */
  listDecisionChanges(afterSeq: number, limit: number): Promise<DecisionChangeRecord[]>;
  /** Lowest retained seq (null when empty) and highest seq ever assigned (0 when none). */
  decisionChangeBounds(): Promise<{ first: number | null; last: number }>;
  /** Drops changes recorded before `before`; agents behind that point resynchronise. */
  purgeDecisionChanges(before: number): Promise<number>;

  /** Upserts by (agent_id, decision_id); a report older than the stored one (by `at`) is ignored. */
  upsertEnforcement(agentId: string, reports: readonly EnforcementReport[]): Promise<void>;
  /** By decision or by agent (at least one), newest first; limit clamped to 1..10000. */
  listEnforcement(q: { decision_id?: string; agent_id?: string; limit: number }): Promise<AgentEnforcement[]>;
}
