import { performance } from 'node:perf_hooks';
import { AppError } from '../../shared/app-error.js';
import type { Clock } from '../../shared/clock.js';
import { silentLogger, type Logger } from '../../shared/logger.js';
import type { Broker, ConsumerConfig, ConsumerInfo, MessageHandler, PublishOptions, StreamConfig, Subscription } from '../port.js';
import { assertName, checkConsumerConfig, intIn, checkHeaders, checkMsgId, checkStreamConfig, checkTimeout, DEFAULT_PUBLISH_TIMEOUT_MS, invalid } from './broker-input.js';
import { MemoryConsumer } from './memory-consumer.js';
import { MemoryStream, type PublishResult } from './memory-stream.js';
import { assertSubject, compilePattern, patternIsSubset, patternsOverlap } from './subject-pattern.js';

export interface MemoryBrokerOptions {
  /**
   * Time source for the broker's own durations (ack wait, nack delay, publish timeout, dedupe
   * window); default monotonic. Tests may pass a ManualClock; never pass an event-time clock, or a
   * replay jumping hours ahead would expire every in-flight message at once.
   */
  clock?: Clock;
  logger?: Logger;
  /** msgId de-duplication window per stream; default 120 000 (JetStream's default). */
  duplicateWindowMs?: number;
  /** Default wait for room in a full stream; default 5000. */
  publishTimeoutMs?: number;
  /** Largest message (subject + headers + data); default 1 MiB (NATS max_payload default). */
  maxPayloadBytes?: number;
  /** msgIds remembered per stream; beyond it the oldest are forgotten. Default 100 000. */
  maxDedupeIds?: number;
  /** Publishers allowed to wait per full stream; more reject with broker.full at once. Default 10 000. */
  maxWaitingPublishers?: number;
}

type Stream = MemoryStream<MemoryConsumer>;

const ROUTE_CACHE_MAX = 4096;

/**
 * The bytes to keep for a published message. A view into a larger or shared buffer (a slice of a
 * read chunk, of Node's 8 KiB Buffer pool, a SharedArrayBuffer) is copied exactly, because keeping
 * it would pin memory that maxBytes does not see; an array owning its whole buffer (TextEncoder,
 * jsonCodec output) is kept as is — the port says publishers must not modify data after publish().
 */
function ownedBytes(data: Uint8Array): Uint8Array {
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer) return data;
  return new Uint8Array(data);
}

/** Immune to wall-clock steps (NTP, manual changes), which must not expire or stall deliveries. */
const monotonicClock: Clock = { now: () => performance.now() };

/** Runs `fn`, turning a synchronous throw into a rejection as callers of a Promise API expect. */
function attempt<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
}

/**
 * The embedded Broker: streams with interest retention, durable consumers with explicit ack,
 * redelivery and dead-lettering, all in this object (no global bus). See ../port.ts and ../README.md.
 */
export function createMemoryBroker(opts: MemoryBrokerOptions = {}): Broker {
  const clock = opts.clock ?? monotonicClock;
  const logger = (opts.logger ?? silentLogger()).child({ component: 'broker', kind: 'memory' });
  const publishTimeoutDefault = checkTimeout(opts.publishTimeoutMs, DEFAULT_PUBLISH_TIMEOUT_MS);
  const maxPayload = intIn('maxPayloadBytes', opts.maxPayloadBytes, 1, 64 * 1024 * 1024, 1024 * 1024);
  const env = {
    clock,
    duplicateWindowMs: intIn('duplicateWindowMs', opts.duplicateWindowMs, 0, 86_400_000, 120_000),
    maxDedupeIds: intIn('maxDedupeIds', opts.maxDedupeIds, 0, 10_000_000, 100_000),
    maxWaitingPublishers: intIn('maxWaitingPublishers', opts.maxWaitingPublishers, 0, 1_000_000, 10_000),
  };
  const streams = new Map<string, Stream>();
  /** subject → owning stream (null: none); cleared whenever stream subjects change. */
  const routes = new Map<string, Stream | null>();
  let closed = false;

  const closedError = () => new AppError('broker.closed', 'broker is closed', { status: 503 });
  const noStream = (name: string) => new AppError('broker.no_stream', `no stream ${name}`, { status: 404 });

  function live(): void {
    if (closed) throw closedError();
  }

  function streamNamed(name: string): Stream {
    assertName('stream name', name);
    const s = streams.get(name);
    if (!s) throw noStream(name);
    return s;
  }

  function consumerOf(stream: string, durable: string): MemoryConsumer {
    const s = streamNamed(stream);
    assertName('durable name', durable);
    const c = s.consumers.get(durable);
    if (!c) throw new AppError('broker.no_consumer', `no durable ${durable} on stream ${stream}`, { status: 404 });
    return c;
  }

  function route(subject: string): Stream | null {
    let owner = routes.get(subject);
    if (owner !== undefined) return owner;
    assertSubject(subject);
    owner = null;
    for (const s of streams.values()) {
      if (s.limits.subjects.some((m) => m.matches(subject))) {
        owner = s;
        break;
      }
    }
    if (routes.size >= ROUTE_CACHE_MAX) routes.clear();
    routes.set(subject, owner);
    return owner;
  }

  function dropConsumer(s: Stream, durable: string): void {
    const c = s.consumers.get(durable);
    if (!c) return;
    s.removeConsumer(durable, c.close());
  }

  const broker: Broker = {
    kind: 'memory',

    ensureStream: (config: StreamConfig) => attempt(() => {
      live();
      const checked = checkStreamConfig(config);
      for (const other of streams.values()) {
        if (other.name === checked.name) continue;
        for (const a of checked.subjects) {
          const clash = other.limits.subjects.find((b) => patternsOverlap(a.tokens, b.tokens));
          if (clash) throw new AppError('broker.subjects_overlap', `stream ${checked.name} subject ${a.pattern} overlaps ${clash.pattern} of stream ${other.name}`, { status: 409 });
        }
      }
      const limits = { subjects: checked.subjects, maxMessages: checked.maxMessages, maxBytes: checked.maxBytes };
      const existing = streams.get(checked.name);
      if (existing) {
        for (const c of existing.consumers.values()) {
          if (c.filter && !checked.subjects.some((m) => patternIsSubset(c.filter!.tokens, m.tokens))) {
            throw invalid(`stream ${checked.name}: durable ${c.durable} filter ${c.filter.pattern} would fall outside the new subjects`);
          }
        }
        existing.limits = limits;
        existing.limitsChanged();
      } else {
        streams.set(checked.name, new MemoryStream<MemoryConsumer>(checked.name, limits, env));
      }
      routes.clear();
    }),

    deleteStream: (name: string) => attempt(() => {
      live();
      assertName('stream name', name);
      const s = streams.get(name);
      if (!s) return;
      streams.delete(name);
      routes.clear();
      for (const c of s.consumers.values()) c.close();
      s.rejectWaiters(new AppError('broker.no_stream', `stream ${name} was deleted`, { status: 404 }));
    }),

    ensureConsumer: (config: ConsumerConfig) => attempt(() => {
      live();
      const checked = checkConsumerConfig(config);
      const s = streamNamed(checked.stream);
      const settings = { ackWaitMs: checked.ackWaitMs, maxDeliver: checked.maxDeliver, maxInFlight: checked.maxInFlight };
      const existing = s.consumers.get(checked.durable);
      if (existing) {
        if ((existing.filter?.pattern ?? undefined) !== checked.filterSubject) {
          throw new AppError('broker.consumer_conflict', `durable ${checked.durable} on ${checked.stream} exists with filter ${existing.filter?.pattern ?? '(all)'}; delete it to change the filter`, { status: 409 });
        }
        existing.update(settings);
        return;
      }
      let filter = null;
      if (checked.filterSubject !== undefined) {
        filter = compilePattern(checked.filterSubject, `durable ${checked.durable} filterSubject`);
        const inner = filter.tokens;
        if (!s.limits.subjects.some((m) => patternIsSubset(inner, m.tokens))) {
          throw invalid(`durable ${checked.durable} filter ${checked.filterSubject} is not within the subjects of stream ${checked.stream}`);
        }
      }
      const c = new MemoryConsumer(checked.durable, filter, settings, { clock, logger, release: (m) => s.release(m) });
      s.addConsumer(checked.durable, c);
    }),

    deleteConsumer: (stream: string, durable: string) => attempt(() => {
      live();
      assertName('durable name', durable);
      dropConsumer(streamNamed(stream), durable);
    }),

    publish(subject: string, data: Uint8Array, opts?: PublishOptions): Promise<PublishResult> {
      // Hot path: plain try/catch instead of attempt() saves a closure per message.
      try {
        live();
        const owner = route(subject);
        if (!owner) throw new AppError('broker.no_stream', `no stream owns subject ${subject}`, { status: 404 });
        if (!(data instanceof Uint8Array)) throw invalid('data must be a Uint8Array');
        const { headers, bytes } = checkHeaders(opts?.headers);
        const msgId = checkMsgId(opts?.msgId);
        const timeoutMs = checkTimeout(opts?.publishTimeoutMs, publishTimeoutDefault);
        const size = subject.length + bytes + data.byteLength;
        const limit = Math.min(maxPayload, owner.limits.maxBytes);
        if (size > limit) throw new AppError('broker.too_large', `message of ${size} bytes exceeds the limit of ${limit} bytes for ${subject}`, { status: 413 });
        return owner.publish(subject, ownedBytes(data), headers, msgId, size, timeoutMs);
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
    },

    subscribe: (stream: string, durable: string, handler: MessageHandler) => attempt((): Subscription => {
      live();
      if (typeof handler !== 'function') throw invalid('handler must be a function');
      return consumerOf(stream, durable).attach(handler);
    }),

    consumerInfo: (stream: string, durable: string) => attempt((): ConsumerInfo => {
      live();
      return consumerOf(stream, durable).info();
    }),

    close: () => attempt(() => {
      if (closed) return;
      closed = true;
      for (const s of streams.values()) {
        for (const c of s.consumers.values()) c.close();
        s.rejectWaiters(closedError());
      }
      routes.clear();
    }),
  };
  return broker;
}
