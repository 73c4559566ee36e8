import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FindingSchema, type TaskType } from '@dio/protocol';
import { findingsFromResult, MAX_FINDINGS_PER_TASK } from './task-findings.js';

const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);

function run(type: TaskType, result: unknown) {
  let n = 0;
  const out = findingsFromResult({ id: 'tk-1', agent_id: 'web01', type }, result, NOW, () => `fi-${++n}`);
  for (const f of out) assert.equal(FindingSchema.safeParse(f).success, true, JSON.stringify(f));
  return out;
}

test('nmap: one finding per open port; identified software is a service', () => {
  const f = run('nmap', {
    hosts: [{ address: '192.0.2.10', hostnames: ['web'], status: 'up', ports: [
      { protocol: 'tcp', port: 22, state: 'open', service: 'ssh', product: 'OpenSSH', version: '9.2p1' },
      { protocol: 'tcp', port: 443, state: 'filtered', service: 'https' },
      { protocol: 'tcp', port: 1023, state: 'open', service: 'tcpwrapped' },
    ] }],
  });
  assert.deepEqual(f.map((x) => [x.kind, x.severity, x.title]), [
    ['service', 'info', '192.0.2.10:22/tcp open (ssh OpenSSH 9.2p1)'],
    ['open_port', 'info', '192.0.2.10:1023/tcp open (tcpwrapped)'],
  ]);
  assert.deepEqual(f[0], {
    id: 'fi-1', agent_id: 'web01', task_id: 'tk-1', created_at: '2026-12-04T12:00:00.000Z', kind: 'service', severity: 'info', title: '192.0.2.10:22/tcp open (ssh OpenSSH 9.2p1)',
    data: { host: '192.0.2.10', hostnames: ['web'], port: 22, protocol: 'tcp', service: 'ssh', product: 'OpenSSH', version: '9.2p1' },
  });
});

test('portscan: open ports', () => {
  const f = run('portscan', { open: [{ host: '10.0.0.1', port: 80 }], hosts_scanned: 1, ports_scanned: 1024, duration_ms: 5 });
  assert.deepEqual(f.map((x) => [x.kind, x.title, x.data]), [['open_port', '10.0.0.1:80/tcp open', { host: '10.0.0.1', port: 80, protocol: 'tcp' }]]);
});

test('lynis: warnings medium, suggestions low, the hardening index by score', () => {
  const base = { warnings: [{ id: 'FIRE-4512', text: 'no rules active' }], suggestions: [{ id: 'SSH-7408', text: 'harden ssh', detail: 'AllowTcpForwarding' }], tests_performed: 248, lynis_version: '3.0.8' };
  const f = run('lynis', { ...base, hardening_index: 56 });
  assert.deepEqual(f.map((x) => [x.kind, x.severity, x.title]), [
    ['warning', 'medium', 'Lynis FIRE-4512: no rules active'],
    ['suggestion', 'low', 'Lynis SSH-7408: harden ssh'],
    ['hardening_index', 'low', 'Lynis hardening index 56/100'],
  ]);
  assert.equal(run('lynis', { ...base, hardening_index: 35 }).find((x) => x.kind === 'hardening_index')!.severity, 'medium');
  assert.equal(run('lynis', { ...base, hardening_index: 80 }).find((x) => x.kind === 'hardening_index')!.severity, 'info');
  assert.equal(run('lynis', { ...base, hardening_index: null }).some((x) => x.kind === 'hardening_index'), false);
});

test('yara matches and clamav infections are high', () => {
  assert.deepEqual(run('yara', { matches: [{ rule: 'Webshell', path: '/srv/x.php', tags: ['php'] }] }).map((x) => [x.kind, x.severity, x.title, x.data]), [
    ['yara_match', 'high', 'YARA rule Webshell matched /srv/x.php', { rule: 'Webshell', path: '/srv/x.php', tags: ['php'] }],
  ]);
  assert.deepEqual(run('clamav', { infected: [{ path: '/tmp/e.com', signature: 'Eicar-Test-Signature' }], scanned_files: 3 }).map((x) => [x.kind, x.severity, x.title]), [
    ['malware', 'high', 'ClamAV found Eicar-Test-Signature in /tmp/e.com'],
  ]);
  assert.deepEqual(run('clamav', { infected: [], scanned_files: 3 }), []);
});

test('inventory: summaries per part, not one finding per package; extra uid 0 and exposed sockets stand out', () => {
  const packages = Array.from({ length: 5000 }, (_, i) => ({ name: `p${i}`, version: '1' }));
  const f = run('inventory', {
    packages,
    services: [{ name: 'ssh.service', enabled: true }, { name: 'cron.service', enabled: false }],
    users: [
      { name: 'root', uid: 0, gid: 0, home: '/root', shell: '/bin/bash', login: true },
      { name: 'toor', uid: 0, gid: 0, home: '/', shell: '/bin/sh', login: true },
      { name: 'daemon', uid: 1, gid: 1, home: '/', shell: '/usr/sbin/nologin', login: false },
    ],
    sockets: [{ protocol: 'tcp', address: '0.0.0.0', port: 22, pid: 1, process: 'sshd' }, { protocol: 'udp', address: '127.0.0.53', port: 53 }],
    notes: ['packages: list cut'],
  });
  assert.deepEqual(f.map((x) => [x.kind, x.severity, x.title]), [
    ['user', 'medium', 'account toor has uid 0 (root privileges)'],
    ['package', 'info', '5000 installed packages'],
    ['service', 'info', '2 systemd services, 1 enabled'],
    ['user', 'info', '3 accounts, 2 with a login shell'],
    ['listening_socket', 'info', '2 listening sockets, 1 not on loopback'],
    ['listening_socket', 'info', 'listening on tcp 0.0.0.0:22 (sshd pid 1)'],
  ]);
  assert.deepEqual(f[1]!.data, { count: 5000, notes: ['packages: list cut'] });
  assert.deepEqual(f[3]!.data, { count: 3, login: 2, login_users: ['root', 'toor'], uid0: ['root', 'toor'] });
});

test('more than the cap: the most severe are kept and a final finding counts the rest', () => {
  const warnings = Array.from({ length: 700 }, (_, i) => ({ id: `W-${i}`, text: 'w' }));
  const suggestions = Array.from({ length: 2000 }, (_, i) => ({ id: `S-${i}`, text: 's' }));
  const f = run('lynis', { hardening_index: 70, warnings, suggestions });
  assert.equal(f.length, MAX_FINDINGS_PER_TASK);
  assert.equal(f.filter((x) => x.kind === 'warning').length, 700);
  const last = f.at(-1)!;
  assert.equal(last.kind, 'omitted');
  assert.equal(last.severity, 'low');
  assert.deepEqual(last.data, { omitted: 1702, by_kind: { suggestion: 1701, hardening_index: 1 } });
  assert.match(last.title, /^1702 more findings/);
  assert.equal(new Set(f.map((x) => x.id)).size, f.length);
});

test('long titles are cut to the schema bound; an invalid result is refused', () => {
  const path = `/srv/${'a'.repeat(3000)}`;
  assert.equal(run('yara', { matches: [{ rule: 'R', path }] })[0]!.title.length, 512);
  assert.throws(() => run('nmap', { hosts: 'nope' }), { code: 'task.invalid_result' });
});
