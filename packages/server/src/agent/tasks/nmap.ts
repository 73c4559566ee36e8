import type { TaskParams, TaskResult } from '@dio/protocol';
import { errorMessage } from '../../shared/app-error.js';
import type { RunnerContext } from './policy.js';
import { resolveTool, runTool, toolFailed } from './run-tool.js';
import { checkTargets } from './scope.js';
import { taskFailed } from './task-errors.js';
import { parseXml } from './xml.js';

type NmapResult = TaskResult<'nmap'>;
type Host = NmapResult['hosts'][number];
type Port = Host['ports'][number];

const MAX_HOSTS = 4096;
const MAX_PORTS = 65535;

const cut = (s: string | undefined, max: number): string | undefined => (s === undefined ? undefined : s.slice(0, max));

/**
 * nmap's XML (-oX) → NmapResult. Only what the result carries is read: host status, the first
 * IPv4/IPv6 address (a MAC address also appears when run as root on a LAN), hostnames, and per
 * port its state and the -sV service fields. Strings are cut to the schema's bounds.
 * @throws Error when the XML is malformed, and when nmap itself reported an error.
 */
export function parseNmapXml(xml: string): NmapResult {
  const hosts: Host[] = [];
  const path: string[] = [];
  let host: Host | undefined;
  let port: Port | undefined;
  let summary: string | undefined;
  let error: string | undefined;
  parseXml(xml, {
    open(name, a) {
      const parent = path[path.length - 1];
      path.push(name);
      if (name === 'host' && parent === 'nmaprun') host = { address: '', hostnames: [], status: 'unknown', ports: [] };
      else if (host !== undefined && parent === 'host') {
        if (name === 'status') host.status = cut(a.state, 16) ?? 'unknown';
        else if (name === 'address' && host.address === '' && (a.addrtype === 'ipv4' || a.addrtype === 'ipv6')) host.address = cut(a.addr, 64) ?? '';
      } else if (host !== undefined && name === 'hostname' && parent === 'hostnames' && a.name !== undefined && host.hostnames.length < 16) host.hostnames.push(a.name.slice(0, 1024));
      else if (host !== undefined && name === 'port' && parent === 'ports') {
        const n = Number(a.portid);
        port = { protocol: cut(a.protocol, 8) ?? '', port: Number.isInteger(n) && n >= 0 && n <= 65535 ? n : 0, state: 'unknown' };
      } else if (port !== undefined && parent === 'port') {
        if (name === 'state') port.state = cut(a.state, 32) ?? 'unknown';
        else if (name === 'service') {
          if (a.name !== undefined) port.service = a.name.slice(0, 1024);
          if (a.product !== undefined) port.product = a.product.slice(0, 1024);
          if (a.version !== undefined) port.version = a.version.slice(0, 1024);
        }
      } else if (name === 'finished' && parent === 'runstats') {
        summary = cut(a.summary, 1024);
        if (a.exit === 'error') error = a.errormsg ?? 'nmap reported an error';
      }
    },
    close(name) {
      path.pop();
      if (name === 'port' && port !== undefined) {
        if (host !== undefined && host.ports.length < MAX_PORTS) host.ports.push(port);
        port = undefined;
      } else if (name === 'host' && host !== undefined) {
        if (hosts.length < MAX_HOSTS) hosts.push(host);
        host = undefined;
      }
    },
  });
  if (error !== undefined) throw new Error(`nmap: ${error}`);
  return summary === undefined ? { hosts } : { hosts, summary };
}

/**
 * argv for one nmap run (one address family: nmap refuses to mix them and needs -6 for IPv6).
 *
 * - `-oX -`: XML on stdout, the one stable machine-readable format.
 * - `-sT --unprivileged`: a plain connect() scan, the same whether the agent runs as root or not,
 *   with no raw packets (no SYN scan, no ARP/ICMP discovery, no OS probes).
 * - `-Pn`: no host discovery — it needs raw sockets to be useful and the operator named the targets.
 * - `-n`: no DNS, so a scan leaks no lookups and does not hang on a slow resolver.
 * - `--noninteractive`: no runtime keyboard handling (stdin is closed anyway).
 * - `--max-retries 2`: bounded retransmissions on filtered ports.
 * - `--host-timeout`: 90 % of the task's timeout, so nmap gives up on a host that stalls and
 *   still writes what it found before the agent's hard kill.
 * Targets are canonical addresses/CIDRs from checkTargets and never start with '-'.
 */
export function nmapArgs(targets: readonly string[], family: 4 | 6, params: Pick<TaskParams<'nmap'>, 'ports' | 'service_detection'>, timeoutMs: number): string[] {
  const hostTimeoutS = Math.max(10, Math.floor((timeoutMs * 0.9) / 1000));
  return [
    '-oX', '-', '-sT', '--unprivileged', '-Pn', '-n', '--noninteractive', '--max-retries', '2', '--host-timeout', `${hostTimeoutS}s`,
    ...(family === 6 ? ['-6'] : []),
    ...(params.service_detection ? ['-sV'] : []),
    ...(params.ports !== undefined ? ['-p', params.ports] : []),
    ...targets,
  ];
}

/** The nmap task: check the targets against scan_targets, one nmap run per address family, results merged. */
export async function runNmap(params: TaskParams<'nmap'>, ctx: RunnerContext): Promise<NmapResult> {
  const targets = checkTargets(params.targets, ctx.policy.scan_targets);
  const file = await resolveTool('nmap', ctx.policy.tools.nmap);
  const hosts: Host[] = [];
  const summaries: string[] = [];
  const byFamily = ([4, 6] as const).map((family) => ({ family, list: targets.filter((t) => t.cidr.family === family).map((t) => t.text) })).filter((f) => f.list.length > 0);
  for (const { family, list } of byFamily) {
    // The runs are sequential, so each gets its share of the task's time.
    const args = nmapArgs(list, family, params, ctx.timeoutMs / byFamily.length);
    ctx.logger.debug({ args }, 'running nmap');
    const res = await runTool({ tool: 'nmap', file, args, cwd: ctx.workDir, signal: ctx.signal, maxOutputBytes: ctx.policy.max_output_bytes });
    if (res.code !== 0) throw toolFailed('nmap', res);
    let part: NmapResult;
    try {
      part = parseNmapXml(res.stdout);
    } catch (e) {
      throw taskFailed(`could not read nmap's XML output: ${errorMessage(e)}`, e);
    }
    hosts.push(...part.hosts.slice(0, MAX_HOSTS - hosts.length));
    if (part.summary !== undefined) summaries.push(part.summary);
  }
  return summaries.length === 0 ? { hosts } : { hosts, summary: summaries.join(' | ').slice(0, 1024) };
}
