import { AppError } from '../../../shared/app-error.js';
import { systemClock, type Clock } from '../../../shared/clock.js';
import type { Logger } from '../../../shared/logger.js';
import { createSerialQueue, prepareBatch, toListed, type BanTable } from '../ban-batch.js';
import { failureText, formatCommand, netnsPrefix, runCommand, type Command, type CommandRunner } from '../exec.js';
import type { ApplyResult, BanEntry, Firewall, ListedEntry } from '../port.js';
import {
  ipsetCreateScript,
  ipsetLayout,
  iptablesInitScript,
  iptablesTeardownScript,
  parseIpsetSave,
  parseRuleDump,
  planIpsetApply,
  planIpsetSync,
  type IpsetLayout,
} from './ipset-script.js';

export interface IptablesFirewallOptions {
  logger: Logger;
  /** ipset names are `<prefix>-ban-v4` / `<prefix>-ban-v6` (default 'dio'). */
  setPrefix?: string;
  /** Chains are `<prefix>-INPUT` / `<prefix>-FORWARD` (default 'DIO'). */
  chainPrefix?: string;
  /** Run every command inside this network namespace (`ip netns exec NS …`), for tests. */
  netns?: string;
  ipPath?: string;
  ipsetPath?: string;
  iptablesPath?: string;
  ip6tablesPath?: string;
  iptablesRestorePath?: string;
  ip6tablesRestorePath?: string;
  /** Also drop banned sources in FORWARD (default true). */
  forward?: boolean;
  /** Manage IPv6 too (default true); off on hosts without ip6tables — IPv6 bans are then refused. */
  ipv6?: boolean;
  /** ipset maxelem and the adapter's bound (default 65536). */
  maxEntries?: number;
  clock?: Clock;
  run?: CommandRunner;
  /** Per command (default 60 s: with 65k entries nft 1.0.6 needs ~4 s per batch on this class of machine). */
  timeoutMs?: number;
}

const NO_SET = /does not exist/i;

/**
 * iptables + ipset adapter: hash:net sets with per-entry timeouts, matched from DIO's own chains
 * that INPUT (and FORWARD) jump to, for IPv4 (iptables) and IPv6 (ip6tables). Set changes go
 * through `ipset restore -exist` from stdin; sync swaps in a freshly filled set.
 */
export function createIptablesFirewall(opts: IptablesFirewallOptions): Firewall & { readonly layout: IpsetLayout } {
  const layout = ipsetLayout(opts);
  const log = opts.logger.child({ component: 'firewall', firewall: 'iptables' });
  const clock = opts.clock ?? systemClock;
  const run = opts.run ?? runCommand;
  const prefix = netnsPrefix(opts.netns, opts.ipPath);
  const serial = createSerialQueue();
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const bin = {
    ipset: opts.ipsetPath ?? 'ipset',
    ipt: { 4: opts.iptablesPath ?? 'iptables', 6: opts.ip6tablesPath ?? 'ip6tables' },
    restore: { 4: opts.iptablesRestorePath ?? 'iptables-restore', 6: opts.ip6tablesRestorePath ?? 'ip6tables-restore' },
  };
  const fams: (4 | 6)[] = layout.ipv6 ? [4, 6] : [4];

  const cmd = (file: string, args: string[], stdin?: string): Command => {
    const all = [...prefix, file, ...args];
    return stdin === undefined ? { file: all[0]!, args: all.slice(1) } : { file: all[0]!, args: all.slice(1), stdin };
  };
  const exec = async (c: Command, done: string[]): Promise<string> => {
    const r = await run(c, { timeoutMs });
    done.push(formatCommand(c));
    return r.stdout;
  };
  const ipsetRestore = (script: string, done: string[]): Promise<string> => exec(cmd(bin.ipset, ['restore', '-exist'], script), done);
  const dumpRules = async (f: 4 | 6) => parseRuleDump((await run(cmd(bin.ipt[f], ['-w', '5', '-t', 'filter', '-S']), { timeoutMs })).stdout);

  async function read(): Promise<BanTable> {
    const now = clock.now();
    const table: BanTable = new Map();
    await Promise.all(
      fams.map(async (f) => {
        const name = f === 4 ? layout.v4 : layout.v6;
        let text = '';
        try {
          text = (await run(cmd(bin.ipset, ['list', name, '-output', 'save']), { timeoutMs })).stdout;
        } catch (e) {
          // a set that is not there holds nothing; apply recreates it
          if (!NO_SET.test(failureText(e))) throw e;
        }
        for (const e of parseIpsetSave(text, name, now)) table.set(e.value, e);
      }),
    );
    return table;
  }

  async function initUnlocked(done: string[]): Promise<void> {
    await ipsetRestore(ipsetCreateScript(layout), done);
    for (const f of fams) await exec(cmd(bin.restore[f], ['-w', '5', '--noflush'], iptablesInitScript(layout, f, await dumpRules(f))), done);
  }

  async function withSets(what: string, op: (done: string[]) => Promise<ApplyResult>): Promise<ApplyResult> {
    try {
      return await op([]);
    } catch (e) {
      if (!(e instanceof AppError) || e.code !== 'firewall.command_failed' || !NO_SET.test(failureText(e))) throw e;
      // our set was destroyed by hand (or init never ran): recreate everything, then retry once
      log.warn({ err: failureText(e) }, `iptables ${what}: DIO's sets are missing; re-initialising`);
      const done: string[] = [];
      await initUnlocked(done);
      const r = await op(done);
      return r;
    }
  }

  async function entries(): Promise<ListedEntry[]> {
    return toListed((await serial(read)).values());
  }

  return {
    name: 'iptables',
    layout,
    init: () =>
      serial(async () => {
        await initUnlocked([]);
        log.info({ sets: [layout.v4, layout.v6] }, 'ipset sets and iptables chains ready');
      }),
    apply: (add: readonly BanEntry[], remove: readonly string[]) =>
      serial(async () => {
        const batch = prepareBatch(add, remove, clock.now(), { ipv6: layout.ipv6 });
        return withSets('apply', async (done) => {
          const current = await read();
          const plan = planIpsetApply(layout, current, batch.adds, batch.removes, clock.now());
          if (plan.script) await ipsetRestore(plan.script, done);
          log.info({ added: plan.added, removed: plan.removed }, 'ipset batch applied');
          return { added: plan.added, removed: plan.removed, commands: done };
        });
      }),
    list: async () => (await entries()).map((e) => e.value),
    entries,
    sync: (active: readonly BanEntry[]) =>
      serial(async () => {
        const batch = prepareBatch(active, [], clock.now(), { ipv6: layout.ipv6 });
        return withSets('sync', async (done) => {
          const previous = await read();
          const plan = planIpsetSync(layout, batch.adds, clock.now(), previous);
          await ipsetRestore(plan.script, done);
          log.info({ entries: plan.next.size, removed: plan.removed }, 'ipset sets synchronised');
          return { added: plan.added, removed: plan.removed, commands: done };
        });
      }),
    teardown: () =>
      serial(async () => {
        const done: string[] = [];
        for (const f of fams) {
          const script = iptablesTeardownScript(layout, await dumpRules(f));
          if (script) await exec(cmd(bin.restore[f], ['-w', '5', '--noflush'], script), done);
        }
        // after the rules that reference them are gone; a set already gone is fine
        for (const name of [layout.v4, layout.v6]) {
          try {
            await exec(cmd(bin.ipset, ['destroy', name]), done);
          } catch (e) {
            if (!NO_SET.test(failureText(e))) throw e;
          }
        }
        log.info('ipset sets and iptables chains removed');
      }),
  };
}
