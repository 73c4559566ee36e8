/**
 * `npm run bench -- fleet`: 1,000 simulated agents + 20,000 ingested events/s against one `dio up`.
 * Environment (defaults = the target): BENCH_FLEET_AGENTS (1000), BENCH_FLEET_INTERVAL
 * (heartbeat and telemetry period, 10 s), BENCH_FLEET_EVENTS (20000/s), BENCH_FLEET_BATCH (1000
 * events per batch), BENCH_FLEET_ATTACKERS (2 new brute-force sources/s), BENCH_FLEET_SECONDS (60,
 * measured), BENCH_FLEET_WARMUP (10 s, not measured), BENCH_FLEET_SOCKETS / _INGEST_SOCKETS (client
 * keep-alive pools, 128 / 64). To profile the server, start `dio up` yourself (e.g. under
 * `node --cpu-prof`) and call `driveFleet` with its URL, directory and pid.
 */
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Agent as HttpAgent } from 'node:http';
import { join } from 'node:path';
import { createTelemetryCollector } from '../packages/server/src/agent/telemetry/telemetry-collector.js';
import { loadParsers } from '../packages/server/src/pipeline/parse/load-parsers.js';
import { startDio } from './dio-process.js';
import { buildBatches, enrollFleet, simAgentName, heartbeatBody, http, signedHeaders, summarize, telemetryBody, watchProcess, type HttpResult } from './fleet-sim.js';
import { REPO, table } from './util.js';

export interface FleetOptions {
  agents: number;
  seconds: number;
  /** Ingested events per second, shipped in gzip batches of `batchEvents`. */
  eventsPerS: number;
  batchEvents: number;
  /** New brute-force sources per second inside the ingested traffic (each gets an alert and a ban). */
  attackersPerS: number;
  /** Heartbeat and telemetry period of every agent. */
  intervalS: number;
  /** Load runs this long before latencies are recorded (JIT, caches). */
  warmupS: number;
}

const CLASSES = ['heartbeat', 'telemetry', 'ingest', 'GET /agents', 'GET /alerts'] as const;
type Klass = (typeof CLASSES)[number];

/**
 * Fleet load: one `dio up` (embedded SQLite + memory broker), `agents` enrolled simulated agents,
 * each heartbeating and sending a telemetry sample every `intervalS` (spread evenly), plus
 * `eventsPerS` sshd events ingested as signed gzip batches (the agents' log shippers), plus a
 * low-rate operator probe (GET /api/v1/agents?limit=50 and GET /api/v1/alerts?limit=50, each
 * every 200 ms with the admin key). Open loop: a slow answer never delays the next request, so
 * queueing shows up in the latencies. Target: heartbeat and read p99 < 100 ms on 2 cores.
 */
export async function benchFleet(o: FleetOptions) {
  const p = await startDio(`sources: []\nagents:\n  heartbeat_interval: ${o.intervalS}s\n  telemetry_interval: ${o.intervalS}s\n`);
  try {
    // A dio that does not exit within 60 s of SIGTERM is killed (and reported), so the bench cannot hang.
    const stop = () => Promise.race([p.stop(), new Promise<void>((r) => setTimeout(r, 60_000).unref())]).then(() => {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        console.log('fleet: dio did not exit within 60 s of SIGTERM; killing it');
        p.child.kill('SIGKILL');
      }
    });
    return await driveFleet(o, { url: p.url, dir: p.dir, pid: p.child.pid!, stop });
  } finally {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  }
}

/** Drives a running `dio up` (its URL, config dir with data/, pid); `stop` ends it before the store is counted. */
export async function driveFleet(o: FleetOptions, srv: { url: string; dir: string; pid: number; stop: () => Promise<void> }) {
  const { dir, pid, stop } = srv;
  const base = new URL(srv.url);
  const adminKey = readFileSync(join(dir, 'data', 'cli.key'), 'utf8').trim();
  const admin = { authorization: `Bearer ${adminKey}` };
  const template = await createTelemetryCollector().sample();
  const parser = await loadParsers(join(REPO, 'content', 'parsers'));
  const everyMs = o.eventsPerS > 0 ? (o.batchEvents / o.eventsPerS) * 1000 : Infinity;
  // Batches first: enrolled agents that wait too long for their first heartbeat would go stale.
  const tb = performance.now();
  const names = Array.from({ length: o.agents }, (_, i) => simAgentName(i));
  const built = await buildBatches({ agents: names, parser, count: o.eventsPerS > 0 ? Math.ceil(((o.seconds + o.warmupS) * 1000) / everyMs) : 0, batchEvents: o.batchEvents, everyMs, mix: { benignIps: 50_000, attackersPerS: o.attackersPerS } });
  const buildS = (performance.now() - tb) / 1000;
  const te = performance.now();
  const agents = await enrollFleet({ base, adminKey, n: o.agents });
  const enrollS = (performance.now() - te) / 1000;
  console.log(`fleet: ${o.agents} agents enrolled in ${enrollS.toFixed(1)} s; ${built.batches.length} batches of ${o.batchEvents} built in ${buildS.toFixed(1)} s (${built.attackers} attackers, ${built.unparsed} lines unparsed)`);

  const pools = { agent: new HttpAgent({ keepAlive: true, maxSockets: Number(process.env.BENCH_FLEET_SOCKETS ?? 128) }), ingest: new HttpAgent({ keepAlive: true, maxSockets: Number(process.env.BENCH_FLEET_INGEST_SOCKETS ?? 64) }), api: new HttpAgent({ keepAlive: true, maxSockets: 16 }) };
  const lat = Object.fromEntries(CLASSES.map((c) => [c, [] as number[]])) as Record<Klass, number[]>;
  const statuses = Object.fromEntries(CLASSES.map((c) => [c, new Map<number, number>()])) as Record<Klass, Map<number, number>>;
  const errors: string[] = [];
  let accepted = 0;
  let recording = false;
  let ingestAnswered = 0;
  let tMeasure = Infinity;
  let tEnd = Infinity;
  // Per class, the second of the run each answer arrived in, for the p99-per-second timeline.
  const second = Object.fromEntries(CLASSES.map((c) => [c, [] as number[]])) as Record<Klass, number[]>;
  const inflight = new Set<Promise<void>>();
  const fire = (k: Klass, req: () => Promise<HttpResult>, onOk?: (r: HttpResult) => void) => {
    const rec = recording;
    const pr = req().then((r) => {
      if (k === 'ingest') ingestAnswered++;
      if (r.status >= 200 && r.status < 300) onOk?.(r);
      else if (errors.length < 10) errors.push(`${k}: ${r.status} ${r.text.slice(0, 200)}`);
      if (!rec) return;
      lat[k].push(r.ms);
      second[k].push(Math.floor((performance.now() - tMeasure) / 1000));
      statuses[k].set(r.status, (statuses[k].get(r.status) ?? 0) + 1);
    });
    inflight.add(pr);
    void pr.finally(() => inflight.delete(pr));
  };
  const signedPost = (pool: HttpAgent, i: number, path: string, body: Buffer, extra: Record<string, string>) =>
    http({ base, pool, method: 'POST', path, body, headers: { 'content-type': 'application/json', 'user-agent': 'dio-agent/0.1.0', ...extra, ...signedHeaders(agents[i]!, 'POST', path, body) } });

  const n = o.agents;
  const slotMs = (o.intervalS * 1000) / n;
  const t0 = performance.now();
  tMeasure = t0 + o.warmupS * 1000;
  tEnd = tMeasure + o.seconds * 1000;
  const next = { hb: 0, tel: 0, ingest: 0, agents: 0, alerts: 0 };
  const shipped = new Array<number>(n).fill(0);
  let watch: ReturnType<typeof watchProcess> | undefined;
  let cpu0 = process.cpuUsage();
  for (;;) {
    const now = performance.now();
    if (now >= tEnd) break;
    if (!recording && now >= tMeasure) {
      recording = true;
      watch = watchProcess(pid);
      cpu0 = process.cpuUsage();
    }
    const el = now - t0;
    while (next.hb * slotMs <= el) {
      const i = next.hb++ % n;
      fire('heartbeat', () => signedPost(pools.agent, i, '/api/v1/agent/heartbeat', heartbeatBody(i, Math.round(el / 1000), shipped[i]!), {}));
    }
    while ((next.tel + 0.5) * slotMs <= el) {
      const i = next.tel++ % n;
      fire('telemetry', async () => signedPost(pools.agent, i, '/api/v1/agent/telemetry', await telemetryBody(template, i, Date.now()), { 'content-encoding': 'gzip' }));
    }
    while (next.ingest * everyMs <= el && next.ingest < built.batches.length) {
      const b = built.batches[next.ingest++]!;
      fire(
        'ingest',
        () => signedPost(pools.ingest, b.agent, '/api/v1/events', b.body, { 'content-encoding': 'gzip', 'idempotency-key': b.key }),
        (r) => {
          const a = (JSON.parse(r.text) as { accepted: number }).accepted;
          shipped[b.agent]! += a;
          const t = performance.now();
          if (t >= tMeasure && t < tEnd) accepted += a;
        },
      );
    }
    while (next.agents * 200 <= el) {
      next.agents++;
      fire('GET /agents', () => http({ base, pool: pools.api, method: 'GET', path: '/api/v1/agents?limit=50', headers: admin }));
    }
    while (next.alerts * 200 + 100 <= el) {
      next.alerts++;
      fire('GET /alerts', () => http({ base, pool: pools.api, method: 'GET', path: '/api/v1/alerts?limit=50', headers: admin }));
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  const cpu = process.cpuUsage(cpu0);
  const server = watch!.stop();
  const load1 = Math.round(loadavg()[0]! * 10) / 10;
  const genCpuPct = Math.round(((cpu.user + cpu.system) / 1000 / (o.seconds * 1000)) * 100);
  // Fleet status as an operator sees it at the end of the load (before the backlog, if any, drains).
  const side = new HttpAgent({ keepAlive: true, maxSockets: 2 });
  const backlog = next.ingest - ingestAnswered;
  const listing = http({ base, pool: side, method: 'GET', path: '/api/v1/agents?limit=5000', headers: admin });
  const metricsAtEnd = http({ base, pool: side, method: 'GET', path: '/metrics', headers: admin });
  console.log(`fleet: load stopped; waiting for ${inflight.size} requests in flight (${backlog} ingest batches)`);
  const drainT = performance.now();
  await Promise.all([...inflight]);
  const drainMs = Math.round(performance.now() - drainT);

  const agentList = JSON.parse((await listing).text) as { items: Array<{ status: string }> };
  const byStatus: Record<string, number> = {};
  for (const a of agentList.items) byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
  const metricsText = (await metricsAtEnd).text;
  const lines = metricsText.split('\n').filter((l) => !l.startsWith('#'));
  const metric = (name: string) => lines.filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `)).reduce((s, l) => s + Number(l.split(' ').pop()), 0);
  const alertsByScenario: Record<string, number> = {};
  for (const l of lines) {
    const m = /^dio_alerts_total\{scenario="([^"]+)"\} (\S+)/.exec(l);
    if (m) alertsByScenario[m[1]!] = Number(m[2]);
  }
  // Since start (nobody else scrapes): includes enrollment; prom-client samples every 10 ms, so ~10 is "no lag".
  const serverMetrics = { events_ingested: metric('dio_events_ingested_total'), telemetry_samples: metric('dio_telemetry_samples_total'), alerts_by_scenario: alertsByScenario, decisions: metric('dio_decisions_total'), auth_rejections: metric('dio_auth_rejections_total'), eventloop_delay_p99_ms: Math.round(metric('dio_nodejs_eventloop_lag_p99_seconds') * 1000), eventloop_delay_max_ms: Math.round(metric('dio_nodejs_eventloop_lag_max_seconds') * 1000) };
  for (const pool of [...Object.values(pools), side]) pool.destroy();
  console.log(`fleet: drained in ${(drainMs / 1000).toFixed(1)} s; stopping dio`);
  await stop();
  const db = new Database(join(dir, 'data', 'dio.db'), { readonly: true });
  const count = (t: string) => (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
  const stored = { events: count('events'), telemetry: count('telemetry'), alerts: count('alerts'), decisions: count('decisions') };
  db.close();

  const timeline = (k: Klass) => {
    const per: number[][] = [];
    lat[k].forEach((ms, i) => (per[second[k][i]!] ??= []).push(ms));
    return Array.from(per, (xs) => (xs ? Math.round(summarize(xs).p99) : null));
  };
  const perClass = Object.fromEntries(CLASSES.map((c) => [c, { ...summarize(lat[c]), statuses: Object.fromEntries(statuses[c]), p99_per_second: timeline(c) }]));
  const apiP99 = summarize([...lat.heartbeat, ...lat['GET /agents'], ...lat['GET /alerts']]).p99;
  const r = {
    options: o,
    enroll_s: Math.round(enrollS * 10) / 10,
    latency_ms: perClass,
    api_p99_ms: Math.round(apiP99 * 10) / 10,
    target_met: apiP99 < 100,
    events_accepted: accepted,
    events_accepted_per_s: Math.round(accepted / o.seconds),
    /** Batches sent but not yet answered when the load stopped (the server's ingest backlog). */
    ingest_backlog_batches_at_end: backlog,
    server: { ...server, metrics: serverMetrics },
    load_average_1m_end: load1,
    stored_after_stop: stored,
    agents_by_status: byStatus,
    generator_cpu_pct: genCpuPct,
    drain_ms: drainMs,
    first_errors: errors,
  };
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');
  console.log(`\n## fleet load: ${o.agents} agents every ${o.intervalS} s + ${o.eventsPerS.toLocaleString('en')} events/s (${o.batchEvents}-event batches), ${o.seconds} s after ${o.warmupS} s warm-up\n`);
  const rate = { heartbeat: o.agents / o.intervalS, telemetry: o.agents / o.intervalS, ingest: o.eventsPerS / o.batchEvents, 'GET /agents': 5, 'GET /alerts': 5 };
  console.log(table(['requests', 'per s', 'answered', 'non-2xx', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'], CLASSES.map((c) => {
    const s = perClass[c]!;
    const bad = Object.entries(s.statuses).filter(([k]) => !k.startsWith('2')).map(([k, v]) => `${v}×${k}`).join(' ') || '0';
    return [c, rate[c], s.n, bad, f(s.p50), f(s.p95), f(s.p99), f(s.max)];
  })));
  console.log();
  console.log(
    table(
      ['API p99 ms (heartbeat+reads)', 'events/s accepted (backlog at end)', 'events stored after drain', 'server CPU % all/main thread', 'RSS MB max', 'agents online at end', 'alerts/bans at end', 'generator CPU %', 'machine busy % / load1'],
      [
        [
          `${f(apiP99)} ${r.target_met ? '(< 100: met)' : '(>= 100: NOT met)'}`,
          `${r.events_accepted_per_s} (${backlog} batches)`,
          stored.events,
          `${server.cpu_pct_avg}/${server.main_thread_cpu_pct_avg}`,
          server.rss_mb_max,
          `${byStatus.online ?? 0}/${agentList.items.length}`,
          `${Object.values(alertsByScenario).reduce((x, y) => x + y, 0)}/${serverMetrics.decisions}`,
          genCpuPct,
          `${server.machine_busy_pct} / ${load1}`,
        ],
      ],
    ),
  );
  if (errors.length) console.log(`\nfirst errors:\n  ${errors.join('\n  ')}`);
  return r;
}

/** Options from the environment (BENCH_FLEET_*), defaults = the target. */
export function fleetOptionsFromEnv(): FleetOptions {
  const num = (k: string, d: number) => Number(process.env[`BENCH_FLEET_${k}`] ?? d);
  return { agents: num('AGENTS', 1000), seconds: num('SECONDS', 60), eventsPerS: num('EVENTS', 20_000), batchEvents: num('BATCH', 1000), attackersPerS: num('ATTACKERS', 2), intervalS: num('INTERVAL', 10), warmupS: num('WARMUP', 10) };
}
