import { sql, type Insertable, type Kysely, type Selectable, type Updateable } from 'kysely';
import { FindingSchema, TASK_STATUSES, type Finding, type FindingFilter, type TaskFilter, type TaskStatus } from '@dio/protocol';
import { AppError } from '../../shared/app-error.js';
import type { DbSchema, TasksTable } from '../migrations/schema.js';
import type { Page } from '../port.js';
import type { TaskPatch, TaskRecord } from '../port-agents.js';
import { clampLimit, cleanText, decodeCursor, invalidInput, isoToMs, requireEpochMs, searchable, toPage } from './query-helpers.js';
import { check, definedOnly, fromJsonText, jsonText, orConflict, storedTime, TaskPatchSchema, TaskRecordSchema, toNumOrNull } from './record-checks.js';

/** Tasks and findings (Kysely only, dialect-neutral). */

/** Rows per INSERT: 100 × 15 parameters stays far below both dialects' caps. */
const INSERT_CHUNK = 100;
/** Parameters hold YARA rules (≤ 256 KiB); results hold whole inventories (50,000 packages). */
const MAX_PARAMS = 1024 * 1024;
const MAX_RESULT = 16 * 1024 * 1024;

function taskToRow(t: TaskRecord): Insertable<TasksTable> {
  return {
    ...t,
    params: jsonText(t.params, 'task params', MAX_PARAMS) ?? '{}',
    result: jsonText(t.result, 'task result', MAX_RESULT),
    envelope: jsonText(t.envelope, 'task envelope', 2 * MAX_PARAMS) ?? 'null',
  };
}

function taskFromRow(r: Selectable<TasksTable>): TaskRecord {
  return {
    id: r.id,
    type: r.type as TaskRecord['type'],
    params: JSON.parse(r.params) as Record<string, unknown>,
    agent_id: r.agent_id,
    status: r.status as TaskStatus,
    created_at: Number(r.created_at),
    created_by: r.created_by,
    expires_at: Number(r.expires_at),
    timeout_s: Number(r.timeout_s),
    started_at: toNumOrNull(r.started_at),
    finished_at: toNumOrNull(r.finished_at),
    error: r.error,
    result: fromJsonText(r.result),
    findings: Number(r.findings),
    envelope: JSON.parse(r.envelope) as TaskRecord['envelope'],
  };
}

function statusArg(s: unknown): TaskStatus {
  if (!(TASK_STATUSES as readonly unknown[]).includes(s)) throw new AppError('store.invalid_input', `store: invalid task status ${JSON.stringify(s)}`, { status: 400 });
  return s as TaskStatus;
}

export async function insertTasks(db: Kysely<DbSchema>, tasks: readonly TaskRecord[]): Promise<void> {
  tasks.forEach((t, i) => check(TaskRecordSchema, t, `task ${i}`));
  const rows = tasks.map(taskToRow);
  if (rows.length === 0) return;
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      await orConflict(trx.insertInto('tasks').values(rows.slice(i, i + INSERT_CHUNK)).execute(), 'a task with one of these ids');
    }
  });
}

export async function getTask(db: Kysely<DbSchema>, id: string): Promise<TaskRecord | undefined> {
  const r = await db.selectFrom('tasks').selectAll().where('id', '=', searchable(id)).executeTakeFirst();
  return r === undefined ? undefined : taskFromRow(r);
}

export async function listTasks(db: Kysely<DbSchema>, f: TaskFilter): Promise<Page<TaskRecord>> {
  const limit = clampLimit(f.limit);
  let qb = db.selectFrom('tasks').selectAll();
  if (f.agent_id !== undefined) qb = qb.where('agent_id', '=', searchable(f.agent_id));
  if (f.status !== undefined) qb = qb.where('status', '=', searchable(f.status));
  if (f.type !== undefined) qb = qb.where('type', '=', searchable(f.type));
  if (f.cursor !== undefined) {
    const c = decodeCursor(f.cursor, 'string');
    qb = qb.where('created_at', '<=', c.t).where((eb) => eb.or([eb('created_at', '<', c.t), eb('id', '<', c.id)]));
  }
  const rows = await qb.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
  return toPage(rows, limit, (r) => [Number(r.created_at), r.id], taskFromRow);
}

export async function pendingTasks(db: Kysely<DbSchema>, agentId: string, now: number, limit: number): Promise<TaskRecord[]> {
  requireEpochMs(now, 'now');
  const rows = await db
    .selectFrom('tasks')
    .selectAll()
    .where('agent_id', '=', searchable(agentId))
    .where('status', '=', 'pending')
    .where('expires_at', '>', now)
    .orderBy('created_at')
    .orderBy('id')
    .limit(clampLimit(limit))
    .execute();
  return rows.map(taskFromRow);
}

/**
 * One UPDATE … WHERE id = ? [AND status IN (from)] RETURNING: the compare-and-set is a single
 * statement, so a report racing with a timeout sweep cannot overwrite the other's outcome.
 */
export async function updateTask(db: Kysely<DbSchema>, id: string, patch: TaskPatch, opts?: { from?: readonly TaskStatus[] }): Promise<TaskRecord | undefined> {
  check(TaskPatchSchema, patch, 'task patch');
  const from = opts?.from?.map(statusArg);
  if (from !== undefined && from.length === 0) return undefined;
  const p = definedOnly(patch);
  const set: Updateable<TasksTable> = { ...p, result: 'result' in p ? jsonText(p.result, 'task result', MAX_RESULT) : undefined };
  const key = searchable(id);
  if (Object.values(set).every((v) => v === undefined)) {
    let sel = db.selectFrom('tasks').selectAll().where('id', '=', key);
    if (from !== undefined) sel = sel.where('status', 'in', from);
    const r = await sel.executeTakeFirst();
    return r === undefined ? undefined : taskFromRow(r);
  }
  let upd = db.updateTable('tasks').set(set).where('id', '=', key);
  if (from !== undefined) upd = upd.where('status', 'in', from);
  const r = await upd.returningAll().executeTakeFirst();
  return r === undefined ? undefined : taskFromRow(r);
}

/**
 * One UPDATE for both sweeps. A running task without started_at (which should not exist) is
 * timed from created_at rather than never. finished_at is set to `now`.
 */
export async function timeoutTasks(db: Kysely<DbSchema>, now: number, graceMs: number): Promise<TaskRecord[]> {
  storedTime(now, 'now');
  if (!Number.isFinite(graceMs) || graceMs < 0) throw new AppError('store.invalid_input', 'store: graceMs must be a non-negative number', { status: 400 });
  const runningDeadline = sql<number>`coalesce(${sql.ref('started_at')}, ${sql.ref('created_at')}) + ${sql.ref('timeout_s')} * 1000`;
  const rows = await db
    .updateTable('tasks')
    .set({ status: 'timed_out', finished_at: now })
    .where((eb) =>
      eb.or([
        eb.and([eb('status', '=', 'pending'), eb('expires_at', '<=', now)]),
        eb.and([eb('status', '=', 'running'), eb(runningDeadline, '<=', Math.floor(now - graceMs))]),
      ]),
    )
    .returningAll()
    .execute();
  return rows.map(taskFromRow).sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export async function insertFindings(db: Kysely<DbSchema>, findings: readonly Finding[]): Promise<void> {
  const rows = findings.map((f, i) => {
    const parsed = FindingSchema.safeParse(f);
    if (!parsed.success) throw invalidInput(`finding ${i}`, parsed.error);
    return {
      id: cleanText(f.id, 'finding id', 64),
      agent_id: f.agent_id,
      task_id: f.task_id,
      created_at: isoToMs(f.created_at, 'finding created_at'),
      kind: f.kind,
      severity: f.severity,
      doc: JSON.stringify(f),
    };
  });
  if (rows.length === 0) return;
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += INSERT_CHUNK * 5) {
      await orConflict(trx.insertInto('findings').values(rows.slice(i, i + INSERT_CHUNK * 5)).execute(), 'a finding with one of these ids');
    }
  });
}

export async function listFindings(db: Kysely<DbSchema>, f: FindingFilter): Promise<Page<Finding>> {
  const limit = clampLimit(f.limit);
  let qb = db.selectFrom('findings').select(['id', 'created_at', 'doc']);
  if (f.agent_id !== undefined) qb = qb.where('agent_id', '=', searchable(f.agent_id));
  if (f.task_id !== undefined) qb = qb.where('task_id', '=', searchable(f.task_id));
  if (f.kind !== undefined) qb = qb.where('kind', '=', searchable(f.kind));
  if (f.cursor !== undefined) {
    const c = decodeCursor(f.cursor, 'string');
    qb = qb.where('created_at', '<=', c.t).where((eb) => eb.or([eb('created_at', '<', c.t), eb('id', '<', c.id)]));
  }
  const rows = await qb.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
  return toPage(rows, limit, (r) => [Number(r.created_at), r.id], (r) => JSON.parse(r.doc) as Finding);
}
