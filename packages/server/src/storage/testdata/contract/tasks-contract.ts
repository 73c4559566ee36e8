import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Finding, FindingFilter, TaskFilter, TaskStatus, TaskType } from '@dio/protocol';
import type { TaskRecord } from '../../port-agents.js';
import { iso, makeFinding, makeTask } from '../fixtures.js';
import { allPages, newestFirst, rejectsWith, type EnvRef } from './helpers.js';

const T0 = Date.UTC(2026, 0, 1);
const MIN = 60_000;
const taskKey = (t: TaskRecord): [number, string] => [t.created_at, t.id];
const findingKey = (f: Finding): [number, string] => [Date.parse(f.created_at), f.id];

export function tasksContract(env: EnvRef): void {
  describe('tasks', () => {
    test('insertTasks / getTask round-trip; all or nothing on a conflict or an invalid task', async () => {
      const { tasks } = env().store;
      const a = makeTask({ id: 'tk-a', params: { targets: ['192.0.2.1'], nested: { deep: [1, 2] } } });
      const b = makeTask({ id: 'tk-b', type: 'lynis', params: {}, status: 'done', started_at: T0 + 1, finished_at: T0 + 2, result: { hardening_index: 71, warnings: [], suggestions: [] }, findings: 4 });
      await tasks.insertTasks([a, b]);
      assert.deepEqual(await tasks.getTask('tk-a'), a);
      assert.deepEqual(await tasks.getTask('tk-b'), b);
      assert.equal(await tasks.getTask('tk-z'), undefined);
      await tasks.insertTasks([]);

      await rejectsWith(tasks.insertTasks([makeTask({ id: 'tk-c' }), { ...a, status: 'running' }]), 'store.conflict', 409);
      await rejectsWith(tasks.insertTasks([makeTask({ id: 'tk-d' }), makeTask({ id: 'tk-d' })]), 'store.conflict', 409);
      await rejectsWith(tasks.insertTasks([makeTask({ id: 'tk-e' }), makeTask({ type: 'shell' as TaskType })]), 'store.invalid_input', 400);
      await rejectsWith(tasks.insertTasks([makeTask({ envelope: { payload: {} } as TaskRecord['envelope'] })]), 'store.invalid_input', 400);
      await rejectsWith(tasks.insertTasks([{ ...makeTask(), timeout_s: 0 }]), 'store.invalid_input', 400);
      for (const id of ['tk-c', 'tk-d', 'tk-e']) assert.equal(await tasks.getTask(id), undefined, `${id} was not stored`);
    });

    test('listTasks walks every task once, newest first by (created_at, id), with filters', async () => {
      const { tasks } = env().store;
      const all: TaskRecord[] = [];
      const statuses: TaskStatus[] = ['pending', 'running', 'done'];
      for (let i = 0; i < 41; i++) {
        all.push(makeTask({ id: `tk-${String((i * 13) % 41).padStart(2, '0')}`, created_at: T0 + (i % 7) * 1000, agent_id: i % 2 ? 'web01' : 'db01', status: statuses[i % 3]!, type: i % 5 ? 'portscan' : 'inventory' }));
      }
      await tasks.insertTasks(all);
      const list = async (f: Omit<TaskFilter, 'limit'>) => (await allPages((cursor) => tasks.listTasks({ limit: 4, ...f, cursor }))).items;
      const sorted = newestFirst(all, taskKey);
      assert.deepEqual(await list({}), sorted);
      assert.deepEqual(await list({ agent_id: 'web01' }), sorted.filter((t) => t.agent_id === 'web01'));
      assert.deepEqual(await list({ agent_id: 'db01', status: 'running' }), sorted.filter((t) => t.agent_id === 'db01' && t.status === 'running'));
      assert.deepEqual(await list({ type: 'inventory' }), sorted.filter((t) => t.type === 'inventory'));
      await rejectsWith(tasks.listTasks({ limit: 10, cursor: 'garbage!' }), 'store.invalid_cursor', 400);

      // tasks added while paging neither shift nor repeat the pages being walked
      const seen: string[] = [];
      let cursor: string | undefined;
      let n = 0;
      do {
        const page = await tasks.listTasks({ limit: 6, cursor });
        seen.push(...page.items.map((t) => t.id));
        cursor = page.next_cursor ?? undefined;
        await tasks.insertTasks([makeTask({ id: `tk-new-${n++}`, created_at: T0 + 10 * MIN + n })]);
      } while (cursor !== undefined);
      assert.deepEqual(seen, sorted.map((t) => t.id));
    });

    test('pendingTasks: the agent’s pending, unexpired tasks, oldest first, bounded by limit', async () => {
      const { tasks } = env().store;
      const mine = [2, 0, 1].map((i) => makeTask({ id: `tk-p${i}`, agent_id: 'web01', created_at: T0 + i * 1000, expires_at: T0 + 10 * MIN }));
      await tasks.insertTasks([
        ...mine,
        makeTask({ id: 'tk-old', agent_id: 'web01', created_at: T0, expires_at: T0 + MIN }),
        makeTask({ id: 'tk-run', agent_id: 'web01', status: 'running', started_at: T0 }),
        makeTask({ id: 'tk-other', agent_id: 'web02' }),
      ]);
      assert.deepEqual((await tasks.pendingTasks('web01', T0 + MIN, 10)).map((t) => t.id), ['tk-p0', 'tk-p1', 'tk-p2'], 'expires_at itself is expired');
      assert.deepEqual((await tasks.pendingTasks('web01', T0, 2)).map((t) => t.id), ['tk-old', 'tk-p0']);
      assert.deepEqual(await tasks.pendingTasks('web03', T0, 10), []);
    });

    test('updateTask merges; with `from` it is a compare-and-set on status', async () => {
      const { tasks } = env().store;
      const t = makeTask({ id: 'tk-u' });
      await tasks.insertTasks([t]);
      const running = await tasks.updateTask('tk-u', { status: 'running', started_at: T0 + 5 }, { from: ['pending'] });
      assert.deepEqual(running, { ...t, status: 'running', started_at: T0 + 5 });
      assert.equal(await tasks.updateTask('tk-u', { status: 'running', started_at: T0 + 9 }, { from: ['pending'] }), undefined, 'a second start does not match');
      const result = { open: [{ host: '192.0.2.1', port: 22 }], hosts_scanned: 16, ports_scanned: 32, duration_ms: 900 };
      const done = await tasks.updateTask('tk-u', { status: 'done', finished_at: T0 + 60, result, findings: 1 }, { from: ['pending', 'running'] });
      assert.deepEqual(done, { ...t, status: 'done', started_at: T0 + 5, finished_at: T0 + 60, result, findings: 1 });
      assert.equal(await tasks.updateTask('tk-u', { status: 'failed', error: 'late report' }, { from: ['pending', 'running'] }), undefined, 'a late report cannot move a finished task');
      assert.deepEqual(await tasks.getTask('tk-u'), done);
      assert.equal(await tasks.updateTask('tk-u', { error: 'x' }, { from: [] }), undefined);
      assert.deepEqual(await tasks.updateTask('tk-u', {}, { from: ['done'] }), done, 'an empty patch reads the task when the status matches');
      assert.deepEqual(await tasks.updateTask('tk-u', { error: 'annotated', result: undefined }), { ...done, error: 'annotated' }, 'without from it always applies; undefined leaves a field alone');
      assert.equal(await tasks.updateTask('tk-none', { status: 'done' }), undefined);
      await rejectsWith(tasks.updateTask('tk-u', { status: 'paused' as TaskStatus }), 'store.invalid_input', 400);
      await rejectsWith(tasks.updateTask('tk-u', { status: 'done' }, { from: ['sleeping' as TaskStatus] }), 'store.invalid_input', 400);
      await rejectsWith(tasks.updateTask('tk-u', { agent_id: 'web09' } as never), 'store.invalid_input', 400);
    });

    test('timeoutTasks: pending past expiry and running past timeout + grace, once', async () => {
      const { tasks } = env().store;
      await tasks.insertTasks([
        makeTask({ id: 'tk-expired', created_at: T0, expires_at: T0 + 10 * MIN }),
        makeTask({ id: 'tk-waiting', created_at: T0, expires_at: T0 + 60 * MIN }),
        makeTask({ id: 'tk-overdue', created_at: T0 + 1, status: 'running', started_at: T0, timeout_s: 300 }),
        makeTask({ id: 'tk-in-grace', created_at: T0 + 2, status: 'running', started_at: T0 + 4 * MIN, timeout_s: 300 }),
        makeTask({ id: 'tk-finished', created_at: T0 + 3, status: 'done', started_at: T0, finished_at: T0 + MIN, expires_at: T0 + MIN, timeout_s: 60 }),
      ]);
      const now = T0 + 10 * MIN;
      const out = await tasks.timeoutTasks(now, 3 * MIN);
      assert.deepEqual(out.map((t) => t.id), ['tk-expired', 'tk-overdue']);
      assert.ok(out.every((t) => t.status === 'timed_out' && t.finished_at === now));
      assert.equal((await tasks.getTask('tk-overdue'))?.status, 'timed_out');
      assert.equal((await tasks.getTask('tk-in-grace'))?.status, 'running', 'started_at + timeout + grace = now + 2 min');
      assert.equal((await tasks.getTask('tk-finished'))?.status, 'done');
      assert.deepEqual(await tasks.timeoutTasks(now, 3 * MIN), []);
      assert.deepEqual((await tasks.timeoutTasks(T0 + 12 * MIN, 3 * MIN)).map((t) => t.id), ['tk-in-grace'], 'at exactly timeout + grace it times out');
      await rejectsWith(tasks.timeoutTasks(now, -1), 'store.invalid_input', 400);
    });
  });

  describe('findings', () => {
    test('insertFindings / listFindings page newest first with filters; conflicts and invalid findings store nothing', async () => {
      const { tasks } = env().store;
      const all: Finding[] = [];
      for (let i = 0; i < 33; i++) {
        all.push(makeFinding({ id: `fi-${String((i * 7) % 33).padStart(2, '0')}`, created_at: iso(T0 + (i % 5) * 1000), agent_id: i % 3 ? 'web01' : 'db01', task_id: i % 2 ? 'tk-1' : 'tk-2', kind: i % 4 ? 'open_port' : 'warning' }));
      }
      await tasks.insertFindings(all);
      const list = async (f: Omit<FindingFilter, 'limit'>) => (await allPages((cursor) => tasks.listFindings({ limit: 5, ...f, cursor }))).items;
      const sorted = newestFirst(all, findingKey);
      assert.deepEqual(await list({}), sorted);
      assert.deepEqual(await list({ agent_id: 'db01' }), sorted.filter((f) => f.agent_id === 'db01'));
      assert.deepEqual(await list({ task_id: 'tk-1', kind: 'warning' }), sorted.filter((f) => f.task_id === 'tk-1' && f.kind === 'warning'));
      await rejectsWith(tasks.insertFindings([makeFinding({ id: 'fi-new' }), all[0]!]), 'store.conflict', 409);
      await rejectsWith(tasks.insertFindings([makeFinding({ id: 'fi-new2' }), { ...makeFinding(), severity: 'dire' as Finding['severity'] }]), 'store.invalid_input', 400);
      await rejectsWith(tasks.insertFindings([makeFinding({ id: '' })]), 'store.invalid_input', 400);
      assert.equal((await list({})).length, 33);
      await tasks.insertFindings([]);
    });
  });
}
