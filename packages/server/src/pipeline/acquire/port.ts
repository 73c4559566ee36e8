import type { SourceOffset } from '../../storage/port.js';

export type { SourceOffset };

/** Lines read by one source in one wake-up (or one replay chunk), handed to the parse stage. */
export interface LineBatch {
  /** Id of the source that read the lines (e.g. "file:/var/log/auth.log", "syslog"). */
  source: string;
  /** Raw lines, without terminator; syslog lines still carry their `<PRI>` envelope. */
  lines: string[];
  /** File sources: byte offset just after the last line of this batch (what gets committed). */
  endOffset?: number;
  /** File sources: identity (dev:ino) of the file the lines came from. */
  fileId?: string;
  /** Wall-clock ms when the bytes were read, for latency accounting. */
  receivedAt: number;
  /** Syslog: remote peer address the lines came from. */
  peer?: string;
}

/**
 * Consumer of line batches. Resolves once the batch is processed; sources await it before reading
 * more (backpressure) and only then commit offsets, so a crash never skips an unprocessed line.
 */
export type LineSink = (batch: LineBatch) => Promise<void>;

export type SourceKind = 'file' | 'syslog-udp' | 'syslog-tcp' | 'stdin' | 'replay';
export type SourceState = 'starting' | 'running' | 'retrying' | 'stopped' | 'done' | 'failed';

/** Snapshot of one source for `/metrics`, the API and the CLI. */
export interface SourceStatus {
  id: string;
  kind: SourceKind;
  state: SourceState;
  /** Last error text while retrying/failed. */
  error?: string;
  /** Lines delivered to the sink. */
  linesRead: number;
  bytesRead: number;
  /** Lines/frames/errors dropped, by reason (overlong, binary, invalid_utf8, enoent, …). */
  dropped: Record<string, number>;
  lastReadAt?: number;
  /** While retrying: delay before the next attempt. */
  retryInMs?: number;
}

/**
 * A source of raw lines (file tail, syslog receiver, stdin, replay).
 * Finite sources (replay, stdin): `start` resolves at end of input, after the last batch was
 * processed, and rejects only on a failure the caller must report (e.g. truncated gzip).
 * Long-running sources (file tail, syslog): `start` resolves once the source runs (sockets bound,
 * tail loop started) and they read until `stop`; transient errors never reject, they retry and
 * show up in `status()`. `stop` resolves after the in-flight batch settled and offsets are saved.
 */
export interface LineSource {
  readonly id: string;
  start(sink: LineSink): Promise<void>;
  stop(): Promise<void>;
  status(): SourceStatus;
}

/** Where file sources persist their read position; the Store implements this. */
export interface OffsetStore {
  getOffset(source: string): Promise<SourceOffset | undefined>;
  saveOffset(o: SourceOffset): Promise<void>;
}
