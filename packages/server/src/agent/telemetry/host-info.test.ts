import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HostInfoSchema } from '@dio/protocol';
import { hostAddresses, osOf, parseOsRelease, readHostInfo } from './host-info.js';
import { createProcReader } from './proc-reader.js';
import { createUserNames, parsePasswd } from './user-names.js';
import { createFakeProc } from './testdata/fake-proc.js';

test('os-release: quoting, escapes, NAME + VERSION_ID', () => {
  const r = parseOsRelease('PRETTY_NAME="Ubuntu 22.04.3 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\nID=ubuntu\n# comment\nQUOTED=\'a \\"b\\"\'\n');
  assert.equal(r.PRETTY_NAME, 'Ubuntu 22.04.3 LTS');
  assert.equal(r.ID, 'ubuntu');
  assert.equal(r.QUOTED, 'a "b"');
  assert.deepEqual(osOf(r), { name: 'Ubuntu', version: '22.04' });
  assert.deepEqual(osOf({ PRETTY_NAME: 'Arch Linux' }), { name: 'Arch Linux' });
  assert.deepEqual(osOf({}), { name: 'Linux' });
});

test('addresses: not internal, not link-local, deduplicated', () => {
  const a = hostAddresses({
    lo: [{ address: '127.0.0.1', internal: true, family: 'IPv4', netmask: '', mac: '', cidr: null }],
    eth0: [
      { address: '192.0.2.10', internal: false, family: 'IPv4', netmask: '', mac: '', cidr: null },
      { address: 'fe80::1', internal: false, family: 'IPv6', netmask: '', mac: '', cidr: null, scopeid: 2 },
      { address: '2001:db8::10', internal: false, family: 'IPv6', netmask: '', mac: '', cidr: null, scopeid: 0 },
    ],
    br0: [{ address: '192.0.2.10', internal: false, family: 'IPv4', netmask: '', mac: '', cidr: null }],
  });
  assert.deepEqual(a, ['192.0.2.10', '2001:db8::10']);
});

test('passwd: uid → name, read once', () => {
  assert.deepEqual([...parsePasswd('root:x:0:0:root:/root:/bin/bash\n# x\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\nbad\ntoor:x:0:0::/:/bin/sh\n')], [[0, 'root'], [33, 'www-data']]);
  let reads = 0;
  const read = () => (reads++, 'alice:x:1000:1000::/home/alice:/bin/sh\n');
  const reader = { read, readOnce: read };
  const names = createUserNames(reader);
  assert.equal(names(1000), 'alice');
  assert.equal(names(1001), undefined);
  assert.equal(reads, 1);
});

test('hostInfo from a fake tree fits HostInfoSchema', () => {
  const fake = createFakeProc();
  try {
    fake.stat([[1, 0, 1, 10, 0, 0, 0, 0], [1, 0, 1, 10, 0, 0, 0, 0]], 'btime 1767225600\n');
    fake.meminfo({ totalKb: 2048, availableKb: 1024 });
    fake.file('sys/kernel/hostname', 'web-01\n');
    fake.file('sys/kernel/osrelease', '6.1.0-18-amd64\n');
    fake.file('sys/kernel/version', '#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)\n');
    fake.etc('os-release', 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n');
    const system = { hostname: () => 'ignored', machine: () => 'aarch64', networkInterfaces: () => ({}) };
    const h = readHostInfo({ procRoot: fake.procRoot, etcRoot: fake.etcRoot, reader: createProcReader(), system });
    assert.deepEqual(h, {
      hostname: 'web-01',
      os: { name: 'Debian GNU/Linux', version: '12' },
      kernel: '6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)',
      arch: 'aarch64',
      addresses: [],
      cpus: 2,
      memory_bytes: 2048 * 1024,
      boot_time: '2026-01-01T00:00:00.000Z',
    });
    assert.ok(HostInfoSchema.safeParse(h).success);
  } finally {
    fake.cleanup();
  }
});
