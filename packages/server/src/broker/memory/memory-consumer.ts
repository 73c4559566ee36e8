import { errorMessage } from '../../shared/app-error.js';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import type { BrokerMessage, ConsumerInfo, MessageHandler } from '../port.js';
import { RingQueue } from './ring-queue.js';
import type { StoredMessage, StreamConsumer } from './memory-stream.js';
import type { SubjectMatcher } from './subject-pattern.js';

const OUT = 0; // delivered, waiting for ack until `deadline`
const READY = 1; // in the ready queue, to be redelivered
const DELAYED = 2; // nacked with a delay, ready at `deadline`
const DONE = 3; // acked, terminated or dead-lettered

/** Handler calls per dispatch turn before yielding to the event loop. */
const TURN_BUDGET = 2048;
const ERROR_LOG_INTERVAL_MS = 10_000;

/** One durable's claim on a stored message, from its first delivery until ack/term/dead letter. */
class Entry {
  deliveries = 0;
  state = OUT;
  deadline = 0;
  owner: Sub | null = null;
  constructor(
    readonly msg: StoredMessage,
    readonly consumer: MemoryConsumer,
  ) {}
}

/** What a handler receives; one object per delivery so a stale nack can be told apart. */
class Delivery implements BrokerMessage {
  readonly #entry: Entry;
  constructor(entry: Entry, readonly deliveryCount: number) {
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

function isThenable(v: unknown): v is PromiseLike<void> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

class Sub {
  busy = false;
  stopped = false;
  running: Promise<void> | null = null;
  constructor(readonly handler: MessageHandler) {}
}

export interface ConsumerSettings {
  ackWaitMs: number;
  maxDeliver: number;
  maxInFlight: number;
}

export interface ConsumerEnv {
  clock: Clock;
  logger: Logger;
  /** Gives a durable's claim on a message back to its stream. */
  release(msg: StoredMessage): void;
}

/**
 * A durable consumer. First deliveries come from a FIFO of stored messages; redeliveries from a
 * ready FIFO that goes first. Unacked deliveries live in an insertion-ordered map (bounded by
 * maxInFlight) that one timer per consumer scans for ack-wait and nack-delay deadlines, so there
 * is no timer per message.
 */
export class MemoryConsumer implements StreamConsumer {
  redelivered = 0;
  deadLettered = 0;
  private readonly pending = new RingQueue<StoredMessage>();
  private readonly ready = new RingQueue<Entry>();
  private readonly inFlight = new Map<number, Entry>();
  private readonly delayed = new Set<Entry>();
  private subs: Sub[] = [];
  private rr = 0;
  private scheduled = false;
  private dispatching = false;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = 0;
  private lastErrorLog = -Infinity;
  private suppressedErrors = 0;

  constructor(
    readonly durable: string,
    readonly filter: SubjectMatcher | null,
    public settings: ConsumerSettings,
    private readonly env: ConsumerEnv,
  ) {}

  enqueue(msg: StoredMessage): void {
    this.pending.push(msg);
    if (this.subs.length > 0) this.schedule();
  }

  update(settings: ConsumerSettings): void {
    this.settings = settings;
    this.schedule();
  }

  info(): ConsumerInfo {
    return { durable: this.durable, pending: this.pending.length, inFlight: this.inFlight.size, redelivered: this.redelivered, deadLettered: this.deadLettered };
  }

  attach(handler: MessageHandler): { stop(): Promise<void> } {
    const sub = new Sub(handler);
    if (!this.closed) this.subs.push(sub);
    this.schedule();
    return { stop: () => this.detach(sub) };
  }

  /** Ack or term (from any delivery of the message): the durable is done with it. */
  settle(e: Entry): void {
    if (e.state === DONE) return;
    this.finish(e);
  }

  nack(e: Entry, deliveryCount: number, delayMs: number | undefined): void {
    if (e.state !== OUT || e.deliveries !== deliveryCount || this.closed) return;
    const delay = typeof delayMs === 'number' && Number.isFinite(delayMs) && delayMs > 0 ? Math.min(delayMs, 86_400_000) : 0;
    this.retry(e, delay);
  }

  /** Stops everything; returns the messages this durable still held so the stream can release them. */
  close(): StoredMessage[] {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const s of this.subs) s.stopped = true;
    this.subs = [];
    const held = this.pending.drain();
    for (const e of this.inFlight.values()) {
      e.state = DONE;
      held.push(e.msg);
    }
    this.inFlight.clear();
    this.delayed.clear();
    this.ready.drain();
    return held;
  }

  private async detach(sub: Sub): Promise<void> {
    if (sub.stopped) return;
    sub.stopped = true;
    this.subs = this.subs.filter((s) => s !== sub);
    if (sub.running) {
      let timer: NodeJS.Timeout | undefined;
      const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.settings.ackWaitMs)));
      await Promise.race([sub.running, limit]);
      clearTimeout(timer);
    }
    if (this.closed) return;
    for (const e of this.inFlight.values()) if (e.owner === sub && e.state === OUT) this.retry(e, 0);
  }

  private schedule(): void {
    if (this.scheduled || this.dispatching || this.closed) return;
    this.scheduled = true;
    queueMicrotask(this.run);
  }

  private readonly run = (): void => {
    this.scheduled = false;
    if (this.closed) return;
    this.dispatching = true;
    try {
      for (let budget = TURN_BUDGET; ; budget--) {
        if (budget === 0) {
          // Yield so a long backlog cannot starve I/O; setImmediate runs after pending I/O.
          this.scheduled = true;
          setImmediate(this.run);
          return;
        }
        if (this.closed) return;
        const sub = this.freeSub();
        if (!sub) return;
        let e = this.nextReady();
        if (!e) {
          if (this.inFlight.size >= this.settings.maxInFlight) return;
          const msg = this.pending.shift();
          if (!msg) return;
          e = new Entry(msg, this);
        }
        this.deliver(sub, e);
      }
    } finally {
      this.dispatching = false;
    }
  };

  /** Round robin over idle subscribers, so sync handlers also share the work. */
  private freeSub(): Sub | null {
    const n = this.subs.length;
    for (let i = 0; i < n; i++) {
      const k = (this.rr + i) % n;
      const s = this.subs[k]!;
      if (!s.busy) {
        this.rr = (k + 1) % n;
        return s;
      }
    }
    return null;
  }

  private nextReady(): Entry | null {
    for (let e = this.ready.shift(); e; e = this.ready.shift()) if (e.state === READY) return e;
    return null;
  }

  private deliver(sub: Sub, e: Entry): void {
    if (e.deliveries > 0) {
      this.redelivered++;
      this.inFlight.delete(e.msg.seq); // re-insert below: the map stays in deadline order
    }
    e.deliveries++;
    e.state = OUT;
    e.owner = sub;
    e.deadline = this.env.clock.now() + this.settings.ackWaitMs;
    this.inFlight.set(e.msg.seq, e);
    this.armTimer(e.deadline);
    const d = new Delivery(e, e.deliveries);
    sub.busy = true;
    let result: Promise<void> | void;
    try {
      result = sub.handler(d);
    } catch (err) {
      sub.busy = false;
      this.handlerFailed(d, err);
      return;
    }
    if (!isThenable(result)) {
      sub.busy = false;
      return;
    }
    sub.running = Promise.resolve(result).then(
      () => this.idle(sub),
      (err: unknown) => {
        this.handlerFailed(d, err);
        this.idle(sub);
      },
    );
  }

  private idle(sub: Sub): void {
    sub.busy = false;
    sub.running = null;
    if (!sub.stopped) this.schedule();
  }

  private handlerFailed(d: Delivery, err: unknown): void {
    d.nack();
    const now = this.env.clock.now();
    if (now - this.lastErrorLog < ERROR_LOG_INTERVAL_MS) {
      this.suppressedErrors++;
      return;
    }
    this.env.logger.warn({ durable: this.durable, subject: d.subject, seq: d.seq, err: errorMessage(err), suppressed: this.suppressedErrors }, 'broker handler failed; message will be redelivered');
    this.lastErrorLog = now;
    this.suppressedErrors = 0;
  }

  /** A failed delivery: redeliver (now or after `delay`) unless maxDeliver is used up. */
  private retry(e: Entry, delay: number): void {
    e.owner = null;
    if (e.deliveries >= this.settings.maxDeliver) {
      this.deadLettered++;
      this.finish(e);
      return;
    }
    if (delay > 0) {
      e.state = DELAYED;
      e.deadline = this.env.clock.now() + delay;
      this.delayed.add(e);
      this.armTimer(e.deadline);
      return;
    }
    e.state = READY;
    this.ready.push(e);
    this.schedule();
  }

  private finish(e: Entry): void {
    if (e.state === DELAYED) this.delayed.delete(e);
    e.state = DONE;
    e.owner = null;
    this.inFlight.delete(e.msg.seq);
    this.env.release(e.msg);
    if (this.pending.length > 0 || this.ready.length > 0) this.schedule();
  }

  private armTimer(at: number): void {
    if (this.closed || (this.timer !== null && this.timerAt <= at)) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerAt = at;
    // unref: a forgotten in-flight message must not keep a finished CLI run alive.
    this.timer = setTimeout(this.onTimer, Math.max(1, at - this.env.clock.now())).unref();
  }

  /** Full scan (bounded by maxInFlight); runs about once per ack wait under steady load. */
  private readonly onTimer = (): void => {
    this.timer = null;
    const now = this.env.clock.now();
    let next = Infinity;
    for (const e of this.inFlight.values()) {
      if (e.state !== OUT) continue;
      if (e.deadline <= now) this.retry(e, 0);
      else if (e.deadline < next) next = e.deadline;
    }
    for (const e of this.delayed) {
      if (e.deadline > now) {
        if (e.deadline < next) next = e.deadline;
        continue;
      }
      this.delayed.delete(e);
      e.state = READY;
      this.ready.push(e);
    }
    if (next !== Infinity) this.armTimer(next);
    if (this.ready.length > 0) this.schedule();
  };
}
