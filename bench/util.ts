import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SHARED = resolve(REPO, '..', 'shared');
export const PEERS = join(SHARED, 'peers');
export const DIO_BIN = join(REPO, 'packages', 'server', 'bin', 'dio.js');

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** Decompresses a .gz once into /tmp (untimed, warms the page cache), as the peer kit does. */
export function plainCopy(gz: string): string {
  const out = join('/tmp', `dio-bench-${gz.split('/').pop()!.replace(/\.gz$/, '')}`);
  if (!existsSync(out)) execFileSync('bash', ['-c', `zcat '${gz}' > '${out}.tmp' && mv '${out}.tmp' '${out}'`]);
  execFileSync('bash', ['-c', `cat '${out}' > /dev/null`]);
  return out;
}

export interface TimedRun {
  wall_s: number;
  cpu_s: number;
  rss_mb: number;
  exit: number;
  stdout: string;
}

/** Runs a command under GNU time -v: wall, CPU (user+sys) and peak RSS of the whole process. */
export function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<TimedRun> {
  return new Promise((res, rej) => {
    const tf = `/tmp/dio-bench-time-${process.pid}-${Date.now()}`;
    const child = spawn('/usr/bin/time', ['-v', '-o', tf, cmd, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.on('error', rej);
    child.on('close', (code) => {
      const t = readFileSync(tf, 'utf8');
      const num = (re: RegExp) => Number(re.exec(t)?.[1] ?? NaN);
      const wallParts = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (.+)/.exec(t)?.[1]?.split(':').map(Number) ?? [NaN];
      const wall = wallParts.reduce((a, b) => a * 60 + b, 0);
      res({ wall_s: wall, cpu_s: num(/User time \(seconds\): ([\d.]+)/) + num(/System time \(seconds\): ([\d.]+)/), rss_mb: num(/Maximum resident set size \(kbytes\): (\d+)/) / 1024, exit: code ?? -1, stdout });
    });
  });
}

/** Scores flagged IPs (JSON lines with "value") with the peer kit's score.py. */
export function score(truth: string, flaggedJsonLines: string): Record<string, unknown> {
  const out = execFileSync('python3', [join(PEERS, 'score.py'), truth, '-', '--quiet'], { input: flaggedJsonLines, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
}

export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r: Array<string | number>) => '| ' + r.map((c, i) => String(c).padEnd(w[i]!)).join(' | ') + ' |';
  return [line(headers), '|' + w.map((n) => '-'.repeat(n + 2)).join('|') + '|', ...rows.map(line)].join('\n');
}
