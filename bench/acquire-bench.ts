/**
 * Acquire-stage benchmark: replay throughput (gzip and plain) and file-tail latency.
 *
 *   node --import tsx bench/acquire-bench.ts [--gz FILE.gz] [--rate 10000] [--seconds 10] [--skip-replay] [--skip-tail]
 *
 * Replay: the file goes through the real replay source (1 MiB reads, gunzip, splitter, batches)
 * into a no-op sink; "split+decode" is the splitter alone on the plain file already in memory.
 * Tail: a child process appends lines (one write() per line, each stamped with the monotonic
 * clock) at --rate for --seconds; the sink records append→sink latency.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileTailSource } from '../packages/server/src/pipeline/acquire/file-tail-source.js';
import { LineSplitter } from '../packages/server/src/pipeline/acquire/line-splitter.js';
import type { LineBatch, OffsetStore } from '../packages/server/src/pipeline/acquire/port.js';
import { createReplaySource } from '../packages/server/src/pipeline/acquire/replay-source.js';
import { silentLogger } from '../packages/server/src/shared/logger.js';
import type { SourceOffset } from '../packages/server/src/storage/port.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? args[i + 1] : undefined;
  return v ?? dflt;
};
const gzPath = opt('gz', '/work/shared/peers/data/authlog_1m.log.gz');
const rate = Number(opt('rate', '10000'));
const seconds = Number(opt('seconds', '10'));
const logger = silentLogger();

async function replay(path: string, runs = 3): Promise<void> {
  let best = Infinity;
  let lines = 0;
  for (let r = 0; r < runs; r++) {
    lines = 0;
    const src = createReplaySource({ path, logger });
    const t0 = performance.now();
    await src.start((b: LineBatch) => {
      lines += b.lines.length;
      return Promise.resolve();
    });
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  const mb = statSync(path).size / 1e6;
  console.log(`replay ${path} (${mb.toFixed(1)} MB): ${lines} lines in ${best.toFixed(3)} s (best of ${runs}) = ${Math.round(lines / best).toLocaleString('en')} lines/s`);
}

function splitOnly(path: string, runs = 5): void {
  const all = readFileSync(path);
  const chunks: Buffer[] = [];
  for (let o = 0; o < all.length; o += 1 << 20) chunks.push(Buffer.from(all.subarray(o, Math.min(all.length, o + (1 << 20)))));
  let best = Infinity;
  let n = 0;
  for (let r = 0; r < runs; r++) {
    const s = new LineSplitter();
    n = 0;
    const t0 = performance.now();
    for (const c of chunks) {
      const out = { lines: [] as string[], ends: [] as number[] };
      s.push(c, out);
      n += out.lines.length;
    }
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  console.log(`split+decode in memory (${(all.length / 1e6).toFixed(1)} MB): ${n} lines in ${best.toFixed(3)} s (best of ${runs}) = ${Math.round(n / best).toLocaleString('en')} lines/s`);
}

const WRITER = `
const fs = require('fs');
const [path, rate, secs] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const fd = fs.openSync(path, 'a');
const total = rate * secs;
const start = process.hrtime.bigint();
let sent = 0;
function tick() {
  const due = Math.min(total, Math.floor(Number(process.hrtime.bigint() - start) / 1e9 * rate));
  while (sent < due) {
    fs.writeSync(fd, process.hrtime.bigint() + ' Oct  6 00:00:01 bastion01 sshd[20020]: Failed password for invalid user admin from 198.51.100.223 port 8694 ssh2 #' + sent + '\\n');
    sent++;
  }
  if (sent < total) setTimeout(tick, 1); else fs.closeSync(fd);
}
tick();
`;

async function tailLatency(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dio-acq-bench-'));
  const path = join(dir, 'auth.log');
  writeFileSync(path, '');
  const mem = new Map<string, SourceOffset>();
  const offsets: OffsetStore = { getOffset: (s) => Promise.resolve(mem.get(s)), saveOffset: (o) => (mem.set(o.source, o), Promise.resolve()) };
  const total = rate * seconds;
  const lat = new Float64Array(total);
  let n = 0;
  let batches = 0;
  const src = createFileTailSource({ path, offsets, logger });
  await src.start((b) => {
    const now = process.hrtime.bigint();
    batches++;
    for (const l of b.lines) if (n < total) lat[n++] = Number(now - BigInt(l.slice(0, l.indexOf(' ')))) / 1e6;
    return Promise.resolve();
  });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const child = spawn(process.execPath, ['-e', WRITER, path, String(rate), String(seconds)], { stdio: 'inherit' });
  await new Promise((r) => child.on('exit', r));
  const until = Date.now() + 10_000;
  while (n < total && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await src.stop();
  rmSync(dir, { recursive: true, force: true });
  const sorted = lat.slice(0, n).sort();
  const q = (p: number) => (sorted[Math.min(n - 1, Math.floor(p * n))] ?? NaN).toFixed(2);
  console.log(
    `tail latency append→sink at ${rate} lines/s for ${seconds} s: ${n}/${total} lines, ${batches} batches (${(n / batches).toFixed(1)} lines/batch); ` +
      `p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, p99.9 ${q(0.999)} ms, max ${q(1)} ms; reader CPU ${(((cpu.user + cpu.system) / 1e6 / wall) * 100).toFixed(1)}% of one core`,
  );
}

if (!args.includes('--skip-replay')) {
  const plain = join(tmpdir(), 'dio-acquire-bench-plain.log');
  if (!existsSync(plain)) writeFileSync(plain, execFileSync('zcat', [gzPath], { maxBuffer: 1 << 30 }));
  await replay(gzPath);
  await replay(plain);
  splitOnly(plain);
}
if (!args.includes('--skip-tail')) await tailLatency();
