import type { Command } from 'commander';
import type { Agent, AgentEnforcement, Decision, EnrollmentToken, Finding, Task } from '@dio/protocol';
import { TASK_TYPES } from '@dio/protocol';
import { AppError } from '../shared/app-error.js';
import { clientFor, emit, qs, SERVER_HELP } from './client-context.js';
import { humanDuration, parseOutputFormat, renderTable } from './output.js';

const when = (s: string | null | undefined) => (s ? s.slice(0, 19).replace('T', ' ') : '');
const ago = (s: string | null) => (s ? `${humanDuration(Date.now() - Date.parse(s))} ago` : 'never');
const collect = (v: string, prev: string[] = []) => [...prev, v];
/** Parameters that are lists: a bare `targets=10.0.0.0/24` means a list of one. */
const LIST_PARAMS = new Set(['targets', 'paths', 'include', 'groups']);

export function parseParams(pairs: string[], json?: string): Record<string, unknown> {
  const out: Record<string, unknown> = json ? (JSON.parse(json) as Record<string, unknown>) : {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new AppError('cli.invalid', `--param expects key=value, got "${p}"`, { status: 400 });
    const key = p.slice(0, i);
    const raw = p.slice(i + 1);
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      v = LIST_PARAMS.has(key) ? raw.split(',').map((x) => x.trim()).filter(Boolean) : raw;
    }
    out[key] = LIST_PARAMS.has(key) && !Array.isArray(v) ? [v] : v;
  }
  return out;
}

function labels(pairs: string[]): Record<string, string> {
  return Object.fromEntries(
    pairs.map((p) => {
      const i = p.indexOf('=');
      if (i <= 0) throw new AppError('cli.invalid', `--label expects key=value, got "${p}"`, { status: 400 });
      return [p.slice(0, i), p.slice(i + 1)];
    }),
  );
}

const agentTable = (list: Agent[]) => renderTable(['id', 'hostname', 'status', 'last seen', 'version', 'address', 'labels'], list.map((a) => [a.id, a.hostname, a.status, ago(a.last_seen_at), a.version, a.last_address ?? '', Object.entries(a.labels).map(([k, v]) => `${k}=${v}`).join(',')]));
const taskTable = (list: Task[]) => renderTable(['id', 'type', 'agent', 'status', 'created', 'finished', 'findings', 'error'], list.map((t) => [t.id, t.type, t.agent_id, t.status, when(t.created_at), when(t.finished_at), t.findings ?? 0, t.error ?? '']), 80);

/** `dio agents …`, `dio tasks …`, `dio findings list`, `dio decisions show`. */
export function registerFleetCommands(program: Command, decisions: Command): void {
  const agents = program.command('agents').description('enrolled agents and enrollment tokens');
  agents
    .command('list')
    .description('agents with their live status (online, stale, offline, revoked, disabled)')
    .option('--server <url>', SERVER_HELP)
    .option('--status <status>', 'only agents with this status')
    .option('--label <k=v,...>', 'only agents with these labels')
    .option('-o, --output <format>', 'table or json (one agent per line)', parseOutputFormat, 'table')
    .action(async (o: { server?: string; status?: string; label?: string; output: string }) => {
      const { items } = await clientFor(o.server).get<{ items: Agent[] }>(`/api/v1/agents${qs({ status: o.status, label: o.label })}`);
      emit(o.output, items, () => (items.length ? agentTable(items) : 'no agents (enroll one: dio agents token create, then dio agent --server URL --token TOKEN)'));
    });
  agents
    .command('show')
    .description('one agent: host, load, capabilities, decisions enforced')
    .argument('<id>', 'agent id')
    .option('--server <url>', SERVER_HELP)
    .option('-o, --output <format>', 'table or json', parseOutputFormat, 'table')
    .action(async (id: string, o: { server?: string; output: string }) => {
      const c = clientFor(o.server);
      const a = await c.get<Agent>(`/api/v1/agents/${encodeURIComponent(id)}`);
      const enf = (await c.get<{ items: AgentEnforcement[] }>(`/api/v1/agents/${encodeURIComponent(id)}/enforcement`)).items;
      emit(o.output, { ...a, enforcement: enf }, () =>
        [
          agentTable([a]),
          '',
          `host      ${a.host.hostname}  ${a.host.os.name} ${a.host.os.version ?? ''}  kernel ${a.host.kernel}  ${a.host.arch}  ${a.host.addresses.join(' ')}`,
          `load      ${a.load ? `cpu ${a.load.cpu_pct ?? '?'}%  mem ${a.load.mem_pct ?? '?'}%  load1 ${a.load.load1 ?? '?'}  spool ${a.load.spool_batches ?? 0} batches (${a.load.spool_dropped ?? 0} dropped)  agent rss ${Math.round((a.load.agent_rss_bytes ?? 0) / 1048576)} MB` : 'no heartbeat yet'}`,
          `offers    ${a.capabilities.join(', ')}`,
          `key       ${a.key_fingerprint}   enrolled ${when(a.enrolled_at)}`,
          `enforcing ${enf.filter((e) => e.status === 'verified' || e.status === 'applied').length} decisions (${enf.filter((e) => e.status === 'failed').length} failed)`,
        ].join('\n'),
      );
    });
  for (const [verb, text] of [
    ['revoke', 'revoke an agent: it is refused from its next request on'],
    ['disable', 'disable an agent until enabled again'],
    ['enable', 'enable a disabled agent'],
  ] as const) {
    agents
      .command(verb)
      .description(text)
      .argument('<id>', 'agent id')
      .option('--server <url>', SERVER_HELP)
      .action(async (id: string, o: { server?: string }) => {
        const a = await clientFor(o.server).post<Agent>(`/api/v1/agents/${encodeURIComponent(id)}/${verb}`);
        process.stdout.write(`agent ${a.id} is ${a.status}\n`);
      });
  }
  agents
    .command('delete')
    .description('forget an agent (revoke it first; it may then enroll again)')
    .argument('<id>', 'agent id')
    .option('--server <url>', SERVER_HELP)
    .action(async (id: string, o: { server?: string }) => {
      await clientFor(o.server).del<Agent>(`/api/v1/agents/${encodeURIComponent(id)}`);
      process.stdout.write(`agent ${id} deleted\n`);
    });

  const token = agents.command('token').description('enrollment tokens');
  token
    .command('create')
    .description('create an enrollment token (printed once)')
    .option('--uses <n>', 'how many agents may enroll with it', '1')
    .option('--expires <duration>', 'e.g. 30m, 1h, 7d', '1h')
    .option('--label <k=v>', 'label for the agents enrolled with it (repeatable)', collect, [])
    .option('--description <text>', 'what the token is for')
    .option('--server <url>', SERVER_HELP)
    .option('-o, --output <format>', 'table or json', parseOutputFormat, 'table')
    .action(async (o: { uses: string; expires: string; label: string[]; description?: string; server?: string; output: string }) => {
      const c = clientFor(o.server);
      const t = await c.post<EnrollmentToken & { token: string }>('/api/v1/enrollment-tokens', { uses: Number(o.uses), expires: o.expires, labels: labels(o.label), ...(o.description ? { description: o.description } : {}) });
      emit(o.output, t, () => `${t.token}\n\nvalid until ${when(t.expires_at)} for ${t.max_uses} enrollment(s). On the host to protect:\n  dio agent --server ${c.base} --token ${t.token}`);
    });
  token
    .command('list')
    .description('list enrollment tokens')
    .option('--server <url>', SERVER_HELP)
    .option('-o, --output <format>', 'table or json', parseOutputFormat, 'table')
    .action(async (o: { server?: string; output: string }) => {
      const { items } = await clientFor(o.server).get<{ items: EnrollmentToken[] }>('/api/v1/enrollment-tokens');
      emit(o.output, items, () => renderTable(['id', 'uses', 'expires', 'status', 'labels', 'created by'], items.map((t) => [t.id, `${t.uses}/${t.max_uses}`, when(t.expires_at), t.revoked ? 'revoked' : Date.parse(t.expires_at) < Date.now() ? 'expired' : t.uses >= t.max_uses ? 'used up' : 'valid', Object.entries(t.labels).map(([k, v]) => `${k}=${v}`).join(','), t.created_by])));
    });
  token
    .command('revoke')
    .description('revoke an enrollment token')
    .argument('<id>', 'token id')
    .option('--server <url>', SERVER_HELP)
    .action(async (id: string, o: { server?: string }) => {
      await clientFor(o.server).del(`/api/v1/enrollment-tokens/${encodeURIComponent(id)}`);
      process.stdout.write(`enrollment token ${id} revoked\n`);
    });

  const tasks = program.command('tasks').description('tasks for agents (scans, inventory)');
  tasks
    .command('create')
    .description(`assign a task: ${TASK_TYPES.join(', ')}`)
    .argument('<type>', 'task type')
    .option('--agent <id>', 'one agent')
    .option('--selector <k=v,...>', 'every agent with these labels')
    .option('-p, --param <key=value>', 'parameter, e.g. targets=10.0.0.0/24 ports=22,80 (repeatable; values may be JSON)', collect, [])
    .option('--params <json>', 'all parameters as one JSON object')
    .option('--timeout <duration>', 'how long the agent may run it', '10m')
    .option('--expires <duration>', 'how long it may wait to be picked up', '1h')
    .option('--wait', 'wait for the result')
    .option('--server <url>', SERVER_HELP)
    .option('-o, --output <format>', 'table or json', parseOutputFormat, 'table')
    .action(async (type: string, o: { agent?: string; selector?: string; param: string[]; params?: string; timeout: string; expires: string; wait?: boolean; server?: string; output: string }) => {
      if ((o.agent === undefined) === (o.selector === undefined)) throw new AppError('cli.invalid', 'give exactly one of --agent ID or --selector k=v', { status: 400 });
      const c = clientFor(o.server);
      const body = { type, params: parseParams(o.param, o.params), timeout: o.timeout, expires: o.expires, ...(o.agent ? { agent_id: o.agent } : { selector: labels(o.selector!.split(',')) }) };
      let { items } = await c.post<{ items: Task[] }>('/api/v1/tasks', body);
      if (o.wait) {
        const deadline = Date.now() + 6 * 3600_000;
        while (items.some((t) => t.status === 'pending' || t.status === 'running') && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 1000));
          items = await Promise.all(items.map((t) => c.get<Task>(`/api/v1/tasks/${t.id}`)));
        }
      }
      emit(o.output, items, () => taskTable(items));
      if (o.wait && items.some((t) => t.status !== 'done')) process.exitCode = 1;
    });
  tasks
    .command('list')
    .description('tasks, newest first')
    .option('--agent <id>', 'only this agent')
    .option('--status <status>', 'pending, running, done, failed, timed_out, rejected')
    .option('--limit <n>', 'how many', '50')
    .option('--server <url>', SERVER_HELP)
    .option('-o, --output <format>', 'table or json', parseOutputFormat, 'table')
    .action(async (o: { agent?: string; status?: string; limit: string; server?: string; output: string }) => {
      const { items } = await clientFor(o.server).get<{ items: Task[] }>(`/api/v1/tasks${qs({ agent_id: o.agent, status: o.status, limit: o.limit })}`);
      emit(o.output, items, () => (items.length ? taskTable(items) : 'no tasks'));
    });
  tasks
    .command('show')
    .description('one task with its result')
    .argument('<id>', 'task id')
    .option('--server <url>', SERVER_HELP)
    .action(async (id: string, o: { server?: string }) => {
      process.stdout.write(`${JSON.stringify(await clientFor(o.server).get<Task>(`/api/v1/tasks/${encodeURIComponent(id)}`), null, 2)}\n`);
    });

  program
    .command('findings')
    .description('findings from task results')
    .command('list')
    .option('--agent <id>', 'only this agent')
    .option('--task <id>', 'only this task')
    .option('--kind <kind>', 'open_port, warning, malware, …')
    .option('--limit <n>', 'how many', '100')
    .option('--server <url>', SERVER_HELP)
    .option('-o, --output <format>', 'table or json', parseOutputFormat, 'table')
    .action(async (o: { agent?: string; task?: string; kind?: string; limit: string; server?: string; output: string }) => {
      const { items } = await clientFor(o.server).get<{ items: Finding[] }>(`/api/v1/findings${qs({ agent_id: o.agent, task_id: o.task, kind: o.kind, limit: o.limit })}`);
      emit(o.output, items, () => (items.length ? renderTable(['time', 'agent', 'kind', 'severity', 'title'], items.map((f) => [when(f.created_at), f.agent_id, f.kind, f.severity, f.title]), 90) : 'no findings'));
    });

  decisions
    .command('show')
    .description('one decision and its enforcement on each agent')
    .argument('<id>', 'decision id')
    .option('--server <url>', SERVER_HELP)
    .option('-o, --output <format>', 'table or json', parseOutputFormat, 'table')
    .action(async (id: string, o: { server?: string; output: string }) => {
      const c = clientFor(o.server);
      const d = await c.get<Decision>(`/api/v1/decisions/${encodeURIComponent(id)}`);
      const enf = (await c.get<{ items: AgentEnforcement[] }>(`/api/v1/decisions/${encodeURIComponent(id)}/enforcement`)).items;
      emit(o.output, { decision: d, enforcement: enf }, () =>
        [`${d.id}  ${d.value}  ${d.status}  expires ${when(d.expires_at)}  ${d.reason}  (server: ${d.enforcement.status})`, '', enf.length ? renderTable(['agent', 'status', 'firewall', 'at', 'error'], enf.map((e) => [e.agent_id, e.status, e.firewall, when(e.at), e.error ?? ''])) : 'no agent has reported on it'].join('\n'),
      );
    });
}
