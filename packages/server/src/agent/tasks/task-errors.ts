import { AppError } from '../../shared/app-error.js';

/**
 * The AppErrors a task can end with. They travel back to the server in the task report, so the
 * message must tell an operator what to do (install a tool, widen a policy, fix a rule) without
 * reading the agent's logs.
 */
export function invalidParams(message: string, details?: unknown): AppError {
  return new AppError('task.invalid_params', message, { status: 400, details });
}

export function pathNotAllowed(message: string): AppError {
  return new AppError('task.path_not_allowed', message, { status: 403 });
}

export function taskFailed(message: string, cause?: unknown): AppError {
  return new AppError('task.failed', message, { status: 500, cause });
}

/** Last `max` characters of a tool's stderr, trimmed, for error messages (the head is usually banner noise). */
export function tail(text: string, max = 1500): string {
  const t = text.trim();
  return t.length <= max ? t : `…${t.slice(t.length - max)}`;
}

/**
 * The error for an aborted run: `task.timeout` when the task's own deadline fired (its reason is
 * a TimeoutError from AbortSignal.timeout), else `task.cancelled` (the agent is shutting down or
 * the server withdrew the task) — the two mean different things to whoever retries.
 */
export function abortError(signal: AbortSignal, what: string): AppError {
  const reason: unknown = signal.reason;
  if (reason instanceof AppError) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new AppError('task.timeout', `${what} did not finish before the task's timeout`, { status: 504 });
  }
  return new AppError('task.cancelled', `${what} was cancelled`, { status: 409 });
}
