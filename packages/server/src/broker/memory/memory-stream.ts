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
  timer: NodeJS.Timeout | null;
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
export class MemoryStream {
  readonly consumers = new Map<string, StreamConsumer>();
  count = 0;
  bytes = 0;
  lastSeq = 0;
  private first: StoredMessage | null = null;
  private last: StoredMessage | null = null;
  private readonly waiters = new RingQueue<Waiter>();
  private liveWaiters = 0;
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
      const w: Waiter = { subject, data, headers, msgId, size, resolve, reject, timer: null, done: false };
      w.timer = setTimeout(() => {
        if (w.done) return;
        w.done = true;
        this.liveWaiters--;
        while (this.waiters.peek()?.done) this.waiters.shift();
        reject(this.fullError(`no room within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(w);
      this.liveWaiters++;
    });
  }

  /** Drops one durable's claim on a message; the last claim removes it and may admit publishers. */
  release(msg: StoredMessage): void {
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
  addConsumer(durable: string, c: StreamConsumer): void {
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
    for (const w of this.waiters.drain()) {
      if (w.done) continue;
      w.done = true;
      if (w.timer) clearTimeout(w.timer);
      w.reject(err);
    }
    this.liveWaiters = 0;
  }

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
        if (w.timer) clearTimeout(w.timer);
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
