import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../shared/logger.js';
import { AgentTaskPolicySchema, DEFAULT_SCAN_PATHS, type TaskContext } from './policy.js';
import { runTask } from './run-task.js';

async function withCtx(policy: Record<string, unknown>, fn: (ctx: TaskContext) => Promise<void>, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<void> {
  const tmp = await mkdtemp(join(tmpdir(), 'dio-runtask-'));
  try {
    await fn({ policy: AgentTaskPolicySchema.parse(policy), signal: opts.signal ?? new AbortController().signal, timeoutMs: opts.timeoutMs ?? 30_000, logger: silentLogger(), tmpDir: tmp });
    assert.deepEqual(await readdir(tmp), [], 'the scratch dir was removed');
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

test('policy defaults: no scan targets, the malware-drop roots, 16 MiB; unknown keys refused', () => {
  const p = AgentTaskPolicySchema.parse({});
  assert.deepEqual(p, { scan_targets: [], scan_paths: DEFAULT_SCAN_PATHS, tools: {}, max_output_bytes: 16 * 1024 * 1024 });
  assert.equal(AgentTaskPolicySchema.safeParse({ scan_target: ['10.0.0.0/8'] }).success, false);
  assert.equal(AgentTaskPolicySchema.safeParse({ tools: { bash: '/bin/bash' } }).success, false);
  assert.equal(AgentTaskPolicySchema.safeParse({ scan_paths: ['relative'] }).success, false);
});

test('unknown types and bad params are refused before anything runs', () =>
  withCtx({ scan_targets: ['127.0.0.0/8'] }, async (ctx) => {
    await assert.rejects(runTask('shell', { cmd: 'id' }, ctx), { code: 'task.unknown_type', message: /this agent runs: nmap, lynis/ });
    await assert.rejects(runTask('nmap', { targets: ['127.0.0.1; rm -rf /'] }, ctx), { code: 'task.invalid_params', message: /^invalid nmap task parameters: targets\.0: / });
    await assert.rejects(runTask('nmap', { targets: ['127.0.0.1'], script: 'x' }, ctx), { code: 'task.invalid_params' });
    await assert.rejects(runTask('portscan', { targets: ['127.0.0.1'], ports: '-sV' }, ctx), { code: 'task.invalid_params', message: /ports/ });
    await assert.rejects(runTask('yara', { rules: 'rule A { condition: true }', paths: ['/tmp/../etc'] }, ctx), { code: 'task.invalid_params' });
    await assert.rejects(runTask('lynis', { groups: ['--pentest'] }, ctx), { code: 'task.invalid_params' });
  }));

test('the default policy refuses every scan', () =>
  withCtx({}, async (ctx) => {
    await assert.rejects(runTask('portscan', { targets: ['127.0.0.1'], ports: '22' }, ctx), { code: 'task.target_not_allowed', status: 403 });
    await assert.rejects(runTask('nmap', { targets: ['127.0.0.1'] }, ctx), { code: 'task.target_not_allowed' });
    await assert.rejects(runTask('clamav', { paths: ['/etc'] }, ctx), { code: 'task.path_not_allowed' });
  }));

test('a task runs with schema defaults and returns a validated result', () =>
  withCtx({ scan_targets: ['127.0.0.1'] }, async (ctx) => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const r = await runTask('portscan', { targets: ['127.0.0.1'], ports: String(port) }, ctx);
      assert.deepEqual((r as { open: unknown }).open, [{ host: '127.0.0.1', port }]);
      const inv = (await runTask('inventory', {}, ctx)) as Record<string, unknown>;
      assert.deepEqual(['packages', 'services', 'users', 'sockets'].filter((k) => Array.isArray(inv[k])), ['packages', 'services', 'users', 'sockets']);
    } finally {
      server.close();
    }
  }));

test('the task timeout is task.timeout, a cancel task.cancelled', async () => {
  const params = { targets: ['192.0.2.0/24'], ports: '1-1024', timeout_ms: 10_000 };
  await withCtx({ scan_targets: ['192.0.2.0/24'] }, (ctx) => assert.rejects(runTask('portscan', params, ctx), { code: 'task.timeout' }), { timeoutMs: 150 });
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 100);
  await withCtx({ scan_targets: ['192.0.2.0/24'] }, (ctx) => assert.rejects(runTask('portscan', params, ctx), { code: 'task.cancelled' }), { signal: ac.signal });
  await withCtx({}, (ctx) => assert.rejects(runTask('inventory', {}, ctx), { code: 'task.invalid_params' }), { timeoutMs: 0 });
});
