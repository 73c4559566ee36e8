/**
 * Broker: DIO's nervous system. Subjects are dot-separated tokens ("dio.alerts",
 * "dio.events.web01"); subscriptions may use NATS wildcards (`*` one token, `>` the rest).
 *
 * Semantics every adapter (in-memory embedded, NATS JetStream distributed) must show — they are
 * pinned by `broker.case.test.ts`:
 * - publish() resolves once the broker has accepted the message (it will be delivered to every
 *   durable consumer whose filter matches, even one that is currently not attached).
 * - Streams are bounded. When a stream is full, publish() waits up to `publishTimeoutMs` for room
 *   (backpressure) and then rejects with AppError code `broker.full`; nothing accepted is dropped.
 * - A durable consumer receives each message at least once. Within one durable, attached
 *   subscribers share the work. A message not acked within `ackWaitMs` or nacked is redelivered
 *   (deliveryCount grows); after `maxDeliver` attempts it goes to the dead-letter count and is dropped.
 * - Per durable, at most `maxInFlight` unacked messages are handed out at once.
 */
export interface BrokerMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly seq: number;
  readonly deliveryCount: number;
  readonly headers: Readonly<Record<string, string>>;
  ack(): void;
  /** Redeliver after `delayMs` (default 0). */
  nack(delayMs?: number): void;
  /** Give up on this message: no redelivery. */
  term(): void;
}

export interface StreamConfig {
  /** Stream name; owns the subjects (e.g. "DIO_ALERTS" owns "dio.alerts"). */
  name: string;
  subjects: string[];
  /** Bound on unconsumed messages held (counted against the slowest durable). */
  maxMessages: number;
  maxBytes?: number;
}

export interface ConsumerConfig {
  stream: string;
  durable: string;
  filterSubject?: string;
  ackWaitMs?: number;
  maxDeliver?: number;
  maxInFlight?: number;
}

export type MessageHandler = (msg: BrokerMessage) => Promise<void> | void;

export interface Subscription {
  /** Stops delivery to this subscriber; unacked messages are redelivered to others or later. */
  stop(): Promise<void>;
}

export interface ConsumerInfo {
  durable: string;
  pending: number;
  inFlight: number;
  redelivered: number;
  deadLettered: number;
}

export interface Broker {
  readonly kind: string;
  ensureStream(config: StreamConfig): Promise<void>;
  ensureConsumer(config: ConsumerConfig): Promise<void>;
  publish(subject: string, data: Uint8Array, opts?: { headers?: Record<string, string>; publishTimeoutMs?: number; msgId?: string }): Promise<{ seq: number; duplicate: boolean }>;
  /** Attaches a handler to a durable consumer. A handler that throws counts as a nack. */
  subscribe(stream: string, durable: string, handler: MessageHandler): Promise<Subscription>;
  consumerInfo(stream: string, durable: string): Promise<ConsumerInfo>;
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
