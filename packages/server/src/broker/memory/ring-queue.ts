const MIN_CAPACITY = 16;

/**
 * FIFO on a power-of-two ring buffer: O(1) push and shift without Array#shift's copying, and the
 * buffer shrinks again after a burst so one spike does not pin memory forever.
 */
export class RingQueue<T> {
  private buf: (T | undefined)[] = new Array<T | undefined>(MIN_CAPACITY);
  private mask = MIN_CAPACITY - 1;
  private head = 0;
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(item: T): void {
    if (this.size === this.buf.length) this.resize(this.buf.length * 2);
    this.buf[(this.head + this.size) & this.mask] = item;
    this.size++;
  }

  peek(): T | undefined {
    return this.size === 0 ? undefined : this.buf[this.head];
  }

  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.size--;
    if (this.buf.length > 1024 && this.size < this.buf.length >>> 3) this.resize(this.buf.length >>> 1);
    return item;
  }

  /** Visits every item, oldest first, without removing any. */
  forEach(fn: (item: T) => void): void {
    for (let i = 0; i < this.size; i++) fn(this.buf[(this.head + i) & this.mask] as T);
  }

  /** Removes and returns everything, oldest first. */
  drain(): T[] {
    const out: T[] = [];
    for (let item = this.shift(); item !== undefined; item = this.shift()) out.push(item);
    return out;
  }

  private resize(capacity: number): void {
    const next = new Array<T | undefined>(capacity);
    for (let i = 0; i < this.size; i++) next[i] = this.buf[(this.head + i) & this.mask];
    this.buf = next;
    this.mask = capacity - 1;
    this.head = 0;
  }
}
