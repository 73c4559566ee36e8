import { AppError } from '../../shared/app-error.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import { silentLogger, type Logger } from '../../shared/logger.js';
import type { Broker, ConsumerConfig, ConsumerInfo, MessageHandler, PublishOptions, StreamConfig, Subscription } from '../port.js';
import { assertName, checkConsumerConfig, checkHeaders, checkMsgId, checkStreamConfig, checkTimeout, DEFAULT_PUBLISH_TIMEOUT_MS, invalid } from './broker-input.js';
import { MemoryConsumer } from './memory-consumer.js';
import { MemoryStream, type PublishResult } from './memory-stream.js';
import { assertSubject, compilePattern, patternIsSubset, patternsOverlap } from './subject-pattern.js';

export interface MemoryBrokerOptions {
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

interface StreamEntry {
  stream: MemoryStream;
  consumers: Map<string, MemoryConsumer>;
}

const ROUTE_CACHE_MAX = 4096;

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
  const clock = opts.clock ?? systemClock;
  const logger = (opts.logger ?? silentLogger()).child({ component: 'broker', kind: 'memory' });
  const publishTimeoutDefault = checkTimeout(opts.publishTimeoutMs, DEFAULT_PUBLISH_TIMEOUT_MS);
  const maxPayload = opts.maxPayloadBytes ?? 1024 * 1024;
  const env = {
    clock,
    duplicateWindowMs: opts.duplicateWindowMs ?? 120_000,
    maxDedupeIds: opts.maxDedupeIds ?? 100_000,
    maxWaitingPublishers: opts.maxWaitingPublishers ?? 10_000,
  };
  const streams = new Map<string, StreamEntry>();
  /** subject → owning stream (null: none); cleared whenever stream subjects change. */
  const routes = new Map<string, StreamEntry | null>();
  let closed = false;

  const closedError = () => new AppError('broker.closed', 'broker is closed', { status: 503 });
  const noStream = (name: string) => new AppError('broker.no_stream', `no stream ${name}`, { status: 404 });

  function live(): void {
    if (closed) throw closedError();
  }

  function streamEntry(name: string): StreamEntry {
    assertName('stream name', name);
    const s = streams.get(name);
    if (!s) throw noStream(name);
    return s;
  }

  function consumerOf(stream: string, durable: string): MemoryConsumer {
    const s = streamEntry(stream);
    assertName('durable name', durable);
    const c = s.consumers.get(durable);
    if (!c) throw new AppError('broker.no_consumer', `no durable ${durable} on stream ${stream}`, { status: 404 });
    return c;
  }

  function route(subject: string): StreamEntry | null {
    let owner = routes.get(subject);
    if (owner !== undefined) return owner;
    assertSubject(subject);
    owner = null;
    for (const s of streams.values()) {
      if (s.stream.limits.subjects.some((m) => m.matches(subject))) {
        owner = s;
        break;
      }
    }
    if (routes.size >= ROUTE_CACHE_MAX) routes.clear();
    routes.set(subject, owner);
    return owner;
  }

  function dropConsumer(s: StreamEntry, durable: string): void {
    const c = s.consumers.get(durable);
    if (!c) return;
    s.consumers.delete(durable);
    s.stream.removeConsumer(durable, c.close());
  }

  const broker: Broker = {
    kind: 'memory',

    ensureStream: (config: StreamConfig) => attempt(() => {
      live();
      const checked = checkStreamConfig(config);
      for (const other of streams.values()) {
        if (other.stream.name === checked.name) continue;
        for (const a of checked.subjects) {
          const clash = other.stream.limits.subjects.find((b) => patternsOverlap(a.tokens, b.tokens));
          if (clash) throw new AppError('broker.subjects_overlap', `stream ${checked.name} subject ${a.pattern} overlaps ${clash.pattern} of stream ${other.stream.name}`, { status: 409 });
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
        existing.stream.limits = limits;
        existing.stream.limitsChanged();
      } else {
        streams.set(checked.name, { stream: new MemoryStream(checked.name, limits, env), consumers: new Map() });
      }
      routes.clear();
      return;
    }),

    deleteStream: (name: string) => attempt(() => {
      live();
      assertName('stream name', name);
      const s = streams.get(name);
      if (!s) return;
      streams.delete(name);
      routes.clear();
      for (const c of s.consumers.values()) c.close();
      s.stream.rejectWaiters(new AppError('broker.no_stream', `stream ${name} was deleted`, { status: 404 }));
      return;
    }),

    ensureConsumer: (config: ConsumerConfig) => attempt(() => {
      live();
      const checked = checkConsumerConfig(config);
      const s = streamEntry(checked.stream);
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
        if (!s.stream.limits.subjects.some((m) => patternIsSubset(inner, m.tokens))) {
          throw invalid(`durable ${checked.durable} filter ${checked.filterSubject} is not within the subjects of stream ${checked.stream}`);
        }
      }
      const c = new MemoryConsumer(checked.durable, filter, settings, { clock, logger, release: (m) => s.stream.release(m) });
      s.consumers.set(checked.durable, c);
      s.stream.addConsumer(checked.durable, c);
      return;
    }),

    deleteConsumer: (stream: string, durable: string) => attempt(() => {
      live();
      assertName('durable name', durable);
      dropConsumer(streamEntry(stream), durable);
      return;
    }),

    publish: (subject: string, data: Uint8Array, opts?: PublishOptions) => attempt((): Promise<PublishResult> => {
      live();
      const owner = route(subject);
      if (!owner) throw new AppError('broker.no_stream', `no stream owns subject ${subject}`, { status: 404 });
      if (!(data instanceof Uint8Array)) throw invalid('data must be a Uint8Array');
      const { headers, bytes } = checkHeaders(opts?.headers);
      const msgId = checkMsgId(opts?.msgId);
      const timeoutMs = checkTimeout(opts?.publishTimeoutMs, publishTimeoutDefault);
      const size = subject.length + bytes + data.byteLength;
      const limit = Math.min(maxPayload, owner.stream.limits.maxBytes);
      if (size > limit) throw new AppError('broker.too_large', `message of ${size} bytes exceeds the limit of ${limit} bytes for ${subject}`, { status: 413 });
      // Copy: the publisher may reuse its buffer once publish() returns, as it could with NATS.
      return owner.stream.publish(subject, new Uint8Array(data), headers, msgId, size, timeoutMs);
    }),

    subscribe: (stream: string, durable: string, handler: MessageHandler) => attempt((): Subscription => {
      live();
      if (typeof handler !== 'function') throw invalid('handler must be a function');
      return consumerOf(stream, durable).attach(handler);
    }),

    consumerInfo: (stream: string, durable: string) => attempt((): ConsumerInfo => {
      live();
      return consumerOf(stream, durable).info();
    }),

    close(): Promise<void> {
      if (closed) return Promise.resolve();
      closed = true;
      for (const s of streams.values()) {
        for (const c of s.consumers.values()) c.close();
        s.stream.rejectWaiters(closedError());
      }
      routes.clear();
      return;
    }),
  };
  return broker;
}
