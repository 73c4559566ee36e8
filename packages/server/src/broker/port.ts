/**
 * Broker: DIO's nervous system. Subjects are dot-separated tokens ("dio.alerts",
 * "dio.events.web01"); stream subjects and consumer filters may use NATS wildcards (`*` one token,
 * `>` one or more trailing tokens). Tokens are non-empty and contain no whitespace.
 *
 * Semantics every adapter (in-memory embedded, NATS JetStream distributed) must show — they are
 * pinned by `broker.case.test.ts`. They map onto a JetStream 2.9 stream with `retention: interest`,
 * `discard: new`, `max_msgs`/`max_bytes` and explicit-ack durable consumers:
 * - Streams own subjects; two streams may not own overlapping subjects, and publishing to a subject
 *   no stream owns rejects with `broker.no_stream`.
 * - publish() resolves once the broker has accepted the message. Retention is by interest: an
 *   accepted message is stored for every durable consumer of the stream whose filter matches it,
 *   attached or not, and is removed once each of them has acked, terminated or dead-lettered it.
 *   A message that no durable matches at publish time is accepted (it gets a seq) but not stored —
 *   create consumers before publishing. A durable created later starts at the first message still
 *   stored (deliver policy all).
 * - Streams are bounded (`maxMessages`, `maxBytes`, counted over stored messages). When a stream is
 *   full, publish() waits up to `publishTimeoutMs` for room (backpressure) and then rejects with
 *   AppError `broker.full` (503); nothing accepted is dropped.
 * - `msgId` de-duplicates within the broker's duplicate window (per stream): a repeat resolves with
 *   `{ duplicate: true, seq }` of the original and is not stored again.
 * - A durable consumer receives each message at least once. Within one durable, attached
 *   subscribers share the work; first deliveries leave in stream order. Acks are explicit: a handler
 *   that returns without acking leaves the message in flight (it may ack later, e.g. per batch).
 *   A message not acked within `ackWaitMs`, or nacked, is redelivered (deliveryCount grows);
 *   a delivery that fails when deliveryCount has reached `maxDeliver` dead-letters the message: it
 *   is counted in `deadLettered` and dropped. term() drops a message without counting it.
 * - Per durable, at most `maxInFlight` messages are delivered and unacked at once (messages waiting
 *   for redelivery count too).
 * - Handlers run asynchronously (never inside publish()'s call stack); calls for one subscription
 *   are sequential: the next starts after the previous one returned or its promise settled.
 *
 * Errors are AppErrors: `broker.invalid` (400, bad name/subject/config/headers), `broker.no_stream`
 * (404), `broker.no_consumer` (404), `broker.subjects_overlap` (409), `broker.consumer_conflict`
 * (409, e.g. changing a durable's filter), `broker.too_large` (413), `broker.full` (503),
 * `broker.closed` (503).
 */
export interface BrokerMessage {
  readonly subject: string;
  /** Shared by every consumer of this message (and possibly the publisher): read it, never mutate it. */
  readonly data: Uint8Array;
  /** Stream sequence, stable across redeliveries and durables. */
  readonly seq: number;
  /** 1 on the first delivery to this durable, then 2, 3, … */
  readonly deliveryCount: number;
  /** Header names are case-sensitive as published. */
  readonly headers: Readonly<Record<string, string>>;
  /** Done with this message (idempotent; an ack of an earlier delivery of it still counts). */
  ack(): void;
  /** Redeliver after `delayMs` (default 0). Ignored unless this is the current, unacked delivery. */
  nack(delayMs?: number): void;
  /** Give up on this message: no redelivery, not counted as dead-lettered. */
  term(): void;
}

export interface StreamConfig {
  /** Stream name, [A-Za-z0-9_-]{1,128}; owns the subjects (e.g. "DIO_ALERTS" owns "dio.alerts"). */
  name: string;
  subjects: string[];
  /** Bound on messages stored (accepted and not yet acked by every interested durable). */
  maxMessages: number;
  /** Bound on bytes stored (subject + headers + data per message). */
  maxBytes?: number;
}

export interface ConsumerConfig {
  stream: string;
  /** Durable name, [A-Za-z0-9_-]{1,128}. */
  durable: string;
  /** Subject pattern within the stream's subjects; default: everything in the stream. Fixed once created. */
  filterSubject?: string;
  /** Default 30 000. */
  ackWaitMs?: number;
  /** Deliveries before a message is dead-lettered; default 5. */
  maxDeliver?: number;
  /** Default 1000. */
  maxInFlight?: number;
}

export type MessageHandler = (msg: BrokerMessage) => Promise<void> | void;

export interface Subscription {
  /**
   * Stops delivery to this subscriber, waits (at most the durable's ackWaitMs) for a handler call
   * already running, then hands this subscriber's unacked messages back for immediate redelivery
   * to other subscribers of the durable, or to later ones. Idempotent.
   */
  stop(): Promise<void>;
}

export interface ConsumerInfo {
  durable: string;
  /** Messages stored for this durable and not yet delivered to it. */
  pending: number;
  /** Delivered and not yet acked/terminated, including those waiting for redelivery. */
  inFlight: number;
  /** Redeliveries made (memory: since the durable was created; NATS: as observed by this process). */
  redelivered: number;
  /** Messages dropped after maxDeliver (same scope as `redelivered`). */
  deadLettered: number;
}

export interface PublishOptions {
  headers?: Record<string, string>;
  /** How long to wait for room in a full stream; default 5000. */
  publishTimeoutMs?: number;
  /** De-duplication key (JetStream Nats-Msg-Id), at most 256 characters. */
  msgId?: string;
}

export interface Broker {
  readonly kind: string;
  /** Creates the stream, or updates its subjects and bounds. */
  ensureStream(config: StreamConfig): Promise<void>;
  /** Deletes a stream with its consumers and messages (no-op if absent); waiting publishers reject with `broker.no_stream`. */
  deleteStream(name: string): Promise<void>;
  /** Creates the durable, or updates ackWaitMs / maxDeliver / maxInFlight. */
  ensureConsumer(config: ConsumerConfig): Promise<void>;
  /** Deletes a durable (no-op if absent; its subscriptions stop); messages only it still needed are released. */
  deleteConsumer(stream: string, durable: string): Promise<void>;
  /**
   * `data` may be kept without copying (the memory adapter keeps an array that owns its whole
   * buffer, e.g. jsonCodec output, and copies views): do not modify it after calling publish().
   */
  publish(subject: string, data: Uint8Array, opts?: PublishOptions): Promise<{ seq: number; duplicate: boolean }>;
  /** Attaches a handler to a durable consumer. A handler that throws or rejects counts as a nack. */
  subscribe(stream: string, durable: string, handler: MessageHandler): Promise<Subscription>;
  consumerInfo(stream: string, durable: string): Promise<ConsumerInfo>;
  /** Stops delivery and timers; waiting publishers reject with `broker.closed`. Idempotent. */
  close(): Promise<void>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** JSON codec for broker payloads (validation happens at the consumer with zod). */
export const jsonCodec = {
  encode(value: unknown): Uint8Array {
    return enc.encode(JSON.stringify(value));
  },
  decode(data: Uint8Array): unknown {
    return JSON.parse(dec.decode(data));
  },
};
