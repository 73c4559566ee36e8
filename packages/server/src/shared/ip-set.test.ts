import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IpSet } from './ip-set.js';
import { isAppError } from './app-error.js';
import { ipInCidr } from '@dio/protocol';
import { refFormat4, refHas, refRange } from './ip-reference.test-util.js';

test('members, edges and canonical entries', () => {
  const set = new IpSet(['10.0.0.0/8', '192.0.2.1', '192.0.2.1/32', '2001:DB8::/32', '::1', ' 198.51.100.7/24 ', '::ffff:203.0.113.0/120']);
  assert.deepEqual([...set.entries()], ['10.0.0.0/8', '192.0.2.1', '192.0.2.1/32', '2001:db8::/32', '::1', '198.51.100.0/24', '203.0.113.0/24']);
  assert.equal(set.size, 7);
  for (const ip of ['10.0.0.0', '10.255.255.255', '192.0.2.1', '::ffff:192.0.2.1', '2001:db8::', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', '::1', '198.51.100.255', '203.0.113.5']) {
    assert.ok(set.has(ip), ip);
  }
  for (const ip of ['9.255.255.255', '11.0.0.0', '192.0.2.0', '192.0.2.2', '2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', '2001:db9::', '::2', '::', 'bogus', '', '10.0.0.1 ', 'fe80::1%eth0']) {
    assert.ok(!set.has(ip), ip);
  }
});

test('/0 ranges, /32 and /128', () => {
  const all4 = new IpSet(['0.0.0.0/0']);
  assert.ok(all4.has('0.0.0.0') && all4.has('255.255.255.255') && all4.has('::ffff:1.2.3.4'));
  assert.ok(!all4.has('2001:db8::1'));
  const all6 = new IpSet(['::/0']);
  assert.ok(all6.has('::') && all6.has('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'));
  assert.ok(all6.has('8.8.8.8'), '::/0 holds ::ffff:8.8.8.8, which is 8.8.8.8');
  const host = new IpSet(['255.255.255.255/32', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128', '0.0.0.0/32']);
  assert.ok(host.has('255.255.255.255') && host.has('0.0.0.0') && host.has('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'));
  assert.ok(!host.has('255.255.255.254') && !host.has('0.0.0.1') && !host.has('ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe'));
  const empty = new IpSet([]);
  assert.equal(empty.size, 0);
  assert.ok(!empty.has('1.2.3.4') && !empty.has('::1'));
});

test('overlapping and adjacent members merge correctly', () => {
  const set = new IpSet(['10.0.0.0/9', '10.128.0.0/9', '10.0.0.0/16', '10.1.2.3', '12.0.0.0/8', '2001:db8::/33', '2001:db8:8000::/33', '2001:db8::/48']);
  assert.ok(set.has('10.127.255.255') && set.has('10.128.0.0') && set.has('10.255.255.255'));
  assert.ok(!set.has('11.0.0.0') && set.has('12.0.0.0'));
  assert.ok(set.has('2001:db8:7fff:ffff::') && set.has('2001:db8:8000::') && !set.has('2001:db9::'));
});

test('v6 ranges covering ::ffff:0:0/96 contain those IPv4 addresses', () => {
  const set = new IpSet(['::ffff:0:0/97']);
  assert.ok(set.has('1.2.3.4') && set.has('127.255.255.255') && !set.has('128.0.0.0'));
  const wide = new IpSet(['::/64']);
  assert.ok(wide.has('203.0.113.1') && wide.has('::5'));
});

test('invalid entries throw config.invalid_cidr naming the entry', () => {
  for (const bad of ['10.0.0.0/33', 'example.com', '10.0.0.256', '', '::/129', 'fe80::1%eth0', 'x'.repeat(500)]) {
    assert.throws(
      () => new IpSet(['10.0.0.0/8', bad]),
      (e: unknown) => isAppError(e) && e.code === 'config.invalid_cidr' && e.message.includes(JSON.stringify(bad.slice(0, 64))),
      bad,
    );
  }
  assert.throws(() => new IpSet([42 as unknown as string]), (e: unknown) => isAppError(e) && e.message.includes('42'));
});

/** Addresses from a few small neighbourhoods so members and queries collide and touch edges. */
const v4Addr = fc
  .tuple(fc.constantFrom(0x0a000000, 0xc0000200, 0xffffff00, 0x00000000, 0x7fffff80), fc.integer({ min: -300, max: 300 }))
  .map(([base, d]) => refFormat4((base + d + 2 ** 32) % 2 ** 32));
const v6Addr = fc
  .tuple(fc.constantFrom('2001:db8::', '::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff', '::ffff:10.0.0.', '2001:db8:0:0:ffff:ffff:ffff:'), fc.integer({ min: 0, max: 255 }))
  .map(([pre, n]) => (pre.endsWith('.') ? `${pre}${n}` : `${pre}${n.toString(16)}`));
const member = fc.oneof(
  v4Addr,
  fc.tuple(v4Addr, fc.integer({ min: 0, max: 32 })).map(([a, b]) => `${a}/${b}`),
  fc.tuple(v4Addr, fc.integer({ min: 20, max: 32 })).map(([a, b]) => `${a}/${b}`),
  v6Addr,
  fc.tuple(v6Addr, fc.integer({ min: 0, max: 128 })).map(([a, b]) => `${a}/${b}`),
  fc.tuple(v6Addr, fc.integer({ min: 100, max: 128 })).map(([a, b]) => `${a}/${b}`),
);
const query = fc.oneof(v4Addr, v6Addr, fc.ipV4(), fc.ipV6(), v4Addr.map((a) => `::ffff:${a}`));

test('property: IpSet.has agrees with a naive scan over the members', () => {
  fc.assert(
    fc.property(fc.array(member, { maxLength: 12 }), fc.array(query, { minLength: 1, maxLength: 20 }), (members, queries) => {
      const set = new IpSet(members);
      for (const q of queries) {
        const want = refHas(members, q);
        assert.equal(set.has(q), want, `${q} in [${members.join(', ')}]`);
        assert.equal(members.some((m) => ipInCidr(q, m.includes('/') ? m : `${m}/${m.includes(':') ? 128 : 32}`)), want, `ipInCidr ${q}`);
      }
    }),
    { numRuns: 3000 },
  );
});

test('property: IpSet rebuilt from its own entries is the same set', () => {
  fc.assert(
    fc.property(fc.array(member, { maxLength: 10 }), fc.array(query, { minLength: 1, maxLength: 10 }), (members, queries) => {
      const a = new IpSet(members);
      const b = new IpSet([...a.entries()]);
      for (const q of queries) assert.equal(b.has(q), a.has(q), q);
    }),
  );
});

test('intersects: ranges that touch a member', () => {
  const set = new IpSet(['10.1.2.3', '2001:db8::/48', '::ffff:0:0/127']);
  assert.ok(set.intersects('10.0.0.0/8'));
  assert.ok(set.intersects('10.1.2.3'));
  assert.ok(!set.intersects('10.1.2.4/31'));
  assert.ok(set.intersects('2001:db8::/32'));
  assert.ok(set.intersects('2001:db8:0:1::/64'));
  assert.ok(!set.intersects('2001:db8:1::/48'));
  assert.ok(set.intersects('::/0'), 'covers 10.1.2.3 as ::ffff:10.1.2.3');
  assert.ok(set.intersects('0.0.0.0/31'), '::ffff:0:0/127 is 0.0.0.0/31');
  assert.ok(!set.intersects('1.0.0.0/8'));
  assert.ok(!set.intersects('garbage'));
});

test('property: intersects agrees with a naive overlap scan', () => {
  const range = fc.oneof(
    fc.tuple(v4Addr, fc.integer({ min: 0, max: 32 })).map(([a, b]) => `${a}/${b}`),
    fc.tuple(v6Addr, fc.integer({ min: 0, max: 128 })).map(([a, b]) => `${a}/${b}`),
    v4Addr,
    v6Addr,
  );
  fc.assert(
    fc.property(fc.array(member, { maxLength: 10 }), fc.array(range, { minLength: 1, maxLength: 10 }), (members, ranges) => {
      const set = new IpSet(members);
      for (const r of ranges) {
        const [lo, hi] = refRange(r)!;
        const want = members.some((m) => {
          const [a, b] = refRange(m)!;
          return a <= hi && b >= lo;
        });
        assert.equal(set.intersects(r), want, `${r} ∩ [${members.join(', ')}]`);
      }
    }),
    { numRuns: 2000 },
  );
});
