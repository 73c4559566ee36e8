import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../../../shared/app-error.js';
import { ManualClock } from '../../../shared/clock.js';
import { silentLogger } from '../../../shared/logger.js';
import { runCommand, type Command, type CommandResult, type RunOptions } from '../exec.js';
import { runFirewallContract } from '../firewall.case.test.js';
import { createNetns, deleteNetns, netnsSkipReason } from '../netns-fixture.js';
import type { Firewall } from '../port.js';
import { createIptablesFirewall } from './iptables-firewall.js';

const skip = await netnsSkipReason(['ip', 'ipset', 'iptables', 'ip6tables', 'iptables-restore', 'ip6tables-restore']);
const namespaces = new WeakMap<Firewall, string>();

runFirewallContract(
  'iptables + ipset (in a test network namespace)',
  async () => {
    const ns = await createNetns('ipt');
    const fw = createIptablesFirewall({ logger: silentLogger(), netns: ns });
    namespaces.set(fw, ns);
    return fw;
  },
  async (fw) => {
    const ns = namespaces.get(fw);
    if (ns) await deleteNetns(ns);
  },
  { skip },
);

describe('iptables firewall in a namespace: re-init with changed settings', { skip }, () => {
  test('forward: false removes the FORWARD hook on init and keeps the bans', async () => {
    const ns = await createNetns('ipt-reinit');
    try {
      await createIptablesFirewall({ logger: silentLogger(), netns: ns }).init();
      const fw = createIptablesFirewall({ logger: silentLogger(), netns: ns, forward: false });
      await fw.apply([{ value: '192.0.2.1', expiresAt: Date.now() + 60_000 }], []);
      await fw.init();
      const rules = (await runCommand({ file: 'ip', args: ['netns', 'exec', ns, 'iptables', '-S'] })).stdout;
      assert.match(rules, /-A INPUT -j DIO-INPUT/);
      assert.doesNotMatch(rules, /FORWARD -j|DIO-FORWARD/);
      assert.deepEqual(await fw.list(), ['192.0.2.1']);
    } finally {
      await deleteNetns(ns);
    }
  });
});

describe('iptables firewall (no root: recorded commands)', () => {
  function recorder(respond: (c: Command) => CommandResult | Error) {
    const calls: Command[] = [];
    const run = (c: Command, _o?: RunOptions): Promise<CommandResult> => {
      calls.push(c);
      const r = respond(c);
      return r instanceof Error ? Promise.reject(r) : Promise.resolve(r);
    };
    return { calls, run };
  }
  const ok = (stdout = ''): CommandResult => ({ code: 0, stdout, stderr: '' });

  test('init creates sets, chains and the jumps only when missing', async () => {
    const { calls, run } = recorder((c) => (c.args.includes('-S') ? ok(c.file === 'iptables' ? '-P INPUT ACCEPT\n-N DIO-INPUT\n-A INPUT -j DIO-INPUT\n' : '-P INPUT ACCEPT\n') : ok()));
    const fw = createIptablesFirewall({ logger: silentLogger(), run });
    await fw.init();
    assert.deepEqual(calls.map((c) => [c.file, ...c.args].join(' ')), [
      'ipset restore -exist',
      'iptables -w 5 -t filter -S',
      'iptables-restore -w 5 --noflush',
      'ip6tables -w 5 -t filter -S',
      'ip6tables-restore -w 5 --noflush',
    ]);
    assert.equal(calls[0]!.stdin, 'create dio-ban-v4 hash:net family inet timeout 0 maxelem 65536\ncreate dio-ban-v6 hash:net family inet6 timeout 0 maxelem 65536\n');
    assert.equal(
      calls[2]!.stdin,
      '*filter\n:DIO-INPUT - [0:0]\n:DIO-FORWARD - [0:0]\n-A DIO-INPUT -m set --match-set dio-ban-v4 src -j DROP\n-A DIO-FORWARD -m set --match-set dio-ban-v4 src -j DROP\n-I FORWARD 1 -j DIO-FORWARD\nCOMMIT\n',
    );
    assert.match(calls[4]!.stdin!, /-A DIO-INPUT -m set --match-set dio-ban-v6 src -j DROP\n-A DIO-FORWARD .*\n-I INPUT 1 -j DIO-INPUT\n-I FORWARD 1 -j DIO-FORWARD\n/);
  });

  test('apply reads the sets, then one ipset restore batch', async () => {
    const clock = new ManualClock();
    const { calls, run } = recorder((c) =>
      c.args.includes('list') && c.args.includes('dio-ban-v4') ? ok('create dio-ban-v4 hash:net family inet timeout 0\nadd dio-ban-v4 198.51.100.0/24 timeout 100\n') : ok(),
    );
    const fw = createIptablesFirewall({ logger: silentLogger(), run, clock, netns: 'dio-test-y' });
    const r = await fw.apply([{ value: '192.0.2.1', expiresAt: clock.now() + 60_000 }], ['198.51.100.0/24', '203.0.113.1']);
    assert.deepEqual(r, {
      added: 1,
      removed: 1,
      commands: ["ip netns exec dio-test-y ipset restore -exist <<'EOF'\ndel dio-ban-v4 198.51.100.0/24\nadd dio-ban-v4 192.0.2.1 timeout 60\nEOF"],
    });
    assert.ok(calls.every((c) => c.file === 'ip' && c.args[0] === 'netns'));
  });

  test('sets destroyed by hand are recreated and the batch retried once', async () => {
    let created = false;
    const { calls, run } = recorder((c) => {
      if (c.stdin?.startsWith('create')) created = true;
      if (c.stdin?.startsWith('add') && !created) return new AppError('firewall.command_failed', 'ipset restore -exist: exit 1', { details: { stderr: 'ipset v7.17: Error in line 1: The set with the given name does not exist' } });
      return ok();
    });
    const fw = createIptablesFirewall({ logger: silentLogger(), run });
    const r = await fw.apply([{ value: '192.0.2.1', expiresAt: Date.now() + 60_000 }], []);
    assert.equal(r.added, 1);
    assert.equal(calls.at(-1)!.stdin?.startsWith('add dio-ban-v4 192.0.2.1 timeout'), true);
    assert.ok(r.commands.some((c) => c.includes('iptables-restore')));
  });

  test('ipv6: false manages IPv4 only and refuses IPv6 bans', async () => {
    const { calls, run } = recorder(() => ok());
    const fw = createIptablesFirewall({ logger: silentLogger(), run, ipv6: false });
    await fw.init();
    assert.ok(!calls.some((c) => c.file.startsWith('ip6tables')));
    await assert.rejects(fw.apply([{ value: '2001:db8::1', expiresAt: Date.now() + 1000 }], []), /IPv6 is disabled/);
  });

  test('rejects unsafe configuration', () => {
    assert.throws(() => createIptablesFirewall({ logger: silentLogger(), setPrefix: 'a b' }), /ipset prefix/);
    assert.throws(() => createIptablesFirewall({ logger: silentLogger(), chainPrefix: '-j ACCEPT' }), /chain prefix/);
  });
});
