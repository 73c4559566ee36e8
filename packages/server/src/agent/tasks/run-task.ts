import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TASK_PARAMS, TASK_RESULTS, TASK_TYPES, TaskTypeSchema, type TaskParams, type TaskResult, type TaskType } from '@dio/protocol';
import type { z } from 'zod';
import { AppError, errorMessage, isAppError } from '../../shared/app-error.js';
import { runClamav } from './clamav.js';
import { runInventory } from './inventory.js';
import { runLynis } from './lynis.js';
import { runNmap } from './nmap.js';
import type { RunnerContext, TaskContext } from './policy.js';
import { runPortscan } from './portscan.js';
import { abortError, invalidParams, taskFailed } from './task-errors.js';
import { runYara } from './yara.js';

type Runners = { [T in TaskType]: (params: TaskParams<T>, ctx: RunnerContext) => Promise<TaskResult<T>> };

const RUNNERS: Runners = {
  nmap: runNmap,
  lynis: runLynis,
  yara: runYara,
  clamav: runClamav,
  portscan: runPortscan,
  inventory: (params, ctx) => runInventory(params, ctx),
};

/** "targets.0: not a valid IP address; ports: …" — short enough for a task report. */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(params)'}: ${i.message}`)
    .join('; ');
}

/** Rejects when the signal fires, so a runner that misses its signal still cannot outlive the task. */
function whenAborted(signal: AbortSignal, what: string): { promise: Promise<never>; dispose(): void } {
  let onAbort: () => void = () => undefined;
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortError(signal, what));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}

/**
 * Runs one task on this agent. The envelope's signature was checked by the caller; this is the
 * second gate: the type must be one of TASK_TYPES, the params are parsed again with the type's
 * schema (the agent never trusts the server's validation), each runner checks them against
 * the agent's own policy before anything runs, and the result is checked against the type's
 * result schema before it is reported. The task gets a private scratch dir, removed afterwards.
 *
 * @throws AppError task.unknown_type, task.invalid_params, task.target_not_allowed,
 *   task.path_not_allowed, task.tool_missing, task.timeout, task.cancelled, task.output_too_large,
 *   task.failed.
 */
export async function runTask(type: string, rawParams: unknown, ctx: TaskContext): Promise<TaskResult> {
  const parsedType = TaskTypeSchema.safeParse(type);
  if (!parsedType.success) {
    throw new AppError('task.unknown_type', `unknown task type ${JSON.stringify(String(type).slice(0, 32))} (this agent runs: ${TASK_TYPES.join(', ')})`, { status: 400 });
  }
  const t = parsedType.data;
  const params = TASK_PARAMS[t].safeParse(rawParams ?? {});
  if (!params.success) throw invalidParams(`invalid ${t} task parameters: ${describeIssues(params.error)}`);
  if (!Number.isFinite(ctx.timeoutMs) || ctx.timeoutMs <= 0) throw invalidParams(`task timeout must be a positive number of ms, got ${ctx.timeoutMs}`);

  const logger = ctx.logger.child({ component: 'task', type: t });
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(ctx.timeoutMs)]);
  const workDir = await mkdtemp(join(ctx.tmpDir, 'dio-task-'));
  const abort = whenAborted(signal, `the ${t} task`);
  const t0 = Date.now();
  try {
    const rctx: RunnerContext = { policy: ctx.policy, signal, timeoutMs: ctx.timeoutMs, logger, workDir };
    const run = (RUNNERS[t] as (p: unknown, c: RunnerContext) => Promise<unknown>)(params.data, rctx);
    // Whatever the race leaves behind must not become an unhandled rejection.
    run.catch(() => undefined);
    const raw = await Promise.race([run, abort.promise]);
    const result = (TASK_RESULTS[t] as z.ZodType<TaskResult>).safeParse(raw);
    if (!result.success) throw taskFailed(`the ${t} runner produced a result outside its schema: ${describeIssues(result.error)}`);
    logger.info({ ms: Date.now() - t0 }, 'task done');
    return result.data;
  } catch (e) {
    const err = isAppError(e) ? e : signal.aborted ? abortError(signal, `the ${t} task`) : taskFailed(`the ${t} task failed: ${errorMessage(e)}`, e);
    logger.warn({ ms: Date.now() - t0, code: err.code, err: err.message }, 'task failed');
    throw err;
  } finally {
    abort.dispose();
    await rm(workDir, { recursive: true, force: true }).catch((e: unknown) => logger.warn({ err: errorMessage(e), workDir }, 'could not remove the task scratch dir'));
  }
}
