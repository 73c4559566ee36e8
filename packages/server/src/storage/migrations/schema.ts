import type { Generated } from 'kysely';

/**
 * Table types of DIO's relational schema, shared by every Kysely-based Store adapter.
 * Times are epoch milliseconds in `bigint` columns (except audit `at`, which is hashed as the ISO
 * text it was written with). Documents are JSON text so the same schema works on SQLite and
 * PostgreSQL. PostgreSQL returns `bigint` as strings, so readers convert with `Number()`.
 */
export interface EventsTable {
  id: Generated<number>;
  ts: number;
  action: string | null;
  dataset: string | null;
  source_ip: string | null;
  message: string | null;
  /** The event as JSON; `message` lives only in its column when it is well-formed Unicode. */
  doc: string;
}

export interface IngestBatchesTable {
  batch_id: string;
  received_at: number;
}

export interface AlertsTable {
  id: string;
  created_at: number;
  scenario: string;
  severity: string;
  status: string;
  source_ip: string | null;
  technique: string;
  doc: string;
}

export interface DecisionsTable {
  id: string;
  created_at: number;
  value: string;
  status: string;
  origin: string;
  expires_at: number;
  /** 0/1: better-sqlite3 cannot bind booleans and an integer works on both dialects. */
  simulated: number;
  doc: string;
}

export interface AuditTable {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  origin: string;
  /** JSON text; NULL means "absent" (distinct from the JSON text `null`). */
  before: string | null;
  after: string | null;
  prev_hash: string;
  hash: string;
}

export interface SourceOffsetsTable {
  source: string;
  file_id: string;
  /** Named file_offset because OFFSET is an SQL keyword. */
  file_offset: number;
  head_hash: string;
  updated_at: number;
}

export interface UsersTable {
  id: string;
  username: string;
  password_hash: string;
  role: string;
  /** 0/1, like every boolean column. */
  disabled: number;
  created_at: number;
  updated_at: number;
  last_login_at: number | null;
  failed_logins: number;
  locked_until: number | null;
}

export interface RefreshTokensTable {
  token_hash: string;
  family_id: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  /** Set when the token was rotated; a second use of a spent token is a replay. */
  used_at: number | null;
  revoked_at: number | null;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  role: string;
  key_hash: string;
  created_by: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  /** 0/1. */
  revoked: number;
}

export interface ServerSecretsTable {
  name: string;
  value: string;
  created_at: number;
}

export interface EnrollmentTokensTable {
  id: string;
  token_hash: string;
  created_by: string;
  created_at: number;
  expires_at: number;
  max_uses: number;
  uses: number;
  /** JSON object of label → value. */
  labels: string;
  description: string | null;
  /** 0/1. */
  revoked: number;
}

export interface AgentsTable {
  id: string;
  hostname: string;
  public_key: string;
  key_fingerprint: string;
  state: string;
  enrolled_at: number;
  last_seen_at: number | null;
  last_address: string | null;
  heartbeat_interval_s: number;
  version: string;
  /** JSON array. */
  capabilities: string;
  /** JSON object. */
  labels: string;
  /** JSON HostInfo. */
  host: string;
  /** JSON LoadSummary, or NULL. */
  load: string | null;
  silent_since: number | null;
  token_id: string;
}

export interface AgentNoncesTable {
  agent_id: string;
  nonce: string;
  expires_at: number;
}

export interface TasksTable {
  id: string;
  type: string;
  agent_id: string;
  status: string;
  created_at: number;
  created_by: string;
  expires_at: number;
  timeout_s: number;
  started_at: number | null;
  finished_at: number | null;
  error: string | null;
  /** JSON of the result; NULL reads back as null. */
  result: string | null;
  findings: number;
  /** JSON object. */
  params: string;
  /** JSON of the signed envelope exactly as sent. */
  envelope: string;
}

export interface FindingsTable {
  id: string;
  agent_id: string;
  task_id: string;
  created_at: number;
  kind: string;
  severity: string;
  /** The Finding as JSON, exactly as written. */
  doc: string;
}

export interface TelemetryTable {
  agent_id: string;
  resolution_s: number;
  ts: number;
  /** JSON objects of series name → value. */
  avg: string;
  max: string;
  /** How many raw points this row stands for (1 for a raw row), so folding weights averages by it. */
  n: number;
  /** JSON of the raw sample; NULL for downsampled rows. */
  sample: string | null;
}

export interface DecisionChangesTable {
  seq: Generated<number>;
  decision_id: string;
  kind: string;
  at: number;
  /** The Decision as JSON, as it was at the change. */
  doc: string;
}

export interface AgentEnforcementTable {
  agent_id: string;
  decision_id: string;
  status: string;
  at: number;
  /** The EnforcementReport as JSON, exactly as reported. */
  doc: string;
}

export interface DbSchema {
  events: EventsTable;
  ingest_batches: IngestBatchesTable;
  alerts: AlertsTable;
  decisions: DecisionsTable;
  audit: AuditTable;
  source_offsets: SourceOffsetsTable;
  users: UsersTable;
  refresh_tokens: RefreshTokensTable;
  api_keys: ApiKeysTable;
  server_secrets: ServerSecretsTable;
  enrollment_tokens: EnrollmentTokensTable;
  agents: AgentsTable;
  agent_nonces: AgentNoncesTable;
  tasks: TasksTable;
  findings: FindingsTable;
  telemetry: TelemetryTable;
  decision_changes: DecisionChangesTable;
  agent_enforcement: AgentEnforcementTable;
}

/** Dialects the shared migrations know how to target. */
export type SqlDialectName = 'sqlite' | 'postgres';
