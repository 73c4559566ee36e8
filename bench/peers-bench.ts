import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PEERS, table } from './util.js';

/** CrowdSec and fail2ban on the same log through the peer kit's own script (same machine, same session). */
export function benchPeers(o: { reps: number }) {
  const have = (b: string) => spawnSync('bash', ['-c', `command -v ${b}`]).status === 0;
  const gz = join(PEERS, 'data', 'authlog_1m.log.gz');
  if (!existsSync(gz)) {
    console.log('skip peers bench: ../shared/peers is absent');
    return [];
  }
  if (!have('crowdsec') || !have('fail2ban-regex')) {
    console.log('skip peers bench: CrowdSec/fail2ban are not installed (run ../shared/peers/setup.sh as root once)');
    return [];
  }
  const out = execFileSync(join(PEERS, 'run-log-peers.sh'), [gz, join(PEERS, 'data', 'authlog_1m.truth.tsv'), '--reps', String(o.reps)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
  const rows = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, number | string>);
  console.log('\n## peers on the same log (run-log-peers.sh)\n');
  console.log(table(['peer', 'wall s', 'CPU s', 'peak RSS MB', 'lines/s', 'recall', 'precision'], rows.map((r) => [String(r.peer), Number(r.wall_s).toFixed(2), Number(r.cpu_s).toFixed(2), Number(r.rss_mb), Number(r.lines_per_s), Number(r.recall), Number(r.precision)])));
  return rows;
}
