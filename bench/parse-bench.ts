/**
 * Parse-stage throughput: lines pre-loaded into memory, one core, `type: 'auto'`.
 *   node --import tsx bench/parse-bench.ts [file.log[.gz]] [--type auto] [--rounds 5]
 * Run it with --single-threaded-gc to keep GC on the measured core.
 * Default file: <repo>/../shared/peers/data/authlog_1m.log.gz. Target: >= 1,000,000 lines/s.
 * Reports the best and median of several full passes (the first pass also warms the JIT and the
 * timestamp caches), plus the share of lines parsed.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readLogLines } from '../packages/server/src/pipeline/parse/golden-case.js';
import { loadParsers } from '../packages/server/src/pipeline/parse/load-parsers.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const flag = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args.splice(i, 2)[1] : dflt;
};
const type = flag('--type', 'auto') ?? 'auto';
const rounds = Number(flag('--rounds', '5'));
const file = args[0] ?? join(repoRoot, '..', 'shared', 'peers', 'data', 'authlog_1m.log.gz');
if (!existsSync(file)) {
  console.error(`input not found: ${file}`);
  process.exit(2);
}

const parsers = await loadParsers(join(repoRoot, 'content', 'parsers'));
const t0 = performance.now();
const lines = readLogLines(file);
console.log(`loaded ${lines.length} lines from ${file} in ${(performance.now() - t0).toFixed(0)} ms`);

const ctx = { source: 'bench', type, referenceTime: Date.parse('2025-10-14T00:00:00Z') };
const rates: number[] = [];
const cpuRates: number[] = [];
let parsed = 0;
let sink = 0;
for (let r = 0; r < rounds; r++) {
  parsed = 0;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < lines.length; i++) {
    const ev = parsers.parse(lines[i]!, ctx);
    if (ev !== null) {
      parsed++;
      sink += ev.ts & 1;
    }
  }
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  rates.push(lines.length / (ms / 1000));
  cpuRates.push(lines.length / (cpuMs / 1000));
  console.log(`round ${r + 1}: ${ms.toFixed(0)} ms wall (${Math.round(rates[r]!).toLocaleString('en-US')} lines/s), ${cpuMs.toFixed(0)} ms cpu (${Math.round(cpuRates[r]!).toLocaleString('en-US')} lines/cpu-s)`);
}
const sorted = [...rates].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)];
const best = sorted[sorted.length - 1];
console.log(`type=${type} parsed ${parsed}/${lines.length} (${((100 * parsed) / lines.length).toFixed(2)}%)`);
console.log(`wall: best ${Math.round(best!).toLocaleString('en-US')} lines/s, median ${Math.round(median!).toLocaleString('en-US')} lines/s (sink ${sink})`);
const cpuSorted = [...cpuRates].sort((a, b) => a - b);
console.log(`cpu:  best ${Math.round(cpuSorted[cpuSorted.length - 1]!).toLocaleString('en-US')} lines/cpu-s, median ${Math.round(cpuSorted[Math.floor(cpuSorted.length / 2)]!).toLocaleString('en-US')} lines/cpu-s (cpu time includes GC helper threads)`);
