import type { BrokerMessage, MessageHandler } from '../port.js';
import type { StoredMessage } from './memory-stream.js';

export const OUT = 0; // delivered, waiting for ack until `deadline`
export const READY = 1; // in the ready queue, to be redelivered
export const DELAYED = 2; // nacked with a delay, ready at `deadline`
export const DONE = 3; // acked, terminated or dead-lettered

/** What a Delivery calls back into. */
export interface EntryOwner {
  settle(e: Entry): void;
  nack(e: Entry, deliveryCount: number, delayMs: number | undefined): void;
}

/**
 * One durable's claim on a stored message, from its first delivery until ack/term/dead letter.
 * Delivered entries form an intrusive list in delivery order (prev/next), so tracking a delivery
 * allocates nothing beyond the entry itself.
 */
export class Entry {
  deliveries = 0;
  state = OUT;
  deadline = 0;
  owner: Sub | null = null;
  prev: Entry | null = null;
  next: Entry | null = null;
  constructor(
    readonly msg: StoredMessage,
    readonly consumer: EntryOwner,
  ) {}
}

/** Doubly linked list of delivered, unsettled entries; oldest delivery first. */
export class EntryList {
  head: Entry | null = null;
  tail: Entry | null = null;
  size = 0;

  append(e: Entry): void {
    e.prev = this.tail;
    e.next = null;
    if (this.tail) this.tail.next = e;
    else this.head = e;
    this.tail = e;
    this.size++;
  }

  remove(e: Entry): void {
    if (e.prev) e.prev.next = e.next;
    else this.head = e.next;
    if (e.next) e.next.prev = e.prev;
    else this.tail = e.prev;
    e.prev = e.next = null;
    this.size--;
  }

  clear(): void {
    this.head = this.tail = null;
    this.size = 0;
  }
}

/** What a handler receives; one object per delivery so a stale nack can be told apart. */
export class Delivery implements BrokerMessage {
  readonly #entry: Entry;
  constructor(
    entry: Entry,
    readonly deliveryCount: number,
  ) {
    this.#entry = entry;
  }
  get subject(): string {
    return this.#entry.msg.subject;
  }
  get data(): Uint8Array {
    return this.#entry.msg.data;
  }
  get seq(): number {
    return this.#entry.msg.seq;
  }
  get headers(): Readonly<Record<string, string>> {
    return this.#entry.msg.headers;
  }
  ack(): void {
    this.#entry.consumer.settle(this.#entry);
  }
  nack(delayMs?: number): void {
    this.#entry.consumer.nack(this.#entry, this.deliveryCount, delayMs);
  }
  term(): void {
    this.#entry.consumer.settle(this.#entry);
  }
}

/** One subscribe() call. Its promise callbacks are created once, not per message. */
export class Sub {
  busy = false;
  stopped = false;
  running: Promise<void> | null = null;
  current: Delivery | null = null;
  readonly onDone: () => void;
  readonly onFail: (err: unknown) => void;
  constructor(
    readonly handler: MessageHandler,
    done: (sub: Sub) => void,
    fail: (sub: Sub, err: unknown) => void,
  ) {
    this.onDone = () => done(this);
    this.onFail = (err) => fail(this, err);
  }
}

export function isThenable(v: unknown): v is PromiseLike<void> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}
