import { createFileTailSource, type FileTailSourceOptions } from '../../pipeline/acquire/file-tail-source.js';
import type { LineBatch, LineSink, LineSource, OffsetStore, SourceStatus } from '../../pipeline/acquire/port.js';
import type { LineParser, ParseContext } from '../../pipeline/parse/port.js';
import { AppError } from '../../shared/app-error.js';
import type { Logger } from '../../shared/logger.js';
import type { Metrics } from '../../shared/metrics.js';
import type { AgentTransport } from '../transport.js';
import { BatchSender, type BatchSenderOptions } from './batch-sender.js';
import type { DiskSpool, SpoolStats } from './port.js';
import type { ShipSource } from './source-spec.js';
import { SpoolWriter } from './spool-writer.js';

export interface LogShipperOptions {
  /** Stamped into every event (`dio.agent_id`) and the batch ids. */
  agentId: string;
  sources: readonly ShipSource[];
  /** `loadParsers(...)`; with `types`, unknown source types are refused up front. */
  parser: LineParser & { readonly types?: ReadonlySet<string> };
  spool: DiskSpool;
  transport: AgentTransport;
  /** Normally `createSpoolOffsets` over the same spool (see spool-offsets.ts for why). */
  offsets: OffsetStore;
  logger: Logger;
  metrics?: Pick<Metrics, 'linesParsed' | 'linesUnparsed' | 'eventsDropped'>;
  batchMaxEvents?: number;
  batchMaxWaitMs?: number;
  /** Uncompressed JSON per batch (default 4 MiB; the server takes at most 10 MiB decoded). */
  batchMaxBytes?: number;
  /** File tail settings (startAt, maxLineBytes, pollIntervalMs, …). */
  tail?: Partial<Omit<FileTailSourceOptions, 'path' | 'offsets' | 'logger'>>;
  /** For tests; default createFileTailSource. */
  createSource?: (opts: FileTailSourceOptions) => LineSource;
  sender?: Omit<BatchSenderOptions, 'spool' | 'transport' | 'logger' | 'onShipped' | 'onRejected'>;
  /** How long stop() lets the request in flight finish (default 5000 ms). */
  stopTimeoutMs?: number;
}

export interface LogShipperStats {
  lines_read: number;
  lines_parsed: number;
  lines_unparsed: number;
  events_spooled: number;
  batches_spooled: number;
  events_shipped: number;
  batches_shipped: number;
  batches_duplicate: number;
  batches_rejected: number;
  spool: SpoolStats;
  connected: boolean;
  last_error: string | undefined;
  sources: SourceStatus[];
}

export interface LogShipper {
  /** Starts the sender and every tail; resolves once each tail made its first open attempt. */
  start(): Promise<void>;
  /** Stops tails (saving offsets) and the sender (in-flight request: bounded wait). */
  stop(): Promise<void>;
  stats(): LogShipperStats;
}

/**
 * The agent's log path: file tails → local parsers → disk spool (durable, before the tail
 * commits its offset) → ingest API, in order, at least once, deduplicated by batch id.
 */
export function createLogShipper(o: LogShipperOptions): LogShipper {
  const logger = o.logger.child({ component: 'shipper' });
  const counts = { lines_read: 0, lines_parsed: 0, lines_unparsed: 0, events_spooled: 0, batches_spooled: 0 };
  let droppedSeen = o.spool.stats().dropped_events;
  const sender = new BatchSender({
    ...o.sender,
    spool: o.spool,
    transport: o.transport,
    logger,
    onRejected: (rec) => o.metrics?.eventsDropped.inc({ stage: 'ship', reason: 'rejected' }, rec.events),
  });
  const writer = new SpoolWriter({
    spool: o.spool,
    maxEvents: o.batchMaxEvents ?? 1000,
    maxBatchBytes: o.batchMaxBytes ?? 4 * 1024 * 1024,
    maxWaitMs: o.batchMaxWaitMs ?? 1000,
    onSpooled: (records) => {
      counts.batches_spooled += records.length;
      for (const r of records) counts.events_spooled += r.events;
      const dropped = o.spool.stats().dropped_events;
      if (dropped > droppedSeen) o.metrics?.eventsDropped.inc({ stage: 'ship', reason: 'spool_full' }, dropped - droppedSeen);
      droppedSeen = dropped;
      sender.wake();
    },
  });
  const create = o.createSource ?? createFileTailSource;
  const seen = new Set<string>();
  const tails = o.sources.map((src) => {
    if (o.parser.types && src.type !== 'auto' && !o.parser.types.has(src.type)) throw new AppError('ship.invalid_source', `${src.path}: unknown source type "${src.type}"`, { status: 400 });
    const tail = create({ ...o.tail, ...(src.startAt ? { startAt: src.startAt } : {}), path: src.path, offsets: o.offsets, logger: o.logger });
    if (tail.id.length > 512) throw new AppError('ship.invalid_source', `${src.path}: path longer than 500 characters`, { status: 400 });
    if (seen.has(tail.id)) throw new AppError('ship.invalid_source', `${src.path}: listed twice`, { status: 400 });
    seen.add(tail.id);
    return { tail, sink: makeSink(src.type) };
  });

  function makeSink(type: string): LineSink {
    return async (batch: LineBatch) => {
      const ctx: ParseContext = { source: batch.source, type, referenceTime: batch.receivedAt };
      const events: string[] = [];
      for (const line of batch.lines) {
        const r = o.parser.parse(line, ctx);
        if (!r) continue;
        const ev = r.event;
        ev.dio = { ...ev.dio, agent_id: o.agentId, input: batch.source };
        events.push(JSON.stringify(ev));
      }
      // Unparsed lines are counted, not shipped; a batch with no events still lets the offset move.
      await writer.submit({ source: batch.source, ...(batch.fileId !== undefined && { fileId: batch.fileId }), ...(batch.endOffset !== undefined && { endOffset: batch.endOffset }), events });
      // Counted once stored: a failed sink sees the same lines again.
      const unparsed = batch.lines.length - events.length;
      counts.lines_read += batch.lines.length;
      counts.lines_parsed += events.length;
      counts.lines_unparsed += unparsed;
      if (events.length > 0) o.metrics?.linesParsed.inc({ source: batch.source }, events.length);
      if (unparsed > 0) o.metrics?.linesUnparsed.inc({ source: batch.source }, unparsed);
    };
  }

  let started = false;
  return {
    async start() {
      if (started) throw new AppError('ship.already_started', 'log shipper already started', { status: 409 });
      started = true;
      sender.start();
      await Promise.all(tails.map((t) => t.tail.start(t.sink)));
      logger.info({ sources: tails.map((t) => t.tail.id), spool: o.spool.stats() }, 'log shipper started');
    },
    async stop() {
      // Sinks in flight must settle for the tails to stop; no more waiting for company.
      writer.drain();
      await Promise.all([...tails.map((t) => t.tail.stop()), sender.stop(o.stopTimeoutMs ?? 5000)]);
    },
    stats() {
      const s = sender.stats();
      return {
        ...counts,
        events_shipped: s.events_shipped,
        batches_shipped: s.batches_shipped,
        batches_duplicate: s.batches_duplicate,
        batches_rejected: s.batches_rejected,
        spool: o.spool.stats(),
        connected: s.connected,
        last_error: s.last_error,
        sources: tails.map((t) => t.tail.status()),
      };
    },
  };
}
