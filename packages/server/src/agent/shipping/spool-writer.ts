import { MAX_INGEST_BATCH } from '@dio/protocol';
import { AppError } from '../../shared/app-error.js';
import type { DiskSpool, SpoolInput, SpoolRecordMeta } from './port.js';

/** Events of one LineBatch, JSON-encoded, with the position after its last line. */
export interface SpoolItem {
  source: string;
  fileId?: string;
  endOffset?: number;
  events: string[];
}

export interface SpoolWriterOptions {
  spool: Pick<DiskSpool, 'append'>;
  /** Events per spooled batch (≤ MAX_INGEST_BATCH). */
  maxEvents: number;
  /** Uncompressed JSON bytes per batch, kept well under the server's 10 MiB body limit. */
  maxBatchBytes: number;
  /** How long events may wait for company before they are spooled. */
  maxWaitMs: number;
  onSpooled?: (records: SpoolRecordMeta[]) => void;
}

interface Waiting {
  item: SpoolItem;
  done: () => void;
  fail: (e: unknown) => void;
}

/**
 * Group commit in front of the spool. A sink's events wait (up to `maxWaitMs`, or until
 * `maxEvents` are pending) to be spooled together with whatever else arrived, in one append and
 * one fsync; the sink's promise resolves only once they are durable, so the tail never commits
 * an offset past unspooled lines. A quiet file costs one small batch per wait instead of one
 * per line; a busy one fills batches at once. One append runs at a time; the next group fills
 * meanwhile.
 */
export class SpoolWriter {
  private pending: Waiting[] = [];
  private pendingEvents = 0;
  private firstAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing = false;
  private closing = false;

  constructor(private readonly o: SpoolWriterOptions) {
    if (!(o.maxEvents >= 1 && o.maxEvents <= MAX_INGEST_BATCH)) throw new AppError('ship.invalid_config', `batchMaxEvents must be 1..${MAX_INGEST_BATCH}`, { status: 400 });
    if (!(o.maxBatchBytes >= 1024) || !(o.maxWaitMs >= 0)) throw new AppError('ship.invalid_config', 'batchMaxBytes must be >= 1024 and batchMaxWaitMs >= 0', { status: 400 });
  }

  /** Resolves once the item's events are in the spool (durably). */
  submit(item: SpoolItem): Promise<void> {
    if (item.events.length === 0) return Promise.resolve();
    return new Promise<void>((done, fail) => {
      if (this.pending.length === 0) this.firstAt = performance.now();
      this.pending.push({ item, done, fail });
      this.pendingEvents += item.events.length;
      this.schedule();
    });
  }

  /** From now on, spool at once (stop: sinks in flight must settle without waiting). */
  drain(): void {
    this.closing = true;
    this.schedule();
  }

  private schedule(): void {
    if (this.flushing || this.pending.length === 0) return;
    const left = this.o.maxWaitMs - (performance.now() - this.firstAt);
    if (this.closing || this.pendingEvents >= this.o.maxEvents || left <= 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
      void this.flush();
    } else {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, left);
    }
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    const group = this.pending;
    this.pending = [];
    this.pendingEvents = 0;
    try {
      const records = await this.o.spool.append(group.flatMap((w) => this.split(w.item)));
      this.o.onSpooled?.(records);
      for (const w of group) w.done();
    } catch (e) {
      for (const w of group) w.fail(e);
    } finally {
      this.flushing = false;
      this.schedule();
    }
  }

  /** One LineBatch may become several records (count and size bounds); they share its offset. */
  private split(item: SpoolItem): SpoolInput[] {
    const out: SpoolInput[] = [];
    const base = { source: item.source, ...(item.fileId !== undefined && { fileId: item.fileId }), ...(item.endOffset !== undefined && { endOffset: item.endOffset }) };
    let from = 0;
    let bytes = 0;
    for (let i = 0; i < item.events.length; i++) {
      const n = Buffer.byteLength(item.events[i]!) + 1;
      if (i > from && (i - from >= this.o.maxEvents || bytes + n > this.o.maxBatchBytes)) {
        out.push({ ...base, events: item.events.slice(from, i) });
        from = i;
        bytes = 0;
      }
      bytes += n;
    }
    out.push({ ...base, events: from === 0 ? item.events : item.events.slice(from) });
    return out;
  }
}
