import { sign } from 'node:crypto';
import { parseDuration, TASK_PARAMS, TASK_RESULTS, TERMINAL_TASK_STATUSES, type Alert, type NewTask, type Task, type TaskEnvelope, type TaskPayload, type TaskReport, type TaskStatus } from '@dio/protocol';
import type { Actor } from '../api/deps.js';
import type { ServerKeys } from '../auth/server-keys.js';
import { AppError } from '../shared/app-error.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { canonicalJson } from '../storage/audit-chain.js';
import type { Store } from '../storage/port.js';
import type { TaskRecord } from '../storage/port-agents.js';
import { matchesLabels } from './agent-registry.js';
import { buildHostAlert, TECHNIQUES } from './host-alerts.js';
import { findingsFromResult } from './task-findings.js';
import { randomBytes } from 'node:crypto';

const iso = (t: number) => new Date(t).toISOString();

export function taskView(t: TaskRecord): Task {
  return {
    id: t.id,
    type: t.type,
    params: t.params,
    agent_id: t.agent_id,
    status: t.status,
    created_at: iso(t.created_at),
    created_by: t.created_by,
    expires_at: iso(t.expires_at),
    timeout_s: t.timeout_s,
    ...(t.started_at !== null ? { started_at: iso(t.started_at) } : {}),
    ...(t.finished_at !== null ? { finished_at: iso(t.finished_at) } : {}),
    ...(t.error !== null ? { error: t.error } : {}),
    ...(t.result !== null && t.result !== undefined ? { result: t.result } : {}),
    findings: t.findings,
  };
}

/** Ed25519 over the canonical JSON of the payload — the agent recomputes exactly this. */
export function signTaskPayload(keys: Pick<ServerKeys, 'taskKey'>, payload: TaskPayload): TaskEnvelope {
  return { payload, sig: sign(null, Buffer.from(canonicalJson(payload), 'utf8'), keys.taskKey).toString('base64url') };
}

/** Which report may move a task from which state: a late or repeated report never rewinds one. */
const FROM: Record<TaskReport['status'], readonly TaskStatus[]> = {
  running: ['pending'],
  done: ['pending', 'running'],
  failed: ['pending', 'running'],
  rejected: ['pending', 'running'],
};

/**
 * Tasks: created by operators for one agent or a label selector (one task per matching agent),
 * parameters checked against the allowlisted type's schema, signed, handed out on heartbeat,
 * tracked pending → running → done / failed / timed_out (or rejected by the agent). Results are
 * validated, stored, turned into findings, and malware findings into alerts.
 */
export function createTaskService(deps: { store: Store; clock: Clock; keys: ServerKeys; logger: Logger; newId: () => string; submitAlerts: (a: Alert[]) => Promise<void>; onRejected?: (reason: string) => void }) {
  const { store, clock } = deps;
  const log = deps.logger.child({ component: 'tasks' });

  return {
    async create(input: NewTask, by: Actor): Promise<Task[]> {
      const schema = TASK_PARAMS[input.type];
      const parsed = schema.safeParse(input.params);
      if (!parsed.success) {
        const first = parsed.error.issues[0]!;
        throw new AppError('task.invalid_params', `params${first.path.length ? `.${first.path.join('.')}` : ''}: ${first.message} (task type ${input.type})`, { status: 400, details: { issues: parsed.error.issues.slice(0, 20) } });
      }
      const agents = (await store.agents.listAgents()).filter((a) => a.state === 'active' && (input.agent_id !== undefined ? a.id === input.agent_id : matchesLabels(a.labels, input.selector!)));
      if (!agents.length) {
        throw new AppError('task.no_agent', input.agent_id !== undefined ? `no active agent with id ${input.agent_id}` : `no active agent has labels ${JSON.stringify(input.selector)}`, { status: 404 });
      }
      const now = clock.now();
      const timeoutS = parseDuration(input.timeout);
      const expiresAt = now + parseDuration(input.expires) * 1000;
      const params = parsed.data as Record<string, unknown>;
      const records: TaskRecord[] = agents.map((a) => {
        const id = deps.newId();
        const payload: TaskPayload = { v: 1, task_id: id, agent_id: a.id, type: input.type, params, issued_at: iso(now), expires_at: iso(expiresAt), timeout_s: timeoutS, nonce: randomBytes(16).toString('base64url') };
        return { id, type: input.type, params, agent_id: a.id, status: 'pending', created_at: now, created_by: by.actor, expires_at: expiresAt, timeout_s: timeoutS, started_at: null, finished_at: null, error: null, result: null, findings: 0, envelope: signTaskPayload(deps.keys, payload) };
      });
      await store.tasks.insertTasks(records);
      for (const r of records) await store.appendAudit({ actor: by.actor, action: 'task.create', target: `task:${r.id}`, origin: by.origin, after: { ...taskView(r), selector: input.selector } });
      return records.map(taskView);
    },

    async get(id: string): Promise<Task> {
      const t = await store.tasks.getTask(id);
      if (!t) throw new AppError('task.not_found', `no task with id ${id}`, { status: 404 });
      return taskView(t);
    },

    /** Signed envelopes of the agent's pending tasks (for its heartbeat answer). */
    async pendingFor(agentId: string): Promise<TaskEnvelope[]> {
      return (await store.tasks.pendingTasks(agentId, clock.now(), 20)).map((t) => t.envelope);
    },

    async report(agentId: string, taskId: string, r: TaskReport, origin: string): Promise<Task> {
      const t = await store.tasks.getTask(taskId);
      if (!t) throw new AppError('task.not_found', `no task with id ${taskId}`, { status: 404 });
      if (t.agent_id !== agentId) throw new AppError('task.not_yours', `task ${taskId} belongs to another agent`, { status: 403 });
      const now = clock.now();
      if (r.status === 'rejected') {
        deps.onRejected?.(r.error?.split(':')[0] ?? 'unspecified');
        log.warn({ agent: agentId, task: taskId, error: r.error }, 'agent refused a task');
      }
      let patch: Parameters<typeof store.tasks.updateTask>[1];
      let findings: ReturnType<typeof findingsFromResult> = [];
      if (r.status === 'running') patch = { status: 'running', started_at: now };
      else if (r.status === 'done') {
        const res = TASK_RESULTS[t.type].safeParse(r.result);
        if (!res.success) patch = { status: 'failed', finished_at: now, error: `the agent sent an invalid ${t.type} result: ${res.error.issues[0]?.message ?? 'invalid'}` };
        else {
          findings = findingsFromResult({ id: t.id, agent_id: t.agent_id, type: t.type }, res.data, now, deps.newId);
          patch = { status: 'done', finished_at: now, result: res.data, findings: findings.length };
        }
      } else patch = { status: r.status, finished_at: now, error: (r.error ?? `${r.status} without a reason`).slice(0, 4096) };
      const updated = await store.tasks.updateTask(taskId, patch, { from: FROM[r.status] });
      if (!updated) {
        // Already finished (e.g. timed out, or a report sent twice): keep what is recorded.
        if (TERMINAL_TASK_STATUSES.includes(t.status) || r.status === 'running') return taskView(t);
        throw new AppError('task.conflict', `task ${taskId} is ${t.status}; cannot become ${r.status}`, { status: 409 });
      }
      if (findings.length) await store.tasks.insertFindings(findings);
      if (updated.status !== 'running') {
        await store.appendAudit({ actor: `agent:${agentId}`, action: `task.${updated.status}`, target: `task:${taskId}`, origin, before: { status: t.status }, after: { status: updated.status, error: updated.error, findings: updated.findings } });
      }
      const malware = findings.filter((f) => f.kind === 'malware' || f.kind === 'yara_match');
      if (malware.length) {
        const agent = await store.agents.getAgent(agentId);
        if (agent) {
          await deps.submitAlerts([
            buildHostAlert({
              id: deps.newId(),
              now,
              agent,
              scenario: `${t.type}-detection`,
              title: `${t.type === 'clamav' ? 'ClamAV' : 'YARA'} found ${malware.length} malicious file${malware.length > 1 ? 's' : ''} on ${agent.hostname}: ${malware[0]!.title}`,
              severity: 'high',
              technique: TECHNIQUES.malware,
              action: 'malware_found',
              message: malware.slice(0, 20).map((f) => f.title).join('\n'),
              count: malware.length,
              labels: { task_id: taskId },
            }),
          ]);
        }
      }
      return taskView(updated);
    },

    /** Pending tasks past their expiry and running ones past their timeout become timed_out. */
    async sweep(): Promise<number> {
      const out = await store.tasks.timeoutTasks(clock.now(), 30_000);
      for (const t of out) await store.appendAudit({ actor: 'system:tasks', action: 'task.timed_out', target: `task:${t.id}`, origin: 'server', after: { agent_id: t.agent_id, type: t.type } });
      return out.length;
    },
  };
}
export type TaskService = ReturnType<typeof createTaskService>;
