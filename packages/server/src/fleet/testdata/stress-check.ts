/**
 * End-to-end check of the detection requirement on a real host: the /proc collector sampling every
 * 10 s into the default anomaly detector, with a CPU stress (every core busy) and then a memory
 * stress (MEM_GB gigabytes touched) after the warm-up. Prints every sample and every anomaly with
 * the seconds since the stress began. Takes about 8 minutes:
 *   node --import tsx packages/server/src/fleet/testdata/stress-check.ts [MEM_GB]
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { createTelemetryCollector } from '../../agent/telemetry/telemetry-collector.js';
import { createAnomalyDetector, DEFAULT_ANOMALY_CONFIG } from '../anomaly-detector.js';

const memGb = Number(process.argv[2] ?? 4);
const intervalMs = 10_000;
const collector = createTelemetryCollector();
const detector = createAnomalyDetector();
const warm = DEFAULT_ANOMALY_CONFIG.baseline.warmup_samples + 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let workers: Worker[] = [];
let hog: Buffer[] = [];
let stressAt = 0;
let phase = 'idle';

function startCpu() {
  workers = Array.from({ length: availableParallelism() }, () => new Worker('for (;;) {}', { eval: true }));
}
async function stopCpu() {
  await Promise.all(workers.map((w) => w.terminate()));
  workers = [];
}

for (let i = 0; i < warm + 14; i++) {
  if (i === warm) {
    phase = 'cpu';
    stressAt = Date.now();
    startCpu();
  } else if (i === warm + 5) {
    await stopCpu();
    phase = 'rest';
  } else if (i === warm + 8) {
    phase = 'memory';
    stressAt = Date.now();
    hog = Array.from({ length: memGb }, () => Buffer.alloc(1024 ** 3, 1));
  } else if (i === warm + 12) {
    hog = [];
    phase = 'rest';
  }
  const s = await collector.sample();
  const found = detector.observe('this-host', s);
  const since = stressAt ? ((Date.now() - stressAt) / 1000).toFixed(1) : '-';
  console.log(`${s.ts} ${phase.padEnd(6)} cpu ${s.cpu.total_pct.toFixed(1).padStart(5)} % mem ${s.memory.used_pct.toFixed(1).padStart(5)} %  t+${since}s`);
  for (const a of found) console.log(`   ANOMALY ${a.kind} ${a.metric}: ${a.message} (${since} s after the stress began)`);
  await sleep(intervalMs - (Date.now() % intervalMs));
}
await stopCpu();
console.log(hog.length, detector.stats());
