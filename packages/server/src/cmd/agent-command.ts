import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { LoadedConfig } from '../config/load-config.js';
import { ConfigSchema, type DioConfig } from '../config/schema.js';
import { AppError } from '../shared/app-error.js';

type Flag = { path: string; value: unknown; flag: string };
const collect = (v: string, prev: string[] = []) => [...prev, v];

interface AgentFlags {
  config?: string;
  server?: string;
  token?: string;
  tokenFile?: string;
  stateDir?: string;
  id?: string;
  source: string[];
  label: string[];
  allow: string[];
  scanTarget: string[];
  firewall?: string;
  netns?: string;
  bouncer: boolean;
  telemetry: boolean;
  fromBeginning?: boolean;
}

/** Folds the command line into the configuration (dio.yaml `agent:` and `respond:`), validated as a whole. */
export function agentConfig(base: Readonly<DioConfig>, o: AgentFlags): DioConfig {
  const c = structuredClone(base) as DioConfig;
  if (o.server) c.agent.server = o.server;
  if (o.stateDir) c.agent.state_dir = o.stateDir;
  if (o.id) c.agent.id = o.id;
  for (const spec of o.source) {
    const at = spec.lastIndexOf(':');
    const tail = at > 0 ? spec.slice(at + 1) : '';
    const startAt = o.fromBeginning ? 'beginning' : 'end';
    c.agent.sources.push(/^[a-z][a-z0-9_-]{0,31}$/.test(tail) ? { path: spec.slice(0, at), parser: tail, start_at: startAt } : { path: spec, parser: 'auto', start_at: startAt });
  }
  for (const l of o.label) {
    const i = l.indexOf('=');
    if (i <= 0) throw new AppError('cli.invalid', `--label expects key=value, got "${l}"`, { status: 400 });
    c.agent.labels[l.slice(0, i)] = l.slice(i + 1);
  }
  c.agent.allowlist.push(...o.allow);
  c.agent.tasks.scan_targets.push(...o.scanTarget);
  if (o.firewall) c.respond.firewall = o.firewall as DioConfig['respond']['firewall'];
  if (o.netns) c.respond.netns = o.netns;
  if (!o.bouncer) c.agent.bouncer = false;
  if (!o.telemetry) c.agent.telemetry = false;
  const r = ConfigSchema.safeParse(c);
  if (!r.success) throw new AppError('config.invalid', `agent options: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, { status: 400 });
  return r.data;
}

/** `dio agent`: the endpoint sensor and bouncer. It only ever connects out to its server. */
export function registerAgentCommand(program: Command, load: (opts: { config?: string }, flags: Flag[]) => LoadedConfig): void {
  program
    .command('agent')
    .description('run the agent on this host: enroll, heartbeat, telemetry, ship logs, run signed tasks, enforce decisions (never listens on a port)')
    .option('--config <file>', 'configuration file (default ./dio.yaml when present; keys agent.* and respond.*)')
    .option('--server <url>', 'the DIO server, e.g. http://10.0.0.5:8080 (agent.server)')
    .option('--token <token>', 'enrollment token, needed on the first start only (dio agents token create)')
    .option('--token-file <file>', 'read the enrollment token from a file instead')
    .option('--state-dir <dir>', 'keys, spool, offsets, cursors (default <data_dir>/agent)')
    .option('--id <id>', 'agent id (default <hostname>-<hash of machine-id>); lets several agents share a host')
    .option('--source <path[:type]>', 'log file to tail and ship, e.g. /var/log/auth.log:sshd (repeatable)', collect, [])
    .option('--from-beginning', 'read a --source file never seen before from its first line (default: from its end, like tail -F)')
    .option('--label <k=v>', 'label this agent (repeatable)', collect, [])
    .option('--allow <cidr>', 'never enforce a ban on this address or range here (repeatable)', collect, [])
    .option('--scan-target <cidr>', 'let nmap/portscan tasks probe this range (repeatable; default none)', collect, [])
    .addOption(new Option('--firewall <kind>', 'how to enforce decisions (respond.firewall)').choices(['dry-run', 'nftables', 'iptables']))
    .option('--netns <name>', 'enforce inside this network namespace (respond.netns)')
    .option('--no-bouncer', 'do not enforce decisions')
    .option('--no-telemetry', 'do not send telemetry')
    .option('--no-lite-mode', 'keep V8\'s optimising JIT: faster parsing of very busy logs, ~8 MB more memory')
    .action(async (o: AgentFlags) => {
      const loaded = load(o, []);
      const config = agentConfig(loaded.config, o);
      const token = o.token ?? (o.tokenFile ? readFileSync(o.tokenFile, 'utf8').trim() : process.env.DIO_AGENT_TOKEN);
      const { runAgent } = await import('../agent/agent-runtime.js');
      process.exitCode = await runAgent({ config, token, warnings: loaded.warnings });
    });
}
