import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DIO_BIN, PEERS, median, plainCopy, score, table, timed } from './util.js';

/**
 * dio replay on the peer kit's synthetic auth logs: detection quality (score.py against the
 * truth file) and throughput / CPU / peak RSS of the whole process (GNU time), median of reps.
 */
export async function benchReplay(o: { reps: number }) {
  const out: Record<string, unknown>[] = [];
  for (const name of ['authlog_1m']) {
    const gz = join(PEERS, 'data', `${name}.log.gz`);
    const truth = join(PEERS, 'data', `${name}.truth.tsv`);
    if (!existsSync(gz)) {
      console.log(`skip replay bench: ${gz} is absent (../shared not beside the repo)`);
      continue;
    }
    const plain = plainCopy(gz);
    const runs = [];
    for (let i = 0; i < o.reps; i++) runs.push(await timed(process.execPath, [DIO_BIN, 'replay', plain, '-o', 'json', '--no-progress'], { DIO_LOG_LEVEL: 'error' }));
    const last = runs[runs.length - 1]!;
    const lines = last.stdout.trim().split('\n');
    const summary = JSON.parse(lines[lines.length - 1]!) as { lines: number; seconds: number };
    const s = score(truth, last.stdout);
    const wall = median(runs.map((r) => r.wall_s));
    const row = {
      tool: 'dio replay',
      log: `${name}.log`,
      lines: summary.lines,
      reps: o.reps,
      wall_s: wall,
      wall_s_min: Math.min(...runs.map((r) => r.wall_s)),
      wall_s_max: Math.max(...runs.map((r) => r.wall_s)),
      cpu_s: median(runs.map((r) => r.cpu_s)),
      rss_mb: Math.round(median(runs.map((r) => r.rss_mb))),
      lines_per_s_process: Math.round(summary.lines / wall),
      lines_per_s_pipeline: Math.round(median(runs.map((r) => { const l = r.stdout.trim().split('\n'); const sm = JSON.parse(l[l.length - 1]!) as { lines_per_s: number }; return sm.lines_per_s; }))),
      recall: s.recall,
      precision: s.precision,
      tp: s.tp,
      fp: s.fp,
      fn: s.fn,
      scanners_flagged: s.scanners_flagged,
      fn_by_category: s.fn_by_category,
      fp_by_category: s.fp_by_category,
    };
    out.push(row);
  }
  console.log('\n## dio replay (median of reps; whole process incl. start-up)\n');
  console.log(table(['log', 'lines', 'wall s', 'CPU s', 'peak RSS MB', 'lines/s (process)', 'lines/s (pipeline)', 'recall', 'precision', 'FP', 'FN'], out.map((r) => [String(r.log), Number(r.lines), Number(r.wall_s).toFixed(2), Number(r.cpu_s).toFixed(2), Number(r.rss_mb), Number(r.lines_per_s_process), Number(r.lines_per_s_pipeline), Number(r.recall), Number(r.precision), Number(r.fp), Number(r.fn)])));
  return out;
}
