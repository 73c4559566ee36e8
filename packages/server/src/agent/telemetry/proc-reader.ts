import { closeSync, openSync, readSync } from 'node:fs';

/** Error codes that mean "gone or not ours": a process exited mid-read, a file absent or forbidden. */
const GONE = new Set(['ENOENT', 'ESRCH', 'EACCES', 'EPERM', 'ENOTDIR', 'EINVAL']);

export function isGone(e: unknown): boolean {
  return typeof e === 'object' && e !== null && GONE.has(String((e as { code?: unknown }).code));
}

export interface ProcReader {
  /** The file's text (at most `max` bytes), or undefined when it is absent, vanished or not readable. */
  read(path: string, max?: number): string | undefined;
  /**
   * One read call, for the small single-record files of /proc/[pid] (stat, status, cmdline) that
   * the kernel renders whole on the first read: it saves the EOF read, a quarter of the syscalls.
   */
  readOnce(path: string, max?: number): string | undefined;
}

/**
 * Reads procfs files synchronously into one reused buffer. Synchronous on purpose: a sample reads
 * hundreds of tiny files and a thread-pool round trip per file costs more CPU than the read itself;
 * callers yield to the event loop between batches so the loop is never held for long.
 */
export function createProcReader(initialBytes = 64 * 1024): ProcReader {
  let buf = Buffer.allocUnsafe(initialBytes);
  function read(path: string, max: number, once: boolean): string | undefined {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      if (isGone(e)) return undefined;
      throw e;
    }
    try {
      let len = 0;
      while (len < max) {
        if (len === buf.length) {
          const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, max));
          buf.copy(bigger, 0, 0, len);
          buf = bigger;
        }
        const n = readSync(fd, buf, len, Math.min(buf.length, max) - len, null);
        if (n === 0) break;
        len += n;
        if (once) break;
      }
      return buf.toString('utf8', 0, len);
    } catch (e) {
      if (isGone(e)) return undefined;
      throw e;
    } finally {
      closeSync(fd);
    }
  }
  return {
    read: (path, max = 1 << 20) => read(path, max, false),
    readOnce: (path, max = 4096) => read(path, max, true),
  };
}

/** Lets the event loop run between batches of synchronous reads. */
export const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
