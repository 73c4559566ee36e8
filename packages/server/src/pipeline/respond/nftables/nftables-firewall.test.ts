import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../../../shared/app-error.js';
import { ManualClock } from '../../../shared/clock.js';
import { silentLogger } from '../../../shared/logger.js';
import { runCommand, type Command, type CommandResult, type RunOptions } from '../exec.js';
import { runFirewallContract } from '../firewall.case.test.js';
import { createNetns, deleteNetns, netnsSkipReason } from '../netns-fixture.js';
import type { Firewall } from '../port.js';
import { createNftablesFirewall } from './nftables-firewall.js';

const skip = await netnsSkipReason(['ip', 'nft']);
const namespaces = new WeakMap<Firewall, string>();

runFirewallContract(
  'nftables (in a test network namespace)',
  async () => {
    const ns = await createNetns('nft');
    const fw = createNftablesFirewall({ logger: silentLogger(), netns: ns });
    namespaces.set(fw, ns);
    return fw;
  },
  async (fw) => {
    const ns = namespaces.get(fw);
    if (ns) await deleteNetns(ns);
  },
  { skip },
);

describe('nftables firewall in a namespace: re-init with changed settings', { skip }, () => {
  test('a changed priority or forward: false applies on init and keeps the bans', async () => {
    const ns = await createNetns('nft-reinit');
    try {
      await createNftablesFirewall({ logger: silentLogger(), netns: ns }).init();
      const fw = createNftablesFirewall({ logger: silentLogger(), netns: ns, priority: 5, forward: false });
      await fw.apply([{ value: '192.0.2.1', expiresAt: Date.now() + 60_000 }], []);
      await fw.init();
      const rules = (await runCommand({ file: 'ip', args: ['netns', 'exec', ns, 'nft', 'list', 'table', 'inet', 'dio'] })).stdout;
      assert.match(rules, /hook input priority filter \+ 5/);
      assert.doesNotMatch(rules, /hook forward/);
      assert.deepEqual(await fw.list(), ['192.0.2.1']);
    } finally {
      await deleteNetns(ns);
    }
  });
});

describe('nftables firewall (no root: recorded commands)', () => {
  /** What `nft -j list table inet dio` prints: both sets, with these elements. */
  const listJson = (v4: unknown[] = [], v6: unknown[] = []) =>
    JSON.stringify({ nftables: [{ metainfo: { version: '1.0.6' } }, { table: { family: 'inet', name: 'dio' } }, { set: { family: 'inet', name: 'dio_ban_v4', table: 'dio', elem: v4 } }, { set: { family: 'inet', name: 'dio_ban_v6', table: 'dio', elem: v6 } }] });

  function recorder(respond: (c: Command) => CommandResult | Error) {
    const calls: Command[] = [];
    const run = (c: Command, _o?: RunOptions): Promise<CommandResult> => {
      calls.push(c);
      const r = respond(c);
      return r instanceof Error ? Promise.reject(r) : Promise.resolve(r);
    };
    return { calls, run };
  }

  test('runs every command inside the namespace without a shell, scripts on stdin', async () => {
    const clock = new ManualClock();
    const { calls, run } = recorder((c) => ({ code: 0, stdout: c.args.includes('list') ? listJson() : '', stderr: '' }));
    const fw = createNftablesFirewall({ logger: silentLogger(), netns: 'dio-test-x', run, clock });
    const r = await fw.apply([{ value: '192.0.2.1', expiresAt: clock.now() + 60_000 }], []);
    assert.deepEqual(calls.map((c) => [c.file, ...c.args].join(' ')), [
      'ip netns exec dio-test-x nft -j list table inet dio',
      'ip netns exec dio-test-x nft -f -',
    ]);
    assert.equal(calls[1]!.stdin, 'add element inet dio dio_ban_v4 { 192.0.2.1 timeout 60s }\n');
    assert.deepEqual(r.commands, ["ip netns exec dio-test-x nft -f - <<'EOF'\nadd element inet dio dio_ban_v4 { 192.0.2.1 timeout 60s }\nEOF"]);
  });

  test('an element that expired between read and write: re-read and retry', async () => {
    const clock = new ManualClock();
    let listed = 0;
    const { calls, run } = recorder((c) => {
      if (c.args.includes('list')) {
        listed++;
        const elem = listed <= 1 ? [{ elem: { val: '192.0.2.1', timeout: 60, expires: 0 } }] : [];
        return { code: 0, stdout: listJson(elem), stderr: '' };
      }
      if (c.stdin?.includes('delete element')) return new AppError('firewall.command_failed', 'nft -f -: exit 1', { details: { stderr: 'Error: element does not exist' } });
      return { code: 0, stdout: '', stderr: '' };
    });
    const fw = createNftablesFirewall({ logger: silentLogger(), run, clock });
    const r = await fw.apply([{ value: '192.0.2.1', expiresAt: clock.now() + 60_000 }], []);
    assert.equal(r.added, 1);
    assert.equal(calls.at(-1)!.stdin, 'add element inet dio dio_ban_v4 { 192.0.2.1 timeout 60s }\n');
  });

  test('a missing table is recreated and the batch retried', async () => {
    const clock = new ManualClock();
    let exists = false;
    const { calls, run } = recorder((c) => {
      if (c.stdin?.startsWith('add table')) exists = true;
      if (c.args.includes('list') && !exists) return new AppError('firewall.command_failed', 'nft: exit 1', { details: { stderr: 'Error: No such file or directory' } });
      return { code: 0, stdout: c.args.includes('list') ? listJson() : '', stderr: '' };
    });
    const fw = createNftablesFirewall({ logger: silentLogger(), run, clock });
    const r = await fw.apply([{ value: '2001:db8::1', expiresAt: clock.now() + 5000 }], []);
    assert.equal(r.commands.length, 2);
    assert.match(r.commands[0]!, /add table inet dio/);
    assert.equal(calls.at(-1)!.stdin, 'add element inet dio dio_ban_v6 { 2001:db8::1 timeout 5s }\n');
  });

  test('a set deleted by hand (table still there) is recreated and the batch retried', async () => {
    const clock = new ManualClock();
    let inited = false;
    const { calls, run } = recorder((c) => {
      if (c.stdin?.startsWith('add table')) inited = true;
      if (c.args.includes('list')) {
        const full = JSON.parse(listJson()) as { nftables: unknown[] };
        return { code: 0, stdout: JSON.stringify(inited ? full : { nftables: full.nftables.slice(0, 3) }), stderr: '' };
      }
      return { code: 0, stdout: '', stderr: '' };
    });
    const fw = createNftablesFirewall({ logger: silentLogger(), run, clock });
    const r = await fw.apply([{ value: '2001:db8::1', expiresAt: clock.now() + 5000 }], []);
    assert.equal(r.added, 1);
    assert.match(r.commands[0]!, /add table inet dio/);
    assert.equal(calls.at(-1)!.stdin, 'add element inet dio dio_ban_v6 { 2001:db8::1 timeout 5s }\n');
  });

  test('gives up after three attempts with the command and stderr in the error', async () => {
    const { run } = recorder((c) =>
      c.args.includes('list') ? { code: 0, stdout: listJson(), stderr: '' } : new AppError('firewall.command_failed', 'nft -f -: exit 1: Error: Could not process rule: Operation not permitted', { details: { stderr: 'Operation not permitted' } }),
    );
    const fw = createNftablesFirewall({ logger: silentLogger(), run });
    await assert.rejects(fw.apply([{ value: '192.0.2.1', expiresAt: Date.now() + 5000 }], []), /nft -f -: exit 1: Error: Could not process rule/);
  });

  test('expiries it wrote are read back to the millisecond (nft reports whole seconds)', async () => {
    const clock = new ManualClock();
    const { run } = recorder((c) =>
      c.args.includes('list') ? { code: 0, stdout: listJson([{ elem: { val: '192.0.2.1', timeout: 61, expires: 60 } }, { elem: { val: '192.0.2.2', timeout: 61, expires: 60 } }]), stderr: '' } : { code: 0, stdout: '', stderr: '' },
    );
    const fw = createNftablesFirewall({ logger: silentLogger(), run, clock });
    await fw.apply([{ value: '192.0.2.1', expiresAt: clock.now() + 60_700 }], []);
    assert.deepEqual(await fw.entries(), [
      { value: '192.0.2.1', expiresAt: clock.now() + 60_700 },
      { value: '192.0.2.2', expiresAt: clock.now() + 60_000 },
    ]);
  });

  test('rejects unsafe configuration', () => {
    assert.throws(() => createNftablesFirewall({ logger: silentLogger(), table: 'dio; flush ruleset' }), /table name/);
    assert.throws(() => createNftablesFirewall({ logger: silentLogger(), netns: '-all' }), /namespace name/);
  });
});
