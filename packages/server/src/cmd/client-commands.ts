import type { Command } from 'commander';
import type { Alert, Decision } from '@dio/protocol';
import { clientFor, qs, SERVER_HELP } from './client-context.js';
import { humanDuration, parseOutputFormat, renderTable } from './output.js';

interface Page<T> { items: T[]; next_cursor: string | null }

/** `dio alerts …` and `dio decisions …`: talk to a running DIO over its API. */
export function registerClientCommands(program: Command): { decisions: Command } {
  const alerts = program.command('alerts').description('list alerts of a running DIO');
  alerts
    .command('list')
    .description('list alerts, newest first')
    .option('--server <url>', SERVER_HELP)
    .option('--scenario <name>', 'only this scenario')
    .option('--severity <level>', 'info, low, medium, high or critical')
    .option('--ip <address>', 'only alerts from this source IP')
    .option('--since <iso>', 'only alerts after this time (ISO 8601)')
    .option('--limit <n>', 'how many', '50')
    .option('-o, --output <format>', 'table or json', parseOutputFormat, 'table')
    .action(async (o: { server?: string; scenario?: string; severity?: string; ip?: string; since?: string; limit: string; output: string }) => {
      const page = await clientFor(o.server).get<Page<Alert>>(`/api/v1/alerts${qs({ scenario: o.scenario, severity: o.severity, source_ip: o.ip, since: o.since, limit: o.limit })}`);
      if (o.output === 'json') for (const a of page.items) process.stdout.write(`${JSON.stringify(a)}\n`);
      else if (!page.items.length) process.stdout.write('no alerts\n');
      else process.stdout.write(`${renderTable(['id', 'time', 'scenario', 'severity', 'source', 'technique', 'events', 'status'], page.items.map((a) => [a.id, a.created_at.slice(0, 19), a.scenario, a.severity, a.source.ip, a.technique.id, a.evidence.count, a.status]))}\n`);
    });

  const decisions = program.command('decisions').description('list, add and delete decisions (bans) of a running DIO');
  decisions
    .command('list')
    .description('list decisions, newest first (active ones by default)')
    .option('--server <url>', SERVER_HELP)
    .option('--all', 'include expired and deleted decisions')
    .option('--ip <value>', 'only decisions for this IP or range')
    .option('--limit <n>', 'how many', '100')
    .option('-o, --output <format>', 'table or json', parseOutputFormat, 'table')
    .action(async (o: { server?: string; all?: boolean; ip?: string; limit: string; output: string }) => {
      const page = await clientFor(o.server).get<Page<Decision>>(`/api/v1/decisions${qs({ status: o.all ? undefined : 'active', value: o.ip, limit: o.limit })}`);
      if (o.output === 'json') for (const d of page.items) process.stdout.write(`${JSON.stringify(d)}\n`);
      else if (!page.items.length) process.stdout.write(o.all ? 'no decisions\n' : 'no active decisions\n');
      else {
        const now = Date.now();
        process.stdout.write(`${renderTable(['id', 'value', 'status', 'expires in', 'origin', 'scenario/reason', 'enforcement'], page.items.map((d) => [d.id, d.value, d.simulated ? `${d.status} (simulated)` : d.status, d.status === 'active' ? humanDuration(Date.parse(d.expires_at) - now) : '', d.origin, d.scenario ?? d.reason, d.enforcement.status]))}\n`);
      }
    });
  decisions
    .command('add')
    .description('ban an IP or CIDR range')
    .argument('<value>', 'IP address or CIDR range, e.g. 203.0.113.7 or 198.51.100.0/24')
    .option('--server <url>', SERVER_HELP)
    .option('-d, --duration <duration>', 'how long: 90s, 30m, 4h, 7d', '4h')
    .option('-r, --reason <text>', 'why (kept in the audit trail)', 'manual ban from the CLI')
    .option('-o, --output <format>', 'table or json', parseOutputFormat, 'table')
    .action(async (value: string, o: { server?: string; duration: string; reason: string; output: string }) => {
      const d = await clientFor(o.server).post<Decision>('/api/v1/decisions', { value, duration: o.duration, reason: o.reason });
      if (o.output === 'json') process.stdout.write(`${JSON.stringify(d)}\n`);
      else process.stdout.write(`banned ${d.value} until ${d.expires_at} (decision ${d.id}${d.simulated ? ', simulation mode: not enforced' : ''})\n`);
    });
  decisions
    .command('delete')
    .description('lift a decision (unban)')
    .argument('<id>', 'decision id (see `dio decisions list`)')
    .option('--server <url>', SERVER_HELP)
    .option('-o, --output <format>', 'table or json', parseOutputFormat, 'table')
    .action(async (id: string, o: { server?: string; output: string }) => {
      const d = await clientFor(o.server).del<Decision>(`/api/v1/decisions/${encodeURIComponent(id)}`);
      if (o.output === 'json') process.stdout.write(`${JSON.stringify(d)}\n`);
      else process.stdout.write(`lifted decision ${d.id} on ${d.value}\n`);
    });
  return { decisions };
}
