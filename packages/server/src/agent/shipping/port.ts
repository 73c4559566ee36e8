/** One batch to spool: events already JSON-encoded, at most MAX_INGEST_BATCH. */
export interface SpoolInput {
  source: string;
  fileId?: string;
  endOffset?: number;
  events: readonly string[];
}

/** A spooled batch as the header on disk describes it. */
export interface SpoolRecordMeta {
  seq: number;
  /** `${agentId}-${epoch}-${seq}`: the Idempotency-Key, never reused by this spool. */
  batch_id: string;
  events: number;
  source: string;
  file_id?: string;
  end_offset?: number;
  created_at: string;
  /** Size of the record on disk (frame + header + body). */
  bytes: number;
}
export interface SpoolRecord extends SpoolRecordMeta {
  /** gzip of `{"batch_id":…,"events":[…]}`: the request body as-is. */
  body: Buffer;
}

export interface SpoolStats {
  batches: number;
  events: number;
  bytes: number;
  dropped_batches: number;
  dropped_events: number;
  rejected_batches: number;
  rejected_events: number;
  /** Damaged ranges or records skipped since open (not persisted: the bytes are still there). */
  corrupt_skipped: number;
  next_seq: number;
}

/**
 * The agent's on-disk FIFO of batches waiting for the server (disk-spool.ts; format and crash
 * safety in README.md). Every method is serialised; records come back strictly in seq order.
 */
export interface DiskSpool {
  /** Spools a group of batches atomically (all or none survive a crash); resolves once durable. */
  append(group: readonly SpoolInput[]): Promise<SpoolRecordMeta[]>;
  /** The oldest record, or undefined when empty. */
  peek(): Promise<SpoolRecord | undefined>;
  /** Removes every record up to and including `seq`, durably. */
  ack(seq: number): Promise<void>;
  /** Moves the head record aside into `rejected/` (bounded) and removes it. */
  reject(seq: number, why: { status: number; reason: string }): Promise<void>;
  /** Latest end offset spooled for a source (kept after its records are acked). */
  highWater(source: string): { file_id: string; end_offset: number; seq: number } | undefined;
  stats(): SpoolStats;
  close(): Promise<void>;
}

