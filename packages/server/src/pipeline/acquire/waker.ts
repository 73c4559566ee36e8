/**
 * Sleep that a file-system event or a stop can cut short. A wake() that arrives while nobody
 * waits is remembered, so an event during a read is never lost.
 */
export class Waker {
  private pending = false;
  private halted = false;
  private waiter: { done: () => void; wakeable: boolean } | undefined;

  wake(): void {
    const w = this.waiter;
    if (w?.wakeable) w.done();
    else this.pending = true;
  }

  /** Forgets a remembered wake (the caller is about to look anyway). */
  clear(): void {
    this.pending = false;
  }

  /** Ends the current and every later wait at once (stop). */
  halt(): void {
    this.halted = true;
    this.waiter?.done();
  }

  /** Resolves after `ms`, on halt(), or (if `wakeable`) on the next or a remembered wake(). */
  wait(ms: number, wakeable = true): Promise<void> {
    if (this.halted) return Promise.resolve();
    if (wakeable && this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.waiter === w) this.waiter = undefined;
        if (wakeable) this.pending = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      const w = { done, wakeable };
      this.waiter = w;
    });
  }
}
