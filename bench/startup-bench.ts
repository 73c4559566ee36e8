import { median, table } from './util.js';
import { rssMb, startDio } from './dio-process.js';

/** `dio up` (embedded defaults, no sources): time until the API answers, and RSS after 5 s idle. */
export async function benchStartup(o: { reps: number }) {
  const runs: Array<{ ready_ms: number; idle_rss_mb: number }> = [];
  for (let i = 0; i < o.reps; i++) {
    const p = await startDio('sources: []\n');
    await new Promise((r) => setTimeout(r, 5000));
    runs.push({ ready_ms: Math.round(p.readyMs), idle_rss_mb: Math.round(rssMb(p.child.pid!)) });
    await p.stop();
  }
  const res = { reps: o.reps, ready_ms_median: median(runs.map((r) => r.ready_ms)), idle_rss_mb_median: median(runs.map((r) => r.idle_rss_mb)), runs };
  console.log('\n## dio up start-up\n');
  console.log(table(['ready ms (median)', 'idle RSS MB (median)', 'runs'], [[res.ready_ms_median, res.idle_rss_mb_median, runs.map((r) => `${r.ready_ms}ms/${r.idle_rss_mb}MB`).join(' ')]]));
  return res;
}
