/**
 * Black-box fixtures for the agent end-to-end tests: a real `dio up` server and real `dio agent`
 * processes on loopback, each in its own temp dir, plus the probes the tests need (requests signed
 * with an agent's key, the server's SQLite file; sockets a pid owns are in proc-sockets.ts). Every process started
 * here is registered and killed by `killAll()` (call it from `after`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, randomBytes } from 'node:crypto';
import { accessSync, constants, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SIG_HEADERS, signRequest } from '../../packages/server/src/shared/agent-signature.js';
import { DIO, ENV, freePort, run, tmp, type RunResult } from './helpers.js';

const children = new Set<ChildProcess>();
/** Children started in their own process group (killed as a group). */
const groups = new WeakSet<ChildProcess>();

const dirs: string[] = [];

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A temp dir removed by killAll() (kept when DIO_E2E_KEEP=1, for debugging). */
export function tempDir(prefix: string): string {
  const d = tmp(prefix);
  dirs.push(d);
  return d;
}

/**
 * Kills (SIGKILL, after SIGCONT for stopped ones) every process these fixtures started, waits
 * for them to be gone, and removes the temp dirs.
 */
export async function killAll(): Promise<void> {
  const gone: Promise<unknown>[] = [];
  for (const c of children) {
    if (c.exitCode !== null || c.signalCode !== null || c.pid === undefined) continue;
    gone.push(new Promise((r) => c.once('exit', r)));
    try {
      const target = groups.has(c) ? -c.pid : c.pid;
      process.kill(target, 'SIGCONT');
      process.kill(target, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await Promise.race([Promise.all(gone), sleep(10_000)]);
  children.clear();
  if (process.env.DIO_E2E_KEEP !== '1') for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true, maxRetries: 3 });
}

// Safety net: a test file that dies before its after() hook must not leave agents behind.
process.once('exit', () => {
  for (const c of children) {
    if (c.pid === undefined || c.exitCode !== null || c.signalCode !== null) continue;
    try {
      process.kill(groups.has(c) ? -c.pid : c.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

/** Keeps the last `max` characters a process wrote (stdout and stderr), for failure messages. */
function capture(child: ChildProcess, max = 20_000): () => string {
  let out = '';
  const add = (d: string) => {
    out += d;
    if (out.length > max * 2) out = out.slice(-max);
  };
  child.stdout?.setEncoding('utf8').on('data', add);
  child.stderr?.setEncoding('utf8').on('data', add);
  return () => out.slice(-max);
}

/** Polls `fn` until it returns something other than undefined; the error names `what` and the last value seen. */
export async function poll<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, o: { timeoutMs?: number; everyMs?: number; last?: () => string } = {}): Promise<T> {
  const end = Date.now() + (o.timeoutMs ?? 30_000);
  let err: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
      err = undefined;
    } catch (e) {
      err = e;
    }
    if (Date.now() > end) break;
    await sleep(o.everyMs ?? 250);
  }
  const why = err instanceof Error ? `; last error: ${err.message}` : '';
  throw new Error(`timed out after ${o.timeoutMs ?? 30_000} ms waiting for ${what}${why}${o.last ? `\n--- last state ---\n${o.last()}` : ''}`);
}

export interface ServerOptions {
  /** Extra top-level YAML appended to dio.yaml (e.g. `decide:` keys). */
  extraYaml?: string;
  offlineAfter?: string;
  /** The `agents.anomaly` block as YAML lines indented by 4. */
  anomalyYaml?: string;
}

export interface Server {
  url: string;
  port: number;
  dir: string;
  dataDir: string;
  dbPath: string;
  key: string;
  pid: () => number;
  output: () => string;
  start(): Promise<void>;
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
  /** A CLI command run from the server's dir (so it finds dio.yaml and the local CLI key). */
  cli(args: string[]): Promise<RunResult>;
  /** A CLI command that must succeed; returns its stdout parsed as JSON lines. */
  cliJson<T>(args: string[]): Promise<T[]>;
  api<T>(path: string, init?: RequestInit): Promise<{ status: number; body: T }>;
  /** Opens the SQLite file (closed by the callback's end). */
  db<T>(fn: (db: Database.Database) => T): T;
}

/** Writes dio.yaml and starts `dio up` (short agent intervals, no log sources); waits for health. */
export async function startServer(o: ServerOptions = {}): Promise<Server> {
  const dir = tempDir('dio-e2e-agents-');
  const dataDir = join(dir, 'data');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const yaml = [
    `data_dir: ${dataDir}`,
    'api:',
    `  listen: 127.0.0.1:${port}`,
    'sources: []',
    'agents:',
    '  heartbeat_interval: 1s',
    '  telemetry_interval: 1s',
    `  offline_after: ${o.offlineAfter ?? '6s'}`,
    '  anomaly:',
    o.anomalyYaml ?? '    baseline: { enabled: false }',
    o.extraYaml ?? '',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'dio.yaml'), yaml);
  let child: ChildProcess | undefined;
  let out = () => '';
  let key = '';
  const server: Server = {
    url,
    port,
    dir,
    dataDir,
    dbPath: join(dataDir, 'dio.db'),
    get key() {
      return key;
    },
    pid: () => child!.pid!,
    output: () => out(),
    async start() {
      const c = spawn(process.execPath, [DIO, 'up', '--config', join(dir, 'dio.yaml')], { cwd: dir, env: { ...ENV, DIO_ADMIN_PASSWORD: 'e2e-admin-password-1' }, stdio: ['ignore', 'pipe', 'pipe'] });
      children.add(c);
      c.once('exit', () => children.delete(c));
      child = c;
      out = capture(c);
      await poll('the server to answer /api/v1/health', async () => {
        if (c.exitCode !== null) throw new Error(`dio up exited with ${c.exitCode}: ${out()}`);
        return (await fetch(`${url}/api/v1/health`)).ok ? true : undefined;
      }, { timeoutMs: 60_000, everyMs: 200, last: out });
      key = readFileSync(join(dataDir, 'cli.key'), 'utf8').trim();
    },
    stop() {
      const c = child!;
      return new Promise((res) => {
        if (c.exitCode !== null || c.signalCode !== null) return res(c.exitCode);
        c.once('exit', (code) => res(code));
        c.kill('SIGTERM');
      });
    },
    kill9() {
      const c = child!;
      return new Promise((res) => {
        if (c.exitCode !== null || c.signalCode !== null) return res();
        c.once('exit', () => res());
        c.kill('SIGKILL');
      });
    },
    cli: (args) => run(args, { cwd: dir }),
    async cliJson<T>(args: string[]): Promise<T[]> {
      const r = await run(args, { cwd: dir });
      if (r.code !== 0) throw new Error(`dio ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
      return r.stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as T);
    },
    async api<T>(path: string, init: RequestInit = {}) {
      const r = await fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers }, signal: AbortSignal.timeout(20_000) });
      const text = await r.text();
      return { status: r.status, body: (text ? JSON.parse(text) : undefined) as T };
    },
    db<T>(fn: (db: Database.Database) => T): T {
      const db = new Database(join(dataDir, 'dio.db'), { fileMustExist: true });
      try {
        db.pragma('busy_timeout = 10000');
        return fn(db);
      } finally {
        db.close();
      }
    },
  };
  await server.start();
  return server;
}

/** `dio agents token create --uses N` → the token secret. */
export async function createToken(server: Server, uses: number, labels: string[] = []): Promise<string> {
  const [t] = await server.cliJson<{ token: string; max_uses: number }>(['agents', 'token', 'create', '--uses', String(uses), '--expires', '1h', ...labels.flatMap((l) => ['--label', l]), '-o', 'json']);
  if (!t?.token.startsWith('dio_et_')) throw new Error(`no enrollment token in the CLI output: ${JSON.stringify(t)}`);
  return t.token;
}

export interface AgentOptions {
  id: string;
  token?: string;
  labels?: string[];
  /** `PATH:type` specs. */
  sources?: string[];
  allow?: string[];
  scanTargets?: string[];
  firewall?: 'dry-run' | 'nftables';
  netns?: string;
  /** Reuse a state dir (restart); default a fresh one. */
  stateDir?: string;
  /** Extra environment (e.g. DIO_LOG_LEVEL=info while debugging). */
  env?: NodeJS.ProcessEnv;
}

export interface AgentProc {
  id: string;
  stateDir: string;
  child: ChildProcess;
  pid: number;
  output: () => string;
  /** Resolves with the exit code (or the signal name) once the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  running: () => boolean;
  signal(sig: NodeJS.Signals): void;
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill9(): Promise<void>;
}

/** Starts `dio agent` against `server` (dry-run firewall unless told otherwise). */
export function startAgent(server: Server, o: AgentOptions): AgentProc {
  const base = tempDir(`dio-e2e-agent-${o.id}-`);
  const stateDir = o.stateDir ?? join(base, 'state');
  mkdirSync(stateDir, { recursive: true });
  const args = [DIO, 'agent', '--server', server.url, '--state-dir', stateDir, '--id', o.id, '--firewall', o.firewall ?? 'dry-run'];
  if (o.token) args.push('--token', o.token);
  for (const l of o.labels ?? []) args.push('--label', l);
  for (const s of o.sources ?? []) args.push('--source', s);
  for (const a of o.allow ?? []) args.push('--allow', a);
  for (const s of o.scanTargets ?? []) args.push('--scan-target', s);
  if (o.netns) args.push('--netns', o.netns);
  // cwd without a dio.yaml: the agent takes everything from its flags.
  const child = spawn(process.execPath, args, { cwd: base, env: { ...ENV, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const output = capture(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((res) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      res({ code, signal, at: Date.now() });
    }),
  );
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    id: o.id,
    stateDir,
    child,
    pid: child.pid!,
    output,
    exited,
    running,
    signal: (sig) => {
      if (running()) child.kill(sig);
    },
    async stop() {
      if (running()) {
        child.kill('SIGCONT');
        child.kill('SIGTERM');
      }
      return exited;
    },
    async kill9() {
      if (running()) child.kill('SIGKILL');
      await exited;
    },
  };
}

export interface AgentView {
  id: string;
  hostname: string;
  status: string;
  labels: Record<string, string>;
  last_seen_at: string | null;
  load?: Record<string, number>;
}

/** Waits until the server lists the agent with `status`. */
export function agentStatus(server: Server, id: string, status: string, timeoutMs = 30_000, agent?: AgentProc): Promise<AgentView> {
  let last: unknown;
  return poll(
    `agent ${id} to be ${status}`,
    async () => {
      const r = await server.api<AgentView>(`/api/v1/agents/${id}`);
      last = r.body;
      return r.status === 200 && r.body.status === status ? r.body : undefined;
    },
    { timeoutMs, everyMs: 200, last: () => `${JSON.stringify(last)}\n${agent?.output() ?? ''}` },
  );
}

/**
 * Waits for the agent's first heartbeat (it carries a load summary). Enrollment alone already
 * lists an agent online; the heartbeat comes after its parts (tails, bouncer) have started.
 */
export function agentReady(server: Server, id: string, timeoutMs = 60_000, agent?: AgentProc): Promise<AgentView> {
  let last: unknown;
  return poll(
    `agent ${id} to send its first heartbeat`,
    async () => {
      const r = await server.api<AgentView>(`/api/v1/agents/${id}`);
      last = r.body;
      return r.status === 200 && r.body.status === 'online' && r.body.load ? r.body : undefined;
    },
    { timeoutMs, everyMs: 200, last: () => `${JSON.stringify(last)}\n${agent?.output() ?? ''}` },
  );
}

/** A request signed with the agent's own key from its state dir, with the agent's own signer. */
export async function signedRequest(server: Server, agent: { id: string; stateDir: string }, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: { error?: { code: string; message: string } } & Record<string, unknown> }> {
  const key = createPrivateKey(readFileSync(join(agent.stateDir, 'agent.key'), 'utf8'));
  const bytes = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
  const ts = String(Date.now());
  const nonce = randomBytes(18).toString('base64url');
  const sig = signRequest(key, { method, path, ts, nonce, body: bytes });
  const r = await fetch(`${server.url}${path}`, {
    method,
    headers: { [SIG_HEADERS.agent]: agent.id, [SIG_HEADERS.ts]: ts, [SIG_HEADERS.nonce]: nonce, [SIG_HEADERS.sig]: sig, ...(bytes ? { 'content-type': 'application/json' } : {}) },
    ...(bytes ? { body: bytes } : {}),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : {} };
}

/** Starts a process in its own process group (so it and its workers can be killed together). */
export function spawnGroup(file: string, args: string[]): ChildProcess {
  const c = spawn(file, args, { stdio: 'ignore', detached: true });
  groups.add(c);
  children.add(c);
  c.once('exit', () => children.delete(c));
  return c;
}

export function killGroup(c: ChildProcess): void {
  if (c.pid === undefined || c.exitCode !== null || c.signalCode !== null) return;
  try {
    process.kill(-c.pid, 'SIGKILL');
  } catch {
    // gone
  }
}

/** Whether a program is on PATH. */
export function have(program: string): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => {
    try {
      accessSync(join(d, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
