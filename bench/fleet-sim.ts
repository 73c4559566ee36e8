import { randomBytes, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request } from 'node:http';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import type { TelemetrySample } from '@dio/protocol';
import { generateEd25519, rawPublicKey, SIG_HEADERS, signRequest } from '../packages/server/src/shared/agent-signature.js';
import type { LineParser } from '../packages/server/src/pipeline/parse/port.js';

const gzip = promisify(gzipCb);

/** Helpers for bench/fleet-load-bench.ts: simulated agents, signed HTTP, generated traffic, /proc sampling. */

export interface HttpResult {
  status: number;
  ms: number;
  text: string;
}

/** One request over a keep-alive pool; `ms` runs from the call (pool queueing included) to the end of the answer. */
export function http(o: { base: URL; pool: HttpAgent; method: 'GET' | 'POST'; path: string; headers?: Record<string, string>; body?: Buffer; localAddress?: string; timeoutMs?: number }): Promise<HttpResult> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (status: number, text: string) => {
      if (done) return;
      done = true;
      resolve({ status, ms: performance.now() - t0, text });
    };
    const headers = { ...o.headers, ...(o.body ? { 'content-length': String(o.body.length) } : {}) };
    const req = request({ host: o.base.hostname, port: o.base.port, path: o.path, method: o.method, headers, agent: o.pool, localAddress: o.localAddress, timeout: o.timeoutMs ?? 120_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => finish(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
      res.on('error', (e) => finish(0, `response: ${e.message}`));
      res.on('close', () => finish(0, 'connection closed mid-response'));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => finish(0, e.message));
    req.on('close', () => finish(0, 'connection closed'));
    req.end(o.body);
  });
}

export interface SimAgent {
  id: string;
  hostname: string;
  privateKey: KeyObject;
}

/** The four signature headers of shared/agent-signature.ts, signed now (fresh ts and nonce). */
export function signedHeaders(a: SimAgent, method: string, path: string, body?: Buffer): Record<string, string> {
  const ts = String(Date.now());
  const nonce = randomBytes(18).toString('base64url');
  return { [SIG_HEADERS.agent]: a.id, [SIG_HEADERS.ts]: ts, [SIG_HEADERS.nonce]: nonce, [SIG_HEADERS.sig]: signRequest(a.privateKey, { method, path, ts, nonce, body }) };
}

/** Id and hostname of simulated agent i (known before it enrolls, so its batches can be pre-built). */
export function simAgentName(i: number): { id: string; hostname: string } {
  return { id: `sim-${String(i).padStart(4, '0')}`, hostname: `host-${String(i).padStart(4, '0')}` };
}

export const AGENT_VERSION = '0.1.0';
export const CAPABILITIES = ['logs', 'telemetry', 'bouncer', 'portscan', 'inventory'];

/**
 * Enrolls `n` fresh key pairs with one token. The server allows 30 enrollments a minute per client
 * address, so requests are spread over 127.0.0.2… (one loopback source address per 25 agents).
 */
export async function enrollFleet(o: { base: URL; adminKey: string; n: number; concurrency?: number }): Promise<SimAgent[]> {
  const pool = new HttpAgent({ keepAlive: true, maxSockets: 4 });
  const tok = await http({ base: o.base, pool, method: 'POST', path: '/api/v1/enrollment-tokens', headers: { authorization: `Bearer ${o.adminKey}`, 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ uses: o.n, expires: '1h', labels: { bench: 'fleet' } })) });
  if (tok.status !== 201) throw new Error(`enrollment token: HTTP ${tok.status} ${tok.text}`);
  const token = (JSON.parse(tok.text) as { token: string }).token;
  const agents: SimAgent[] = [];
  let next = 0;
  const worker = async () => {
    while (next < o.n) {
      const i = next++;
      const { id, hostname } = simAgentName(i);
      const { privateKey, publicKey } = generateEd25519();
      const body = { token, id, public_key: rawPublicKey(publicKey), version: AGENT_VERSION, capabilities: CAPABILITIES, labels: { rack: `r${i % 20}` }, host: { hostname, os: { name: 'Debian GNU/Linux', version: '12' }, kernel: '6.1.0-25-amd64', arch: 'x64', addresses: [`10.1.${i >> 8}.${i & 255}`], cpus: 4, memory_bytes: 8 << 30 } };
      const localAddress = `127.0.0.${2 + Math.floor(i / 25)}`;
      const r = await http({ base: o.base, pool, method: 'POST', path: '/api/v1/agent/enroll', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)), localAddress });
      if (r.status !== 200) throw new Error(`enroll ${id}: HTTP ${r.status} ${r.text}`);
      agents[i] = { id, hostname, privateKey };
    }
  };
  await Promise.all(Array.from({ length: o.concurrency ?? 4 }, worker));
  pool.destroy();
  return agents;
}

/** Heartbeat body as agent-runtime.ts sends it (plain JSON). */
export function heartbeatBody(i: number, uptimeS: number, shipped: number): Buffer {
  const load = { cpu_pct: 5 + (i % 30), mem_pct: 20 + (i % 50), load1: (i % 7) / 4, uptime_s: uptimeS, agent_rss_bytes: 48_000_000 + i * 1000, agent_cpu_pct: 0.4, spool_batches: 0, spool_bytes: 0, spool_dropped: 0, events_shipped: shipped, decisions_enforced: 0 };
  return Buffer.from(JSON.stringify({ version: AGENT_VERSION, capabilities: CAPABILITIES, labels: { rack: `r${i % 20}` }, load }));
}

/**
 * Telemetry body (gzip, as agent-runtime.ts sends it): a real sample of this host from the agent's
 * collector, with steady per-agent numbers so the anomaly detector has no reason to fire.
 */
export function telemetryBody(template: TelemetrySample, i: number, now: number): Promise<Buffer> {
  const wobble = ((now / 10_000) % 3) - 1;
  const cpu = 10 + (i % 40) + wobble;
  const s: TelemetrySample = {
    ...template,
    ts: new Date(now).toISOString(),
    interval_s: 10,
    cpu: { ...template.cpu, total_pct: cpu, cores_pct: template.cpu.cores_pct.map(() => cpu) },
    memory: { ...template.memory, used_pct: 30 + (i % 40), used_bytes: Math.round(template.memory.total_bytes * ((30 + (i % 40)) / 100)) },
    load: { ...template.load, load1: 0.5 + (i % 5) / 10, load5: 0.5, load15: 0.5 },
    network: { ...template.network, rx_bps: 100_000 + i * 10, tx_bps: 50_000 + i * 10 },
  };
  return gzip(JSON.stringify({ samples: [s] }));
}

// ---- ingest traffic: sshd lines parsed by the real parser, as an agent's log shipper does ----

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
function syslogTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Deterministic public-looking IPv4 (first octet 20-219, skipping private/reserved blocks). */
function publicIp(n: number): string {
  const h = Math.imul(n + 1, 2654435761) >>> 0;
  let a = 20 + (h % 200);
  if (a === 100 || a === 127 || a === 169 || a === 172 || a === 192 || a === 198 || a === 203) a += 1;
  return `${a}.${(h >>> 8) & 255}.${(h >>> 16) & 255}.${1 + ((h >>> 24) % 254)}`;
}

export interface TrafficMix {
  /** Distinct benign client addresses. */
  benignIps: number;
  /** New brute-force sources per second (each sends 12 failed passwords in one batch). */
  attackersPerS: number;
}

/**
 * Lines of one batch at time `at` from host `hostname`. The kind of line is drawn by a hash of the
 * line number, independent of the client address, so no benign client fails often: 45 % accepted
 * logins, 25 % sessions opened, 24 % disconnects, 4 % single failed passwords (a client is seen
 * every ~2.5 s at 20k lines/s, so it fails about once a minute, slower than the bucket drains), 2 %
 * preauth closes from 200 scanners (a low ssh-probe alert each, never a ban), plus `attackers`
 * bursts of 12 failed passwords each (an ssh-bruteforce alert and a ban per attacker).
 */
export function sshLines(o: { hostname: string; at: Date; count: number; seq: number; mix: TrafficMix; attackers: number[] }): string[] {
  const t = syslogTime(o.at);
  const lines: string[] = [];
  for (const a of o.attackers) {
    const ip = `${45 + (a % 40)}.${(a >> 6) & 255}.${(a >> 14) & 255}.${7 + (a % 200)}`;
    for (let k = 0; k < 12; k++) lines.push(`${t} ${o.hostname} sshd[${3000 + k}]: Failed password for root from ${ip} port ${40000 + k} ssh2`);
  }
  for (let n = o.seq; lines.length < o.count; n++) {
    const ip = publicIp(n % o.mix.benignIps);
    const pid = 10_000 + (n % 50_000);
    const user = `u${n % 700}`;
    const port = 1024 + (n % 60000);
    const r = (Math.imul(n ^ 0x5bd1e995, 0x85ebca6b) >>> 0) % 100;
    if (r < 45) lines.push(`${t} ${o.hostname} sshd[${pid}]: Accepted publickey for ${user} from ${ip} port ${port} ssh2: ED25519 SHA256:${'abcdefghij'.repeat(4)}`);
    else if (r < 70) lines.push(`${t} ${o.hostname} sshd[${pid}]: pam_unix(sshd:session): session opened for user ${user}(uid=${1000 + (n % 700)}) by (uid=0)`);
    else if (r < 94) lines.push(`${t} ${o.hostname} sshd[${pid}]: Disconnected from user ${user} ${ip} port ${port}`);
    else if (r < 98) lines.push(`${t} ${o.hostname} sshd[${pid}]: Failed password for ${user} from ${ip} port ${port} ssh2`);
    else lines.push(`${t} ${o.hostname} sshd[${pid}]: Connection closed by ${publicIp(1_000_000 + (n % 200))} port ${port} [preauth]`);
  }
  return lines;
}

export interface IngestBatch {
  agent: number;
  key: string;
  events: number;
  body: Buffer;
}

/**
 * Pre-builds `count` gzip batches (`{"batch_id","events":[…]}`, exactly what the agent's spool
 * holds), batch j stamped with time `base + j * everyMs` and shipped by agent j mod agents.length.
 * Built before the run so generating them does not compete with the server for the 2 cores; `base`
 * is now plus the estimated build time, so event times are close to the times the batches are sent.
 */
export async function buildBatches(o: { agents: ReadonlyArray<{ id: string; hostname: string }>; parser: LineParser; count: number; batchEvents: number; everyMs: number; mix: TrafficMix }): Promise<{ batches: IngestBatch[]; attackers: number; unparsed: number }> {
  const batches: IngestBatch[] = [];
  let attackers = 0;
  let unparsed = 0;
  let due = 0;
  const epoch = randomBytes(4).toString('hex');
  const pending: Array<Promise<void>> = [];
  const t0 = performance.now();
  const probe = sshLines({ hostname: 'probe', at: new Date(), count: o.batchEvents, seq: 0, mix: o.mix, attackers: [] }).map((l) => JSON.stringify(o.parser.parse(l, { source: 'x', type: 'auto', referenceTime: Date.now() })));
  await gzip(probe.join(','));
  const base = Date.now() + (performance.now() - t0) * o.count;
  for (let j = 0; j < o.count; j++) {
    const at = base + j * o.everyMs;
    const agentIx = j % o.agents.length;
    const agent = o.agents[agentIx]!;
    due += (o.mix.attackersPerS * o.everyMs) / 1000;
    const burst: number[] = [];
    while (due >= 1) {
      burst.push(attackers++);
      due -= 1;
    }
    const events: string[] = [];
    const lines = sshLines({ hostname: agent.hostname, at: new Date(at), count: o.batchEvents, seq: j * o.batchEvents, mix: o.mix, attackers: burst });
    for (const line of lines) {
      const r = o.parser.parse(line, { source: 'file:/var/log/auth.log', type: 'auto', referenceTime: at });
      if (!r) {
        unparsed++;
        continue;
      }
      r.event.dio = { ...r.event.dio, agent_id: agent.id, input: 'file:/var/log/auth.log' };
      events.push(JSON.stringify(r.event));
    }
    const key = `${agent.id}-${epoch}-${j + 1}`;
    const slot = batches.length;
    batches.push({ agent: agentIx, key, events: events.length, body: Buffer.alloc(0) });
    pending.push(gzip(`{"batch_id":${JSON.stringify(key)},"events":[${events.join(',')}]}`).then((b) => void (batches[slot]!.body = b)));
    if (pending.length >= 8) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  return { batches, attackers, unparsed };
}

// ---- measurement ----

export function summarize(xs: number[]): { n: number; p50: number; p95: number; p99: number; max: number } {
  const s = Float64Array.from(xs).sort();
  const at = (p: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))]! : NaN);
  return { n: s.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: s.length ? s[s.length - 1]! : NaN };
}

/** CPU % (of one core) of a process and of its main (JS) thread, its RSS, and the machine's busy %, sampled from /proc. */
export function watchProcess(pid: number, everyMs = 1000) {
  const tick = Number(process.env.CLK_TCK ?? 100);
  const ticks = (file: string) => {
    const stat = readFileSync(file, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / tick;
  };
  const machine = () => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3]! + f[4]!;
    return { busy: f.reduce((a, b) => a + b, 0) - idle, total: f.reduce((a, b) => a + b, 0) };
  };
  const read = () => ({ t: performance.now(), cpu: ticks(`/proc/${pid}/stat`), main: ticks(`/proc/${pid}/task/${pid}/stat`), rss: Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024, m: machine() });
  const first = read();
  let prev = first;
  const cpuPct: number[] = [];
  const mainPct: number[] = [];
  const rssMb: number[] = [];
  const timer = setInterval(() => {
    try {
      const cur = read();
      const s = (cur.t - prev.t) / 1000;
      cpuPct.push((100 * (cur.cpu - prev.cpu)) / s);
      mainPct.push((100 * (cur.main - prev.main)) / s);
      rssMb.push(cur.rss);
      prev = cur;
    } catch {
      /* exited */
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      const s = (prev.t - first.t) / 1000;
      const pct = (a: number, b: number) => Math.round((100 * (a - b)) / s);
      return {
        cpu_pct_avg: pct(prev.cpu, first.cpu),
        cpu_pct_max: Math.round(Math.max(...cpuPct)),
        main_thread_cpu_pct_avg: pct(prev.main, first.main),
        main_thread_cpu_pct_max: Math.round(Math.max(...mainPct)),
        rss_mb_max: Math.round(Math.max(...rssMb)),
        machine_busy_pct: Math.round((100 * (prev.m.busy - first.m.busy)) / (prev.m.total - first.m.total)),
        main_thread_series: mainPct.map(Math.round),
      };
    },
  };
}
