import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { endianness, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { InventoryResultSchema } from '@dio/protocol';
import { parseDpkgStatus, parsePasswd, runInventory } from './inventory.js';
import { decodeProcAddress, listeningSockets, parseProcNet } from './proc-net.js';
import { testRunnerContext } from './task-context.test-util.js';

const LE = endianness() === 'LE';
const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const row = (local: string, remote: string, st: string, inode: number): string => `   0: ${local} ${remote} ${st} 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 0000000000000000 100 0 0 10 0\n`;
// 127.0.0.53 and ::1 as the kernel prints them on this host's byte order.
const LOOP53 = LE ? '3500007F' : '7F000035';
const V6ONE = LE ? '00000000000000000000000001000000' : '00000000000000000000000000000001';

async function put(root: string, rel: string, text: string): Promise<void> {
  await mkdir(dirname(join(root, rel)), { recursive: true });
  await writeFile(join(root, rel), text);
}

async function link(root: string, rel: string, target: string): Promise<void> {
  await mkdir(dirname(join(root, rel)), { recursive: true });
  await symlink(target, join(root, rel));
}

async function fakeHost(root: string): Promise<void> {
  await put(root, 'var/lib/dpkg/status', [
    'Package: openssh-server\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\nVersion: 1:9.2p1-2+deb12u3\nDescription: secure shell (SSH) server\n multi-line continuation: not a field\n',
    'Package: old-lib\nStatus: deinstall ok config-files\nVersion: 1.0\n',
    'Package: tzdata\nStatus: hold ok installed\nArchitecture: all\nVersion: 2024a-0+deb12u1\n',
  ].join('\n'));
  await put(root, 'lib/systemd/system/ssh.service', '[Unit]\n');
  await put(root, 'lib/systemd/system/cron.service', '[Unit]\n');
  await put(root, 'lib/systemd/system/getty@.service', '[Unit]\n');
  await put(root, 'lib/systemd/system/telnet.service', '[Unit]\n');
  await put(root, 'lib/systemd/system/multi-user.target', '[Unit]\n');
  await link(root, 'etc/systemd/system/multi-user.target.wants/ssh.service', '/lib/systemd/system/ssh.service');
  await link(root, 'etc/systemd/system/getty.target.wants/getty@tty1.service', '/lib/systemd/system/getty@.service');
  await link(root, 'etc/systemd/system/sshd.service', '/lib/systemd/system/ssh.service');
  await link(root, 'etc/systemd/system/telnet.service', '/dev/null');
  await put(root, 'etc/passwd', 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nsync:x:4:65534:sync:/bin:/bin/sync\nalice:x:1000:1000:Alice,,,:/home/alice:/bin/zsh\nsvc:x:998:998::/var/lib/svc:/bin/false\nbroken line\nbad:x:uid:0::/:/bin/sh\n');
  await put(root, 'proc/net/tcp', HEADER + row('00000000:0016', '00000000:0000', '0A', 1001) + row('0100007F:1F90', '0100007F:D431', '01', 1009));
  await put(root, 'proc/net/tcp6', HEADER + row('00000000000000000000000000000000:0050', '00000000000000000000000000000000:0000', '0A', 1002) + row(`${V6ONE}:0019`, '00000000000000000000000000000000:0000', '0A', 0));
  await put(root, 'proc/net/udp', HEADER + row(`${LOOP53}:0035`, '00000000:0000', '07', 1003));
  await put(root, 'proc/123/comm', 'sshd\n');
  await link(root, 'proc/123/fd/3', 'socket:[1001]');
  await link(root, 'proc/123/fd/4', 'socket:[1002]');
  await link(root, 'proc/123/fd/0', '/dev/null');
}

test('dpkg status: installed packages only, with version and arch', () => {
  assert.deepEqual(parseDpkgStatus('Package: a\nStatus: install ok installed\nVersion: 1\n\nPackage: b\nStatus: purge ok not-installed\nVersion: 2\n'), [{ name: 'a', version: '1' }]);
});

test('passwd: login means a shell that gives a session', () => {
  const users = parsePasswd('root:x:0:0:root:/root:/bin/bash\nd:x:1:1::/:/usr/sbin/nologin\nn:x:2:2::/:\n');
  assert.deepEqual(users.map((u) => [u.name, u.login]), [['root', true], ['d', false], ['n', false]]);
});

test('/proc/net addresses decode in host byte order; only listening rows are kept', () => {
  assert.deepEqual(decodeProcAddress(`${LE ? '0100007F' : '7F000001'}:0016`), ['127.0.0.1', 22]);
  assert.deepEqual(decodeProcAddress(`${V6ONE}:01BB`), ['::1', 443]);
  assert.equal(decodeProcAddress('zz:0016'), undefined);
  assert.equal(parseProcNet(HEADER + row('00000000:0016', '00000000:0000', '01', 1), 'tcp').length, 0);
});

test('inventory of a fake root: packages, services, users and sockets with owners', async () => {
  const root = await mkdtemp(join(tmpdir(), 'dio-inv-'));
  const ctx = await testRunnerContext();
  try {
    await fakeHost(root);
    const r = await runInventory({ include: ['packages', 'services', 'users', 'sockets'] }, ctx, { root });
    assert.equal(InventoryResultSchema.safeParse(r).success, true);
    assert.deepEqual(r.packages, [
      { name: 'openssh-server', version: '1:9.2p1-2+deb12u3', arch: 'amd64' },
      { name: 'tzdata', version: '2024a-0+deb12u1', arch: 'all' },
    ]);
    assert.deepEqual(r.services, [
      { name: 'cron.service', enabled: false },
      { name: 'getty@.service', enabled: true },
      { name: 'ssh.service', enabled: true },
      { name: 'telnet.service', enabled: false, state: 'masked' },
    ]);
    assert.deepEqual(r.users!.map((u) => [u.name, u.uid, u.login]), [['root', 0, true], ['daemon', 1, false], ['sync', 4, false], ['alice', 1000, true], ['svc', 998, false]]);
    assert.deepEqual(r.sockets, [
      { protocol: 'tcp', address: '0.0.0.0', port: 22, pid: 123, process: 'sshd' },
      { protocol: 'tcp6', address: '::1', port: 25 },
      { protocol: 'tcp6', address: '::', port: 80, pid: 123, process: 'sshd' },
      { protocol: 'udp', address: '127.0.0.53', port: 53 },
    ]);
    assert.equal(r.notes, undefined);
  } finally {
    await ctx.cleanup();
    await rm(root, { recursive: true, force: true });
  }
});

test('an rpm-based host gets an empty package list and a note; parts not asked for are absent', async () => {
  const root = await mkdtemp(join(tmpdir(), 'dio-inv-rpm-'));
  const ctx = await testRunnerContext();
  try {
    await mkdir(join(root, 'var/lib/rpm'), { recursive: true });
    const r = await runInventory({ include: ['packages', 'services'] }, ctx, { root });
    assert.deepEqual(r.packages, []);
    assert.deepEqual(r.services, []);
    assert.deepEqual(r.notes, ['packages: rpm-based host; only dpkg (Debian/Ubuntu) package databases are read', 'services: no systemd unit directories on this host']);
    assert.equal('users' in r, false);
  } finally {
    await ctx.cleanup();
    await rm(root, { recursive: true, force: true });
  }
});

test('on this host: a socket the test opens is listed with this process as owner', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const { sockets } = await listeningSockets('/');
    const mine = sockets.find((s) => s.protocol === 'tcp' && s.port === port);
    assert.deepEqual(mine && { address: mine.address, pid: mine.pid }, { address: '127.0.0.1', pid: process.pid });
    const ctx = await testRunnerContext();
    try {
      const r = await runInventory({ include: ['packages', 'services', 'users', 'sockets'] }, ctx);
      assert.equal(InventoryResultSchema.safeParse(r).success, true);
      assert.ok(r.users!.some((u) => u.name === 'root'));
    } finally {
      await ctx.cleanup();
    }
  } finally {
    server.close();
  }
});
