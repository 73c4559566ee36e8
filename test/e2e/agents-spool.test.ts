import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentReady, createToken, killAll, poll, sleep, startAgent, startServer, tempDir, type AgentProc, type Server } from './agent-fleet.js';
import { syslogTime } from './helpers.js';

/**
 * Log shipping through the agent's disk spool with the server killed (-9) mid-stream and the
 * agent killed (-9) once: after both come back, the server holds every line written exactly
 * once — counted in its database, per source file, no line missing and none twice.
 */

after(killAll);

const FILES = 3;
const BURSTS = 10;
const PER_BURST = 200; // lines per file per burst: 3 × 2000 lines in all

/** sshd failures, each from its own address (198.18.0.0/15, benchmarking range) so no detector fires. */
function lines(file: number, burst: number): string {
  const t = syslogTime(new Date());
  let out = '';
  for (let i = 0; i < PER_BURST; i++) {
    const n = burst * PER_BURST + i;
    out += `${t} web0${file} sshd[${10000 + n}]: Failed password for invalid user u${file}x${n} from 198.${18 + (file >> 1)}.${(file & 1) * 128 + (n >> 8)}.${n & 255} port ${20000 + n} ssh2\n`;
  }
  return out;
}

interface Stored { total: number; distinct: number; perFile: Record<string, number>; /** file×burst cells not holding exactly PER_BURST lines */ off: Record<string, number> }

/** What the server stored from this agent, counted in its database (there is no event query API). */
function stored(server: Server, agentId: string): Stored {
  return server.db((db) => {
    const rows = db.prepare("SELECT json_extract(doc, '$.dio.input') AS input, count(*) AS n, count(DISTINCT message) AS d FROM events WHERE json_extract(doc, '$.dio.agent_id') = ? GROUP BY input").all(agentId) as Array<{ input: string; n: number; d: number }>;
    const cells = db.prepare("SELECT message FROM events WHERE json_extract(doc, '$.dio.agent_id') = ?").all(agentId) as Array<{ message: string }>;
    const per: Record<string, number> = {};
    for (let f = 0; f < FILES; f++) for (let b = 0; b < BURSTS; b++) per[`file${f}/burst${b}`] = 0;
    for (const { message } of cells) {
      const m = /invalid user u(\d+)x(\d+) /.exec(message);
      const k = m ? `file${m[1]}/burst${Math.floor(Number(m[2]) / PER_BURST)}` : 'unexpected';
      per[k] = (per[k] ?? 0) + 1;
    }
    const off = Object.fromEntries(Object.entries(per).filter(([, n]) => n !== PER_BURST));
    return { total: rows.reduce((s, r) => s + r.n, 0), distinct: rows.reduce((s, r) => s + r.d, 0), perFile: Object.fromEntries(rows.map((r) => [r.input, r.n])), off };
  });
}

test('spool and replay: server kill -9 mid-stream, agent kill -9 once, every line stored exactly once', { timeout: 240_000 }, async () => {
  const server = await startServer();
  const token = await createToken(server, 1);
  const dir = tempDir('dio-e2e-logs-');
  const files = Array.from({ length: FILES }, (_, i) => join(dir, `auth-${i}.log`));
  for (const f of files) writeFileSync(f, ''); // empty: the tail starts at 0, so every appended line counts
  const sources = files.map((f) => `${f}:sshd`);
  let agent: AgentProc = startAgent(server, { id: 'shipper', token, sources });
  const outputs: string[] = [];
  const stateDir = agent.stateDir;
  // The tails are open once the agent heartbeats (its parts start before the first heartbeat);
  // a tail opening a file for the first time starts at its end.
  await agentReady(server, 'shipper', 60_000, agent);

  let written = 0;
  const story: string[] = [];
  for (let b = 0; b < BURSTS; b++) {
    for (let f = 0; f < FILES; f++) {
      appendFileSync(files[f]!, lines(f, b));
      written += PER_BURST;
    }
    if (b === 1) {
      // Make sure the stream is really flowing before the server dies under it.
      await poll('the first events to arrive', () => (stored(server, 'shipper').total > 0 ? true : undefined), { timeoutMs: 30_000, last: agent.output });
    }
    if (b === 2) {
      // Right after a burst: part of it is still being read, spooled or sent.
      await server.kill9();
      const then = stored(server, 'shipper').total;
      story.push(`server killed after ${written} lines (stored then: ${then})`);
      assert.ok(then > 0 && then < written, `the server died mid-stream (${then} of ${written} lines stored)`);
    }
    if (b === 5) {
      await agent.kill9();
      outputs.push(agent.output());
      story.push(`agent killed after ${written} lines`);
    }
    if (b === 6) {
      agent = startAgent(server, { id: 'shipper', stateDir, sources }); // no token: it is enrolled
      story.push(`agent restarted after ${written} lines`);
    }
    if (b === 7) {
      await server.start();
      story.push(`server restarted after ${written} lines (stored then: ${stored(server, 'shipper').total})`);
    }
    await sleep(300);
  }
  assert.equal(written, FILES * BURSTS * PER_BURST);
  const want = Object.fromEntries(files.map((f) => [`file:${f}`, BURSTS * PER_BURST]));
  let last = stored(server, 'shipper');
  await poll(`all ${written} lines to be stored`, () => {
    last = stored(server, 'shipper');
    return last.total >= written ? true : undefined;
  }, { timeoutMs: 90_000, everyMs: 500, last: () => `${story.join('\n')}\n${JSON.stringify(last)}\n${agent.output().slice(-3000)}` });
  // Anything still in flight (a resent batch) would land now: the count must not move.
  await sleep(3000);
  last = stored(server, 'shipper');
  const ctx = `${story.join('; ')}; stored ${JSON.stringify(last)}`;
  assert.equal(last.total, written, `exactly the ${written} lines written are stored, no loss and no duplicate (${ctx})`);
  assert.equal(last.distinct, written, `every stored event is a different line (${ctx})`);
  assert.deepEqual(last.perFile, want, `each source file delivered all of its lines once (${ctx})`);
  assert.deepEqual(last.off, {}, 'every burst of every file arrived whole');
  outputs.push(agent.output());
  for (const [i, out] of outputs.entries()) assert.doesNotMatch(out, /spool\.write_failed|EBADF/, `agent run ${i + 1}: the spool never failed an append:\n${out.slice(-3000)}`);
  const view = (await server.api<{ load?: { spool_batches?: number; spool_dropped?: number } }>('/api/v1/agents/shipper')).body;
  await poll('the agent to report an empty spool', async () => {
    const l = (await server.api<{ load?: { spool_batches?: number; spool_dropped?: number } }>('/api/v1/agents/shipper')).body.load;
    return l?.spool_batches === 0 ? l : undefined;
  }, { timeoutMs: 15_000, last: () => JSON.stringify(view) }).then((l) => assert.equal(l.spool_dropped ?? 0, 0, 'nothing was dropped from the spool'));
  assert.ok(agent.running(), 'the restarted agent is still running');
});
