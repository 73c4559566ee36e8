import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDiskUsage, diskMounts, diskSample, parseMounts } from './disk-usage.js';

const MOUNTS = `proc /proc proc rw,relatime 0 0
sysfs /sys sysfs rw,relatime 0 0
tmpfs /run tmpfs rw,nosuid 0 0
/dev/sda2 / ext4 rw,relatime 0 0
/dev/sda1 /boot/efi vfat rw 0 0
/dev/sda2 /var/lib/docker/plugins ext4 rw 0 0
overlay /var/lib/docker/overlay2/abc/merged overlay rw 0 0
/dev/loop0 /snap/core/123 squashfs ro 0 0
/dev/sdb1 /mnt/My\\040Disk xfs rw 0 0
tank/data /tank/data zfs rw 0 0
tank/home /home zfs rw 0 0
server:/export /mnt/nfs nfs4 rw 0 0
cgroup2 /sys/fs/cgroup cgroup2 rw 0 0
`;

test('mounts: real disk filesystems only, one per device, octal escapes decoded', () => {
  const m = diskMounts(parseMounts(MOUNTS));
  assert.deepEqual(
    m.map((x) => [x.mount, x.fstype]),
    [['/', 'ext4'], ['/boot/efi', 'vfat'], ['/home', 'zfs'], ['/mnt/My Disk', 'xfs'], ['/tank/data', 'zfs']],
  );
  const many = Array.from({ length: 100 }, (_, i) => `/dev/vd${i} /m${i} ext4 rw 0 0`).join('\n');
  assert.equal(diskMounts(parseMounts(many)).length, 64);
});

test('usage as df computes it: reserved blocks count as used', () => {
  // 1000 blocks of 4 KiB, 400 free, 350 available to users (50 reserved)
  assert.deepEqual(diskSample({ mount: '/', fstype: 'ext4' }, { bsize: 4096, blocks: 1000, bfree: 400, bavail: 350 }), {
    mount: '/',
    fstype: 'ext4',
    total_bytes: 4_096_000,
    used_bytes: 2_457_600,
    used_pct: 63.16,
  });
  assert.equal(diskSample({ mount: '/x' }, { bsize: 4096, blocks: 0, bfree: 0, bavail: 0 }), undefined);
});

test('a statfs that hangs is skipped now and later; one that fails is skipped', async () => {
  let calls = 0;
  const du = createDiskUsage({
    timeoutMs: 20,
    statfs: (p) => {
      calls++;
      if (p === '/hung') return new Promise(() => undefined);
      if (p === '/gone') return Promise.reject(Object.assign(new Error('ENOENT'), { code: 'ENOENT' }));
      return Promise.resolve({ bsize: 1024, blocks: 100, bfree: 50, bavail: 50 });
    },
  });
  const mounts = [{ mount: '/' }, { mount: '/hung' }, { mount: '/gone' }];
  assert.deepEqual((await du.sample(mounts)).map((d) => d.mount), ['/']);
  assert.deepEqual(du.hung(), ['/hung']);
  calls = 0;
  assert.deepEqual((await du.sample(mounts)).map((d) => d.mount), ['/']);
  assert.equal(calls, 2, 'the hung mount is not asked again');
});
