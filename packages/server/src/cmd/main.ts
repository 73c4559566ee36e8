import { Command, Option } from 'commander';
import { loadConfig, type LoadedConfig } from '../config/load-config.js';
import { describeConfig } from '../config/describe-config.js';
import { isAppError, errorMessage } from '../shared/app-error.js';
import { registerClientCommands } from './client-commands.js';
import { registerAccessCommands } from './access-commands.js';
import { registerAuditCommands } from './audit-commands.js';
import { registerFleetCommands } from './fleet-commands.js';
import { registerAgentCommand } from './agent-command.js';
import { parseOutputFormat, renderTable } from './output.js';
import { DIO_VERSION } from './version.js';

type Flag = { path: string; value: unknown; flag: string };

/** Loads config for a command: --config FILE, else $DIO_CONFIG, else ./dio.yaml when present. */
function load(opts: { config?: string }, flags: Flag[]): LoadedConfig {
  const file = opts.config ?? process.env.DIO_CONFIG ?? 'dio.yaml';
  return loadConfig({ file, requireFile: Boolean(opts.config ?? process.env.DIO_CONFIG), flags });
}

const program = new Command();
program.name('dio').description('DIO — Digital Immune Organism: logs → alerts → decisions → firewall').version(DIO_VERSION).showHelpAfterError('(add --help for usage)');

program
  .command('up')
  .description('run everything in one process: log sources, detection, decisions, firewall, API on 127.0.0.1')
  .option('--config <file>', 'configuration file (default ./dio.yaml when present)')
  .option('--data-dir <dir>', 'where the database and state live (default ./data)')
  .option('--listen <host:port>', 'API address (default 127.0.0.1:8080)')
  .option('--allow-remote', 'allow the API to listen beyond loopback (agents on other hosts; put TLS in front)')
  .option('--simulation', 'record decisions without enforcing them')
  .addOption(new Option('--firewall <kind>', 'firewall adapter').choices(['dry-run', 'nftables', 'iptables']))
  .option('--set <key=value...>', 'set any configuration key, e.g. --set decide.allowlist=192.0.2.0/24')
  .action(async (o: { config?: string; dataDir?: string; listen?: string; allowRemote?: boolean; simulation?: boolean; firewall?: string; set?: string[] }) => {
    const flags: Flag[] = [];
    if (o.dataDir) flags.push({ path: 'data_dir', value: o.dataDir, flag: '--data-dir' });
    if (o.listen) flags.push({ path: 'api.listen', value: o.listen, flag: '--listen' });
    if (o.allowRemote) flags.push({ path: 'api.allow_remote', value: true, flag: '--allow-remote' });
    if (o.simulation) flags.push({ path: 'decide.simulation', value: true, flag: '--simulation' });
    if (o.firewall) flags.push({ path: 'respond.firewall', value: o.firewall, flag: '--firewall' });
    flags.push(...parseSets(o.set));
    // Commands load their modules on demand: `dio replay` never pays for the HTTP server.
    const { runUp } = await import('./up.js');
    await runUp(load(o, flags));
  });

program
  .command('replay')
  .description('run a whole log file (plain or gzip) through the pipeline and print alerts and decisions')
  .argument('<file>', 'log file to replay (plain or gzip); - reads standard input')
  .addOption(new Option('--type <type>', 'parser family').choices(['auto', 'sshd', 'nginx', 'apache', 'syslog']).default('auto'))
  .option('-o, --output <format>', 'table or json (one object per line)', parseOutputFormat, 'table')
  .option('--config <file>', 'configuration file (default ./dio.yaml when present)')
  .option('--no-progress', 'no progress bar even on a terminal')
  .option('--set <key=value...>', 'set any configuration key')
  .action(async (file: string, o: { type: string; output: 'table' | 'json'; config?: string; progress: boolean; set?: string[] }) => {
    const { runReplay } = await import('./replay.js');
    const code = await runReplay(load(o, parseSets(o.set)), { file, type: o.type, output: o.output, progress: o.progress && process.stderr.isTTY === true && !process.env.DIO_NO_PROGRESS });
    process.exitCode = code;
  });

const config = program.command('config').description('inspect configuration');
config
  .command('show')
  .description('print the effective configuration with where each value came from (secrets redacted)')
  .option('--config <file>', 'configuration file (default ./dio.yaml when present)')
  .option('-o, --output <format>', 'table or json', parseOutputFormat, 'table')
  .option('--set <key=value...>', 'set any configuration key')
  .action((o: { config?: string; output: string; set?: string[] }) => {
    const loaded = load(o, parseSets(o.set));
    for (const w of loaded.warnings) process.stderr.write(`warning: ${w}\n`);
    const rows = describeConfig(loaded);
    if (o.output === 'json') process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    else process.stdout.write(`${renderTable(['key', 'value', 'origin'], rows.map((r) => [r.key, r.value === undefined ? '(unset)' : JSON.stringify(r.value), r.origin]), 80)}\n`);
  });

const { decisions } = registerClientCommands(program);
registerAccessCommands(program);
registerAuditCommands(program);
registerFleetCommands(program, decisions);
registerAgentCommand(program, load);

function parseSets(sets: string[] | undefined): Flag[] {
  return (sets ?? []).map((s) => {
    const i = s.indexOf('=');
    if (i <= 0) throw new Error(`--set expects key=value, got "${s}"`);
    return { path: s.slice(0, i), value: s.slice(i + 1), flag: `--set ${s.slice(0, i)}` };
  });
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  const msg = isAppError(e) ? `${e.message} [${e.code}]` : errorMessage(e);
  process.stderr.write(`dio: ${msg}\n`);
  process.exitCode = isAppError(e) && e.status < 500 ? 2 : 1;
}
