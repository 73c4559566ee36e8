import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { TaskEnvelopeSchema, type TaskEnvelope } from '@dio/protocol';
import { verifyEnvelope } from '../../../agent/task-executor.js';
import { generateEd25519, publicKeyFromRaw } from '../../../shared/agent-signature.js';
import { ManualClock } from '../../../shared/clock.js';
import { createTestApi } from '../../testing/fakes.js';
import { enrollTestAgent } from '../../testing/test-agent.js';

const HB = { version: '1', capabilities: ['portscan'], labels: {}, load: {} };
const T0 = Date.UTC(2026, 5, 1, 12);

describe('tasks', () => {
  test('parameters outside the allowlisted schema are refused at creation; unknown types too', async () => {
    const t = await createTestApi();
    await enrollTestAgent(t.app, { id: 'web01' });
    for (const [body, code] of [
      [{ type: 'portscan', agent_id: 'web01', params: { targets: ['127.0.0.1'], ports: '0-99999' } }, 'task.invalid_params'],
      [{ type: 'portscan', agent_id: 'web01', params: { targets: ['127.0.0.1'], extra: 1 } }, 'task.invalid_params'],
      [{ type: 'yara', agent_id: 'web01', params: { rules: 'rule x { condition: true }', paths: ['/tmp/../etc'] } }, 'task.invalid_params'],
      [{ type: 'shell', agent_id: 'web01', params: { cmd: 'id' } }, 'request.invalid'],
      [{ type: 'inventory', params: {} }, 'request.invalid'],
      [{ type: 'inventory', agent_id: 'nobody', params: {} }, 'task.no_agent'],
    ] as const) {
      const r = await t.app.inject({ method: 'POST', url: '/api/v1/tasks', payload: body });
      assert.ok(r.statusCode === 400 || r.statusCode === 404, r.body);
      assert.equal(r.json().error.code, code, JSON.stringify(body));
    }
    await t.app.close();
  });

  test('a task is signed, handed out on heartbeat, and runs pending → running → done with findings; audited', async () => {
    const t = await createTestApi();
    const a = await enrollTestAgent(t.app, { id: 'web01' });
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/tasks', payload: { type: 'portscan', agent_id: 'web01', params: { targets: ['127.0.0.1'], ports: '22,80' } } });
    assert.equal(created.statusCode, 201, created.body);
    const task = created.json().items[0];
    assert.equal(task.status, 'pending');
    assert.equal(task.params.timeout_ms, 1000, 'defaults filled in');
    const hb = (await a.request('POST', '/api/v1/agent/heartbeat', HB)).json();
    assert.equal(hb.tasks.length, 1);
    const env: TaskEnvelope = TaskEnvelopeSchema.parse(hb.tasks[0]);
    const serverKey = publicKeyFromRaw(a.enroll.json().server_key);
    assert.deepEqual(verifyEnvelope(env, { serverKey, agentId: 'web01', now: Date.now() }), { ok: true });
    assert.equal(verifyEnvelope(env, { serverKey, agentId: 'web02', now: Date.now() }).ok, false);
    const tampered = { ...env, payload: { ...env.payload, params: { ...env.payload.params, targets: ['10.0.0.0/8'] } } };
    assert.match((verifyEnvelope(tampered, { serverKey, agentId: 'web01', now: Date.now() }) as { reason: string }).reason, /^bad_signature/);
    assert.match((verifyEnvelope({ payload: env.payload }, { serverKey, agentId: 'web01', now: Date.now() }) as { reason: string }).reason, /^unsigned/);
    assert.match((verifyEnvelope(env, { serverKey, agentId: 'web01', now: Date.now() + 2 * 3600_000 }) as { reason: string }).reason, /^expired/);
    const stranger = createPublicKey(generateEd25519().privateKey);
    assert.match((verifyEnvelope(env, { serverKey: stranger, agentId: 'web01', now: Date.now() }) as { reason: string }).reason, /^bad_signature/, 'signed by another server');

    const report = (body: object) => a.request('POST', `/api/v1/agent/tasks/${task.id}/report`, { at: new Date().toISOString(), ...body });
    assert.equal((await report({ status: 'running' })).json().status, 'running');
    assert.equal((await a.request('POST', '/api/v1/agent/heartbeat', HB)).json().tasks.length, 0, 'running tasks are not handed out again');
    const done = await report({ status: 'done', result: { open: [{ host: '127.0.0.1', port: 22 }], hosts_scanned: 1, ports_scanned: 2, duration_ms: 5 } });
    assert.equal(done.statusCode, 200, done.body);
    assert.equal(done.json().status, 'done');
    assert.ok(done.json().findings >= 1);
    const late = await report({ status: 'failed', error: 'late' });
    assert.equal(late.json().status, 'done', 'a finished task is never rewound');
    const findings = (await t.app.inject({ url: `/api/v1/findings?task_id=${task.id}` })).json().items;
    assert.ok(findings.some((f: { kind: string }) => f.kind === 'open_port'));
    const audit = (await t.store.listAudit({ target: `task:${task.id}`, limit: 10 })).map((r) => r.action);
    assert.deepEqual(audit, ['task.create', 'task.done']);
    await t.app.close();
  });

  test('invalid results fail the task; another agent cannot report on it; refusals are recorded', async () => {
    const t = await createTestApi();
    const a = await enrollTestAgent(t.app, { id: 'web01' });
    const b = await enrollTestAgent(t.app, { id: 'web02' });
    const mk = async () => (await t.app.inject({ method: 'POST', url: '/api/v1/tasks', payload: { type: 'inventory', agent_id: 'web01', params: {} } })).json().items[0].id as string;
    const id1 = await mk();
    const foreign = await b.request('POST', `/api/v1/agent/tasks/${id1}/report`, { status: 'done', result: {}, at: new Date().toISOString() });
    assert.equal(foreign.statusCode, 403);
    const bad = await a.request('POST', `/api/v1/agent/tasks/${id1}/report`, { status: 'done', result: { packages: 'lots' }, at: new Date().toISOString() });
    assert.equal(bad.json().status, 'failed');
    assert.match(bad.json().error, /invalid inventory result/);
    const id2 = await mk();
    const rej = await a.request('POST', `/api/v1/agent/tasks/${id2}/report`, { status: 'rejected', error: 'bad_signature: tampered', at: new Date().toISOString() });
    assert.equal(rej.json().status, 'rejected');
    assert.match(await t.metrics.registry.getSingleMetricAsString('dio_tasks_rejected_total'), /reason="bad_signature"\} 1/);
    await t.app.close();
  });

  test('a selector assigns one task per matching agent; pending tasks expire, running ones time out', async () => {
    const clock = new ManualClock(T0);
    const t = await createTestApi({ clock });
    const tokens = async (labels: Record<string, string>) => (await t.app.inject({ method: 'POST', url: '/api/v1/enrollment-tokens', payload: { uses: 1, labels } })).json().token as string;
    await enrollTestAgent(t.app, { id: 'web01', token: await tokens({ role: 'web' }) });
    await enrollTestAgent(t.app, { id: 'web02', token: await tokens({ role: 'web' }) });
    await enrollTestAgent(t.app, { id: 'db01', token: await tokens({ role: 'db' }) });
    const r = await t.app.inject({ method: 'POST', url: '/api/v1/tasks', payload: { type: 'inventory', selector: { role: 'web' }, params: {}, expires: '10m', timeout: '1m' } });
    assert.deepEqual(r.json().items.map((x: { agent_id: string }) => x.agent_id).sort(), ['web01', 'web02']);
    clock.advance(11 * 60_000);
    assert.equal(await t.control.fleet.tasks.sweep(), 2);
    const list = (await t.app.inject({ url: '/api/v1/tasks?status=timed_out' })).json().items;
    assert.equal(list.length, 2);
    await t.app.close();
  });
});
