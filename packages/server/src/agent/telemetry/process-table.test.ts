import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePidStat, parsePidStatus, processCpu, selectTop, type CpuEntry, type PidStat, type ProcScan } from './process-table.js';

const stat = (comm: string, ticks: number, start = 100, rss = 10): PidStat => ({ comm, ticks, start, rssPages: rss });
const scan = (procs: [number, PidStat][], complete = true): ProcScan => ({ at: 0, procs: new Map(procs), count: procs.length, complete });

test('/proc/[pid]/stat: a name with spaces and parentheses, ticks, start, rss pages', () => {
  const text = '4242 (evil) (name) S 1 4242 4242 0 -1 4194304 100 0 0 0 150 50 0 0 20 0 4 0 98765 123456789 2048 18446744073709551615 1 1 0 0 0\n';
  assert.deepEqual(parsePidStat(text), { comm: 'evil) (name', ticks: 200, start: 98765, rssPages: 2048 });
  assert.equal(parsePidStat('4242 no parens'), undefined);
  assert.equal(parsePidStat('4242 (x) S 1 2'), undefined, 'truncated: no numbers');
});

test('/proc/[pid]/status: real uid and VmRSS; kernel threads have no VmRSS', () => {
  assert.deepEqual(parsePidStatus('Name:\tnginx\nUid:\t33\t0\t0\t0\nVmRSS:\t  1234 kB\n'), { uid: 33, rssBytes: 1234 * 1024 });
  assert.deepEqual(parsePidStatus('Name:\tkthreadd\nUid:\t0\t0\t0\t0\n'), { uid: 0, rssBytes: 0 });
});

test('per-process CPU: delta over elapsed ticks per CPU; reused pids and new processes', () => {
  const prev = scan([[1, stat('init', 1000)], [2, stat('busy', 500)], [3, stat('old', 900, 100)]]);
  const cur = scan([[1, stat('init', 1000)], [2, stat('busy', 1500)], [3, stat('reused', 50, 5000)], [4, stat('born', 250, 6000)]]);
  // 1000 elapsed ticks per CPU: busy used 1000 → a full core
  const r = new Map(processCpu(prev, cur, 1000).map((e) => [e.pid, e.cpuPct]));
  assert.deepEqual(Object.fromEntries(r), { 1: 0, 2: 100, 3: 5, 4: 25 });
  // after a bounded (incomplete) scan an unseen pid may just have been skipped: no guess
  assert.equal(processCpu(scan([], false), cur, 1000).find((e) => e.pid === 4)!.cpuPct, 0);
  assert.equal(processCpu(undefined, cur, 1000).every((e) => e.cpuPct === 0), true);
  assert.equal(processCpu(prev, cur, 0).every((e) => e.cpuPct === 0), true, 'no elapsed time → 0, not Infinity');
});

test('top processes: union of top-N by CPU and by RSS, at most 40', () => {
  const entries: CpuEntry[] = Array.from({ length: 200 }, (_, i) => ({ pid: i + 1, stat: stat(`p${i}`, 0, 1, i < 100 ? 1000 - i : 1), cpuPct: i >= 100 ? i : 0 }));
  const top = selectTop(entries, 20);
  assert.equal(top.length, 40);
  assert.equal(top.filter((e) => e.cpuPct > 0).length, 20);
  assert.equal(top[0]!.pid, 200, 'the busiest first');
  assert.equal(top[1]!.pid, 1, 'then the largest');
  assert.equal(selectTop(entries, 40).length, 40);
  const same = [{ pid: 7, stat: stat('both', 0, 1, 999), cpuPct: 50 }];
  assert.deepEqual(selectTop(same, 20).map((e) => e.pid), [7], 'a process in both lists appears once');
});
