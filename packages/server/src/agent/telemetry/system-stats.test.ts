import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coresDelta, countsInTotal, cpuDelta, memorySection, networkDelta, parseLoadavg, parseMeminfo, parseNetDev, parseProcStat } from './system-stats.js';

const STAT = `cpu  100 10 50 800 20 5 5 10 7 0
cpu0 50 5 25 400 10 2 3 5 7 0
cpu1 50 5 25 400 10 3 2 5 0 0
intr 12345 1 2
ctxt 987
btime 1767225600
processes 4242
procs_running 3
procs_blocked 0
`;

test('/proc/stat: busy excludes idle, iowait and steal; guest is already inside user', () => {
  const s = parseProcStat(STAT);
  assert.deepEqual(s.all, { busy: 170, idle: 800, iowait: 20, steal: 10, total: 1000 });
  assert.equal(s.cores.length, 2);
  assert.equal(s.cores[1]!.index, 1);
  assert.equal(s.btime, 1767225600);
  assert.equal(s.running, 3);
});

test('CPU % is a delta between two reads; counters going backwards count as idle', () => {
  const a = parseProcStat(STAT);
  const b = parseProcStat(STAT.replace('cpu  100 10 50 800 20 5 5 10', 'cpu  400 10 50 860 40 5 5 30').replace('cpu0 50 5 25 400', 'cpu0 350 5 25 400'));
  // +300 busy, +60 idle, +20 iowait, +20 steal over +400 total
  assert.deepEqual(cpuDelta(a.all, b.all), { total_pct: 75, iowait_pct: 5, steal_pct: 5 });
  assert.deepEqual(coresDelta(a, b), [100, 0]);
  assert.deepEqual(cpuDelta(b.all, a.all), { total_pct: 0, iowait_pct: 0, steal_pct: 0 });
  assert.deepEqual(cpuDelta(a.all, a.all).total_pct, 0, 'no time elapsed → 0, not NaN');
});

test('per-core % pairs cores by number (an offlined core drops out)', () => {
  const a = parseProcStat('cpu 0 0 0 0\ncpu0 0 0 0 100\ncpu1 0 0 0 100\ncpu2 0 0 0 100\n');
  const b = parseProcStat('cpu 0 0 0 0\ncpu0 50 0 0 150\ncpu2 100 0 0 100\n');
  assert.deepEqual(coresDelta(a, b), [50, 100]);
  assert.equal(parseProcStat('cpu 1 1 1 1\n' + Array.from({ length: 2000 }, (_, i) => `cpu${i} 1 1 1 1`).join('\n')).cores.length, 1024);
});

test('meminfo: used = total - MemAvailable, with the pre-3.14 fallback', () => {
  const m = parseMeminfo('MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    250 kB\nBuffers: 50 kB\nCached: 100 kB\nSwapTotal: 400 kB\nSwapFree: 300 kB\n');
  assert.deepEqual(m, { totalBytes: 1_024_000, availableBytes: 256_000, swapTotalBytes: 409_600, swapFreeBytes: 307_200 });
  assert.deepEqual(memorySection(m), {
    memory: { total_bytes: 1_024_000, used_bytes: 768_000, available_bytes: 256_000, used_pct: 75 },
    swap: { total_bytes: 409_600, used_bytes: 102_400, used_pct: 25 },
  });
  const old = parseMeminfo('MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 100 kB\n');
  assert.equal(old.availableBytes, 250 * 1024);
  assert.equal(memorySection(old).swap.used_pct, 0, 'no swap → 0 %, not NaN');
});

test('loadavg', () => {
  assert.deepEqual(parseLoadavg('2.44 1.27 0.55 3/158 30339\n'), { load1: 2.44, load5: 1.27, load15: 0.55, runnable: 3 });
  assert.deepEqual(parseLoadavg(''), { load1: 0, load5: 0, load15: 0 });
});

test('net/dev: loopback skipped, both spacing styles, bounded', () => {
  const text = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 8719394    2820    0    0    0     0          0         0  8719394    2820    0    0    0     0       0          0
  eth0: 1000 10 0 0 0 0 0 0 2000 20 0 0 0 0 0 0
wlan0:5000 50 0 0 0 0 0 0 6000 60 0 0 0 0 0 0
`;
  assert.deepEqual(parseNetDev(text), [
    { name: 'eth0', rxBytes: 1000, rxPackets: 10, txBytes: 2000, txPackets: 20 },
    { name: 'wlan0', rxBytes: 5000, rxPackets: 50, txBytes: 6000, txPackets: 60 },
  ]);
  const many = Array.from({ length: 300 }, (_, i) => `eth${i}: 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0`).join('\n');
  assert.equal(parseNetDev(many).length, 256);
});

test('network rates: bytes per second, resets count 0, virtual links not double counted in totals', () => {
  const a = [
    { name: 'eth0', rxBytes: 1000, rxPackets: 10, txBytes: 5000, txPackets: 50 },
    { name: 'veth12ab', rxBytes: 0, rxPackets: 0, txBytes: 0, txPackets: 0 },
    { name: 'wg0', rxBytes: 9000, rxPackets: 9, txBytes: 9000, txPackets: 9 },
  ];
  const b = [
    { name: 'eth0', rxBytes: 21_000, rxPackets: 30, txBytes: 15_000, txPackets: 70 },
    { name: 'veth12ab', rxBytes: 4000, rxPackets: 4, txBytes: 4000, txPackets: 4 },
    { name: 'wg0', rxBytes: 10, rxPackets: 1, txBytes: 10, txPackets: 1 }, // re-created: counters restarted
    { name: 'new0', rxBytes: 777, rxPackets: 7, txBytes: 777, txPackets: 7 },
  ];
  const r = networkDelta(a, b, 10);
  assert.deepEqual(r, {
    rx_bps: 2000,
    tx_bps: 1000,
    rx_pps: 2,
    tx_pps: 2,
    interfaces: [
      { name: 'eth0', rx_bps: 2000, tx_bps: 1000 },
      { name: 'veth12ab', rx_bps: 400, tx_bps: 400 },
      { name: 'wg0', rx_bps: 0, tx_bps: 0 },
    ],
  });
  assert.equal(networkDelta(a, b, 0).rx_bps, 0);
  assert.equal(countsInTotal('docker0'), false);
  assert.equal(countsInTotal('enp3s0'), true);
});
