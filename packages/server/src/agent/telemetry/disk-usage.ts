import { statfs as fsStatfs } from 'node:fs/promises';

export interface MountEntry {
  source: string;
  mount: string;
  fstype: string;
}

export interface StatfsResult {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
}
export type StatfsFn = (path: string) => Promise<StatfsResult>;
export const nodeStatfs: StatfsFn = (p) => fsStatfs(p);

/**
 * Filesystems that hold data on a disk. Everything else is left out: pseudo filesystems (proc,
 * sysfs, cgroup, tmpfs — memory, already in `memory`), overlay (a container root that repeats the
 * disk below it), squashfs (read-only images, always 100 % full) and network filesystems (statfs
 * on a dead NFS server blocks a thread for minutes). An explicit `mounts` list overrides this.
 */
const DISK_FS = new Set(['ext2', 'ext3', 'ext4', 'xfs', 'btrfs', 'zfs', 'f2fs', 'jfs', 'reiserfs', 'bcachefs', 'vfat', 'exfat', 'ntfs', 'ntfs3', 'fuseblk', 'hfsplus', 'nilfs2']);

/** /proc/mounts escapes space, tab, newline and backslash as octal (`\040`). */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));

export function parseMounts(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f.length < 3) continue;
    out.push({ source: unescape(f[0]!), mount: unescape(f[1]!), fstype: f[2]! });
  }
  return out;
}

/**
 * The disk filesystems to report, one per device: a device mounted several times (bind mounts,
 * btrfs subvolumes of one volume) reports the same usage, so only its shortest mount path is kept.
 */
export function diskMounts(mounts: readonly MountEntry[], max = 64): MountEntry[] {
  const byDevice = new Map<string, MountEntry>();
  for (const m of mounts) {
    if (!DISK_FS.has(m.fstype)) continue;
    const had = byDevice.get(m.source);
    if (!had || m.mount.length < had.mount.length) byDevice.set(m.source, m);
  }
  return [...byDevice.values()].sort((a, b) => a.mount.localeCompare(b.mount)).slice(0, max);
}

export interface DiskSample {
  mount: string;
  fstype?: string;
  total_bytes: number;
  used_bytes: number;
  used_pct: number;
}

/** Usage as `df` reports it: used / (used + available to unprivileged users), so reserved blocks count as full. */
export function diskSample(m: { mount: string; fstype?: string }, s: StatfsResult): DiskSample | undefined {
  const total = s.blocks * s.bsize;
  const used = Math.max(0, (s.blocks - s.bfree) * s.bsize);
  const avail = Math.max(0, s.bavail * s.bsize);
  if (!(total > 0) || !Number.isSafeInteger(total) || !Number.isSafeInteger(used)) return undefined;
  const pct = used + avail > 0 ? Math.min(100, Math.round((used / (used + avail)) * 10_000) / 100) : 0;
  return { mount: m.mount.slice(0, 4096), ...(m.fstype ? { fstype: m.fstype.slice(0, 64) } : {}), total_bytes: total, used_bytes: used, used_pct: pct };
}

/**
 * Disk usage for each mount, in parallel. A statfs that does not answer within `timeoutMs` is
 * skipped, and that mount is left out of later samples too: the hung call still holds a libuv
 * thread, and retrying every sample would soon hold them all.
 */
export function createDiskUsage(deps: { statfs?: StatfsFn; timeoutMs?: number } = {}) {
  const statfs = deps.statfs ?? nodeStatfs;
  const timeoutMs = deps.timeoutMs ?? 2000;
  const hung = new Set<string>();

  async function one(m: { mount: string; fstype?: string }): Promise<DiskSample | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const r = await Promise.race([statfs(m.mount), timeout]);
      if (r === 'timeout') {
        hung.add(m.mount);
        return undefined;
      }
      return diskSample(m, r);
    } catch {
      return undefined; // unmounted between reading /proc/mounts and statfs, or not ours to see
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async sample(mounts: readonly { mount: string; fstype?: string }[]): Promise<DiskSample[]> {
      const res = await Promise.all(mounts.filter((m) => !hung.has(m.mount)).map(one));
      return res.filter((d): d is DiskSample => d !== undefined);
    },
    hung: (): readonly string[] => [...hung],
  };
}
