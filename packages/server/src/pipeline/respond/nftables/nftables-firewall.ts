import { AppError } from '../../../shared/app-error.js';
import { systemClock, type Clock } from '../../../shared/clock.js';
import type { Logger } from '../../../shared/logger.js';
import { DEFAULT_MAX_ENTRIES, createSerialQueue, prepareBatch, toListed, type BanTable } from '../ban-batch.js';
import { failureText, formatCommand, netnsPrefix, runCommand, type Command, type CommandRunner } from '../exec.js';
import type { ApplyResult, BanEntry, Firewall, ListedEntry } from '../port.js';
import { nftInitScript, nftLayout, nftListArgs, nftTeardownScript, parseNftSets, planNftApply, planNftSync, type NftLayout } from './nft-script.js';

export interface NftablesFirewallOptions {
  logger: Logger;
  /** Table DIO owns (default 'dio'); sets are `<table>_ban_v4` / `<table>_ban_v6`. */
  table?: string;
  family?: 'inet';
  nftPath?: string;
  /** Run every command inside this network namespace (`ip netns exec NS …`), for tests. */
  netns?: string;
  ipPath?: string;
  /** Hook priority of the input/forward chains (default -10, ahead of usual filter tables). */
  priority?: number;
  /** Also drop banned sources in the forward hook (default true; matters on routers/hosts with containers). */
  forward?: boolean;
  maxEntries?: number;
  clock?: Clock;
  /** Command runner (tests inject a recorder). */
  run?: CommandRunner;
  /** Per command (default 60 s: with 65k entries nft 1.0.6 needs ~4 s per batch on this class of machine). */
  timeoutMs?: number;
}

// what nft says when our table or set is not there (an absent element reads "element does not exist")
const MISSING = /No such file or directory/i;
/** The table or one of its sets is gone: nft said so, or its listing lacks a set (deleted by hand). */
const isMissing = (e: unknown): boolean => MISSING.test(failureText(e)) || (e instanceof AppError && (e.details as { missing?: unknown } | undefined)?.missing === true);
const ATTEMPTS = 3;

/**
 * nftables adapter: one `inet` table with interval+timeout sets; every change is one `nft -f -`
 * transaction planned from a fresh read of the sets, so apply is idempotent and a failed batch
 * changes nothing. A batch that fails because the kernel moved under it (an element expired
 * between read and write, or the table was deleted) is re-read and retried.
 */
export function createNftablesFirewall(opts: NftablesFirewallOptions): Firewall & { readonly layout: NftLayout } {
  const layout = nftLayout(opts);
  if (opts.family !== undefined && opts.family !== 'inet') throw new AppError('firewall.invalid_config', 'nftables family must be inet');
  const log = opts.logger.child({ component: 'firewall', firewall: 'nftables' });
  const clock = opts.clock ?? systemClock;
  const run = opts.run ?? runCommand;
  const maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const prefix = netnsPrefix(opts.netns, opts.ipPath);
  const nft = opts.nftPath ?? 'nft';
  const serial = createSerialQueue();
  const timeoutMs = opts.timeoutMs ?? 60_000;
  let shadow: BanTable = new Map();
  // Expiries this adapter wrote, to the millisecond. nft reports remaining time in whole seconds
  // (rounded down), so a set refilled from a read would lose up to 1 s per refill without this.
  let written = new Map<string, number>();
  const remember = (plan: { kernel: BanTable; shadow: BanTable }): void => {
    written = new Map();
    for (const t of [plan.kernel, plan.shadow]) for (const [k, e] of t) written.set(k, e.expiresAt);
  };

  const cmd = (args: string[], stdin?: string): Command => {
    const all = [...prefix, nft, ...args];
    return stdin === undefined ? { file: all[0]!, args: all.slice(1) } : { file: all[0]!, args: all.slice(1), stdin };
  };
  const exec = async (c: Command, done: string[]): Promise<string> => {
    const r = await run(c, { timeoutMs });
    done.push(formatCommand(c));
    return r.stdout;
  };
  const script = (text: string, done: string[]): Promise<string> => exec(cmd(['-f', '-'], text), done);

  async function read(): Promise<BanTable> {
    const now = clock.now();
    const table: BanTable = new Map();
    const c = cmd(nftListArgs(layout));
    const sets = parseNftSets((await run(c, { timeoutMs })).stdout, [layout.v4, layout.v6], now);
    for (const [name, found] of sets) {
      // A table without one of its sets (deleted by hand) is handled like a missing table: init and retry.
      if (found === null) throw new AppError('firewall.command_failed', `${formatCommand(c)}: set ${name} is missing`, { details: { missing: true } });
      for (const e of found) {
        const mine = written.get(e.value);
        if (mine !== undefined && mine - e.expiresAt >= -1500 && mine - e.expiresAt <= 1500) e.expiresAt = mine;
        table.set(e.value, e);
      }
    }
    return table;
  }

  async function readOrEmpty(): Promise<BanTable> {
    try {
      return await read();
    } catch (e) {
      if (isMissing(e)) return new Map();
      throw e;
    }
  }

  async function withRetry(what: string, op: (done: string[]) => Promise<ApplyResult>): Promise<ApplyResult> {
    // commands that succeeded in a failed attempt (an init) did run, so they stay in the result
    const done: string[] = [];
    for (let attempt = 1; ; attempt++) {
      try {
        return await op(done);
      } catch (e) {
        if (attempt >= ATTEMPTS || !(e instanceof AppError) || e.code !== 'firewall.command_failed') throw e;
        log.warn({ err: failureText(e), attempt }, `nftables ${what} failed; re-reading and retrying`);
        // The table or a set vanished (deleted by hand, or never initialised): recreate it.
        if (isMissing(e)) await script(nftInitScript(layout), done);
      }
    }
  }

  return {
    name: 'nftables',
    layout,
    init: () =>
      serial(async () => {
        await script(nftInitScript(layout), []);
        log.info({ table: layout.table }, 'nftables table ready');
      }),
    apply: (add: readonly BanEntry[], remove: readonly string[]) =>
      serial(async () => {
        const batch = prepareBatch(add, remove, clock.now());
        return withRetry('apply', async (done) => {
          const kernel = await read();
          const now = clock.now();
          const plan = planNftApply(layout, kernel, shadow, batch.adds, batch.removes, now, maxEntries);
          if (plan.script) await script(plan.script, done);
          shadow = plan.shadow;
          remember(plan);
          log.info({ added: plan.added, removed: plan.removed, nested: shadow.size }, 'nftables batch applied');
          return { added: plan.added, removed: plan.removed, commands: done };
        });
      }),
    list: async () => (await entries()).map((e) => e.value),
    entries: () => entries(),
    sync: (active: readonly BanEntry[]) =>
      serial(async () => {
        const batch = prepareBatch(active, [], clock.now());
        return withRetry('sync', async (done) => {
          const previous = new Map([...(await readOrEmpty()), ...shadow]);
          const plan = planNftSync(layout, batch.adds, clock.now(), maxEntries, previous);
          await script(plan.script, done);
          shadow = plan.shadow;
          remember(plan);
          log.info({ entries: plan.kernel.size, nested: shadow.size, removed: plan.removed }, 'nftables sets synchronised');
          return { added: plan.added, removed: plan.removed, commands: done };
        });
      }),
    teardown: () =>
      serial(async () => {
        await script(nftTeardownScript(layout), []);
        shadow = new Map();
        written = new Map();
        log.info({ table: layout.table }, 'nftables table removed');
      }),
  };

  async function entries(): Promise<ListedEntry[]> {
    return toListed((await serial(readOrEmpty)).values());
  }
}
