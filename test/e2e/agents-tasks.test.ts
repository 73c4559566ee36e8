import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server as NetServer } from 'node:net';
import { createNetns, deleteNetns, netnsSkipReason } from '../../packages/server/src/pipeline/respond/netns-fixture.js';
import { runCommand } from '../../packages/server/src/pipeline/respond/exec.js';
import { agentStatus, createToken, killAll, poll, sleep, startAgent, startServer, type Server } from './agent-fleet.js';

/**
 * Signed tasks end to end (a real portscan, a tampered envelope, a replayed one, targets outside
 * the agent's own scope) and per-agent enforcement of one decision: dry-run, an agent whose
 * allowlist covers the address, and real nftables inside a network namespace of our own.
 */

interface Task { id: string; type: string; agent_id: string; status: string; error?: string; result?: { open?: Array<{ host: string; port: number }> }; findings?: number }
interface Enforcement { decision_id: string; agent_id: string; status: string; firewall: string; error?: string }
interface Envelope { payload: { task_id: string; agent_id: string; params: Record<string, unknown>; nonce: string }; sig?: string }

const TERMINAL = ['done', 'failed', 'timed_out', 'rejected'];
const namespaces: string[] = [];
after(async () => {
  await killAll();
  for (const ns of namespaces) await deleteNetns(ns);
});

async function finished(server: Server, id: string, output: () => string, timeoutMs = 60_000): Promise<Task> {
  let last: Task | undefined;
  return poll(`task ${id} to finish`, async () => {
    last = (await server.api<Task>(`/api/v1/tasks/${id}`)).body;
    return TERMINAL.includes(last.status) ? last : undefined;
  }, { timeoutMs, everyMs: 300, last: () => `${JSON.stringify(last)}\n${output().slice(-3000)}` });
}

async function createTask(server: Server, body: Record<string, unknown>): Promise<Task> {
  const r = await server.api<{ items: Task[] }>('/api/v1/tasks', { method: 'POST', body: JSON.stringify(body) });
  assert.equal(r.status, 201, `task created: ${JSON.stringify(r.body)}`);
  return r.body.items[0]!;
}

test('signed tasks and per-agent decision enforcement (dry-run, allowlisted, nftables in a netns)', { timeout: 240_000 }, async (t) => {
  const server = await startServer();
  const nftSkip = await netnsSkipReason(['ip', 'nft']);
  const ns = nftSkip ? undefined : await createNetns('bouncer');
  if (ns) namespaces.push(ns);
  const token = await createToken(server, 3);
  const scanner = startAgent(server, { id: 'scanner', token, scanTargets: ['127.0.0.1/32'], labels: ['role=scanner'] });
  const guarded = startAgent(server, { id: 'guarded', token, allow: ['203.0.113.0/24'] });
  const nft = ns ? startAgent(server, { id: 'nft', token, firewall: 'nftables', netns: ns }) : undefined;
  for (const a of [scanner, guarded, nft]) if (a) await agentStatus(server, a.id, 'online', 60_000, a);

  await t.test('one decision: verified on a dry-run agent, skipped as allowlisted where --allow covers it', async () => {
    const [d] = await server.cliJson<{ id: string }>(['decisions', 'add', '203.0.113.7', '-d', '1h', '-o', 'json']);
    const want = nft ? 3 : 2;
    const enf = await poll(
      `${want} agents to report on the decision`,
      async () => {
        const items = (await server.api<{ items: Enforcement[] }>(`/api/v1/decisions/${d!.id}/enforcement`)).body.items;
        return items.length === want && items.every((e) => e.status !== 'pending') ? items : undefined;
      },
      { timeoutMs: 45_000, last: () => [scanner, guarded, nft].map((a) => a?.output().slice(-800)).join('\n---\n') },
    );
    const by = Object.fromEntries(enf.map((e) => [e.agent_id, e]));
    assert.equal(by.scanner?.status, 'verified', `the dry-run agent enforces and verifies it: ${JSON.stringify(by.scanner)}`);
    assert.equal(by.scanner?.firewall, 'dry-run');
    assert.equal(by.guarded?.status, 'allowlisted', `the agent whose --allow covers 203.0.113.7 does not enforce it: ${JSON.stringify(by.guarded)}`);
    assert.match(by.guarded?.error ?? '', /203\.0\.113\.7 is on this agent's allowlist/, 'and says why');
    if (nft) {
      assert.equal(by.nft?.status, 'verified', `the nftables agent enforces and reads it back: ${JSON.stringify(by.nft)}\n${nft.output().slice(-2000)}`);
      assert.equal(by.nft?.firewall, 'nftables');
    }
    const [shown] = await server.cliJson<{ enforcement: Enforcement[] }>(['agents', 'show', 'guarded', '-o', 'json']);
    assert.equal(shown?.enforcement.find((e) => e.decision_id === d!.id)?.status, 'allowlisted', '`dio agents show` reports the skip too');
  });

  await t.test('nftables in a network namespace: the ban is in the kernel, and lifted with the decision', { skip: nftSkip }, async () => {
    const ruleset = async () => {
      return (await runCommand({ file: 'ip', args: ['netns', 'exec', ns!, 'nft', 'list', 'ruleset'] })).stdout;
    };
    const rs = await ruleset();
    assert.match(rs, /table inet dio/, `the agent created its table in ${ns}:\n${rs}`);
    assert.match(rs, /203\.0\.113\.7/, `the banned address is in the namespace's ban set:\n${rs}`);
    const [d] = await server.cliJson<{ id: string }>(['decisions', 'list', '--ip', '203.0.113.7', '-o', 'json']);
    const del = await server.cli(['decisions', 'delete', d!.id]);
    assert.equal(del.code, 0, del.stderr);
    await poll('the ban to leave the namespace ruleset', async () => (!(await ruleset()).includes('203.0.113.7') ? true : undefined), { timeoutMs: 30_000, last: () => nft!.output().slice(-2000) });
  });

  let scan: Task | undefined;
  await t.test('a portscan of 127.0.0.1 on the agent allowed to scan it is done, with findings', async () => {
    const probe: NetServer = createServer((s) => s.end());
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const probePort = (probe.address() as { port: number }).port;
    try {
      const [created] = await server.cliJson<Task>(['tasks', 'create', 'portscan', '--agent', 'scanner', '--params', JSON.stringify({ targets: ['127.0.0.1'], ports: `${probePort},${server.port}`, timeout_ms: 2000 }), '--timeout', '2m', '-o', 'json']);
      assert.equal(created?.status, 'pending');
      scan = await finished(server, created.id, scanner.output);
      assert.equal(scan.status, 'done', `the portscan finished: ${JSON.stringify(scan)}`);
      const open = scan.result?.open?.map((o) => `${o.host}:${o.port}`).sort();
      assert.deepEqual(open, [`127.0.0.1:${probePort}`, `127.0.0.1:${server.port}`].sort(), 'both listening ports are found open');
      const findings = await server.cliJson<{ kind: string; title: string; task_id: string }>(['findings', 'list', '--task', scan.id, '-o', 'json']);
      assert.equal(findings.length, 2, `one finding per open port: ${JSON.stringify(findings)}`);
      for (const f of findings) assert.equal(f.kind, 'open_port');
      assert.ok(findings.some((f) => f.title === `127.0.0.1:${probePort}/tcp open`), 'findings are titled host:port/tcp open');
    } finally {
      probe.close();
    }
  });

  await t.test('parameters outside the allowlists are refused: by the server at assignment, by the agent before running', async () => {
    const badType = await server.cli(['tasks', 'create', 'shell', '--agent', 'scanner', '-p', 'cmd=id']);
    assert.equal(badType.code, 2, `an unknown task type is refused at assignment: ${badType.stderr}`);
    assert.match(badType.stderr, /type: Invalid option: expected one of "nmap".*\[request\.invalid\]/, `the error lists the allowed types: ${badType.stderr}`);
    const badParam = await server.cli(['tasks', 'create', 'portscan', '--agent', 'scanner', '--params', JSON.stringify({ targets: ['127.0.0.1'], command: 'id' })]);
    assert.equal(badParam.code, 2, `a parameter outside the type schema is refused at assignment: ${badParam.stderr}`);
    assert.match(badParam.stderr, /Unrecognized key: "command" \(task type portscan\) \[task\.invalid_params\]/, `the error names the parameter: ${badParam.stderr}`);
    // The server cannot know what each agent may scan: the agent refuses a target outside its own --scan-target.
    const outside = await createTask(server, { type: 'nmap', agent_id: 'scanner', params: { targets: ['127.0.0.2'], ports: '22' } });
    const o = await finished(server, outside.id, scanner.output);
    assert.equal(o.status, 'rejected', `an nmap target outside the scan targets is rejected: ${JSON.stringify(o)}`);
    assert.match(o.error ?? '', /^not_allowed: scan target 127\.0\.0\.2 is not inside this agent's tasks\.scan_targets \(allowed: 127\.0\.0\.1\/32\)/, 'with the agent\'s reason');
    const none = await createTask(server, { type: 'portscan', agent_id: 'guarded', params: { targets: ['127.0.0.1'], ports: '22' } });
    const n = await finished(server, none.id, guarded.output);
    assert.equal(n.status, 'rejected', 'an agent without --scan-target refuses every scan');
    assert.match(n.error ?? '', /tasks\.scan_targets is empty/);
  });

  await t.test('tampered envelopes (edited params, stripped signature) are refused by the agent', async () => {
    scanner.signal('SIGSTOP');
    let a: Task, b: Task;
    try {
      await sleep(1500); // a heartbeat in flight when it stopped has been answered by now, without these tasks
      a = await createTask(server, { type: 'portscan', agent_id: 'scanner', params: { targets: ['127.0.0.1'], ports: '9' } });
      b = await createTask(server, { type: 'portscan', agent_id: 'scanner', params: { targets: ['127.0.0.1'], ports: '9' } });
      server.db((db) => {
        const get = (id: string) => JSON.parse((db.prepare('SELECT envelope FROM tasks WHERE id = ?').get(id) as { envelope: string }).envelope) as Envelope;
        const set = db.prepare("UPDATE tasks SET envelope = ? WHERE id = ? AND status = 'pending'");
        const ea = get(a.id);
        assert.ok(ea.sig, 'the stored envelope is signed');
        ea.payload.params = { ...ea.payload.params, ports: '1-65535' };
        assert.equal(set.run(JSON.stringify(ea), a.id).changes, 1, 'edited the pending task row');
        const eb = get(b.id);
        delete eb.sig;
        assert.equal(set.run(JSON.stringify(eb), b.id).changes, 1);
      });
    } finally {
      scanner.signal('SIGCONT');
    }
    const ra = await finished(server, a.id, scanner.output);
    assert.equal(ra.status, 'rejected', `an envelope with edited params is refused: ${JSON.stringify(ra)}`);
    assert.match(ra.error ?? '', /^bad_signature: .*server key pinned at enrollment/, 'as a bad signature');
    const rb = await finished(server, b.id, scanner.output);
    assert.equal(rb.status, 'rejected', `an unsigned envelope is refused: ${JSON.stringify(rb)}`);
    assert.match(rb.error ?? '', /^unsigned:/);
    assert.ok(ra.result === undefined && rb.result === undefined, 'nothing ran');
  });

  await t.test('a replayed envelope (a finished task handed out again) is refused as a replay', async () => {
    assert.ok(scan, 'needs the portscan task from above');
    const before = server.db((db) => (db.prepare('SELECT envelope FROM tasks WHERE id = ?').get(scan!.id) as { envelope: string }).envelope);
    // Put the finished task back in the queue exactly as it was signed: same id, same nonce.
    server.db((db) => db.prepare("UPDATE tasks SET status = 'pending', started_at = NULL, finished_at = NULL, error = NULL WHERE id = ?").run(scan!.id));
    const r = await finished(server, scan.id, scanner.output);
    assert.equal(r.status, 'rejected', `the replayed task is refused: ${JSON.stringify(r)}`);
    assert.match(r.error ?? '', new RegExp(`^replayed: task ${scan.id} already ran on this agent`), 'as a replay');
    const after = server.db((db) => (db.prepare('SELECT envelope FROM tasks WHERE id = ?').get(scan!.id) as { envelope: string }).envelope);
    assert.equal(after, before, 'it was the very same signed envelope (same nonce)');
    const [listed] = await server.cliJson<Task>(['tasks', 'list', '--agent', 'scanner', '--status', 'rejected', '--limit', '10', '-o', 'json']);
    assert.ok(listed, '`dio tasks list --status rejected` shows refusals');
  });
});
