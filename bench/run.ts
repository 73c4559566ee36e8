/**
 * `npm run bench` — reproducible benchmarks of DIO against its peers on this machine.
 *
 *   npm run bench                 all benchmarks that can run here
 *   npm run bench -- replay       dio replay on the shared 1M-line auth log (+ score)
 *   npm run bench -- peers        the same log through CrowdSec and fail2ban (needs ../shared/peers/setup.sh once, as root)
 *   npm run bench -- live         live tail latency at 10,000 lines/s (dry-run, and nftables in a namespace as root)
 *   npm run bench -- startup      `dio up` ready time and idle RSS
 *   npm run bench -- fleet        1,000 signed agents (heartbeat + telemetry every 10 s) + 20,000 ingested events/s: API latency (BENCH_FLEET_*)
 *   npm run bench -- agents       decision → verified on 3 agents (dry-run, nftables in namespaces as root); idle agent RSS/CPU
 *
 * Results are printed as tables and written as JSON under bench/results/ (git-ignored).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchReplay } from './replay-bench.js';
import { benchPeers } from './peers-bench.js';
import { benchLive } from './live-bench.js';
import { benchStartup } from './startup-bench.js';
import { benchFleet, fleetOptionsFromEnv } from './fleet-load-bench.js';
import { benchAgents } from './agent-bench.js';
import { REPO } from './util.js';

const which = new Set(process.argv.slice(2).filter((a) => !a.startsWith('-')));
const all = which.size === 0;
const results: Record<string, unknown> = {};
const reps = Number(process.env.BENCH_REPS ?? 3);

if (all || which.has('replay')) results.replay = await benchReplay({ reps });
if (all || which.has('peers')) results.peers = benchPeers({ reps: Math.min(reps, Number(process.env.BENCH_PEER_REPS ?? 1)) });
const liveSeconds = Number(process.env.BENCH_LIVE_SECONDS ?? 20);
if (all || which.has('live')) {
  results.live = await benchLive({ rate: 10_000, seconds: liveSeconds, firewall: 'dry-run' });
  // Real nftables sets need root; they run in a network namespace created for the run.
  if (process.getuid?.() === 0) results.live_nftables = await benchLive({ rate: 10_000, seconds: liveSeconds, firewall: 'nftables' });
  else console.log('skip live nftables bench: needs root (it creates a network namespace)');
}
if (all || which.has('startup')) results.startup = await benchStartup({ reps });
if (all || which.has('fleet')) results.fleet = await benchFleet(fleetOptionsFromEnv());
if (all || which.has('agents')) results.agents = await benchAgents();

const dir = join(REPO, 'bench', 'results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(results, null, 2));
console.log(`\nresults written to ${file}`);
