import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { DIO_BIN, median, percentile, table } from './util.js';
import { startDio, type DioProcess } from './dio-process.js';

/**
 * Agents, the two figures of the issue:
 *  (a) a decision reaches 3 agents and is verified there with p95 < 1 s;
 *  (b) an idle agent stays under 60 MB RSS and 1 % CPU at a 10 s telemetry interval.
 * Everything runs as real processes: `dio up` and `dio agent` from the bundle users run.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

interface Api {
  <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  url: string;
  key: string;
}

/** Calls the API of `dio up` with the local CLI key it writes into its data directory. */
function apiOf(dio: DioProcess): Api {
  const key = readFileSync(join(dio.dir, 'data', 'cli.key'), 'utf8').trim();
  const call = async <T>(method: string, path: string, body?: unknown) => {
    const r = await fetch(`${dio.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* /metrics is text */
    }
    return { status: r.status, body: parsed as T };
  };
  return Object.assign(call, { url: dio.url, key });
}

async function waitFor<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>, everyMs = 50): Promise<T> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

async function enrollmentToken(api: Api, uses: number): Promise<string> {
  const r = await api<{ token: string }>('POST', '/api/v1/enrollment-tokens', { uses, expires: '1h' });
  if (r.status !== 201) throw new Error(`enrollment token: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.token;
}

interface AgentProcess {
  id: string;
  child: ChildProcess;
  stderr(): string;
  stop(): Promise<number | null>;
}

/** `dio agent` as users run it; cwd is its own directory so no ./dio.yaml is picked up. */
function startAgent(o: { url: string; token: string; dir: string; id: string; firewall: 'dry-run' | 'nftables'; netns?: string }): AgentProcess {
  const cwd = join(o.dir, o.id);
  mkdirSync(cwd, { recursive: true });
  const args = [DIO_BIN, 'agent', '--server', o.url, '--token', o.token, '--state-dir', join(cwd, 'state'), '--id', o.id, '--firewall', o.firewall, ...(o.netns ? ['--netns', o.netns] : [])];
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DIO_')));
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-8000)));
  return {
    id: o.id,
    child,
    stderr: () => err,
    stop: () =>
      new Promise((res) => {
        if (child.exitCode !== null) return res(child.exitCode);
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', (code) => {
          clearTimeout(t);
          res(code);
        });
        child.kill('SIGTERM');
      }),
  };
}

interface AgentRow {
  id: string;
  status: string;
  load: Record<string, number> | null;
  heartbeat_interval_s?: number;
}

async function waitOnline(api: Api, agents: AgentProcess[]): Promise<void> {
  await waitFor(`${agents.length} agents online`, 60_000, async () => {
    for (const a of agents) if (a.child.exitCode !== null) throw new Error(`agent ${a.id} exited ${a.child.exitCode}: ${a.stderr()}`);
    const r = await api<{ items: AgentRow[] }>('GET', '/api/v1/agents');
    const online = new Set(r.body.items.filter((x) => x.status === 'online').map((x) => x.id));
    return agents.every((a) => online.has(a.id)) ? true : undefined;
  }, 100);
}

interface EnforcementRow {
  agent_id: string;
  status: string;
  at: string;
  error?: string;
}

/**
 * Posts a ban and polls its enforcement until every agent reports `verified` (or one `failed`).
 * Client-side time: POST sent → poll that first saw all verified (includes ≤ pollMs of poll
 * granularity). Server-side: each agent's report carries `at`, the time it verified on that host,
 * and the decision its `created_at` — same host, same clock — so `at − created_at` is exact to 1 ms.
 */
async function oneDecision(api: Api, value: string, agentIds: string[], pollMs: number, timeoutMs: number) {
  const t0 = performance.now();
  const r = await api<{ id: string; created_at: string }>('POST', '/api/v1/decisions', { value, duration: '1h', reason: 'agent bench' });
  const postMs = performance.now() - t0;
  if (r.status !== 201) throw new Error(`POST decision ${value}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  const created = Date.parse(r.body.created_at);
  let polls = 0;
  for (;;) {
    polls++;
    const e = await api<{ items: EnforcementRow[] }>('GET', `/api/v1/decisions/${r.body.id}/enforcement`);
    const rows = new Map(e.body.items.map((x) => [x.agent_id, x]));
    const failed = [...rows.values()].find((x) => x.status === 'failed');
    const done = agentIds.every((id) => rows.get(id)?.status === 'verified');
    if (done || failed || performance.now() - t0 > timeoutMs) {
      const observedMs = performance.now() - t0;
      const perAgent = Object.fromEntries(agentIds.map((id) => [id, rows.get(id)?.status === 'verified' ? Date.parse(rows.get(id)!.at) - created : NaN]));
      return { value, id: r.body.id, ok: done, failure: failed ? `${failed.agent_id}: ${failed.error ?? 'failed'}` : done ? undefined : 'timeout', post_ms: postMs, observed_all_ms: observedMs, server_all_ms: Math.max(...Object.values(perAgent)), per_agent_ms: perAgent, polls };
    }
    await sleep(pollMs);
  }
}

const stats = (xs: number[]) => {
  const v = xs.filter((x) => Number.isFinite(x));
  return v.length ? { n: v.length, p50: round(median(v)), p95: round(percentile(v, 95)), max: round(Math.max(...v)) } : { n: 0, p50: NaN, p95: NaN, max: NaN };
};

/** TEST-NET-3 then TEST-NET-2 addresses (RFC 5737): never real hosts. */
function testNet(i: number): string {
  if (i < 254) return `203.0.113.${i + 1}`;
  if (i < 507) return `198.51.100.${i - 254 + 1}`;
  throw new Error('at most 507 distinct test addresses');
}

export async function benchAgentLatency(o: { agents: number; decisions: number; firewall: 'dry-run' | 'nftables'; pollMs: number }) {
  const dio = await startDio('sources: []\n');
  const api = apiOf(dio);
  const namespaces: string[] = [];
  const agents: AgentProcess[] = [];
  try {
    const token = await enrollmentToken(api, o.agents);
    for (let i = 0; i < o.agents; i++) {
      let netns: string | undefined;
      if (o.firewall === 'nftables') {
        netns = `dio-bench-agent-${process.pid}-${i}`;
        execFileSync('ip', ['netns', 'add', netns]);
        namespaces.push(netns);
      }
      agents.push(startAgent({ url: dio.url, token, dir: dio.dir, id: `bench-agent-${i + 1}`, firewall: o.firewall, netns }));
    }
    const ids = agents.map((a) => a.id);
    const tStart = performance.now();
    await waitOnline(api, agents);
    const onlineMs = performance.now() - tStart;
    // Warm-up: proves every bouncer follows the feed (its first read is a reset, then long polls).
    const warm = await oneDecision(api, '198.51.100.254', ids, 20, 60_000);
    if (!warm.ok) throw new Error(`warm-up decision not verified on all agents: ${warm.failure}\n${agents.map((a) => `${a.id}: ${a.stderr()}`).join('\n')}`);
    const load0 = loadavg()[0]!;
    const runs: Awaited<ReturnType<typeof oneDecision>>[] = [];
    for (let i = 0; i < o.decisions; i++) {
      runs.push(await oneDecision(api, testNet(i), ids, o.pollMs, 10_000));
      await sleep(50 + Math.random() * 100); // decisions one at a time, not in phase with anything
    }
    let kernel: Record<string, number> | undefined;
    if (o.firewall === 'nftables') {
      kernel = {};
      for (const [i, ns] of namespaces.entries()) {
        const out = execFileSync('ip', ['netns', 'exec', ns, 'nft', '-j', 'list', 'set', 'inet', 'dio', 'dio_ban_v4'], { encoding: 'utf8' });
        kernel[ids[i]!] = runs.filter((r) => out.includes(`"${r.value}"`)).length;
      }
    }
    const ok = runs.filter((r) => r.ok);
    const res = {
      firewall: o.firewall,
      agents: o.agents,
      decisions: o.decisions,
      verified_on_all: ok.length,
      failures: runs.filter((r) => !r.ok).map((r) => `${r.value}: ${r.failure}`),
      poll_ms: o.pollMs,
      polls_per_decision_median: median(runs.map((r) => r.polls)),
      agents_online_ms: Math.round(onlineMs),
      loadavg_1m: { before: round(load0, 2), after: round(loadavg()[0]!, 2) },
      warmup_all_verified_ms: Math.round(warm.observed_all_ms),
      post_ms: stats(runs.map((r) => r.post_ms)),
      observed_all_verified_ms: stats(ok.map((r) => r.observed_all_ms)),
      server_all_verified_ms: stats(ok.map((r) => r.server_all_ms)),
      per_agent_verified_ms: Object.fromEntries(ids.map((id) => [id, stats(runs.map((r) => r.per_agent_ms[id]!))])),
      kernel_set_entries: kernel,
      series_observed_ms: runs.map((r) => Math.round(r.observed_all_ms)),
      series_server_ms: runs.map((r) => r.server_all_ms),
    };
    console.log(`\n## decision → verified on ${o.agents} agents (${o.firewall}${o.firewall === 'nftables' ? ', one network namespace per agent' : ''}), ${o.decisions} decisions one at a time\n`);
    const row = (what: string, s: ReturnType<typeof stats>) => [what, s.n, s.p50, s.p95, s.max];
    console.log(
      table(['measure', 'n', 'p50 ms', 'p95 ms', 'max ms'], [
        row('POST /decisions round trip', res.post_ms),
        row(`all verified, observed by polling every ${o.pollMs} ms`, res.observed_all_verified_ms),
        row('all verified, server timestamps (max agent at − created_at)', res.server_all_verified_ms),
        ...ids.map((id) => row(`  ${id} (at − created_at)`, res.per_agent_verified_ms[id]!)),
      ]),
    );
    console.log(`\nverified on all: ${ok.length}/${o.decisions}; agents online after ${res.agents_online_ms} ms; warm-up (first feed read is a reset) ${res.warmup_all_verified_ms} ms${kernel ? `; entries in each namespace's kernel set: ${Object.values(kernel).join('/')}` : ''}; 1-min load average ${res.loadavg_1m.before} → ${res.loadavg_1m.after}`);
    if (res.failures.length) console.log(`failures: ${res.failures.slice(0, 5).join('; ')}`);
    return res;
  } finally {
    await Promise.all(agents.map((a) => a.stop()));
    await dio.stop();
    for (const ns of namespaces) {
      try {
        execFileSync('ip', ['netns', 'del', ns]);
      } catch (e) {
        console.log(`could not delete network namespace ${ns}: ${String(e)}`);
      }
    }
  }
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime+stime (own) and cutime+cstime (reaped children) of a process, in seconds. */
function cpuSeconds(pid: number): { self: number; children: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command: field 3 is state, so utime (14) is f[11], stime f[12], cutime f[13], cstime f[14].
  return { self: (Number(f[11]) + Number(f[12])) / CLK_TCK, children: (Number(f[13]) + Number(f[14])) / CLK_TCK };
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
}

/** dio_http_requests_total on the server, summed per "METHOD route" for agent routes. */
async function agentRequests(api: Api): Promise<Record<string, number>> {
  const r = await api<string>('GET', '/metrics');
  const out: Record<string, number> = {};
  for (const line of String(r.body).split('\n')) {
    const m = /^dio_http_requests_total\{(.*)\} (\d+(?:\.\d+)?)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (!labels.route?.startsWith('/api/v1/agent/')) continue;
    const k = `${labels.method} ${labels.route}`;
    out[k] = (out[k] ?? 0) + Number(m[2]);
  }
  return out;
}

interface IdleSample {
  rss_mb_median: number;
  rss_mb_max: number;
  hwm_mb: number;
  cpu_pct: number;
  child_cpu_s: number;
}

function sampler(pid: number) {
  const rss: number[] = [];
  let c0 = cpuSeconds(pid);
  let t0 = performance.now();
  return {
    restart() {
      rss.length = 0;
      c0 = cpuSeconds(pid);
      t0 = performance.now();
    },
    tick: () => rss.push(statusKb(pid, 'VmRSS') / 1024),
    done(): IdleSample {
      const c1 = cpuSeconds(pid);
      const wall = (performance.now() - t0) / 1000;
      return { rss_mb_median: round(median(rss)), rss_mb_max: round(Math.max(...rss)), hwm_mb: round(statusKb(pid, 'VmHWM') / 1024), cpu_pct: round(((c1.self - c0.self) / wall) * 100, 2), child_cpu_s: round(c1.children - c0.children, 2) };
    },
  };
}

export async function benchAgentIdle(o: { settleSeconds: number; seconds: number }) {
  const dio = await startDio('sources: []\n');
  const api = apiOf(dio);
  const token = await enrollmentToken(api, 1);
  const bundleBuilt = statSync(join(DIO_BIN, '..', '..', 'dist', 'dio.js')).mtime.toISOString(); // when the agent started
  const agent = startAgent({ url: dio.url, token, dir: dio.dir, id: 'bench-idle-agent', firewall: 'dry-run' });
  const peer = spawn(process.execPath, ['-e', 'setInterval(()=>{},1e3)'], { stdio: 'ignore' });
  try {
    await waitOnline(api, [agent]);
    await sleep(o.settleSeconds * 1000);
    if (agent.child.exitCode !== null) throw new Error(`agent exited ${agent.child.exitCode}: ${agent.stderr()}`);
    const a = sampler(agent.child.pid!);
    const b = sampler(peer.pid!);
    const req0 = await agentRequests(api);
    a.restart();
    b.restart();
    const t0 = performance.now();
    for (let i = 0; i < o.seconds; i++) {
      a.tick();
      b.tick();
      await sleep(t0 + (i + 1) * 1000 - performance.now());
    }
    const sa = a.done();
    const sb = b.done();
    const req1 = await agentRequests(api);
    const requests: Record<string, number> = Object.fromEntries(Object.keys(req1).map((k): [string, number] => [k, req1[k]! - (req0[k] ?? 0)]).filter(([, n]) => n > 0));
    const record = (await api<AgentRow>('GET', `/api/v1/agents/${agent.id}`)).body;
    const self = record.load;
    const res = {
      node: process.version,
      cpus: availableParallelism(),
      loadavg_1m_after: round(loadavg()[0]!, 2),
      bundle: DIO_BIN,
      bundle_built: bundleBuilt,
      settle_s: o.settleSeconds,
      seconds: o.seconds,
      heartbeat_interval_s: record.heartbeat_interval_s,
      telemetry_interval_s: 10, // agents.telemetry_interval default (sent in each heartbeat answer)
      agent: sa,
      bare_node: sb,
      ratio: { rss_median: round(sa.rss_mb_median / sb.rss_mb_median, 2), cpu: sb.cpu_pct > 0 ? round(sa.cpu_pct / sb.cpu_pct, 1) : null },
      agent_requests: requests,
      agent_requests_total: Object.values(requests).reduce((x, y) => x + y, 0),
      agent_self_reported: self ? { rss_mb: round((self.agent_rss_bytes ?? NaN) / 1048576), cpu_pct: self.agent_cpu_pct } : null,
    };
    console.log(`\n## agent idle (dry-run bouncer, no log sources, heartbeat 30 s, telemetry 10 s; ${o.settleSeconds} s settle, ${o.seconds} s window, node ${process.version}, bundle built ${res.bundle_built}, ${res.cpus} CPUs, 1-min load average ${res.loadavg_1m_after})\n`);
    console.log(
      table(['process', 'RSS median MB', 'RSS max MB', 'VmHWM MB', 'CPU % of 1 core', 'children CPU s'], [
        ['dio agent (bundle)', sa.rss_mb_median, sa.rss_mb_max, sa.hwm_mb, sa.cpu_pct, sa.child_cpu_s],
        ["node -e 'setInterval(()=>{},1e3)'", sb.rss_mb_median, sb.rss_mb_max, sb.hwm_mb, sb.cpu_pct, sb.child_cpu_s],
        ['ratio agent / bare node', res.ratio.rss_median, '', '', res.ratio.cpu ?? '-', ''],
      ]),
    );
    console.log(`\nrequests the agent made in the window (server's dio_http_requests_total): ${res.agent_requests_total} — ${Object.entries(requests).map(([k, n]) => `${k} ${n}`).join(', ')}`);
    if (res.agent_self_reported) console.log(`agent's own heartbeat report: RSS ${res.agent_self_reported.rss_mb} MB, CPU ${res.agent_self_reported.cpu_pct} % (since its previous heartbeat)`);
    return res;
  } finally {
    peer.kill('SIGTERM');
    await agent.stop();
    await dio.stop();
  }
}

/** `npm run bench -- agents`: latency to 3 agents (dry-run, then nftables in namespaces as root), and one idle agent. */
export async function benchAgents() {
  const decisions = Number(process.env.BENCH_DECISION_COUNT ?? 50);
  const pollMs = Number(process.env.BENCH_POLL_MS ?? 15);
  const out: Record<string, unknown> = {};
  out.latency_dry_run = await benchAgentLatency({ agents: 3, decisions, firewall: 'dry-run', pollMs });
  let nft = false;
  try {
    execFileSync('nft', ['--version'], { stdio: 'ignore' });
    nft = process.getuid?.() === 0;
  } catch {
    nft = false;
  }
  if (nft) out.latency_nftables = await benchAgentLatency({ agents: 3, decisions, firewall: 'nftables', pollMs });
  else console.log('\nskip agent nftables latency: needs root and nft (it creates one network namespace per agent)');
  out.idle = await benchAgentIdle({ settleSeconds: Number(process.env.BENCH_AGENT_SETTLE_SECONDS ?? 20), seconds: Number(process.env.BENCH_AGENT_IDLE_SECONDS ?? 120) });
  console.log(`\nnote: the poll loop (one GET /enforcement every ${pollMs} ms) loads the server lightly; the server-timestamp rows do not depend on it.`);
  return out;
}
