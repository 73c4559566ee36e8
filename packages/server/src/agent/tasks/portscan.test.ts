import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { PortscanResultSchema } from '@dio/protocol';
import { parsePortSpec, runPortscan } from './portscan.js';
import { testRunnerContext } from './task-context.test-util.js';

function listen(server: Server, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve) => server.listen(0, host, () => resolve((server.address() as { port: number }).port)));
}

async function closedPort(): Promise<number> {
  const s = createServer();
  const port = await listen(s);
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

test('parsePortSpec expands, sorts and dedupes; bad specs are refused', () => {
  assert.deepEqual(parsePortSpec('443,20-22,22,80'), [20, 21, 22, 80, 443]);
  assert.equal(parsePortSpec('1-65535').length, 65535);
  for (const bad of ['0', '65536', '10-5', 'a', '', '1,,2']) assert.throws(() => parsePortSpec(bad), { code: 'task.invalid_params' }, bad);
});

test('scans 127.0.0.1: the open port is found, the closed one is not; sorted by host then port', async () => {
  const servers = [createServer(), createServer()];
  const open = [await listen(servers[0]!), await listen(servers[1]!)].sort((a, b) => b - a);
  const closed = await closedPort();
  const ctx = await testRunnerContext({ scan_targets: ['127.0.0.0/30'] });
  try {
    const r = await runPortscan({ targets: ['127.0.0.0/30'], ports: `${open[0]},${closed},${open[1]}`, timeout_ms: 500, concurrency: 4 }, ctx);
    assert.equal(PortscanResultSchema.safeParse(r).success, true);
    assert.deepEqual(r.open, [...open].sort((a, b) => a - b).map((port) => ({ host: '127.0.0.1', port })));
    assert.equal(r.hosts_scanned, 4);
    assert.equal(r.ports_scanned, 3);
  } finally {
    for (const s of servers) s.close();
    await ctx.cleanup();
  }
});

test('IPv6 loopback works too', async (t) => {
  const s = createServer();
  const port = await new Promise<number>((resolve) => {
    s.once('error', () => resolve(0));
    void listen(s, '::1').then(resolve);
  });
  if (port === 0) {
    t.skip('no IPv6 loopback on this host');
    return;
  }
  const ctx = await testRunnerContext({ scan_targets: ['::1/128'] });
  try {
    const r = await runPortscan({ targets: ['::1'], ports: String(port), timeout_ms: 500, concurrency: 1 }, ctx);
    assert.deepEqual(r.open, [{ host: '::1', port }]);
  } finally {
    s.close();
    await ctx.cleanup();
  }
});

test('targets outside scan_targets and more than 4096 addresses are refused', async () => {
  const ctx = await testRunnerContext({ scan_targets: ['10.0.0.0/8'] });
  try {
    await assert.rejects(runPortscan({ targets: ['127.0.0.1'], ports: '22', timeout_ms: 100, concurrency: 1 }, ctx), { code: 'task.target_not_allowed' });
    await assert.rejects(runPortscan({ targets: ['10.0.0.0/19'], ports: '22', timeout_ms: 100, concurrency: 1 }, ctx), { code: 'task.invalid_params' });
  } finally {
    await ctx.cleanup();
  }
});

test('the abort signal stops the scan promptly with task.timeout', async () => {
  // 192.0.2.0/24 (TEST-NET-1) is unrouted: every probe hangs until its own timeout.
  const ctx = await testRunnerContext({ scan_targets: ['192.0.2.0/24'] }, { signal: AbortSignal.timeout(200) });
  try {
    const t0 = Date.now();
    await assert.rejects(runPortscan({ targets: ['192.0.2.0/24'], ports: '1-1024', timeout_ms: 10_000, concurrency: 16 }, ctx), { code: 'task.timeout' });
    assert.ok(Date.now() - t0 < 3000, 'in-flight connections were closed');
  } finally {
    await ctx.cleanup();
  }
});
