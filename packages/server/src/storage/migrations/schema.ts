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

export interface DbSchema {
  events: EventsTable;
  ingest_batches: IngestBatchesTable;
  alerts: AlertsTable;
  decisions: DecisionsTable;
  audit: AuditTable;
  source_offsets: SourceOffsetsTable;
}

/** Dialects the shared migrations know how to target. */
export type SqlDialectName = 'sqlite' | 'postgres';
