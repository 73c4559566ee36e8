import type { Logger } from '../../shared/logger.js';
import type { ApiMetrics } from '../api-metrics.js';
import type { LiveStream, StreamMessage } from '../deps.js';

export type StreamTransport = 'sse' | 'ws';

/** One message, serialised once for all clients (Buffers are shared, not copied, by socket writes). */
export interface EncodedMessage {
  readonly id: number;
  readonly type: StreamMessage['type'];
  /** `id: …\nevent: …\ndata: …\n\n` */
  readonly sse: Buffer;
  /** `{"type":…,"id":…,"data":…}` for a WebSocket text frame. */
  readonly ws: Buffer;
}

/** A connected client as the hub sees it. Each call returns the bytes now queued for that client. */
export interface StreamSink {
  readonly transport: StreamTransport;
  send(m: EncodedMessage): number;
  heartbeat(): number;
  /** `slow` and `error` drop the connection at once; `shutdown` closes it cleanly. */
  close(reason: 'slow' | 'error' | 'shutdown'): void;
}

export interface StreamHubOptions {
  maxClients: number;
  /** Queued bytes per client beyond which the client is too slow and is disconnected. */
  bufferBytes: number;
  heartbeatMs: number;
  metrics: ApiMetrics;
  logger: Logger;
}

/**
 * Fans live messages out to SSE and WebSocket clients. It subscribes to the LiveStream only while
 * someone listens, encodes each message once, and bounds memory per client: whatever a client
 * cannot take stays in its socket buffer, and past `bufferBytes` the client is disconnected
 * rather than buffered without end (a stalled dashboard must not grow the server's heap).
 */
export class StreamHub {
  private readonly clients = new Set<StreamSink>();
  private readonly counts: Record<StreamTransport, number> = { sse: 0, ws: 0 };
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;
  private closed = false;

  constructor(
    private readonly source: LiveStream,
    private readonly opts: StreamHubOptions,
  ) {}

  get size(): number {
    return this.clients.size;
  }

  hasRoom(): boolean {
    return !this.closed && this.clients.size < this.opts.maxClients;
  }

  /** Counts a client turned away because the hub is full. */
  refused(transport: StreamTransport): void {
    this.opts.metrics.streamDisconnects.inc({ transport, reason: 'limit' });
  }

  /** Adds a client; returns its detach function, or undefined when full (the caller answers 503). */
  add(sink: StreamSink): (() => void) | undefined {
    if (!this.hasRoom()) return undefined;
    this.clients.add(sink);
    this.counts[sink.transport]++;
    this.opts.metrics.streamClients.set({ transport: sink.transport }, this.counts[sink.transport]);
    if (this.clients.size === 1) this.start();
    return () => this.remove(sink);
  }

  /** Ends every connection (server shutdown); further clients are refused. */
  closeAll(): void {
    this.closed = true;
    for (const sink of [...this.clients]) {
      this.remove(sink);
      safeClose(sink, 'shutdown');
    }
    this.stop();
  }

  private remove(sink: StreamSink): void {
    if (!this.clients.delete(sink)) return;
    this.counts[sink.transport]--;
    this.opts.metrics.streamClients.set({ transport: sink.transport }, this.counts[sink.transport]);
    if (this.clients.size === 0) this.stop();
  }

  private start(): void {
    this.unsubscribe = this.source.subscribe((m) => this.publish(m));
    this.timer = setInterval(() => this.beat(), this.opts.heartbeatMs);
    this.timer.unref();
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = undefined;
    if (unsubscribe) {
      try {
        unsubscribe();
      } catch (err) {
        this.opts.logger.warn({ err }, 'live stream unsubscribe failed');
      }
    }
  }

  /** Listener on the LiveStream: must never throw back into the publisher. */
  private publish(m: StreamMessage): void {
    if (this.clients.size === 0) return;
    let encoded: EncodedMessage;
    try {
      encoded = encode(++this.seq, m);
    } catch (err) {
      this.opts.logger.error({ err, type: m?.type }, 'live stream message could not be encoded; skipped');
      return;
    }
    this.opts.metrics.streamMessages.inc({ type: encoded.type });
    for (const sink of this.clients) this.deliver(sink, () => sink.send(encoded));
  }

  private beat(): void {
    for (const sink of this.clients) this.deliver(sink, () => sink.heartbeat());
  }

  private deliver(sink: StreamSink, write: () => number): void {
    let queued: number;
    try {
      queued = write();
    } catch (err) {
      this.opts.logger.debug({ err, transport: sink.transport }, 'live stream client write failed; dropped');
      this.drop(sink, 'error');
      return;
    }
    if (queued > this.opts.bufferBytes) {
      this.opts.logger.info({ transport: sink.transport, queued }, 'live stream client too slow; disconnected');
      this.drop(sink, 'slow');
    }
  }

  private drop(sink: StreamSink, reason: 'slow' | 'error'): void {
    this.remove(sink);
    this.opts.metrics.streamDisconnects.inc({ transport: sink.transport, reason });
    safeClose(sink, reason);
  }
}

function safeClose(sink: StreamSink, reason: 'slow' | 'error' | 'shutdown'): void {
  try {
    sink.close(reason);
  } catch {
    // the connection is gone either way
  }
}

const TYPES = new Set<string>(['alert', 'decision', 'decision_deleted']);

export function encode(id: number, m: StreamMessage): EncodedMessage {
  if (!TYPES.has(m.type)) throw new TypeError(`unknown stream message type ${String(m.type)}`);
  // JSON.stringify escapes CR and LF, so the payload is always one SSE `data:` line.
  const data = JSON.stringify(m.data);
  if (data === undefined) throw new TypeError('stream message without data');
  return {
    id,
    type: m.type,
    sse: Buffer.from(`id: ${id}\nevent: ${m.type}\ndata: ${data}\n\n`),
    ws: Buffer.from(`{"type":"${m.type}","id":${id},"data":${data}}`),
  };
}
