import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStore } from '../../storage/sqlite/sqlite-store.js';
import type { LogShipperStats } from './log-shipper.js';
import { startIngestServer, type IngestServer } from './testdata/ingest-server.js';

/**
 * kill -9 of the agent at random moments (also while it is still starting) and restarts of the
 * server (cutting connections mid-request, or gracefully) while lines are appended: the server
 * must end up with every line exactly once. The agent is a child process with its spool and
 * offsets in a state dir; the server keeps its events in a SQLite file across restarts.
 */
const TOTAL_LINES = 3000;
const testdata = new URL('./testdata/', import.meta.url).pathname;
const line = (i: number) => `Oct  6 00:00:01 web01 sshd[123]: Failed password for u${i} from 203.0.113.7 port ${1000 + (i % 60000)} ssh2`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rand = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo));

interface Agent {
  proc: ChildProcess;
  lines: string[];
  ready: Promise<void>;
  exited: Promise<void>;
}

function startAgent(args: string[]): Agent {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(testdata, 'crash-agent.ts'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const ready = new Promise<void>((resolve, reject) => {
    let buf = '';
    proc.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        lines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
        if (lines.at(-1) === 'ready') resolve();
      }
    });
    proc.once('exit', (code, signal) => reject(new Error(`agent exited before ready (${code ?? signal})`)));
  });
  ready.catch(() => undefined); // an agent killed while starting never gets ready
  return { proc, lines, ready, exited };
}

async function kill(a: Agent, signal: NodeJS.Signals): Promise<void> {
  a.proc.kill(signal);
  await a.exited;
}

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dio-crash-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('shipping under kill -9', () => {
  test('agent killed and server restarted at random moments: every line stored exactly once', async () => {
    const db = join(dir, 'server.db');
    const log = join(dir, 'auth.log');
    const keyFile = join(dir, 'key');
    writeFileSync(log, '');
    let server: IngestServer = await startIngestServer({ dbPath: db, port: 0, keyFile });
    const { port } = server;
    const args = [join(dir, 'state'), log, `http://127.0.0.1:${port}`, keyFile];
    let agent = startAgent(args);
    await agent.ready;

    let written = 0;
    const writer = (async () => {
      while (written < TOTAL_LINES) {
        const n = Math.min(TOTAL_LINES - written, rand(1, 16));
        appendFileSync(log, Array.from({ length: n }, (_, k) => line(written + k)).join('\n') + '\n');
        written += n;
        await sleep(rand(3, 15));
      }
    })();

    for (const action of ['agent', 'server-cut', 'agent-starting', 'agent', 'server', 'agent', 'server-cut', 'agent']) {
      await sleep(rand(100, 600));
      if (action.startsWith('agent')) {
        await kill(agent, 'SIGKILL');
        agent = startAgent(args);
        if (action === 'agent-starting') {
          await sleep(rand(0, 400)); // kill -9 during startup / spool recovery
          await kill(agent, 'SIGKILL');
          agent = startAgent(args);
        }
        await agent.ready;
      } else {
        await server.stop(action === 'server-cut');
        await sleep(rand(100, 500)); // the agent spools and retries meanwhile
        server = await startIngestServer({ dbPath: db, port, keyFile });
      }
    }
    await writer;

    const until = Date.now() + 20_000;
    while ((await server.store.stats()).events < TOTAL_LINES && Date.now() < until) await sleep(100);
    await sleep(300); // a late duplicate would arrive now
    await kill(agent, 'SIGTERM');
    const stats = JSON.parse(agent.lines.at(-1)!) as LogShipperStats;
    await server.stop(false);

    const store = createSqliteStore({ path: db, readonly: true });
    const seen = new Map<string, number>();
    let cursor: string | undefined;
    do {
      const page = await store.queryEvents({ limit: 1000, ...(cursor !== undefined && { cursor }) });
      for (const e of page.items) seen.set(e.event.user?.name ?? '?', (seen.get(e.event.user?.name ?? '?') ?? 0) + 1);
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined);
    const total = (await store.stats()).events;
    await store.close();

    const missing = Array.from({ length: TOTAL_LINES }, (_, i) => `u${i}`).filter((u) => !seen.has(u));
    const dups = [...seen].filter(([, c]) => c > 1).map(([u]) => u);
    assert.deepEqual({ missing: missing.slice(0, 10), dups: dups.slice(0, 10), total }, { missing: [], dups: [], total: TOTAL_LINES });
    assert.equal(seen.size, TOTAL_LINES);
    assert.deepEqual([stats.spool.batches, stats.spool.dropped_batches, stats.spool.rejected_batches], [0, 0, 0]);
  });
});
