import type { Clock } from '../../shared/clock.js';
import { systemClock } from '../../shared/clock.js';

export interface SelfUsage {
  agent_rss_bytes: number;
  /** % of one core since the previous call (since process start on the first). */
  agent_cpu_pct: number;
}

export interface SelfUsageDeps {
  clock?: Clock;
  /** Microseconds of user + system CPU this process used so far. */
  cpuMicros?: () => number;
  rssBytes?: () => number;
  uptimeS?: () => number;
}

/**
 * The agent's own footprint for its heartbeat (LoadSummary keys, so it spreads in). Node's own
 * counters are used rather than /proc/self/stat: same numbers, no file read, works in tests.
 */
export function createSelfUsage(deps: SelfUsageDeps = {}) {
  const clock = deps.clock ?? systemClock;
  const cpuMicros = deps.cpuMicros ?? (() => {
    const u = process.cpuUsage();
    return u.user + u.system;
  });
  const rssBytes = deps.rssBytes ?? (() => process.memoryUsage.rss());
  const uptimeS = deps.uptimeS ?? (() => process.uptime());
  let last: { at: number; cpu: number } | undefined;

  return {
    selfUsage(): SelfUsage {
      const at = clock.now();
      const cpu = cpuMicros();
      const wallMicros = last ? (at - last.at) * 1000 : uptimeS() * 1e6;
      const used = cpu - (last?.cpu ?? 0);
      last = { at, cpu };
      const pctv = wallMicros > 0 && used > 0 ? Math.min(10_000, Math.round((used / wallMicros) * 10_000) / 100) : 0;
      return { agent_rss_bytes: Math.max(0, Math.round(rssBytes())), agent_cpu_pct: pctv };
    },
  };
}
