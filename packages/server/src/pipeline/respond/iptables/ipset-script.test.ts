import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { prepareBatch, type BanTable } from '../ban-batch.js';
import { ipsetCreateScript, ipsetLayout, iptablesInitScript, iptablesTeardownScript, parseIpsetSave, parseRuleDump, planIpsetApply, planIpsetSync } from './ipset-script.js';

const L = ipsetLayout();
const NOW = Date.UTC(2026, 0, 1);

describe('ipset / iptables scripts', () => {
  test('create script', () => {
    assert.equal(ipsetCreateScript(L), 'create dio-ban-v4 hash:net family inet timeout 0 maxelem 65536\ncreate dio-ban-v6 hash:net family inet6 timeout 0 maxelem 65536\n');
    assert.equal(ipsetCreateScript(ipsetLayout({ ipv6: false, maxEntries: 10 })), 'create dio-ban-v4 hash:net family inet timeout 0 maxelem 10\n');
  });

  test('parses ipset save output', () => {
    const text = [
      'create dio-ban-v4 hash:net family inet hashsize 1024 maxelem 65536 timeout 0 bucketsize 12 initval 0xb4858f45',
      'add dio-ban-v4 1.2.3.0/24 timeout 29',
      'add dio-ban-v4 1.2.3.4 timeout 0',
      'add dio-ban-v4 5.6.7.8',
      'add dio-ban-v4 9.9.9.9 timeout 5 nomatch',
      'add other-set 4.4.4.4 timeout 5',
      'garbage',
    ].join('\n');
    assert.deepEqual(parseIpsetSave(text, 'dio-ban-v4', NOW).map((e) => [e.value, e.expiresAt - NOW]), [['1.2.3.0/24', 29_000], ['1.2.3.4', Infinity], ['5.6.7.8', Infinity]]);
  });

  test('init inserts jumps only when missing; teardown removes only what jumps to our chains', () => {
    const fresh = parseRuleDump('-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n');
    assert.equal(
      iptablesInitScript(L, 6, fresh),
      '*filter\n:DIO-INPUT - [0:0]\n:DIO-FORWARD - [0:0]\n-A DIO-INPUT -m set --match-set dio-ban-v6 src -j DROP\n-A DIO-FORWARD -m set --match-set dio-ban-v6 src -j DROP\n-I INPUT 1 -j DIO-INPUT\n-I FORWARD 1 -j DIO-FORWARD\nCOMMIT\n',
    );
    assert.equal(iptablesTeardownScript(L, fresh), null);
    const dump = parseRuleDump(
      [
        '-P INPUT ACCEPT',
        '-N DIO-INPUT',
        '-N DIO-FORWARD',
        '-N OTHER',
        '-A INPUT -j DIO-INPUT',
        '-A INPUT -s 192.0.2.1/32 -j ACCEPT',
        '-A FORWARD -j DIO-FORWARD',
        '-A OTHER -p tcp -j DIO-INPUT',
        '-A DIO-INPUT -m set --match-set dio-ban-v4 src -j DROP',
        '-A DIO-FORWARD -m set --match-set dio-ban-v4 src -j DROP',
      ].join('\n'),
    );
    assert.doesNotMatch(iptablesInitScript(L, 4, dump), /-I INPUT/);
    assert.equal(
      iptablesInitScript(ipsetLayout({ forward: false }), 4, dump),
      '*filter\n:DIO-INPUT - [0:0]\n-A DIO-INPUT -m set --match-set dio-ban-v4 src -j DROP\n-D FORWARD -j DIO-FORWARD\n-F DIO-FORWARD\n-X DIO-FORWARD\nCOMMIT\n',
    );
    assert.equal(
      iptablesTeardownScript(L, dump),
      '*filter\n-D INPUT -j DIO-INPUT\n-D FORWARD -j DIO-FORWARD\n-D OTHER -p tcp -j DIO-INPUT\n-F DIO-INPUT\n-X DIO-INPUT\n-F DIO-FORWARD\n-X DIO-FORWARD\nCOMMIT\n',
    );
  });

  test('apply: deletes what is present, re-adds to refresh, keeps nested ranges', () => {
    const current: BanTable = new Map(parseIpsetSave('add dio-ban-v4 198.51.100.7 timeout 60\nadd dio-ban-v4 192.0.2.1 timeout 60', 'dio-ban-v4', NOW).map((e) => [e.value, e]));
    const b = prepareBatch(
      [
        { value: '192.0.2.1', expiresAt: NOW + 3_600_000 },
        { value: '2001:DB8::1', expiresAt: NOW + 600_000 },
        { value: '203.0.113.0/24', expiresAt: NOW + 86_400_000 },
        { value: '203.0.113.9', expiresAt: NOW + 600_000 },
      ],
      ['198.51.100.7', '192.0.2.200'],
      NOW,
    );
    const plan = planIpsetApply(L, current, b.adds, b.removes, NOW);
    assert.equal(
      plan.script,
      'del dio-ban-v4 198.51.100.7\nadd dio-ban-v4 192.0.2.1 timeout 3600\nadd dio-ban-v6 2001:db8::1 timeout 600\nadd dio-ban-v4 203.0.113.0/24 timeout 86400\nadd dio-ban-v4 203.0.113.9 timeout 600\n',
    );
    assert.equal(plan.removed, 1);
    assert.deepEqual([...plan.next.keys()].sort(), ['192.0.2.1', '2001:db8::1', '203.0.113.0/24', '203.0.113.9']);
  });

  test('sync fills temporary sets and swaps them in', () => {
    const b = prepareBatch([{ value: '192.0.2.1', expiresAt: NOW + 10_000 }, { value: '2001:db8::/48', expiresAt: NOW + 10_000 }], [], NOW);
    assert.equal(
      planIpsetSync(L, b.adds, NOW).script,
      [
        'create dio-ban-v4-tmp hash:net family inet timeout 0 maxelem 65536',
        'flush dio-ban-v4-tmp',
        'add dio-ban-v4-tmp 192.0.2.1 timeout 10',
        'swap dio-ban-v4-tmp dio-ban-v4',
        'destroy dio-ban-v4-tmp',
        'create dio-ban-v6-tmp hash:net family inet6 timeout 0 maxelem 65536',
        'flush dio-ban-v6-tmp',
        'add dio-ban-v6-tmp 2001:db8::/48 timeout 10',
        'swap dio-ban-v6-tmp dio-ban-v6',
        'destroy dio-ban-v6-tmp',
        '',
      ].join('\n'),
    );
  });

  test('timeouts are capped at ipset\'s maximum', () => {
    const b = prepareBatch([{ value: '192.0.2.1', expiresAt: NOW + 365 * 86_400_000 }], [], NOW);
    assert.match(planIpsetApply(L, new Map(), b.adds, [], NOW).script, /timeout 2147483\n$/);
  });
});
