import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { NmapResultSchema } from '@dio/protocol';
import { nmapArgs, parseNmapXml, runNmap } from './nmap.js';
import { skipUnlessTool, testRunnerContext } from './task-context.test-util.js';

const fixture = new URL('testdata/nmap-scan.xml', import.meta.url);

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

test('parses nmap -oX output: addresses (not MACs), hostnames, port states and -sV fields', async () => {
  const r = parseNmapXml(await readFile(fixture, 'utf8'));
  assert.equal(NmapResultSchema.safeParse(r).success, true);
  assert.equal(r.summary, 'Nmap done at Fri Dec  4 10:00:10 2026; 2 IP addresses (2 hosts up) scanned in 10.12 seconds');
  assert.deepEqual(r.hosts[0], {
    address: '192.0.2.10',
    hostnames: ['web.example.test'],
    status: 'up',
    ports: [
      { protocol: 'tcp', port: 22, state: 'open', service: 'ssh', product: 'OpenSSH', version: '9.2p1 Debian 2+deb12u3' },
      { protocol: 'tcp', port: 80, state: 'open', service: 'http', product: 'nginx', version: '1.22.1' },
      { protocol: 'tcp', port: 443, state: 'filtered', service: 'https' },
      { protocol: 'tcp', port: 1023, state: 'open', service: 'tcpwrapped' },
    ],
  });
  assert.deepEqual(r.hosts[1], { address: '192.0.2.11', hostnames: [], status: 'up', ports: [] });
});

test('an nmap run that reports exit="error", or broken XML, is an error', () => {
  assert.throws(() => parseNmapXml('<nmaprun><runstats><finished exit="error" errormsg="Failed to resolve"/></runstats></nmaprun>'), /Failed to resolve/);
  assert.throws(() => parseNmapXml('<nmaprun><host>'), /XML/);
});

test('argv: connect scan, no DNS, no discovery, bounded retries and host timeout; -6 for IPv6', () => {
  assert.deepEqual(nmapArgs(['10.0.0.0/24'], 4, { ports: '22,80', service_detection: true }, 600_000), [
    '-oX', '-', '-sT', '--unprivileged', '-Pn', '-n', '--noninteractive', '--max-retries', '2', '--host-timeout', '540s', '-sV', '-p', '22,80', '10.0.0.0/24',
  ]);
  const v6 = nmapArgs(['::1'], 6, { service_detection: false }, 5_000);
  assert.deepEqual(v6.slice(-3), ['10s', '-6', '::1']);
  assert.equal(v6.includes('-sV'), false);
});

test('targets outside scan_targets are refused before nmap runs', async () => {
  const ctx = await testRunnerContext({ scan_targets: ['10.0.0.0/8'], tools: { nmap: '/nonexistent/nmap' } });
  try {
    await assert.rejects(runNmap({ targets: ['127.0.0.1'], service_detection: false }, ctx), { code: 'task.target_not_allowed' });
  } finally {
    await ctx.cleanup();
  }
});

test('real nmap scan of 127.0.0.1 finds the port the test opened, with its service', { skip: await skipUnlessTool('nmap') }, async () => {
  // An SSH-like banner, so -sV has something to identify.
  const open = createServer((s) => {
    s.on('error', () => undefined);
    s.write('SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n');
  });
  const closed = createServer();
  const openPort = await listen(open);
  const closedPort = await listen(closed);
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const ctx = await testRunnerContext({ scan_targets: ['127.0.0.0/8'] });
  try {
    const r = await runNmap({ targets: ['127.0.0.1'], ports: `${openPort},${closedPort}`, service_detection: true }, ctx);
    assert.equal(NmapResultSchema.safeParse(r).success, true);
    assert.equal(r.hosts.length, 1);
    const ports = new Map(r.hosts[0]!.ports.map((p) => [p.port, p]));
    assert.equal(ports.get(openPort)?.state, 'open');
    assert.equal(ports.get(openPort)?.service, 'ssh');
    assert.equal(ports.get(openPort)?.product, 'OpenSSH');
    assert.equal(ports.get(closedPort)?.state, 'closed');
    assert.match(r.summary ?? '', /1 IP address \(1 host up\)/);
  } finally {
    open.close();
    await ctx.cleanup();
  }
});
