import { verify, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TASK_TYPES, type TaskEnvelope, type TaskReport } from '@dio/protocol';
import { writePrivateFile } from '../shared/private-file.js';
import { errorMessage, isAppError } from '../shared/app-error.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { canonicalJson } from '../storage/audit-chain.js';
import type { AgentTaskPolicy } from './tasks/policy.js';
import { runTask } from './tasks/run-task.js';
import { errorOf } from './signed-client.js';
import type { AgentTransport } from './transport.js';

const LEDGER_FILE = 'tasks.json';
/** Longer than the longest task expiry the server allows (7 d), so every replay is recognised. */
const KEEP_MS = 8 * 86400_000;
const MAX_LEDGER = 10_000;
const MAX_QUEUE = 20;

interface LedgerEntry {
  state: 'running' | 'finished';
  at: number;
  report?: TaskReport;
  /** The server confirmed the final report. */
  acked: boolean;
}

export type Verdict = { ok: true } | { ok: false; reason: string };

/**
 * Checks a task envelope before anything runs: signed, by the key pinned at enrollment, over
 * exactly this payload; for this agent; not expired; a known type. Replay is checked separately
 * against the ledger of tasks already seen.
 */
export function verifyEnvelope(env: TaskEnvelope, o: { serverKey: KeyObject; agentId: string; now: number }): Verdict {
  if (!env.sig) return { ok: false, reason: 'unsigned: the task carries no signature' };
  let good = false;
  try {
    good = verify(null, Buffer.from(canonicalJson(env.payload), 'utf8'), o.serverKey, Buffer.from(env.sig, 'base64url'));
  } catch {
    good = false;
  }
  if (!good) return { ok: false, reason: 'bad_signature: the task does not verify with the server key pinned at enrollment (tampered, or signed by someone else)' };
  const p = env.payload;
  if (p.agent_id !== o.agentId) return { ok: false, reason: `wrong_agent: the task is for agent ${p.agent_id}` };
  if (Date.parse(p.expires_at) <= o.now) return { ok: false, reason: `expired: the task expired at ${p.expires_at}` };
  if (Date.parse(p.issued_at) > o.now + 5 * 60_000) return { ok: false, reason: `bad_time: the task was issued in the future (${p.issued_at})` };
  if (!(TASK_TYPES as readonly string[]).includes(p.type)) return { ok: false, reason: `unknown_type: ${p.type} is not a task type this agent runs` };
  return { ok: true };
}

/**
 * Runs signed tasks from heartbeat answers, one or two at a time, and reports running → done /
 * failed / rejected. A persisted ledger of every task id seen makes a replayed envelope (a task
 * already run) be refused and reported; a final report the server did not confirm is resent.
 */
export function createTaskExecutor(deps: { transport: AgentTransport; serverKey: KeyObject; agentId: string; policy: AgentTaskPolicy; stateDir: string; clock: Clock; logger: Logger; concurrency?: number }) {
  const log = deps.logger.child({ component: 'tasks' });
  const path = join(deps.stateDir, LEDGER_FILE);
  const tmpDir = join(deps.stateDir, 'tmp');
  mkdirSync(tmpDir, { recursive: true, mode: 0o700 });
  const ledger = new Map<string, LedgerEntry>();
  const inProcess = new Set<string>();
  const queue: TaskEnvelope[] = [];
  let active = 0;
  const ctrl = new AbortController();
  const counts = { run: 0, refused: 0 };

  try {
    const saved = JSON.parse(readFileSync(path, 'utf8')) as Record<string, LedgerEntry>;
    for (const [id, e] of Object.entries(saved)) ledger.set(id, e);
  } catch {
    // first start, or an unreadable ledger: envelopes still need a valid signature and expiry
  }

  function save(): void {
    const cut = deps.clock.now() - KEEP_MS;
    for (const [id, e] of ledger) if (e.at < cut && e.acked) ledger.delete(id);
    while (ledger.size > MAX_LEDGER) ledger.delete(ledger.keys().next().value!);
    writePrivateFile(path, JSON.stringify(Object.fromEntries(ledger)));
  }

  async function send(id: string, report: TaskReport): Promise<boolean> {
    try {
      const r = await deps.transport.request('POST', `/api/v1/agent/tasks/${encodeURIComponent(id)}/report`, { body: report, gzip: JSON.stringify(report.result ?? '').length > 4096, timeoutMs: 60_000 });
      if (r.status === 200 || r.status === 404 || r.status === 409 || r.status === 403) {
        if (r.status !== 200) log.warn({ task: id, error: errorOf(r) }, 'the server did not take the task report');
        return true;
      }
      log.warn({ task: id, error: errorOf(r) }, 'task report not accepted; will retry');
    } catch (e) {
      log.debug({ task: id, err: errorMessage(e) }, 'task report not delivered; will retry');
    }
    return false;
  }

  async function finish(id: string, report: TaskReport): Promise<void> {
    ledger.set(id, { state: 'finished', at: deps.clock.now(), report, acked: false });
    save();
    if (await send(id, report)) {
      ledger.get(id)!.acked = true;
      save();
    }
  }

  const now = () => new Date(deps.clock.now()).toISOString();

  async function execute(env: TaskEnvelope): Promise<void> {
    const p = env.payload;
    inProcess.add(p.task_id);
    ledger.set(p.task_id, { state: 'running', at: deps.clock.now(), acked: false });
    save();
    await send(p.task_id, { status: 'running', at: now() });
    log.info({ task: p.task_id, type: p.type }, 'running task');
    counts.run++;
    try {
      const result = await runTask(p.type, p.params, { policy: deps.policy, signal: ctrl.signal, timeoutMs: p.timeout_s * 1000, logger: deps.logger, tmpDir });
      await finish(p.task_id, { status: 'done', result, at: now() });
      log.info({ task: p.task_id, type: p.type }, 'task done');
    } catch (e) {
      const code = isAppError(e) ? e.code : 'task.failed';
      const policy = code === 'task.target_not_allowed' || code === 'task.path_not_allowed' || code === 'task.invalid_params';
      if (policy) counts.refused++;
      log.warn({ task: p.task_id, type: p.type, err: errorMessage(e) }, policy ? 'task refused by local policy' : 'task failed');
      await finish(p.task_id, { status: policy ? 'rejected' : 'failed', error: `${policy ? 'not_allowed: ' : ''}${errorMessage(e)}`.slice(0, 4096), at: now() });
    } finally {
      inProcess.delete(p.task_id);
    }
  }

  function pump(): void {
    while (active < (deps.concurrency ?? 2) && queue.length) {
      const env = queue.shift()!;
      active++;
      void execute(env).finally(() => {
        active--;
        pump();
      });
    }
  }

  return {
    /** Envelopes from a heartbeat answer. Never throws. */
    async offer(envelopes: readonly TaskEnvelope[]): Promise<void> {
      for (const env of envelopes) {
        const id = env.payload.task_id;
        if (inProcess.has(id) || queue.some((q) => q.payload.task_id === id)) continue;
        const verdict = verifyEnvelope(env, { serverKey: deps.serverKey, agentId: deps.agentId, now: deps.clock.now() });
        const seen = ledger.get(id);
        let refusal = verdict.ok ? undefined : verdict.reason;
        if (!refusal && seen) {
          if (seen.state === 'finished' && !seen.acked && seen.report) {
            // The server never confirmed our report: it is waiting for it, not replaying.
            if (await send(id, seen.report)) seen.acked = true;
            save();
            continue;
          }
          refusal = seen.state === 'running' ? 'interrupted: the agent restarted while this task ran' : `replayed: task ${id} already ran on this agent (${new Date(seen.at).toISOString()})`;
        }
        if (!refusal && queue.length >= MAX_QUEUE) continue; // picked up again on a later heartbeat
        if (refusal) {
          counts.refused++;
          log.warn({ task: id, reason: refusal }, 'refusing a task');
          await finish(id, { status: refusal.startsWith('interrupted') ? 'failed' : 'rejected', error: refusal, at: now() });
          continue;
        }
        queue.push(env);
      }
      pump();
    },
    /** Resends final reports the server has not confirmed (called on every heartbeat). */
    async retryReports(): Promise<void> {
      for (const [id, e] of ledger) {
        if (e.state !== 'finished' || e.acked || !e.report) continue;
        if (await send(id, e.report)) {
          e.acked = true;
          save();
        }
      }
    },
    stats: () => ({ running: active, queued: queue.length, run: counts.run, refused: counts.refused }),
    stop(): void {
      ctrl.abort();
    },
  };
}
export type TaskExecutor = ReturnType<typeof createTaskExecutor>;
