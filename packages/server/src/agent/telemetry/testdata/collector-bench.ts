/**
 * Cost of one telemetry sample on this machine:
 *   node --import tsx packages/server/src/agent/telemetry/testdata/collector-bench.ts [samples] [procRoot]
 * The first (priming) sample is excluded. CPU time is this process's user + system time, which
 * includes the kernel's work of generating the /proc files — the cost the host really pays.
 */
import { performance } from 'node:perf_hooks';
import { createTelemetryCollector } from '../telemetry-collector.js';

const n = Number(process.argv[2] ?? 100);
const procRoot = process.argv[3] ?? '/proc';
const c = createTelemetryCollector({ procRoot });
const first = await c.sample();

const wall: number[] = [];
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < n; i++) {
  const t = performance.now();
  await c.sample();
  wall.push(performance.now() - t);
}
const total = performance.now() - t0;
const used = process.cpuUsage(cpu0);
wall.sort((a, b) => a - b);
const q = (p: number) => wall[Math.min(wall.length - 1, Math.floor(p * wall.length))]!.toFixed(2);
const cpuMs = (used.user + used.system) / 1000 / n;

console.log(`host: ${first.load.processes} processes, ${first.listening.length} listeners, ${first.connections.total} connections, ${first.cpu.cores_pct.length} cores`);
console.log(`samples: ${n}   wall ms/sample: mean ${(total / n).toFixed(2)} p50 ${q(0.5)} p95 ${q(0.95)} max ${q(1)}`);
console.log(`cpu ms/sample: ${cpuMs.toFixed(2)} (user ${(used.user / 1000 / n).toFixed(2)}, system ${(used.system / 1000 / n).toFixed(2)})`);
console.log(`at a 10 s interval: ${((cpuMs / 10_000) * 100).toFixed(3)} % of one core`);
console.log('collector stats:', c.stats());
