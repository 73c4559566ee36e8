import { errorMessage } from '../../shared/app-error.js';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import type { ConsumerInfo, MessageHandler } from '../port.js';
import { Delivery, DELAYED, DONE, Entry, EntryList, isThenable, OUT, READY, Sub, type EntryOwner } from './memory-delivery.js';
import { RingQueue } from './ring-queue.js';
import type { StoredMessage, StreamConsumer } from './memory-stream.js';
import type { SubjectMatcher } from './subject-pattern.js';

/** Deliveries between yields to the macrotask queue, so a backlog cannot starve I/O. */
const TURN_BUDGET = 2048;
const ERROR_LOG_INTERVAL_MS = 10_000;
const MAX_NACK_DELAY_MS = 86_400_000;

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
 * ready FIFO that goes first. Delivered, unsettled entries sit in one intrusive list (bounded by
 * maxInFlight) that a single timer per consumer scans for ack-wait and nack-delay deadlines, so
 * there is no timer and no map entry per message.
 */
export class MemoryConsumer implements StreamConsumer, EntryOwner {
  redelivered = 0;
  deadLettered = 0;
  private readonly pending = new RingQueue<StoredMessage>();
  private readonly ready = new RingQueue<Entry>();
  private readonly delivered = new EntryList();
  private subs: Sub[] = [];
  private idleSubs = 0;
  private rr = 0;
  private scheduled = false;
  private dispatching = false;
  private yielding = false;
  private turn = 0;
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
    if (this.idleSubs > 0) this.schedule();
  }

  update(settings: ConsumerSettings): void {
    this.settings = settings;
    this.schedule();
  }

  info(): ConsumerInfo {
    return { durable: this.durable, pending: this.pending.length, inFlight: this.delivered.size, redelivered: this.redelivered, deadLettered: this.deadLettered };
  }

  attach(handler: MessageHandler): { stop(): Promise<void> } {
    const sub = new Sub(handler, this.handlerDone, this.handlerRejected);
    if (this.closed) sub.stopped = true;
    else {
      this.subs.push(sub);
      this.idleSubs++;
      this.schedule();
    }
    return { stop: () => this.detach(sub) };
  }

  /** Ack or term (from any delivery of the message): the durable is done with it. */
  settle(e: Entry): void {
    if (e.state !== DONE) this.finish(e);
  }

  nack(e: Entry, deliveryCount: number, delayMs: number | undefined): void {
    if (e.state !== OUT || e.deliveries !== deliveryCount || this.closed) return;
    const delay = typeof delayMs === 'number' && Number.isFinite(delayMs) && delayMs > 0 ? Math.min(delayMs, MAX_NACK_DELAY_MS) : 0;
    this.retry(e, delay);
  }

  /** Stops everything; returns the messages this durable still held so the stream can release them. */
  close(): StoredMessage[] {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const s of this.subs) s.stopped = true;
    this.subs = [];
    this.idleSubs = 0;
    const held = this.pending.drain();
    for (let e = this.delivered.head; e; e = e.next) {
      e.state = DONE;
      held.push(e.msg);
    }
    this.delivered.clear();
    this.ready.drain();
    return held;
  }

  private async detach(sub: Sub): Promise<void> {
    if (sub.stopped) return;
    sub.stopped = true;
    this.subs = this.subs.filter((s) => s !== sub);
    if (!sub.busy) this.idleSubs--;
    if (sub.running) {
      let timer: NodeJS.Timeout | undefined;
      const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.settings.ackWaitMs)));
      await Promise.race([sub.running, limit]);
      clearTimeout(timer);
    }
    if (this.closed) return;
    for (let e = this.delivered.head; e; ) {
      const next = e.next; // retry() may unlink e (dead letter)
      if (e.owner === sub && e.state === OUT) this.retry(e, 0);
      e = next;
    }
  }

  private hasWork(): boolean {
    return this.ready.length > 0 || (this.pending.length > 0 && this.delivered.size < this.settings.maxInFlight);
  }

  private schedule(): void {
    if (this.scheduled || this.dispatching || this.yielding || this.closed || this.idleSubs === 0 || !this.hasWork()) return;
    this.scheduled = true;
    queueMicrotask(this.run);
  }

  private readonly run = (): void => {
    this.scheduled = false;
    if (this.closed || this.dispatching) return;
    this.dispatching = true;
    const now = this.env.clock.now(); // one reading per turn: deadlines need no finer grain
    try {
      while (!this.closed && this.idleSubs > 0) {
        if (this.turn >= TURN_BUDGET) {
          // Handler promises chain microtasks forever; setImmediate lets pending I/O run first.
          this.yielding = true;
          setImmediate(this.resume);
          return;
        }
        const sub = this.nextIdleSub();
        if (!sub) {
          this.idleSubs = 0; // cannot happen while the count is right; recover rather than throw
          return;
        }
        let e = this.nextReady();
        if (!e) {
          if (this.delivered.size >= this.settings.maxInFlight) return;
          const msg = this.pending.shift();
          if (!msg) return;
          e = new Entry(msg, this);
        }
        this.turn++;
        this.deliver(sub, e, now);
      }
    } finally {
      this.dispatching = false;
    }
  };

  private readonly resume = (): void => {
    this.yielding = false;
    this.turn = 0;
    this.run();
  };

  /** Round robin over idle subscribers, so sync handlers share the work too. */
  private nextIdleSub(): Sub | null {
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

  private deliver(sub: Sub, e: Entry, now: number): void {
    if (e.deliveries > 0) {
      this.redelivered++;
      this.delivered.remove(e); // re-appended below: the list stays in delivery order
    }
    e.deliveries++;
    e.state = OUT;
    e.owner = sub;
    e.deadline = now + this.settings.ackWaitMs;
    this.delivered.append(e);
    this.armTimer(e.deadline, now);
    const d = new Delivery(e, e.deliveries);
    sub.busy = true;
    sub.current = d;
    this.idleSubs--;
    let result: unknown;
    try {
      result = sub.handler(d);
    } catch (err) {
      this.handlerRejected(sub, err);
      return;
    }
    if (isThenable(result)) sub.running = Promise.resolve(result).then(sub.onDone, sub.onFail);
    else this.handlerDone(sub);
  }

  private readonly handlerDone = (sub: Sub): void => {
    sub.busy = false;
    sub.running = null;
    sub.current = null;
    if (sub.stopped) return;
    this.idleSubs++;
    // Already off the publisher's stack (a promise reaction or the dispatch loop): go on directly.
    if (!this.dispatching && !this.yielding && this.hasWork()) this.run();
  };

  private readonly handlerRejected = (sub: Sub, err: unknown): void => {
    const d = sub.current;
    if (d) {
      d.nack();
      this.logHandlerError(d, err);
    }
    this.handlerDone(sub);
  };

  private logHandlerError(d: Delivery, err: unknown): void {
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
      this.armTimer(e.deadline);
      return;
    }
    e.state = READY;
    this.ready.push(e);
    this.schedule();
  }

  private finish(e: Entry): void {
    e.state = DONE;
    e.owner = null;
    this.delivered.remove(e);
    this.env.release(e.msg);
    this.schedule();
  }

  private armTimer(at: number, now?: number): void {
    if (this.closed || (this.timer !== null && this.timerAt <= at)) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerAt = at;
    // unref: a forgotten in-flight message must not keep a finished CLI run alive.
    this.timer = setTimeout(this.onTimer, Math.max(1, at - (now ?? this.env.clock.now()))).unref();
  }

  /** Full scan (bounded by maxInFlight); fires about once per ack wait under steady load. */
  private readonly onTimer = (): void => {
    this.timer = null;
    const now = this.env.clock.now();
    let next = Infinity;
    for (let e = this.delivered.head; e; ) {
      const following = e.next; // retry() may unlink e (dead letter)
      if (e.state === OUT || e.state === DELAYED) {
        if (e.deadline > now) next = Math.min(next, e.deadline);
        else if (e.state === OUT) this.retry(e, 0);
        else {
          e.state = READY;
          this.ready.push(e);
        }
      }
      e = following;
    }
    if (next !== Infinity) this.armTimer(next);
    this.schedule();
  };
}
