import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { prepareBatch, type BanTable } from '../ban-batch.js';
import { parseIpOrCidr } from '@dio/protocol';
import { cidrContains } from '../cidr.js';
import { compareBans } from '../verify.js';
import { nftInitScript, nftLayout, nftTeardownScript, parseNftSets, planNftApply, planNftSync } from './nft-script.js';

const L = nftLayout();
const NOW = Date.UTC(2026, 0, 1);

/** A stand-in kernel with nft's rules: deleting an absent element and overlapping intervals fail. */
function simulate(kernel: Set<string>, script: string): Set<string> {
  const next = new Set(kernel);
  for (const line of script.split('\n').filter(Boolean)) {
    const flush = /^flush set inet dio dio_ban_v([46])$/.exec(line);
    if (flush) {
      for (const v of [...next]) if (parseIpOrCidr(v)!.family === Number(flush[1])) next.delete(v);
      continue;
    }
    const m = /^(add|delete) element inet dio dio_ban_v[46] \{ (.*) \}$/.exec(line);
    assert.ok(m, `unexpected line: ${line}`);
    for (const item of m[2]!.split(', ')) {
      const value = item.split(' ')[0]!;
      if (m[1] === 'delete') {
        assert.ok(next.delete(value), `delete of absent ${value}`);
        continue;
      }
      const c = parseIpOrCidr(value)!;
      for (const other of next) {
        const o = parseIpOrCidr(other)!;
        if (other !== value && (cidrContains(o, c) || cidrContains(c, o))) assert.fail(`interval overlaps: ${value} vs ${other}`);
      }
      next.add(value);
    }
  }
  return next;
}

describe('nft scripts', () => {
  test('init script: one table, two interval+timeout sets, input and forward chains', () => {
    assert.equal(
      nftInitScript(L),
      [
        'add table inet dio',
        'add set inet dio dio_ban_v4 { type ipv4_addr; flags interval, timeout; }',
        'add set inet dio dio_ban_v6 { type ipv6_addr; flags interval, timeout; }',
        'add chain inet dio input',
        'flush chain inet dio input',
        'delete chain inet dio input',
        'add chain inet dio input { type filter hook input priority -10; policy accept; }',
        'add rule inet dio input ip saddr @dio_ban_v4 counter drop',
        'add rule inet dio input ip6 saddr @dio_ban_v6 counter drop',
        'add chain inet dio forward',
        'flush chain inet dio forward',
        'delete chain inet dio forward',
        'add chain inet dio forward { type filter hook forward priority -10; policy accept; }',
        'add rule inet dio forward ip saddr @dio_ban_v4 counter drop',
        'add rule inet dio forward ip6 saddr @dio_ban_v6 counter drop',
        '',
      ].join('\n'),
    );
    assert.equal(nftTeardownScript(L), 'add table inet dio\ndelete table inet dio\n');
    assert.doesNotMatch(nftInitScript(nftLayout({ forward: false })), /hook forward/);
  });

  test('parses nft -j output: addresses, prefixes, ranges, permanent elements', () => {
    const json = JSON.stringify({
      nftables: [
        { metainfo: { version: '1.0.6', json_schema_version: 1 } },
        {
          set: {
            family: 'inet', name: 'dio_ban_v4', table: 'dio', type: 'ipv4_addr', flags: ['interval', 'timeout'],
            elem: [
              { elem: { val: '192.0.2.1', timeout: 90, expires: 89 } },
              { elem: { val: { prefix: { addr: '10.0.0.0', len: 8 } }, timeout: 100, expires: 99 } },
              { elem: { val: { range: ['198.51.100.1', '198.51.100.2'] }, timeout: 10, expires: 5 } },
              '203.0.113.7',
            ],
          },
        },
      ],
    });
    assert.deepEqual(
      parseNftSets(json, ['dio_ban_v4'], NOW).get('dio_ban_v4')!.map((e) => [e.value, e.expiresAt - NOW]),
      [['192.0.2.1', 89_000], ['10.0.0.0/8', 99_000], ['198.51.100.1', 5000], ['198.51.100.2', 5000], ['203.0.113.7', Infinity]],
    );
    // An empty set has no "elem"; a set the output does not hold is null (the caller re-creates it).
    const empty = parseNftSets(JSON.stringify({ nftables: [{ set: { name: 'dio_ban_v6', family: 'inet', table: 'dio' } }] }), ['dio_ban_v4', 'dio_ban_v6'], NOW);
    assert.deepEqual([...empty], [['dio_ban_v4', null], ['dio_ban_v6', []]]);
    assert.throws(() => parseNftSets('not json', ['dio_ban_v4'], NOW), /could not read nft JSON/);
  });

  test('sample batch: refresh, add, remove, nested', () => {
    const kernel: BanTable = new Map();
    for (const e of prepareBatch([{ value: '192.0.2.1', expiresAt: NOW + 60_000 }, { value: '198.51.100.7', expiresAt: NOW + 60_000 }], [], NOW).adds) kernel.set(e.value, e);
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
    const plan = planNftApply(L, kernel, new Map(), b.adds, b.removes, NOW, 100);
    assert.equal(
      plan.script,
      [
        'delete element inet dio dio_ban_v4 { 192.0.2.1, 198.51.100.7 }',
        'add element inet dio dio_ban_v4 { 192.0.2.1 timeout 3600s, 203.0.113.0/24 timeout 86400s }',
        'add element inet dio dio_ban_v6 { 2001:db8::1 timeout 600s }',
        '',
      ].join('\n'),
    );
    assert.deepEqual([...plan.shadow.keys()], ['203.0.113.9']);
    assert.equal(plan.added, 4);
    assert.equal(plan.removed, 1);
    const sync = planNftSync(L, b.adds, NOW, 100);
    assert.match(sync.script, /^flush set inet dio dio_ban_v4\nflush set inet dio dio_ban_v6\nadd element/);
    assert.throws(() => planNftApply(L, new Map(), new Map(), b.adds, [], NOW, 3), (e: Error & { code?: string }) => e.code === 'firewall.capacity');
  });

  test('many deletions from one set become a flush and refill of that set only', () => {
    const kernel: BanTable = new Map();
    const many = Array.from({ length: 40 }, (_, i) => ({ value: `192.0.2.${i}`, expiresAt: NOW + 60_000 }));
    for (const e of prepareBatch([...many, { value: '2001:db8::1', expiresAt: NOW + 60_000 }, { value: '198.51.100.1', expiresAt: NOW + 90_000 }], [], NOW).adds) kernel.set(e.value, e);
    const b = prepareBatch([{ value: '203.0.113.1', expiresAt: NOW + 5000 }], [...many.map((m) => m.value), '2001:db8::1'], NOW);
    const plan = planNftApply(L, kernel, new Map(), b.adds, b.removes, NOW, 100);
    assert.equal(
      plan.script,
      'flush set inet dio dio_ban_v4\nadd element inet dio dio_ban_v4 { 198.51.100.1 timeout 90s, 203.0.113.1 timeout 5s }\ndelete element inet dio dio_ban_v6 { 2001:db8::1 }\n',
    );
    assert.equal(plan.removed, 41);
  });

  test('model check: any sequence of batches is valid for the kernel and holds exactly the bans', () => {
    const universe = ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.3', '10.1.2.4', '10.2.0.0/16', '192.0.2.1', '2001:db8::/32', '2001:db8::1', '2001:db8:1::/48', '2001:db9::1'];
    const op = fc.record({ add: fc.subarray(universe), remove: fc.subarray(universe), ttl: fc.integer({ min: 1, max: 100 }) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 12 }), fc.boolean(), fc.constantFrom(0, 1, 32), (ops, syncFirst, rebuildAfter) => {
        let kernel: BanTable = new Map();
        let shadow: BanTable = new Map();
        let sim = new Set<string>();
        const model = new Map<string, number>();
        if (syncFirst) {
          const b = prepareBatch(universe.slice(0, 5).map((value) => ({ value, expiresAt: NOW + 1e6 })), [], NOW);
          const plan = planNftSync(L, b.adds, NOW, 100);
          sim = simulate(new Set(), plan.script);
          ({ kernel, shadow } = plan);
          for (const a of b.adds) model.set(a.value, a.expiresAt);
        }
        for (const o of ops) {
          const b = prepareBatch(o.add.map((value) => ({ value, expiresAt: NOW + o.ttl * 1000 })), o.remove, NOW);
          const plan = planNftApply(L, kernel, shadow, b.adds, b.removes, NOW, 100, rebuildAfter);
          sim = simulate(sim, plan.script);
          ({ kernel, shadow } = plan);
          for (const r of b.removes) model.delete(r.value);
          for (const a of b.adds) model.set(a.value, a.expiresAt);
          assert.deepEqual([...sim].sort(), [...kernel.keys()].sort());
          assert.deepEqual([...kernel.keys(), ...shadow.keys()].sort(), [...model.keys()].sort());
          const v = compareBans([...sim], [...model].map(([value, expiresAt]) => ({ value, expiresAt })), NOW);
          assert.deepEqual(v.missing, []);
          assert.deepEqual(v.unexpected, []);
        }
      }),
      { numRuns: 300 },
    );
  });
});
