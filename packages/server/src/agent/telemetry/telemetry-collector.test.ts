import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { TelemetrySampleSchema } from '@dio/protocol';
import { ManualClock } from '../../shared/clock.js';
import { createProcReader, type ProcReader } from './proc-reader.js';
import { createTelemetryCollector, type TelemetryCollectorOptions } from './telemetry-collector.js';
import { createFakeProc, socketLine, type CpuLine, type FakeProc } from './testdata/fake-proc.js';

const fakes: FakeProc[] = [];
after(() => fakes.forEach((f) => f.cleanup()));

/** A small host: two cores, eth0 + lo, nginx listening on :80, a process about to burn a core. */
function host(step = 0): FakeProc {
  const fake = createFakeProc();
  fakes.push(fake);
  fake.meminfo({ totalKb: 1_000_000, availableKb: 600_000, swapTotalKb: 100_000, swapFreeKb: 75_000 });
  fake.file('loadavg', '0.50 0.40 0.30 2/300 999\n');
  fake.file('mounts', '/dev/sda1 / ext4 rw 0 0\nproc /proc proc rw 0 0\ntmpfs /run tmpfs rw 0 0\n/dev/sda1 /srv/bind ext4 rw 0 0\n');
  fake.etc('passwd', 'root:x:0:0::/root:/bin/sh\nwww-data:x:33:33::/:/bin/false\n');
  fake.process({ pid: 1, comm: 'systemd', ticks: 100, rssPages: 100, uid: 0, rssKb: 400, cmdline: ['/sbin/init'] });
  fake.process({ pid: 200, comm: 'nginx', ticks: 50, rssPages: 2000, uid: 33, rssKb: 8000, cmdline: ['nginx: master process', '-g', 'daemon off;'], fds: { 3: 'socket:[5001]', 4: '/dev/null' } });
  fake.process({ pid: 2, comm: 'kthreadd', ticks: 0 });
  fake.sockets('tcp', [socketLine(0, '00000000:0050', '00000000:0000', 0x0a, 5001), socketLine(1, '0202000A:0050', '0102000A:C350', 0x01, 5002)]);
  fake.sockets('tcp6', [socketLine(0, '00000000000000000000000001000000:1F90', '00000000000000000000000000000000:0000', 0x0a, 5003)]);
  fake.sockets('udp', [socketLine(0, '00000000:0035', '00000000:0000', 0x07, 5004)]);
  counters(fake, step);
  return fake;
}

/** The moving counters after `step` intervals: core0 60 % busy, core1 20 %, the miner a full core. */
function counters(fake: FakeProc, step: number) {
  const core = (busy: number, idle: number): CpuLine => [100 + busy * step, 0, 100, 1000 + idle * step, 0, 0, 0, 0];
  fake.stat([core(600, 400), core(200, 800)]);
  fake.netDev([{ name: 'lo', rx: 5 + 99_999 * step, tx: 5 }, { name: 'eth0', rx: 1000 + 10_000 * step, rxPackets: 10 + 100 * step, tx: 2000 + 5000 * step, txPackets: 20 }]);
  fake.process({ pid: 300, comm: 'xmrig', ticks: 1000 * step, start: 500, rssPages: 50, uid: 1234, rssKb: 200, cmdline: ['./xmrig', '-o', 'pool:3333'] });
}

function collector(fake: FakeProc, extra: Partial<TelemetryCollectorOptions> = {}) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  let step = 0;
  const tick = () => {
    clock.advance(10_000);
    counters(fake, ++step);
  };
  const c = createTelemetryCollector({
    procRoot: fake.procRoot,
    etcRoot: fake.etcRoot,
    clock,
    sleep: () => Promise.resolve(tick()),
    statfs: () => Promise.resolve({ bsize: 4096, blocks: 1000, bfree: 250, bavail: 250 }),
    littleEndian: true,
    ...extra,
  });
  return { c, tick, clock };
}

test('first sample: counters primed, every section parsed, fits the schema', async () => {
  const fake = host();
  const { c } = collector(fake);
  const s = await c.sample();
  assert.deepEqual(TelemetrySampleSchema.safeParse(s).error?.issues, undefined);
  assert.equal(s.ts, '2026-01-01T00:00:10.000Z');
  assert.equal(s.interval_s, 10);
  assert.deepEqual(s.cpu, { total_pct: 40, cores_pct: [60, 20], iowait_pct: 0, steal_pct: 0 });
  assert.deepEqual(s.memory, { total_bytes: 1_024_000_000, used_bytes: 409_600_000, available_bytes: 614_400_000, used_pct: 40 });
  assert.equal(s.swap.used_pct, 25);
  assert.deepEqual(s.load, { load1: 0.5, load5: 0.4, load15: 0.3, runnable: 2, processes: 4 });
  assert.deepEqual(s.network, { rx_bps: 1000, tx_bps: 500, rx_pps: 10, tx_pps: 0, interfaces: [{ name: 'eth0', rx_bps: 1000, tx_bps: 500 }] });
  assert.deepEqual(s.disks, [{ mount: '/', fstype: 'ext4', total_bytes: 4_096_000, used_bytes: 3_072_000, used_pct: 75 }]);
  const miner = s.processes.find((p) => p.pid === 300);
  assert.deepEqual(miner, { pid: 300, name: 'xmrig', user: '1234', cpu_pct: 100, rss_bytes: 204_800, mem_pct: 0.02, cmdline: './xmrig -o pool:3333' });
  assert.equal(s.processes[0]!.pid, 300, 'the busiest process first');
  const nginx = s.processes.find((p) => p.pid === 200)!;
  assert.equal(nginx.user, 'www-data');
  assert.equal(nginx.cmdline, 'nginx: master process -g daemon off;');
  assert.equal(s.processes.some((p) => p.pid === 2), false, 'an idle kernel thread with no memory is in neither top list');
  assert.deepEqual(s.listening, [
    { protocol: 'tcp', address: '0.0.0.0', port: 80, pid: 200, process: 'nginx' },
    { protocol: 'tcp6', address: '::1', port: 8080 },
    { protocol: 'udp', address: '0.0.0.0', port: 53 },
  ]);
  assert.deepEqual(s.connections, { established: 1, time_wait: 0, total: 1, by_state: { LISTEN: 2, ESTABLISHED: 1 } });
});

test('later samples are deltas over their own interval', async () => {
  const fake = host();
  const { c, tick } = collector(fake);
  await c.sample();
  tick();
  // the second interval: core1 goes idle, the miner stops, eth0 quiet
  const s2Counters = () => {
    fake.stat([[100 + 1200, 0, 100, 1000 + 800, 0, 0, 0, 0], [100 + 200, 0, 100, 1000 + 1800, 0, 0, 0, 0]]);
    fake.netDev([{ name: 'eth0', rx: 1000 + 10_000, tx: 2000 + 5000 }]);
    fake.process({ pid: 300, comm: 'xmrig', ticks: 1000, start: 500, rssPages: 50, uid: 1234, rssKb: 200 });
  };
  s2Counters();
  const s = await c.sample();
  assert.equal(s.interval_s, 10);
  assert.deepEqual(s.cpu.cores_pct, [60, 0]);
  assert.equal(s.cpu.total_pct, 30);
  assert.equal(s.network.rx_bps, 0);
  assert.equal(s.processes.find((p) => p.pid === 300)?.cpu_pct, 0);
});

test('processes that vanish mid-read are skipped, never an error', async () => {
  const fake = host();
  fake.file('400/status', 'Name:\thalf\n'); // a pid dir whose stat is already gone
  const base = createProcReader();
  const reader: ProcReader = { read: (p, max) => base.read(p, max), readOnce: (p, max) => (p.endsWith('/300/status') ? undefined : base.readOnce(p, max)) };
  const { c, tick } = collector(fake, { reader });
  const s = await c.sample();
  assert.equal(s.processes.some((p) => p.pid === 300 || p.pid === 400), false);
  assert.equal(s.load.processes, 5, 'still counted as a pid directory');
  fake.kill(200);
  tick();
  const s2 = await c.sample();
  assert.equal(s2.processes.some((p) => p.pid === 200), false);
  assert.ok(TelemetrySampleSchema.safeParse(s2).success);
});

test('a reused pid is a new process: all its ticks fall in the interval', async () => {
  const fake = host();
  const { c, clock } = collector(fake);
  await c.sample();
  clock.advance(10_000);
  fake.stat([[1300, 0, 100, 1800, 0, 0, 0, 0], [500, 0, 100, 2600, 0, 0, 0, 0]]); // 1000 ticks per CPU elapsed
  fake.process({ pid: 300, comm: 'other', ticks: 300, start: 9999, rssPages: 1, rssKb: 4 });
  const s = await c.sample();
  assert.deepEqual(s.processes.find((p) => p.pid === 300)?.cpu_pct, 30);
  assert.equal(s.processes.find((p) => p.pid === 300)?.name, 'other');
});

test('long command lines are cut to 1024 characters', async () => {
  const fake = host();
  fake.process({ pid: 500, comm: 'java', ticks: 0, rssPages: 99_999, rssKb: 400_000, cmdline: ['java', '-cp', 'x'.repeat(5000)] });
  const { c } = collector(fake);
  const s = await c.sample();
  assert.equal(s.processes.find((p) => p.pid === 500)?.cmdline?.length, 1024);
});

test('bounds: listeners, interfaces, disks, processes and scanned pids', async () => {
  const fake = host();
  const port = (i: number) => (1024 + i).toString(16).toUpperCase().padStart(4, '0');
  fake.sockets('tcp', Array.from({ length: 3000 }, (_, i) => socketLine(i, `00000000:${port(i)}`, '00000000:0000', 0x0a, 10_000 + i)));
  fake.file('mounts', Array.from({ length: 100 }, (_, i) => `/dev/vd${i} /m${i} ext4 rw 0 0`).join('\n'));
  for (let i = 0; i < 60; i++) fake.process({ pid: 1000 + i, comm: `w${i}`, ticks: 0, rssPages: 10 + i, rssKb: 40 + i });
  const { c } = collector(fake, { topN: 40, maxPids: 30, sleep: () => Promise.resolve() });
  fake.netDev(Array.from({ length: 300 }, (_, i) => ({ name: `eth${i}`, rx: 0, tx: 0 })));
  const s = await c.sample();
  assert.ok(TelemetrySampleSchema.safeParse(s).success);
  assert.equal(s.listening.length, 2048, 'tcp listeners fill the list; later tables are cut');
  assert.equal(c.stats().listenersTruncated, 3000 - 2048 + 2);
  assert.equal(s.network.interfaces.length, 256);
  assert.equal(s.disks.length, 64);
  assert.equal(s.load.processes, 64, 'every pid directory counted');
  assert.ok(s.processes.length <= 30, 'only maxPids processes read');
  assert.ok(s.processes.some((p) => p.pid === 1059), 'the newest are read');
  assert.equal(s.processes.some((p) => p.pid < 1000), false, 'the oldest are not');
});

test('socket owners: found once, reused, new listeners looked up without rescanning every sample', async () => {
  const fake = host();
  const { c, tick } = collector(fake);
  await c.sample();
  assert.equal(c.stats().socketScans, 1);
  assert.equal(c.stats().unresolvedSockets, 2, 'tcp6 :8080 and udp :53 have no visible owner');
  tick();
  await c.sample();
  assert.equal(c.stats().socketScans, 1, 'nothing new: no fd scan');
  fake.process({ pid: 1, comm: 'systemd', ticks: 100, rssPages: 100, rssKb: 400, fds: { 9: 'socket:[6001]' } });
  fake.sockets('tcp', [socketLine(0, '00000000:0050', '00000000:0000', 0x0a, 5001), socketLine(1, '00000000:0016', '00000000:0000', 0x0a, 6001)]);
  tick();
  const s3 = await c.sample();
  assert.equal(s3.listening.find((l) => l.port === 22)?.pid, undefined, 'at most one fd scan every 3 samples');
  tick();
  const s4 = await c.sample();
  assert.equal(c.stats().socketScans, 2);
  assert.deepEqual(s4.listening.find((l) => l.port === 22), { protocol: 'tcp', address: '0.0.0.0', port: 22, pid: 1, process: 'systemd' });
  assert.equal(s4.listening.find((l) => l.port === 80)?.pid, 200, 'still known without a rescan');
});

test('explicit mounts replace discovery; a missing required file is a clear error', async () => {
  const fake = host();
  const { c } = collector(fake, { mounts: ['/srv/bind', '/nowhere'] });
  const s = await c.sample();
  assert.deepEqual(s.disks.map((d) => [d.mount, d.fstype]), [['/srv/bind', 'ext4'], ['/nowhere', undefined]]);
  const empty = createFakeProc();
  fakes.push(empty);
  await assert.rejects(createTelemetryCollector({ procRoot: empty.procRoot, primeMs: 0 }).sample(), { code: 'telemetry.unreadable' });
});

test('overlapping sample() calls run one after the other', async () => {
  const fake = host();
  const { c, clock } = collector(fake);
  const [a, b] = await Promise.all([c.sample(), (clock.advance(5000), c.sample())]);
  assert.equal(c.stats().samples, 2);
  assert.ok(Date.parse(b.ts) >= Date.parse(a.ts));
  assert.ok(TelemetrySampleSchema.safeParse(b).success);
});
