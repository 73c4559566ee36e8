import { AppError } from '../../shared/app-error.js';
import type { Clock } from '../../shared/clock.js';
import { RingQueue } from './ring-queue.js';
import type { SubjectMatcher } from './subject-pattern.js';

/** A stored message; `refs` counts the durables that still need it (interest retention). */
export class StoredMessage {
  prev: StoredMessage | null = null;
  next: StoredMessage | null = null;
  constructor(
    readonly seq: number,
    readonly subject: string,
    readonly data: Uint8Array,
    readonly headers: Readonly<Record<string, string>>,
    readonly size: number,
    public refs: number,
  ) {}
}

/** What a stream needs from a durable consumer. */
export interface StreamConsumer {
  readonly filter: SubjectMatcher | null;
  enqueue(msg: StoredMessage): void;
}

export interface PublishResult {
  seq: number;
  duplicate: boolean;
}

interface Waiter {
  subject: string;
  data: Uint8Array;
  headers: Readonly<Record<string, string>>;
  msgId: string | undefined;
  size: number;
  resolve(r: PublishResult): void;
  reject(e: unknown): void;
  deadline: number;
  done: boolean;
}

export interface StreamLimits {
  subjects: SubjectMatcher[];
  maxMessages: number;
  maxBytes: number;
}

export interface StreamEnv {
  clock: Clock;
  duplicateWindowMs: number;
  maxDedupeIds: number;
  maxWaitingPublishers: number;
}

const INTEREST_CACHE_MAX = 4096;

/**
 * One stream: an ordered, doubly linked set of stored messages (O(1) append and O(1) removal of a
 * message acked out of order), its bounds, the FIFO of publishers waiting for room, and the msgId
 * de-duplication window.
 */
export class MemoryStream<C extends StreamConsumer = StreamConsumer> {
  readonly consumers = new Map<string, C>();
  count = 0;
  bytes = 0;
  lastSeq = 0;
  private first: StoredMessage | null = null;
  private last: StoredMessage | null = null;
  private readonly waiters = new RingQueue<Waiter>();
  private liveWaiters = 0;
  /** One timer for all waiting publishers, armed for the earliest deadline. */
  private waitTimer: NodeJS.Timeout | null = null;
  private waitTimerAt = Infinity;
  private readonly dedupe = new Map<string, { seq: number; at: number }>();
  private readonly interest = new Map<string, StreamConsumer[]>();

  constructor(
    readonly name: string,
    public limits: StreamLimits,
    private readonly env: StreamEnv,
  ) {}

  /** Accepts now if there is room and nobody is queued ahead, else waits up to `timeoutMs`. */
  publish(subject: string, data: Uint8Array, headers: Readonly<Record<string, string>>, msgId: string | undefined, size: number, timeoutMs: number): Promise<PublishResult> {
    const dup = this.duplicateOf(msgId);
    if (dup !== undefined) return Promise.resolve({ seq: dup, duplicate: true });
    if (this.liveWaiters === 0 && this.fits(subject, size)) return Promise.resolve({ seq: this.accept(subject, data, headers, msgId, size), duplicate: false });
    if (this.liveWaiters >= this.env.maxWaitingPublishers) return Promise.reject(this.fullError('too many publishers waiting'));
    return new Promise<PublishResult>((resolve, reject) => {
      const deadline = this.env.clock.now() + timeoutMs;
      this.waiters.push({ subject, data, headers, msgId, size, resolve, reject, deadline, done: false });
      this.liveWaiters++;
      this.armWaitTimer(deadline);
    });
  }

  /** Drops one durable's claim on a message; the last claim removes it and may admit publishers. */
  release(msg: StoredMessage): void {
    if (msg.refs <= 0) return; // already removed: a second release must not corrupt the list
    if (--msg.refs > 0) return;
    if (msg.prev) msg.prev.next = msg.next;
    else this.first = msg.next;
    if (msg.next) msg.next.prev = msg.prev;
    else this.last = msg.prev;
    msg.prev = msg.next = null;
    this.count--;
    this.bytes -= msg.size;
    if (this.liveWaiters > 0) this.admitWaiters();
  }

  /** A new durable starts at the first stored message (deliver policy all). */
  addConsumer(durable: string, c: C): void {
    this.consumers.set(durable, c);
    this.interest.clear();
    for (let m = this.first; m; m = m.next) {
      if (c.filter === null || c.filter.matches(m.subject)) {
        m.refs++;
        c.enqueue(m);
      }
    }
  }

  removeConsumer(durable: string, heldMessages: StoredMessage[]): void {
    this.consumers.delete(durable);
    this.interest.clear();
    for (const m of heldMessages) this.release(m);
  }

  /** Called after the limits changed: a larger bound may admit waiting publishers. */
  limitsChanged(): void {
    this.interest.clear();
    if (this.liveWaiters > 0) this.admitWaiters();
  }

  /** Rejects every waiting publisher (stream deleted or broker closed). */
  rejectWaiters(err: AppError): void {
    if (this.waitTimer) clearTimeout(this.waitTimer);
    this.waitTimer = null;
    for (const w of this.waiters.drain()) {
      if (w.done) continue;
      w.done = true;
      w.reject(err);
    }
    this.liveWaiters = 0;
  }

  private armWaitTimer(at: number): void {
    if (this.waitTimer !== null && this.waitTimerAt <= at) return;
    if (this.waitTimer !== null) clearTimeout(this.waitTimer);
    this.waitTimerAt = at;
    this.waitTimer = setTimeout(this.expireWaiters, Math.max(1, at - this.env.clock.now()));
  }

  private readonly expireWaiters = (): void => {
    this.waitTimer = null;
    const now = this.env.clock.now();
    let next = Infinity;
    this.waiters.forEach((w) => {
      if (w.done) return;
      if (w.deadline > now) {
        next = Math.min(next, w.deadline);
        return;
      }
      w.done = true;
      this.liveWaiters--;
      w.reject(this.fullError(`no room within the publish timeout`));
    });
    while (this.waiters.peek()?.done) this.waiters.shift();
    if (next !== Infinity) this.armWaitTimer(next);
  };

  private fits(subject: string, size: number): boolean {
    if (this.count < this.limits.maxMessages && this.bytes + size <= this.limits.maxBytes) return true;
    return this.interestIn(subject).length === 0; // not stored, so it needs no room
  }

  private admitWaiters(): void {
    for (let w = this.waiters.peek(); w; w = this.waiters.peek()) {
      if (!w.done) {
        const dup = this.duplicateOf(w.msgId);
        if (dup === undefined && !this.fits(w.subject, w.size)) return;
        w.done = true;
        this.liveWaiters--;
        w.resolve(dup !== undefined ? { seq: dup, duplicate: true } : { seq: this.accept(w.subject, w.data, w.headers, w.msgId, w.size), duplicate: false });
      }
      this.waiters.shift();
    }
  }

  private accept(subject: string, data: Uint8Array, headers: Readonly<Record<string, string>>, msgId: string | undefined, size: number): number {
    const seq = ++this.lastSeq;
    if (msgId !== undefined) this.rememberId(msgId, seq);
    const targets = this.interestIn(subject);
    if (targets.length === 0) return seq;
    const msg = new StoredMessage(seq, subject, data, headers, size, targets.length);
    if (this.last) {
      this.last.next = msg;
      msg.prev = this.last;
    } else this.first = msg;
    this.last = msg;
    this.count++;
    this.bytes += size;
    for (let i = 0; i < targets.length; i++) targets[i]!.enqueue(msg);
    return seq;
  }

  private interestIn(subject: string): StreamConsumer[] {
    let targets = this.interest.get(subject);
    if (targets) return targets;
    const tokens = subject.split('.');
    targets = [];
    for (const c of this.consumers.values()) if (c.filter === null || c.filter.matches(subject, tokens)) targets.push(c);
    if (this.interest.size >= INTEREST_CACHE_MAX) this.interest.clear();
    this.interest.set(subject, targets);
    return targets;
  }

  private duplicateOf(msgId: string | undefined): number | undefined {
    if (msgId === undefined) return undefined;
    this.expireIds();
    return this.dedupe.get(msgId)?.seq;
  }

  private rememberId(msgId: string, seq: number): void {
    // Oldest ids are forgotten first when the bound is hit: dedupe is best effort past that size.
    if (this.env.maxDedupeIds === 0) return;
    if (this.dedupe.size >= this.env.maxDedupeIds) {
      const oldest = this.dedupe.keys().next();
      if (!oldest.done) this.dedupe.delete(oldest.value);
    }
    this.dedupe.set(msgId, { seq, at: this.env.clock.now() });
  }

  /** Ids sit in insertion (= time) order, so expiry stops at the first live one. */
  private expireIds(): void {
    const horizon = this.env.clock.now() - this.env.duplicateWindowMs;
    for (const [id, e] of this.dedupe) {
      if (e.at > horizon) return;
      this.dedupe.delete(id);
    }
  }

  private fullError(why: string): AppError {
    return new AppError('broker.full', `stream ${this.name} is full (${this.count}/${this.limits.maxMessages} messages, ${this.bytes} bytes): ${why}`, { status: 503 });
  }
}
