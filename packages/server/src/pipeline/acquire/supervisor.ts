import type { Logger } from '../../shared/logger.js';
import { AppError, errorMessage } from '../../shared/app-error.js';

/** Exponential backoff for supervised loops: initial, ×2 per failure, capped; reset on success. */
export class Backoff {
  private next: number;

  constructor(
    private readonly initialMs = 500,
    private readonly maxMs = 30_000,
  ) {
    if (!(initialMs > 0) || !(maxMs >= initialMs)) throw new AppError('acquire.invalid_config', `retry: need 0 < initialMs <= maxMs, got ${initialMs}/${maxMs}`, { status: 400 });
    this.next = initialMs;
  }

  /** Delay before the next attempt; each call doubles the following one. */
  take(): number {
    const d = this.next;
    this.next = Math.min(this.maxMs, this.next * 2);
    return d;
  }

  peek(): number {
    return this.next;
  }

  reset(): void {
    this.next = this.initialMs;
  }
}

/** Error code of a Node system error (ENOENT, EACCES …), or undefined. */
export function errnoCode(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

/**
 * Logs an error only when it differs from the previous one, so a source that retries every
 * 30 s for a week writes one line, not 20 000; logs once more when it recovers.
 */
export class ErrorReporter {
  private last: string | undefined;

  constructor(private readonly logger: Logger) {}

  report(e: unknown, what: string): void {
    const key = `${errnoCode(e) ?? ''}|${errorMessage(e)}`;
    if (key === this.last) return;
    this.last = key;
    this.logger.warn({ err: errorMessage(e), code: errnoCode(e) }, what);
  }

  recovered(what: string): void {
    if (this.last === undefined) return;
    this.last = undefined;
    this.logger.info(what);
  }
}

/** Validates a duration/interval option. */
export function positive(v: number, name: string, zeroOk = false): number {
  if (!Number.isFinite(v) || v < 0 || (v === 0 && !zeroOk)) throw new AppError('acquire.invalid_config', `${name} must be a positive number, got ${v}`, { status: 400 });
  return v;
}
