import { systemClock, type Clock } from '../../../shared/clock.js';
import type { Logger } from '../../../shared/logger.js';
import { DEFAULT_MAX_ENTRIES, prepareBatch, pruneExpired, settle, toListed, type BanTable } from '../ban-batch.js';
import { formatCommand, type Command } from '../exec.js';
import type { ApplyResult, BanEntry, Firewall, ListedEntry } from '../port.js';
import { ipsetCreateScript, ipsetLayout, iptablesInitScript, iptablesTeardownScript, planIpsetApply, planIpsetSync } from '../iptables/ipset-script.js';
import { nftInitScript, nftLayout, nftTeardownScript, planNftApply, planNftSync } from '../nftables/nft-script.js';

export interface DryRunFirewallOptions {
  logger: Logger;
  /** Which real adapter's commands to print. */
  render: 'nftables' | 'iptables';
  clock?: Clock;
  /** Same naming options as the real adapters, so the printed commands match a real deployment. */
  table?: string;
  priority?: number;
  setPrefix?: string;
  chainPrefix?: string;
  forward?: boolean;
  maxEntries?: number;
}

/**
 * Changes nothing on the host: keeps the ban set in memory (entries vanish at their expiry, by
 * the injected clock) and logs, and returns in `commands`, exactly what the chosen real adapter
 * would run, built by that adapter's own planner from the same state. Reads that the real
 * adapter does before a batch are not shown (only commands that change something).
 */
export function createDryRunFirewall(opts: DryRunFirewallOptions): Firewall {
  const log = opts.logger.child({ component: 'firewall', firewall: 'dry-run', render: opts.render });
  const clock = opts.clock ?? systemClock;
  const maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const nft = nftLayout(opts);
  const ipt = ipsetLayout({ ...opts, maxEntries });
  // nftables view: `kernel` holds what the interval set would hold, `shadow` the nested entries
  let kernel: BanTable = new Map();
  let shadow: BanTable = new Map();

  const nftCmd = (script: string): Command => ({ file: 'nft', args: ['-f', '-'], stdin: script });
  const ipsetCmd = (script: string): Command => ({ file: 'ipset', args: ['restore', '-exist'], stdin: script });

  const restore = (family: 4 | 6, stdin: string): Command => ({ file: family === 4 ? 'iptables-restore' : 'ip6tables-restore', args: ['-w', '5', '--noflush'], stdin });

  // As on a host where DIO's chains do not exist yet (the real adapter reads `iptables -S` first).
  const initCommands = (): Command[] => {
    if (opts.render === 'nftables') return [nftCmd(nftInitScript(nft))];
    const none = { chains: new Set<string>(), rules: [] };
    return [ipsetCmd(ipsetCreateScript(ipt)), restore(4, iptablesInitScript(ipt, 4, none)), restore(6, iptablesInitScript(ipt, 6, none))];
  };

  // As on a host where init ran: the jumps and chains exist.
  const teardownCommands = (): Command[] => {
    if (opts.render === 'nftables') return [nftCmd(nftTeardownScript(nft))];
    const ours = { chains: new Set([ipt.inputChain, ipt.forwardChain]), rules: [`-A INPUT -j ${ipt.inputChain}`] };
    if (ipt.forward) ours.rules.push(`-A FORWARD -j ${ipt.forwardChain}`);
    const script = iptablesTeardownScript(ipt, ours) ?? '';
    return [restore(4, script), restore(6, script), { file: 'ipset', args: ['destroy', ipt.v4] }, { file: 'ipset', args: ['destroy', ipt.v6] }];
  };

  const emit = (what: string, cmds: Command[]): string[] => {
    const text = cmds.map(formatCommand);
    for (const c of text) log.info({ command: c }, `dry-run ${what}: would run`);
    return text;
  };

  const current = (): BanTable => {
    const now = clock.now();
    pruneExpired(kernel, now);
    pruneExpired(shadow, now);
    return kernel;
  };

  const entries = (): Promise<ListedEntry[]> => Promise.resolve(toListed(current().values()));

  return {
    name: 'dry-run',
    init: () => settle(() => void emit('init', initCommands())),
    apply: (add: readonly BanEntry[], remove: readonly string[]) =>
      settle((): ApplyResult => {
        const now = clock.now();
        const batch = prepareBatch(add, remove, now);
        const state = current();
        if (opts.render === 'nftables') {
          const plan = planNftApply(nft, state, shadow, batch.adds, batch.removes, now, maxEntries);
          kernel = plan.kernel;
          shadow = plan.shadow;
          return { added: plan.added, removed: plan.removed, commands: plan.script ? emit('apply', [nftCmd(plan.script)]) : [] };
        }
        const plan = planIpsetApply(ipt, state, batch.adds, batch.removes, now);
        kernel = plan.next;
        return { added: plan.added, removed: plan.removed, commands: plan.script ? emit('apply', [ipsetCmd(plan.script)]) : [] };
      }),
    list: async () => (await entries()).map((e) => e.value),
    entries,
    sync: (active: readonly BanEntry[]) =>
      settle((): ApplyResult => {
        const now = clock.now();
        const batch = prepareBatch(active, [], now);
        const previous = new Map([...current(), ...shadow]);
        if (opts.render === 'nftables') {
          const plan = planNftSync(nft, batch.adds, now, maxEntries, previous);
          kernel = plan.kernel;
          shadow = plan.shadow;
          return { added: plan.added, removed: plan.removed, commands: emit('sync', [nftCmd(plan.script)]) };
        }
        const plan = planIpsetSync(ipt, batch.adds, now, previous);
        kernel = plan.next;
        return { added: plan.added, removed: plan.removed, commands: emit('sync', [ipsetCmd(plan.script)]) };
      }),
    teardown: () =>
      settle(() => {
        emit('teardown', teardownCommands());
        kernel = new Map();
        shadow = new Map();
      }),
  };
}
