import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** user nice system idle iowait irq softirq steal (jiffies). */
export type CpuLine = [number, number, number, number, number, number, number, number];

export interface FakeProcess {
  pid: number;
  comm: string;
  /** utime + stime split is irrelevant to the collector; all ticks go to utime. */
  ticks: number;
  start?: number;
  rssPages?: number;
  uid?: number;
  /** VmRSS in kB; omitted → no VmRSS line (a kernel thread). */
  rssKb?: number;
  cmdline?: string[];
  /** fd number → symlink target, e.g. { 3: 'socket:[1234]' }. */
  fds?: Record<number, string>;
}

export interface FakeIface {
  name: string;
  rx: number;
  rxPackets?: number;
  tx: number;
  txPackets?: number;
}

/** A /proc line of a TCP/UDP table: `local`/`remote` already in /proc hex ("0100007F:0016"). */
export function socketLine(sl: number, local: string, remote: string, state: number, inode: number): string {
  return `${String(sl).padStart(4)}: ${local} ${remote} ${state.toString(16).toUpperCase().padStart(2, '0')} 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 0000000000000000 100 0 0 10 0`;
}

/**
 * A fake procfs (+ etc) tree in a temp dir, written by tests and pointed to with `procRoot`.
 * Only the files the collector reads exist; everything else is absent, as on a locked-down host.
 */
export function createFakeProc() {
  const dir = mkdtempSync(join(tmpdir(), 'dio-fakeproc-'));
  const procRoot = join(dir, 'proc');
  const etcRoot = join(dir, 'etc');
  mkdirSync(procRoot, { recursive: true });
  mkdirSync(etcRoot, { recursive: true });

  const file = (rel: string, text: string) => {
    const p = join(procRoot, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  };

  return {
    dir,
    procRoot,
    etcRoot,
    file,
    etc(rel: string, text: string) {
      writeFileSync(join(etcRoot, rel), text);
    },
    stat(cores: CpuLine[], extra = 'btime 1767225600\nprocs_running 2\n') {
      const sum = cores.reduce<number[]>((acc, c) => acc.map((v, i) => v + c[i]!), [0, 0, 0, 0, 0, 0, 0, 0]);
      const line = (name: string, c: readonly number[]) => `${name} ${c.join(' ')} 0 0`;
      file('stat', [line('cpu ', sum), ...cores.map((c, i) => line(`cpu${i}`, c)), 'intr 1 2 3', 'ctxt 99', extra].join('\n'));
    },
    meminfo(m: { totalKb: number; availableKb?: number; freeKb?: number; swapTotalKb?: number; swapFreeKb?: number }) {
      const lines = [`MemTotal: ${m.totalKb} kB`, `MemFree: ${m.freeKb ?? 0} kB`];
      if (m.availableKb !== undefined) lines.push(`MemAvailable: ${m.availableKb} kB`);
      lines.push('Buffers: 0 kB', 'Cached: 0 kB', `SwapTotal: ${m.swapTotalKb ?? 0} kB`, `SwapFree: ${m.swapFreeKb ?? 0} kB`);
      file('meminfo', lines.join('\n') + '\n');
    },
    netDev(ifaces: FakeIface[]) {
      const head = 'Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';
      file('net/dev', head + ifaces.map((i) => `${i.name.padStart(6)}: ${i.rx} ${i.rxPackets ?? 0} 0 0 0 0 0 0 ${i.tx} ${i.txPackets ?? 0} 0 0 0 0 0 0`).join('\n') + '\n');
    },
    sockets(proto: 'tcp' | 'tcp6' | 'udp' | 'udp6', lines: string[]) {
      file(`net/${proto}`, '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' + lines.map((l) => l + '\n').join(''));
    },
    process(p: FakeProcess) {
      const base = join(procRoot, String(p.pid));
      rmSync(base, { recursive: true, force: true });
      mkdirSync(join(base, 'fd'), { recursive: true });
      const f = ['S', 1, p.pid, p.pid, 0, -1, 4194304, 0, 0, 0, 0, p.ticks, 0, 0, 0, 20, 0, 1, 0, p.start ?? 100, 1000, p.rssPages ?? 0];
      writeFileSync(join(base, 'stat'), `${p.pid} (${p.comm}) ${f.join(' ')} 0 0 0\n`);
      const status = [`Name:\t${p.comm}`, `Uid:\t${p.uid ?? 0}\t${p.uid ?? 0}\t${p.uid ?? 0}\t${p.uid ?? 0}`];
      if (p.rssKb !== undefined) status.push(`VmRSS:\t${p.rssKb} kB`);
      writeFileSync(join(base, 'status'), status.join('\n') + '\n');
      writeFileSync(join(base, 'cmdline'), p.cmdline ? p.cmdline.join('\0') + '\0' : '');
      for (const [fd, target] of Object.entries(p.fds ?? {})) symlinkSync(target, join(base, 'fd', fd));
    },
    kill(pid: number) {
      rmSync(join(procRoot, String(pid)), { recursive: true, force: true });
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
export type FakeProc = ReturnType<typeof createFakeProc>;
